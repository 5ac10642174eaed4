from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_the_openapi_schema_describes_the_catalog(client, tenant) -> None:
    response = client.get("/api/schema/", HTTP_HOST="tenant-a.test", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {
        "/api/titles/",
        "/api/titles/{slug}/",
        "/api/titles/import/",
        "/api/tmdb/search/",
    } <= set(paths)
    parameters = {p["name"] for p in paths["/api/titles/"]["get"]["parameters"]}
    assert {"search", "kind", "year", "genre", "ordering", "page"} <= parameters


def test_the_docs_page_loads_without_outside_assets(client, tenant) -> None:
    response = client.get("/api/docs/", HTTP_HOST="tenant-a.test")

    assert response.status_code == 200
    assert b"cdn." not in response.content


def test_the_schema_covers_readvault_for_curators_cbz_and_app_passwords(client, tenant) -> None:
    response = client.get("/api/schema/", HTTP_HOST="tenant-a.test", HTTP_ACCEPT="application/json")

    schema = response.json()
    paths = schema["paths"]
    assert {
        "/api/manga/sources/": {"get", "post"},
        "/api/manga/sources/{id}/": {"get", "put", "patch"},
        "/api/manga/sources/{id}/search/": {"get"},
        "/api/manga/sources/{id}/follow/": {"post"},
        "/api/manga/{slug}/curation/": {"get", "patch"},
        "/api/manga/{slug}/follow/": {"post"},
        "/api/manga/{slug}/unfollow/": {"post"},
        "/api/manga/{slug}/refresh/": {"post"},
        "/api/manga/{slug}/releases/": {"get"},
        "/api/manga/chapters/{chapter_id}/retry/": {"post"},
        "/api/manga/chapters/{chapter_id}/cbz/": {"get"},
        "/api/account/app-passwords/": {"get", "post"},
        "/api/account/app-passwords/{app_password_id}/": {"delete"},
    }.items() <= {path: set(paths[path]) - {"parameters"} for path in paths}.items()
    search = {p["name"] for p in paths["/api/manga/sources/{id}/search/"]["get"]["parameters"]}
    assert "q" in search
    cbz = paths["/api/manga/chapters/{chapter_id}/cbz/"]["get"]["responses"]["200"]["content"]
    assert list(cbz) == ["application/vnd.comicbook+zip"]
    assert schema["components"]["securitySchemes"]["basicAuth"] == {
        "type": "http",
        "scheme": "basic",
    }
