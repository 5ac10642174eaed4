"""The reader API: search, chapters (each number once, preferred release), signed page links."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest

from readvault.models import Chapter, Page, Series, Source

pytestmark = pytest.mark.django_db


@pytest.fixture
def series(tenant) -> Series:
    source = Source.objects.create(
        tenant=tenant, name="s", kind="mangadex", base_url="https://api.example"
    )
    return Series.objects.create(
        tenant=tenant,
        source=source,
        source_key="m1",
        title="Dungeon Meshi",
        alt_titles=["Delicious in Dungeon"],
        language="en",
        group_order=["Beta", "Alpha"],
    )


def chapter(
    series, key, number, *, language="en", group="Alpha", state="available", day=1
) -> Chapter:
    return Chapter.objects.create(
        series=series,
        source_key=key,
        number=Decimal(number),
        language=language,
        group=group,
        state=state,
        published_at=datetime(2024, 1, day, tzinfo=UTC),
    )


def test_search_finds_titles_and_alternative_titles(api_as, viewer, series, other_tenant) -> None:
    Series.objects.create(
        tenant=other_tenant, source=series.source, source_key="x", title="Dungeon Elsewhere"
    )

    by_title = api_as(viewer).get("/api/manga/", {"q": "meshi"}).json()["results"]
    by_alt = api_as(viewer).get("/api/manga/", {"q": "delicious"}).json()["results"]
    everything = api_as(viewer).get("/api/manga/").json()["results"]

    assert [s["slug"] for s in by_title] == [series.slug]
    assert [s["slug"] for s in by_alt] == [series.slug]
    assert [s["title"] for s in everything] == ["Dungeon Meshi"]  # not the other site's


def test_each_chapter_number_is_shown_once_from_the_preferred_release(
    api_as, viewer, series
) -> None:
    chapter(series, "a1", "1", group="Alpha")
    preferred = chapter(series, "b1", "1", group="Beta", day=5)  # later, but Beta comes first
    chapter(series, "fr1", "1", language="fr", group="Beta")
    chapter(series, "a10", "10", group="Alpha")
    half = chapter(series, "a10.5", "10.5", group="Unknown group")
    chapter(series, "a11", "11", state="pending")

    body = api_as(viewer).get(f"/api/manga/{series.slug}/chapters/").json()

    assert [(c["number"], c["group"]) for c in body] == [
        ("1.00", "Beta"),
        ("10.00", "Alpha"),
        ("10.50", "Unknown group"),
    ]
    assert body[0]["id"] == preferred.id
    assert body[2]["id"] == half.id


def test_pages_come_as_signed_gateway_links(api_as, viewer, series) -> None:
    available = chapter(series, "a1", "1")
    for index in (1, 2):
        Page.objects.create(
            chapter=available,
            index=index,
            storage="filesystem",
            locator={"backend": "filesystem", "sha256": "0" * 64, "size": 10},
            width=800,
            height=1200,
            size=10,
            mime="image/png",
            sha256="0" * 64,
        )

    body = api_as(viewer).get(f"/api/manga/chapters/{available.id}/pages/").json()

    assert [(p["index"], p["width"], p["height"]) for p in body] == [(1, 800, 1200), (2, 800, 1200)]
    url = urlsplit(body[0]["url"])
    assert url.netloc == "tenant-a.test:8080"
    assert url.path.startswith("/s/")
    assert url.path.endswith("/page-001.png")
    assert set(parse_qs(url.query)) == {"exp", "v", "sig"}


def test_unavailable_chapters_and_other_sites_are_404(api_as, viewer, outsider, series) -> None:
    pending = chapter(series, "p", "3", state="pending")
    ready = chapter(series, "r", "4")

    assert api_as(viewer).get(f"/api/manga/chapters/{pending.id}/pages/").status_code == 404
    assert (
        api_as(outsider, "tenant-b.test").get(f"/api/manga/chapters/{ready.id}/pages/").status_code
        == 404
    )
    assert api_as(outsider, "tenant-b.test").get(f"/api/manga/{series.slug}/").status_code == 404
    assert api_as(None).get("/api/manga/").status_code in (401, 403)
