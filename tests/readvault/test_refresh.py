"""Following a series and refreshing it against the local MangaDex-shaped API and HTML site."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
from django.db import connection
from django_celery_beat.models import PeriodicTask

from readvault.models import Chapter, Page, Series
from readvault.services import series_follow, series_refresh
from readvault.tasks import followed_refresh_task
from shadowvault.storage import storage_backend
from tests.manga_fixture import MANGA_ID


def read_page(page: Page) -> bytes:
    import asyncio

    async def collect() -> bytes:
        return b"".join(
            [c async for c in storage_backend().open_range(page.locator, 0, page.size - 1)]
        )

    return asyncio.run(collect())


@pytest.mark.django_db
def test_the_first_refresh_imports_chapters_and_real_pages(mangadex, manga) -> None:
    series = series_follow(source=mangadex, source_key=MANGA_ID)

    result = series_refresh(series)

    assert (series.title, series.status) == ("Dungeon Meshi", "completed")
    assert "Delicious in Dungeon" in series.alt_titles
    assert result.new_chapters == 2  # the French release is not asked for
    chapters = list(series.chapters.order_by("number"))
    assert [(c.number, c.state, c.group) for c in chapters] == [
        (Decimal("1.00"), "available", "Alpha"),
        (Decimal("2.00"), "available", "Alpha"),
    ]
    pages = list(chapters[0].pages.all())
    assert [(p.index, p.mime, p.width, p.height) for p in pages] == [
        (1, "image/png", 60, 90),
        (2, "image/jpeg", 61, 90),
    ]
    assert read_page(pages[0]) == manga.images["/data/ch-1/1.png"]


@pytest.mark.django_db
def test_a_new_chapter_appears_on_the_next_refresh(mangadex, manga) -> None:
    series = series_follow(source=mangadex, source_key=MANGA_ID)
    series_refresh(series)
    manga.add_chapter("ch-10-5", "10.5", pages=["1.png"])
    manga.add_chapter("ch-3", "3", pages=["1.png"])

    result = series_refresh(series)

    assert result.new_chapters == 2
    assert [str(c.number) for c in series.chapters.order_by("number")] == [
        "1.00",
        "2.00",
        "3.00",
        "10.50",
    ]
    assert Page.objects.filter(chapter__series=series).count() == 5


@pytest.mark.django_db(transaction=True)
def test_concurrent_refreshes_create_no_duplicates(mangadex, manga) -> None:
    series = series_follow(source=mangadex, source_key=MANGA_ID)
    results = []

    def refresh() -> None:
        try:
            results.append(series_refresh(Series.objects.get(id=series.id)))
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert Chapter.objects.filter(series=series).count() == 2
    assert Page.objects.filter(chapter__series=series).count() == 3
    assert sum(r.skipped for r in results) >= 1  # the lock kept the others from downloading too
    # and run again, one after the other, nothing is added
    series_refresh(series)
    assert Page.objects.filter(chapter__series=series).count() == 3


@pytest.mark.django_db
def test_a_429_slows_the_source_down_and_the_refresh_succeeds(mangadex, manga) -> None:
    series = series_follow(source=mangadex, source_key=MANGA_ID)
    manga.throttle_next(2)
    started = time.monotonic()

    result = series_refresh(series)

    assert result.failed == 0
    assert series.chapters.filter(state="available").count() == 2
    assert time.monotonic() - started >= 1.0  # Retry-After: 1 was honoured


@pytest.mark.django_db
def test_a_broken_image_fails_its_chapter_with_the_reason(mangadex, manga) -> None:
    manga.add_chapter("ch-3", "3", pages=["1.png", "broken.png"])
    series = series_follow(source=mangadex, source_key=MANGA_ID)

    result = series_refresh(series)

    broken = series.chapters.get(source_key="ch-3")
    assert (result.downloaded, result.failed) == (2, 1)
    assert broken.state == "failed"
    assert "page 2 is not a readable image" in broken.error
    assert not broken.pages.exists()


@pytest.mark.django_db
def test_an_html_source_is_read_with_its_selectors(html_site, manga) -> None:
    series = series_follow(source=html_site, source_key="series/dungeon-meshi")

    series_refresh(series)

    assert series.title == "Dungeon Meshi"
    chapters = list(series.chapters.order_by("number"))
    assert [(str(c.number), c.state) for c in chapters] == [
        ("1.00", "available"),
        ("2.00", "available"),
    ]
    assert chapters[0].pages.count() == 2


@pytest.mark.django_db
def test_a_source_pointing_inside_is_refused_by_the_guard(tenant, manga) -> None:
    from readvault.models import Source
    from readvault.sources import SourceError

    inner = Source.objects.create(
        tenant=tenant, name="inner", kind="mangadex", base_url="http://127.0.0.1:9/api"
    )
    with pytest.raises(SourceError, match="URL guard"):
        series_follow(source=inner, source_key=MANGA_ID)


@pytest.mark.django_db
def test_the_beat_entry_exists_and_each_series_keeps_its_own_interval(
    mangadex, manga, redis_client
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    assert PeriodicTask.objects.filter(task="readvault.tasks.followed_refresh_task").exists()
    due = series_follow(source=mangadex, source_key=MANGA_ID)
    Series.objects.create(
        tenant=due.tenant,
        source=mangadex,
        source_key="other",
        title="Fresh",
        refresh_minutes=60,
        last_refreshed_at=timezone.now() - timedelta(minutes=10),
    )
    Series.objects.create(
        tenant=due.tenant, source=mangadex, source_key="off", title="Off", followed=False
    )

    assert followed_refresh_task() == 1  # only the never-refreshed, followed one
    assert redis_client.llen("readvault") == 1


@pytest.mark.parametrize(
    ("header", "pause"), [("3", 3.0), ("1.5", 1.5), ("\u00b2", 7.0), ("", 7.0)]
)
def test_a_retry_after_in_other_digits_is_the_default_pause(header, pause) -> None:
    import requests

    from readvault.sources.http import retry_after

    response = requests.Response()
    response.headers["Retry-After"] = header

    assert retry_after(response, default=7.0) == pause  # "²" passed isdigit(); float() raised
