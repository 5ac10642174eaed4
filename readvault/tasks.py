"""ReadVault on Celery: refresh one series, retry one chapter; beat's sweep over the followed
series that are due."""

from __future__ import annotations

import logging

from celery import Task, shared_task

from library.tasks import retry_countdown
from shadowvault.metrics import metric_increment

from .models import Chapter, Series
from .services import SeriesBusy, chapter_retry, series_due, series_refresh
from .sources import SourceError

log = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=4)
def series_refresh_task(self: Task, series_id: int) -> dict | None:
    series = Series.objects.select_related("source").filter(id=series_id).first()
    if series is None:
        return None
    try:
        result = series_refresh(series)
    except SourceError as exc:
        metric_increment("readvault_refreshes_total", 'outcome="error"')
        Series.objects.filter(id=series_id).update(refresh_error=str(exc)[:2000])
        if exc.permanent or self.request.retries >= self.max_retries:
            log.warning("refresh of %s failed: %s", series, exc)
            return None
        raise self.retry(countdown=retry_countdown(self.request.retries)) from exc
    return {
        "new": result.new_chapters,
        "downloaded": result.downloaded,
        "failed": result.failed,
        "skipped": result.skipped,
    }


@shared_task
def followed_refresh_task() -> int:
    """Enqueue a refresh for every followed series whose own interval has passed."""
    due = series_due()
    for series_id in due:
        series_refresh_task.delay(series_id)
    return len(due)


@shared_task(bind=True, max_retries=6)
def chapter_retry_task(self: Task, chapter_id: int) -> bool | None:
    """Download one chapter a curator asked to retry (the API set it back to pending)."""
    chapter = (
        Chapter.objects.select_related("series__source")
        .filter(id=chapter_id, state=Chapter.State.PENDING)
        .first()
    )
    if chapter is None:
        return None
    try:
        return chapter_retry(chapter)  # a failure is kept on the chapter, with its reason
    except SeriesBusy as exc:  # a refresh is downloading the series: after it
        raise self.retry(countdown=retry_countdown(self.request.retries)) from exc
