from __future__ import annotations

import pytest

from library.models import Title
from tests.factories import TitleFactory

pytestmark = pytest.mark.django_db
IMPORT_URL = "/admin/library/title/tmdb-import/"


def test_it_lists_tmdb_results_and_marks_known_ones(admin_as, curator, tenant, tmdb_settings):
    TitleFactory(tenant=tenant, kind="movie", tmdb_id=19, title="Metropolis")

    response = admin_as(curator).get(IMPORT_URL, {"q": "o", "kind": "movie"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "Night of the Living Dead" in page
    assert "already in the catalog" in page
    assert page.count('value="Import"') == 1  # Night of the Living Dead
    assert page.count('value="Update"') == 1  # Metropolis


def test_importing_creates_the_title_in_the_hosts_tenant(admin_as, curator, tenant, tmdb_settings):
    response = admin_as(curator).post(IMPORT_URL, {"tmdb_id": "10331", "kind": "movie"})

    title = Title.objects.get(tmdb_id=10331)
    assert title.tenant == tenant
    assert response.status_code == 302
    assert response["Location"] == f"/admin/library/title/{title.pk}/change/"


def test_importing_again_updates_instead_of_duplicating(admin_as, curator, tenant, tmdb_settings):
    client = admin_as(curator)
    client.post(IMPORT_URL, {"tmdb_id": "6357", "kind": "series"})

    response = client.post(IMPORT_URL, {"tmdb_id": "6357", "kind": "series"}, follow=True)

    assert Title.objects.filter(tenant=tenant, tmdb_id=6357).count() == 1
    assert "Updated The Twilight Zone (1959)." in response.content.decode()


def test_tmdb_down_is_an_error_message_not_a_500(admin_as, curator, tmdb_settings, settings):
    settings.TMDB_MAX_RETRIES = 0
    tmdb_settings.fail_next(r"/3/search/movie", status=503)

    response = admin_as(curator).get(IMPORT_URL, {"q": "living", "kind": "movie"}, follow=True)

    assert response.status_code == 200
    assert "TMDB is unavailable: TMDB answered HTTP 503" in response.content.decode()


def test_the_outsider_cannot_import_into_another_tenant(admin_as, tenant, outsider, tmdb_settings):
    response = admin_as(outsider).post(IMPORT_URL, {"tmdb_id": "10331", "kind": "movie"})

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    assert not Title.objects.exists()
    assert tmdb_settings.requests == []


def test_refresh_action_enqueues_only_selected_titles_with_tmdb_ids(
    admin_as, curator, tenant, django_capture_on_commit_callbacks, monkeypatch
) -> None:
    from library import tasks

    sent: list[int] = []
    monkeypatch.setattr(tasks.title_refresh_task, "delay", sent.append)
    chosen = TitleFactory(tenant=tenant, tmdb_id=19)
    homemade = TitleFactory(tenant=tenant, tmdb_id=None)
    TitleFactory(tenant=tenant, tmdb_id=10331)  # not selected

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_as(curator).post(
            "/admin/library/title/",
            {"action": "refresh_from_tmdb", "_selected_action": [chosen.pk, homemade.pk]},
        )

    assert response.status_code == 302
    assert sent == [chosen.pk]


def test_an_id_in_other_digits_asks_for_a_result(admin_as, curator, tenant, tmdb_settings):
    client = admin_as(curator)

    response = client.post(IMPORT_URL, {"tmdb_id": "\u00b2", "kind": "movie"}, follow=True)

    assert response.status_code == 200  # "²" passed isdigit() and int() raised: a 500
    assert "Choose a TMDB result to import." in response.content.decode()
