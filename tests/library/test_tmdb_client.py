from __future__ import annotations

import pytest

from library.clients.tmdb import (
    TMDBClient,
    TMDBConfigError,
    TMDBError,
    TMDBNotFound,
    TMDBSearchResult,
    TMDBUnavailable,
)
from tests import tmdb_fixture
from tests.processes import free_port


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(tmdb_settings, sleeps) -> TMDBClient:
    return TMDBClient(
        base_url=tmdb_settings.base_url, api_key=tmdb_fixture.API_KEY, sleep=sleeps.append
    )


def test_it_maps_movie_search_results(client: TMDBClient) -> None:
    results = client.search("living dead", kind="movie")

    assert results == [
        TMDBSearchResult(
            tmdb_id=10331,
            kind="movie",
            title="Night of the Living Dead",
            original_title="Night of the Living Dead",
            year=1968,
            overview="A group of people hide from bloodthirsty zombies in a farmhouse.",
            poster_path="/inNUOa9WZGdyRXQlt7eqmHtCttl.jpg",
            popularity=21.4,
        )
    ]


def test_it_maps_tv_search_results_to_series(client: TMDBClient) -> None:
    [result] = client.search("twilight", kind="series")

    assert (result.tmdb_id, result.kind, result.title, result.year) == (
        6357,
        "series",
        "The Twilight Zone",
        1959,
    )


def test_it_fetches_details_seasons_and_configuration(client: TMDBClient) -> None:
    assert client.movie(10331)["runtime"] == 96
    assert len(client.tv(6357)["seasons"]) == 3
    assert [e["name"] for e in client.tv_season(6357, 1)["episodes"]] == [
        "Where Is Everybody?",
        "One for the Angels",
    ]
    assert "poster_sizes" in client.configuration()["images"]


def test_it_authenticates_with_a_bearer_token(tmdb_settings) -> None:
    client = TMDBClient(base_url=tmdb_settings.base_url, bearer_token=tmdb_fixture.BEARER_TOKEN)

    assert client.movie(19)["title"] == "Metropolis"


def test_it_honours_retry_after_on_429_then_succeeds(client, tmdb_settings, sleeps) -> None:
    tmdb_settings.fail_next(r"/3/movie/10331", status=429, retry_after=3)

    movie = client.movie(10331)

    assert movie["title"] == "Night of the Living Dead"
    assert sleeps == [3.0]
    assert tmdb_settings.count("/3/movie/10331") == 2


def test_it_gives_up_after_retrying_server_errors(client, tmdb_settings, sleeps) -> None:
    tmdb_settings.fail_next(r"/3/movie/10331", status=503, times=10)

    with pytest.raises(TMDBUnavailable, match="HTTP 503") as caught:
        client.movie(10331)

    assert caught.value.permanent is False
    assert tmdb_settings.count("/3/movie/10331") == client.max_retries + 1
    assert sleeps == [0.5, 1.0, 2.0]  # exponential backoff, no Retry-After given


def test_a_missing_title_is_a_permanent_not_found(client, tmdb_settings, sleeps) -> None:
    with pytest.raises(TMDBNotFound, match="TMDB has no movie 404404") as caught:
        client.movie(404404)

    assert caught.value.permanent is True
    assert sleeps == []  # not retried


def test_a_wrong_key_is_a_config_error(tmdb_settings) -> None:
    client = TMDBClient(base_url=tmdb_settings.base_url, api_key="wrong")

    with pytest.raises(TMDBConfigError, match="refused the API key"):
        client.movie(10331)


def test_an_unreachable_tmdb_is_unavailable(sleeps) -> None:
    client = TMDBClient(
        base_url=f"http://127.0.0.1:{free_port()}/3", api_key="k", sleep=sleeps.append
    )

    with pytest.raises(TMDBUnavailable, match="cannot reach TMDB"):
        client.search("anything", kind="movie")
    assert len(sleeps) == client.max_retries


def test_it_needs_a_key_or_a_token(settings) -> None:
    settings.TMDB_API_KEY = settings.TMDB_BEARER_TOKEN = ""

    with pytest.raises(TMDBConfigError, match="TMDB_API_KEY or TMDB_BEARER_TOKEN"):
        TMDBClient.from_settings()


def test_other_client_errors_are_permanent(client, tmdb_settings) -> None:
    tmdb_settings.fail_next(r"/3/movie/19", status=422)

    with pytest.raises(TMDBError, match="HTTP 422") as caught:
        client.movie(19)
    assert caught.value.permanent is True


@pytest.mark.parametrize(
    ("date", "year"), [("1968-10-04", 1968), ("", None), ("\u00b2968-01-01", None)]
)
def test_a_year_is_read_from_ascii_digits_only(date, year) -> None:
    from library.clients.tmdb import year_of

    assert year_of(date) == year  # "²" passed isdigit() and int() raised
