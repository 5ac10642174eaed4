from __future__ import annotations

import pytest

from tests.factories import EpisodeFactory, MediaFileFactory, SeasonFactory, TitleFactory

pytestmark = pytest.mark.django_db


def test_a_curator_sees_the_tenants_titles_with_inlines(admin_as, curator, tenant) -> None:
    series = TitleFactory(tenant=tenant, kind="series", title="The Twilight Zone")
    season = SeasonFactory(title=series, number=1, name="Season One")
    episode = EpisodeFactory(season=season, number=1, name="Where Is Everybody?")
    MediaFileFactory(title=series, episode=episode, name="Zone - S01E01.mkv")
    client = admin_as(curator)

    changelist = client.get("/admin/library/title/")
    change = client.get(f"/admin/library/title/{series.pk}/change/")
    season_page = client.get(f"/admin/library/season/{season.pk}/change/")

    assert changelist.status_code == 200
    assert b"The Twilight Zone" in changelist.content
    assert b"Search TMDB and import" in changelist.content
    assert change.status_code == 200
    assert b"Season One" in change.content
    assert b"Zone - S01E01.mkv" in change.content
    assert season_page.status_code == 200
    assert b"Where Is Everybody?" in season_page.content


def test_another_tenants_title_is_invisible_and_its_page_404s(
    admin_as, tenant, other_tenant, outsider
) -> None:
    mine = TitleFactory(tenant=tenant, title="Only in A")
    TitleFactory(tenant=other_tenant, title="Only in B")
    client = admin_as(outsider, host="tenant-b.test")

    changelist = client.get("/admin/library/title/")
    change = client.get(f"/admin/library/title/{mine.pk}/change/")

    assert changelist.status_code == 200
    assert b"Only in B" in changelist.content
    assert b"Only in A" not in changelist.content
    assert change.status_code in (302, 404)
    assert b"Only in A" not in change.content


def test_a_curator_of_another_tenant_cannot_enter(admin_as, tenant, outsider) -> None:
    TitleFactory(tenant=tenant, title="Only in A")

    response = admin_as(outsider).get("/admin/library/title/")

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_a_viewer_cannot_enter(admin_as, viewer) -> None:
    response = admin_as(viewer).get("/admin/")

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_tenants_are_for_superusers_only(admin_as, curator, tenant, django_user_model) -> None:
    root = django_user_model.objects.create_superuser("root", password="x" * 12)

    assert admin_as(curator).get("/admin/library/tenant/").status_code == 403
    assert admin_as(root).get("/admin/library/tenant/").status_code == 200
    assert admin_as(root).get(f"/admin/library/tenant/{tenant.pk}/change/").status_code == 200


def test_a_new_title_lands_in_the_hosts_tenant(admin_as, curator, tenant) -> None:
    response = admin_as(curator).post(
        "/admin/library/title/add/",
        {
            "kind": "movie",
            "title": "Home Movie",
            "popularity": "0",
            "seasons-TOTAL_FORMS": "0",
            "seasons-INITIAL_FORMS": "0",
            "files-TOTAL_FORMS": "0",
            "files-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.content[:2000]
    assert tenant.titles.get().title == "Home Movie"


def test_the_changelist_runs_a_bounded_number_of_queries(
    admin_as, curator, tenant, django_assert_max_num_queries
) -> None:
    for _ in range(60):
        MediaFileFactory(title=TitleFactory(tenant=tenant))
    client = admin_as(curator)

    with django_assert_max_num_queries(15):
        assert client.get("/admin/library/title/").status_code == 200
