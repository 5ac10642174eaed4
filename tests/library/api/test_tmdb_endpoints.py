from __future__ import annotations

import pytest

from library.models import Title

pytestmark = pytest.mark.django_db


def test_a_curator_searches_tmdb(api_as, curator, tmdb_settings) -> None:
    response = api_as(curator).get("/api/tmdb/search/?q=living&kind=movie")

    assert response.status_code == 200
    assert [(r["tmdb_id"], r["title"], r["year"]) for r in response.json()] == [
        (10331, "Night of the Living Dead", 1968)
    ]


def test_a_viewer_may_not_search_or_import(api_as, viewer, tmdb_settings) -> None:
    client = api_as(viewer)

    assert client.get("/api/tmdb/search/?q=living&kind=movie").status_code == 403
    assert client.post("/api/titles/import/", {"tmdb_id": 19, "kind": "movie"}).status_code == 403
    assert tmdb_settings.requests == []


@pytest.mark.parametrize(
    ("query", "parameter"), [("kind=movie", "q"), ("q=x&kind=cartoon", "kind")]
)
def test_a_bad_search_is_a_400(api_as, curator, tmdb_settings, query, parameter) -> None:
    response = api_as(curator).get(f"/api/tmdb/search/?{query}")

    assert response.status_code == 400
    assert parameter in response.json()


def test_import_creates_then_updates(api_as, curator, tenant, tmdb_settings) -> None:
    client = api_as(curator)

    created = client.post("/api/titles/import/", {"tmdb_id": 6357, "kind": "series"})
    updated = client.post("/api/titles/import/", {"tmdb_id": 6357, "kind": "series"})

    assert created.status_code == 201
    assert updated.status_code == 200
    assert created.json()["slug"] == updated.json()["slug"]
    assert [s["number"] for s in created.json()["seasons"]] == [0, 1, 2]
    assert Title.objects.filter(tenant=tenant).count() == 1


def test_importing_an_unknown_tmdb_id_is_a_404(api_as, curator, tmdb_settings) -> None:
    response = api_as(curator).post("/api/titles/import/", {"tmdb_id": 404404, "kind": "movie"})

    assert response.status_code == 404
    assert "TMDB has no movie 404404" in response.json()["detail"]


def test_tmdb_down_is_a_503_with_a_message(api_as, curator, tmdb_settings, settings) -> None:
    settings.TMDB_MAX_RETRIES = 0
    tmdb_settings.fail_next(r"/3/search/movie", status=503)

    response = api_as(curator).get("/api/tmdb/search/?q=living&kind=movie")

    assert response.status_code == 503
    assert response.json()["detail"].startswith("TMDB is unavailable")
    assert response["Retry-After"]


def test_a_bad_tmdb_key_is_a_502(api_as, curator, tmdb_settings, settings) -> None:
    settings.TMDB_API_KEY = "wrong"

    response = api_as(curator).post("/api/titles/import/", {"tmdb_id": 19, "kind": "movie"})

    assert response.status_code == 502
    assert "refused" in response.json()["detail"]
