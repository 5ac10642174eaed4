from __future__ import annotations

import json

import pytest

from library.models import MediaFile, Title
from tests.factories import EpisodeFactory, MediaFileFactory, SeasonFactory, TitleFactory

pytestmark = pytest.mark.django_db


def test_a_movie_shows_its_ready_files_only_and_never_a_locator(api_as, viewer, tenant) -> None:
    movie = TitleFactory(tenant=tenant, title="Metropolis", year=1927)
    ready = MediaFileFactory(title=movie, locator={"path": "secret/path", "chat": -100123})
    MediaFileFactory(title=movie, state=MediaFile.State.PENDING)

    response = api_as(viewer).get(f"/api/titles/{movie.slug}/")

    assert response.status_code == 200
    body = response.json()
    assert [file["public_id"] for file in body["files"]] == [ready.public_id]
    text = json.dumps(body)
    assert "locator" not in text
    assert "secret/path" not in text
    assert "-100123" not in text
    assert "storage" not in body["files"][0]


def test_a_series_shows_seasons_episodes_and_their_ready_files(api_as, viewer, tenant) -> None:
    series = TitleFactory(tenant=tenant, kind=Title.Kind.SERIES, title="The Twilight Zone")
    season = SeasonFactory(title=series, number=1)
    first = EpisodeFactory(season=season, number=1, name="Where Is Everybody?")
    EpisodeFactory(season=season, number=2, name="One for the Angels")
    file = MediaFileFactory(title=series, episode=first)
    MediaFileFactory(title=series, episode=first, state=MediaFile.State.FAILED)

    body = api_as(viewer).get(f"/api/titles/{series.slug}/").json()

    [season_json] = body["seasons"]
    assert season_json["number"] == 1
    assert [e["name"] for e in season_json["episodes"]] == [
        "Where Is Everybody?",
        "One for the Angels",
    ]
    assert [f["public_id"] for f in season_json["episodes"][0]["files"]] == [file.public_id]
    assert body["files"] == []  # episode files are not movie files


def test_an_unknown_slug_is_a_404(api_as, viewer) -> None:
    response = api_as(viewer).get("/api/titles/NoSuchSlug1/")

    assert response.status_code == 404
    assert response.json()["detail"]
