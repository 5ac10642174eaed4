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
