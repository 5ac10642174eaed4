"""JSON bodies nested absurdly deep are a 400 with a reason on every endpoint, never a 500."""

from __future__ import annotations

import pytest

from library.api.parsers import MAX_DEPTH

pytestmark = pytest.mark.django_db

POSTS = ["/api/ingest/jobs/", "/api/titles/import/"]


def post(client, path: str, body: str):
    return client.post(path, body, content_type="application/json")


@pytest.mark.parametrize("path", POSTS)
def test_a_hundred_thousand_levels_are_a_400(api_as, curator, path) -> None:
    response = post(api_as(curator), path, "[" * 100_000 + "]" * 100_000)

    assert response.status_code == 400
    assert response.json() == {"detail": f"JSON nested too deeply (at most {MAX_DEPTH} levels)."}


def test_one_level_too_many_is_a_400_and_the_limit_is_fine(api_as, curator) -> None:
    too_deep = '{"url": ' + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "}"
    at_limit = '{"url": ' + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "}"

    refused = post(api_as(curator), POSTS[0], too_deep)
    parsed = post(api_as(curator), POSTS[0], at_limit)

    assert refused.status_code == 400
    assert "nested too deeply" in refused.json()["detail"]
    assert parsed.status_code == 400  # a list is no URL: the serializer says so
    assert "url" in parsed.json()


@pytest.fixture
def series(tenant):
    from tests.factories import SeriesFactory, SourceFactory

    return SeriesFactory(source=SourceFactory(tenant=tenant))


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        # a lone surrogate could not be saved (UnicodeEncodeError, a 500 on any database)
        ('{"group_order": ["\\ud800"]}', "JSON strings may not hold lone surrogates (\\ud800)."),
        # PostgreSQL cannot hold NUL in text or jsonb (a DataError, a 500 there)
        ('{"group_order": ["a\\u0000b"]}', "JSON strings may not hold NUL (\\u0000)."),
        ('{"group_order": [], "\\u0000": 1}', "JSON strings may not hold NUL (\\u0000)."),
    ],
)
def test_strings_no_database_can_keep_are_a_400(api_as, curator, series, body, detail) -> None:
    response = api_as(curator).patch(
        f"/api/manga/{series.slug}/curation/", body, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json() == {"detail": detail}


def test_other_letters_and_escapes_still_parse(api_as, curator, series) -> None:
    body = '{"group_order": ["\\u00e9quipe", "\\ud83d\\ude00", "日本"]}'  # a pair is one emoji

    response = api_as(curator).patch(
        f"/api/manga/{series.slug}/curation/", body, content_type="application/json"
    )

    assert response.status_code == 200
    assert response.json()["group_order"] == ["équipe", "😀", "日本"]
