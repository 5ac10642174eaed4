"""Following series, finding their new chapters, and storing the chapters' pages.

- `series_refresh` finds chapters by their source id: inserting the same chapter twice is a
  no-op (a unique constraint with ignore_conflicts), and a Redis lock per series keeps two
  refreshes of one series from downloading the same pages at the same time.
- `chapter_download` stores every page (a real image, checked with Pillow) and only then
  marks the chapter available, in one transaction with its Page rows; a chapter whose page
  fails is marked failed with the reason and retried on the next refresh.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import redis
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from PIL import Image, UnidentifiedImageError

from ingest.guard_proxy import GuardProxy
from shadowvault.storage import StorageError, storage_backend

from .models import Chapter, Page, Series, Source
from .sources import MangaSource, SeriesHit, SourceError, source_client
from .sources.http import RateLimit, SourceHTTP

log = logging.getLogger(__name__)
MAX_PAGE_BYTES = 30 * 1024 * 1024
IMAGE_MIME = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}
REFRESH_LOCK_SECONDS = 3600


@dataclass(frozen=True)
class RefreshResult:
    new_chapters: int
    downloaded: int
    failed: int
    skipped: bool = False  # another refresh of the series was running


def redis_client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


@contextlib.contextmanager
def source_session(source: Source) -> Iterator[MangaSource]:
    """A client for `source` behind a guard proxy and the source's shared rate limit."""
    with GuardProxy() as proxy:
        limit = RateLimit(redis_client(), f"source:{source.id}", source.requests_per_minute)
        yield source_client(source, SourceHTTP(name=source.name, limit=limit, proxy=proxy.url))


def series_follow(*, source: Source, source_key: str) -> Series:
    """Start following a series by its id on `source` (its title etc. come from the source)."""
    with source_session(source) as client:
        hit = client.series(source_key)
    series, _ = Series.objects.update_or_create(
        tenant=source.tenant,
        source=source,
        source_key=hit.source_id,
        defaults={
            "title": hit.title[:300],
            "alt_titles": hit.alt_titles,
            "description": hit.description,
            "status": hit.status,
            "cover_url": hit.cover_url,
            "followed": True,
        },
    )
    return series


class SeriesBusy(Exception):
    """Another refresh (or retry) of the series is downloading its chapters."""


@contextlib.contextmanager
def series_lock(series_id: int) -> Iterator[None]:
    """Hold the series' download lock (one refresh or retry at a time); SeriesBusy if taken."""
    lock = redis_client().lock(
        f"sv:refresh:series:{series_id}", timeout=REFRESH_LOCK_SECONDS, blocking=False
    )
    if not lock.acquire():
        raise SeriesBusy(f"series {series_id} is being refreshed")
    try:
        yield
    finally:
        with contextlib.suppress(redis.RedisError):
            lock.release()


def source_search(*, source: Source, query: str) -> list[SeriesHit]:
    """The source's own search (a curator looking for a series to follow). SourceError."""
    with source_session(source) as client:
        return client.search(query)


def series_refresh(series: Series) -> RefreshResult:
    """Find new chapters, then download every chapter not yet available. Raises SourceError."""
    try:
        with series_lock(series.id):
            return series_refresh_locked(series)
    except SeriesBusy:
        return RefreshResult(0, 0, 0, skipped=True)


def chapter_retry(chapter: Chapter) -> bool:
    """Download one chapter again (a curator's retry); True if it is now available.

    Raises SeriesBusy while a refresh of its series runs, SourceError when the source
    cannot be reached at all.
    """
    with series_lock(chapter.series_id), source_session(chapter.series.source) as client:
        return chapter_download(chapter, client)


