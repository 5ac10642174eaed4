from __future__ import annotations

import datetime

import pytest

from library.clients.tmdb import TMDBNotFound, TMDBUnavailable
from library.models import Episode, Genre, Season, Title
from library.services import title_import, title_refresh


@pytest.mark.django_db
def test_it_imports_a_movie_with_its_genres(tmdb_settings, tenant) -> None:
    title, created = title_import(tmdb_id=10331, kind="movie", tenant=tenant)

    assert created is True
    assert (title.title, title.year, title.runtime, title.kind) == (
        "Night of the Living Dead",
        1968,
        96,
        "movie",
    )
    assert title.poster_path == "/inNUOa9WZGdyRXQlt7eqmHtCttl.jpg"
    assert sorted(title.genres.values_list("name", flat=True)) == ["Horror", "Thriller"]
    assert title.tenant == tenant


@pytest.mark.django_db
def test_it_imports_a_series_with_every_season_and_episode(tmdb_settings, tenant) -> None:
    title, _ = title_import(tmdb_id=6357, kind="series", tenant=tenant)

    assert list(title.seasons.values_list("number", flat=True)) == [0, 1, 2]
    season_one = title.seasons.get(number=1)
    assert list(season_one.episodes.values_list("number", "name")) == [
        (1, "Where Is Everybody?"),
        (2, "One for the Angels"),
    ]
    assert season_one.episodes.get(number=1).air_date == datetime.date(1960, 10, 2)
    assert title.runtime == 25
    assert title.original_title == "The Twilight Zone"


@pytest.mark.django_db
def test_running_it_again_updates_and_never_duplicates(tmdb_settings, tenant) -> None:
    # given an imported series
    first, _ = title_import(tmdb_id=6357, kind="series", tenant=tenant)
    # when TMDB's data changes and the import runs again
    tmdb_settings.series[6357]["overview"] = "Rewritten overview."
    tmdb_settings.seasons[(6357, 1)][0]["name"] = "Where Is Everybody? (Restored)"
    second, created = title_import(tmdb_id=6357, kind="series", tenant=tenant)
    # then the same rows are updated
    assert created is False
    assert second.pk == first.pk
    assert second.overview == "Rewritten overview."
    assert Title.objects.count() == 1
    assert Season.objects.count() == 3
    assert Episode.objects.count() == 5
    assert Episode.objects.get(season__number=1, number=1).name.endswith("(Restored)")
    assert Genre.objects.filter(tmdb_id=18).count() == 1


@pytest.mark.django_db
def test_a_tmdb_failure_half_way_writes_nothing(tmdb_settings, tenant, settings) -> None:
    settings.TMDB_MAX_RETRIES = 0
    tmdb_settings.fail_next(r"/3/tv/6357/season/2", status=503)

    with pytest.raises(TMDBUnavailable):
        title_import(tmdb_id=6357, kind="series", tenant=tenant)

    assert Title.objects.count() == 0
    assert Season.objects.count() == 0


@pytest.mark.django_db
def test_the_same_title_in_two_tenants_is_two_titles(tmdb_settings, tenant, other_tenant) -> None:
    mine, _ = title_import(tmdb_id=19, kind="movie", tenant=tenant)
    theirs, _ = title_import(tmdb_id=19, kind="movie", tenant=other_tenant)

    assert mine.pk != theirs.pk
    assert mine.slug != theirs.slug
    assert Title.objects.filter(tmdb_id=19).count() == 2


@pytest.mark.django_db
def test_it_refuses_an_unknown_kind(tenant) -> None:
    with pytest.raises(ValueError, match="kind must be one of"):
        title_import(tmdb_id=19, kind="cartoon", tenant=tenant)


@pytest.mark.django_db
def test_refresh_needs_a_tmdb_id(tenant) -> None:
    title = Title.objects.create(tenant=tenant, kind="movie", title="Home video")

    with pytest.raises(TMDBNotFound, match="has no TMDB id"):
        title_refresh(title=title)
