"""List and detail run a constant number of queries whatever the number of rows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from library.models import Title
from tests.factories import (
    EpisodeFactory,
    GenreFactory,
    MediaFileFactory,
    SeasonFactory,
    TitleFactory,
)

pytestmark = pytest.mark.django_db


def seed_series(tenant, *, seasons: int, episodes: int) -> Title:
    series = TitleFactory(tenant=tenant, kind=Title.Kind.SERIES)
    series.genres.set([GenreFactory(), GenreFactory()])
    for number in range(1, seasons + 1):
        season = SeasonFactory(title=series, number=number)
        for episode_number in range(1, episodes + 1):
            episode = EpisodeFactory(season=season, number=episode_number)
            MediaFileFactory(title=series, episode=episode)
    return series


def count_queries(api_as, user, url: str) -> int:
    client = api_as(type(user).objects.get(pk=user.pk))  # as a fresh request would load it
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_list_costs_the_same_for_2_and_20_titles(api_as, viewer, tenant) -> None:
    for _ in range(2):
        seed_series(tenant, seasons=1, episodes=1)
    small = count_queries(api_as, viewer, "/api/titles/")

    for _ in range(18):
        seed_series(tenant, seasons=1, episodes=1)
    large = count_queries(api_as, viewer, "/api/titles/")

    assert large == small


def test_the_detail_costs_the_same_for_a_small_and_a_large_series(api_as, viewer, tenant):
    small = seed_series(tenant, seasons=1, episodes=1)
    large = seed_series(tenant, seasons=4, episodes=6)

    assert count_queries(api_as, viewer, f"/api/titles/{large.slug}/") == count_queries(
        api_as, viewer, f"/api/titles/{small.slug}/"
    )
