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