def series_refresh_locked(series: Series) -> RefreshResult:
    """`series_refresh`, holding the series' lock."""
    with source_session(series.source) as client:
        hits = client.chapters(series.source_key, language=series.language)
        known = series.chapters.count()
        Chapter.objects.bulk_create(
            [
                Chapter(
                    series=series,
                    source_key=h.source_id,
                    number=h.number,
                    volume=h.volume,
                    title=h.title[:300],
                    language=h.language,
                    group=h.group[:200],
                    published_at=h.published_at,
                )
                for h in hits
            ],
            ignore_conflicts=True,  # chapters already known stay as they are
        )
        new = series.chapters.count() - known
        downloaded = failed = 0
        for chapter in series.chapters.exclude(state=Chapter.State.AVAILABLE).order_by("number"):
            if chapter_download(chapter, client):
                downloaded += 1
            else:
                failed += 1
    Series.objects.filter(id=series.id).update(last_refreshed_at=timezone.now(), refresh_error="")
    log.info(
        "refreshed %s: %d new chapters, %d downloaded, %d failed",
        series,
        new,
        downloaded,
        failed,
    )
    return RefreshResult(new_chapters=new, downloaded=downloaded, failed=failed)


def chapter_download(chapter: Chapter, client: MangaSource) -> bool:
    """Store the chapter's pages and mark it available; on failure record why. True if ok."""
    try:
        urls = client.page_urls(chapter.source_key)
        if not urls:
            raise SourceError("the chapter has no pages", permanent=True)
        pages = [page_store(client, url, index) for index, url in enumerate(urls, start=1)]
    except (SourceError, StorageError) as exc:
        Chapter.objects.filter(id=chapter.id).update(
            state=Chapter.State.FAILED, error=str(exc)[:2000]
        )
        log.warning("chapter %s failed: %s", chapter, exc)
        return False
    with transaction.atomic():
        chapter.pages.all().delete()  # an earlier, interrupted attempt
        Page.objects.bulk_create([Page(chapter=chapter, **page) for page in pages])
        Chapter.objects.filter(id=chapter.id).update(state=Chapter.State.AVAILABLE, error="")
        Series.objects.filter(id=chapter.series_id).update(chapters_updated_at=timezone.now())
    return True


def page_store(client: MangaSource, url: str, index: int) -> dict:
    """Fetch one page image, check it is one, store it; the Page fields. Raises SourceError."""
    response = client.http.get(url)
    data = response.content
    if len(data) > MAX_PAGE_BYTES:
        raise SourceError(f"page {index} is larger than {MAX_PAGE_BYTES} bytes", permanent=True)
    width, height, kind = image_facts(data, index)
    backend = storage_backend()
    with tempfile.NamedTemporaryFile(prefix="sv-page-", suffix=f".{kind.lower()}") as temporary:
        temporary.write(data)
        temporary.flush()
        locator = backend.put(
            Path(temporary.name),
            name=f"page-{index:03d}.{kind.lower()}",
            tenant_id=client.source.tenant_id,
        )
    return {
        "index": index,
        "storage": backend.name,
        "locator": locator,
        "width": width,
        "height": height,
        "size": len(data),
        "mime": IMAGE_MIME[kind],
        "sha256": hashlib.sha256(data).hexdigest(),
        "crc32": zlib.crc32(data),
    }


def image_facts(data: bytes, index: int) -> tuple[int, int, str]:
    """(width, height, format) of an image; SourceError naming the page if it is not one."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()  # a truncated or corrupt file fails here
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            width, height, kind = image.width, image.height, image.format
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise SourceError(f"page {index} is not a readable image ({exc})", permanent=True) from exc
    if kind not in IMAGE_MIME:
        raise SourceError(
            f"page {index} is a {kind} image, not PNG, JPEG, WebP or GIF", permanent=True
        )
    return width, height, kind


def series_due() -> list[int]:
    """Followed series whose own refresh interval has passed."""
    now = timezone.now()
    due = []
    for series_id, last, minutes in Series.objects.filter(
        followed=True, source__enabled=True
    ).values_list("id", "last_refreshed_at", "refresh_minutes"):
        if last is None or (now - last).total_seconds() >= minutes * 60:
            due.append(series_id)
    return due
