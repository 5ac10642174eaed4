"""Celery wrappers for catalog services: take ids, load rows, own the retry policy."""

from __future__ import annotations

import logging

from celery import Task, shared_task
from django.conf import settings

from .clients.tmdb import TMDBError
from .models import Title
from .services import title_refresh

logger = logging.getLogger(__name__)
MAX_RETRIES = 5


def retry_countdown(retries: int) -> int:
    """Exponential backoff, capped under the broker's visibility timeout."""
    return min(30 * 2**retries, settings.CELERY_TASK_MAX_COUNTDOWN)


@shared_task(bind=True, max_retries=MAX_RETRIES)
def title_refresh_task(self: Task, title_id: int) -> int | None:
    title = Title.objects.select_related("tenant").filter(id=title_id).first()
    if title is None:
        logger.info("title %s is gone; nothing to refresh", title_id)
        return None
    try:
        title_refresh(title=title)
    except TMDBError as exc:
        if exc.permanent:
            raise
        raise self.retry(exc=exc, countdown=retry_countdown(self.request.retries)) from exc
    return title_id
