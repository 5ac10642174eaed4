"""ReadVault in admin: sources and series per site, follow/unfollow, refresh now."""

from __future__ import annotations

import pytest

from readvault.models import Chapter, Series, Source

pytestmark = pytest.mark.django_db


@pytest.fixture
def series(tenant) -> Series:
    source = Source.objects.create(
        tenant=tenant, name="local", kind="mangadex", base_url="https://api.example"
    )
    return Series.objects.create(
        tenant=tenant, source=source, source_key="m1", title="Dungeon Meshi"
    )


def test_a_curator_adds_an_html_source_with_selectors(admin_as, curator, tenant) -> None:
    response = admin_as(curator).post(
        "/admin/readvault/source/add/",
        {
            "name": "Site",
            "kind": "html",
            "base_url": "https://manga.example/",
            "requests_per_minute": 20,
            "enabled": "on",
            "chapter_link_selector": "ul a",
            "chapter_number_pattern": r"(\d+)",
            "page_image_selector": "img",
            "page_image_attribute": "src",
        },
    )
    assert response.status_code == 302
    assert Source.objects.get(name="Site").tenant == tenant


def test_follow_unfollow_and_refresh_now(
    admin_as, curator, series, redis_client, django_capture_on_commit_callbacks
) -> None:
    client = admin_as(curator)
    changelist = "/admin/readvault/series/"

    client.post(changelist, {"action": "unfollow", "_selected_action": [series.id]})
    series.refresh_from_db()
    assert series.followed is False
    client.post(changelist, {"action": "follow", "_selected_action": [series.id]})
    series.refresh_from_db()
    assert series.followed is True
    with django_capture_on_commit_callbacks(execute=True):
        client.post(changelist, {"action": "refresh_now", "_selected_action": [series.id]})
    assert redis_client.llen("readvault") == 1  # one refresh task on the readvault queue


def test_chapters_show_their_state_and_error_per_site(admin_as, curator, outsider, series) -> None:
    Chapter.objects.create(
        series=series,
        source_key="c1",
        number=1,
        state="failed",
        error="page 2 is not a readable image",
    )

    page = admin_as(curator).get("/admin/readvault/chapter/").content.decode()
    elsewhere = admin_as(outsider, "tenant-b.test").get("/admin/readvault/chapter/")

    assert "page 2 is not a readable image" in page
    assert "page 2 is not a readable image" not in elsewhere.content.decode()
