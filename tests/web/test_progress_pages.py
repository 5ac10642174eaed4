"""Progress on the pages: the continue-watching row, watched marks, resume and the next episode."""

from __future__ import annotations

import json

import pytest
from bs4 import BeautifulSoup

from library.models import Membership
from tests.factories import (
    EpisodeFactory,
    MediaFileFactory,
    SeasonFactory,
    TitleFactory,
    UserFactory,
)
from watching.services import preferences_save, progress_save

pytestmark = pytest.mark.django_db


def soup(client, path: str) -> BeautifulSoup:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.content, "html.parser")


def watched(user, media_file, fraction: float) -> None:
    progress_save(user=user, media_file=media_file, position=100 * fraction, duration=100)


@pytest.fixture
def series(tenant):
    """Two seasons: S01 with three episodes (E02 not stored yet), S02 with one; their files by
    (season, episode)."""
    title = TitleFactory(tenant=tenant, title="Sherlock", kind="series")
    first, second = SeasonFactory(title=title, number=1), SeasonFactory(title=title, number=2)
    episodes = [
        EpisodeFactory(season=first, number=1, name="A Study in Pink"),
        EpisodeFactory(season=first, number=2, name="The Blind Banker"),
        EpisodeFactory(season=first, number=3, name="The Great Game"),
        EpisodeFactory(season=second, number=1, name="A Scandal in Belgravia"),
    ]
    return {
        (e.season.number, e.number): MediaFileFactory(title=title, episode=e, duration=100.0)
        for e in episodes
        if e.number != 2
    }


def test_home_shows_what_to_continue_and_nothing_finished(admin_as, viewer, tenant, series):
    files = series
    part_way = MediaFileFactory(title=TitleFactory(tenant=tenant, title="Metropolis"))
    finished = MediaFileFactory(title=TitleFactory(tenant=tenant, title="Nosferatu"))
    watched(viewer, part_way, 0.4)
    watched(viewer, finished, 0.95)
    watched(viewer, files[(1, 1)], 1.0)  # S01E02 has no file: S01E03 is next

    row = soup(admin_as(viewer), "/").find("section", attrs={"aria-labelledby": "continue"})

    cards = [(a["href"], " ".join(a.get_text().split())) for a in row.select("li a")]
    assert cards == [
        (f"/watch/{files[(1, 3)].public_id}/", "Sherlock S01E03 · Up next"),
        (f"/watch/{part_way.public_id}/", "Metropolis 40 % watched"),
    ]
    assert row.select("progress")[1]["value"] == "40"


def test_home_has_no_row_for_a_new_viewer_or_anothers_progress(admin_as, viewer, tenant):
    other = UserFactory(username="other-viewer")
    Membership.objects.create(tenant=tenant, user=other, role=Membership.Role.VIEWER)
    watched(other, MediaFileFactory(title=TitleFactory(tenant=tenant)), 0.5)

    home = soup(admin_as(viewer), "/")

    assert home.find(id="continue") is None
    assert home.find(id="movies") is not None


def test_series_page_marks_watched_episodes_and_seasons(admin_as, viewer, series):
    files = series
    title = files[(1, 1)].title
    watched(viewer, files[(1, 1)], 0.9)
    watched(viewer, files[(1, 3)], 0.5)
    watched(viewer, files[(2, 1)], 1.0)

    html = soup(admin_as(viewer), f"/title/{title.slug}/")

    heads = [" ".join(h.get_text().split()) for h in html.select("section h2")]
    assert heads == ["Season 1 1 of 3 watched", "Season 2 ✓ Watched"]
    episodes = html.select("ul.episodes li")
    assert ["watched" in li["class"] for li in episodes] == [True, False, False, True]
    assert [li.find("progress") and li.find("progress")["value"] for li in episodes] == [
        None,
        None,
        "50",
        None,
    ]
    assert "Watched" not in html.find("h1").get_text()  # S01 is not all watched


def test_film_page_marks_it_watched_and_shows_a_rewatch_under_way(admin_as, viewer, tenant):
    film = MediaFileFactory(title=TitleFactory(tenant=tenant, title="Metropolis"))
    client = admin_as(viewer)
    fresh = soup(client, f"/title/{film.title.slug}/")
    watched(viewer, film, 0.92)
    watched(viewer, film, 0.25)  # watching it again

    html = soup(client, f"/title/{film.title.slug}/")

    assert "✓ Watched" not in fresh.find("h1").get_text()
    assert fresh.select("progress") == []
    assert "✓ Watched" in html.find("h1").get_text()
    assert html.select_one("p.resume progress")["value"] == "25"


def player_settings(html: BeautifulSoup) -> dict:
    return json.loads(html.find(id="player-progress").string)


def test_the_player_resumes_from_the_server_and_saves_there(admin_as, viewer, tenant):
    film = MediaFileFactory(title=TitleFactory(tenant=tenant))
    client = admin_as(viewer)
    new = player_settings(soup(client, f"/watch/{film.public_id}/"))
    watched(viewer, film, 0.3)
    part_way = soup(client, f"/watch/{film.public_id}/")
    watched(viewer, film, 0.95)
    finished = player_settings(soup(client, f"/watch/{film.public_id}/"))

    assert new["resume"] is None
    assert player_settings(part_way)["resume"] == 30.0
    assert finished["resume"] is None  # start again from the beginning
    assert player_settings(part_way)["url"] == f"/api/progress/{film.public_id}/"
    assert player_settings(part_way)["csrf"]
    assert part_way.find("script", src="/static/web/progress.js") is not None
    assert part_way.find(id="next-up") is None  # a film has no next episode


def test_the_player_gets_the_viewers_languages_for_this_site(
    admin_as, viewer, tenant, other_tenant
):
    film = MediaFileFactory(title=TitleFactory(tenant=tenant))
    preferences_save(user=viewer, tenant=other_tenant, subtitle_language="de")
    client = admin_as(viewer)
    new = json.loads(soup(client, f"/watch/{film.public_id}/").find(id="player-preferences").string)
    preferences_save(user=viewer, tenant=tenant, subtitle_language="fre", audio_language="eng")
    chosen = json.loads(
        soup(client, f"/watch/{film.public_id}/").find(id="player-preferences").string
    )

    assert (new["subtitle_language"], new["audio_language"]) == ("", "")
    assert (chosen["subtitle_language"], chosen["audio_language"]) == ("fre", "eng")
    assert chosen["url"] == "/api/preferences/"
    assert chosen["csrf"]


def test_an_episode_offers_the_next_one_that_has_a_file(admin_as, viewer, series, settings):
    files = series
    client = admin_as(viewer)

    first = soup(client, f"/watch/{files[(1, 1)].public_id}/").find(id="next-up")
    last_of_season = soup(client, f"/watch/{files[(1, 3)].public_id}/").find(id="next-up")
    last = soup(client, f"/watch/{files[(2, 1)].public_id}/").find(id="next-up")

    assert first.has_attr("hidden")  # until the end
    assert (
        first.select_one("a[data-next]")["href"] == f"/watch/{files[(1, 3)].public_id}/?autoplay=1"
    )
    assert "S01E03 · The Great Game" in first.get_text()
    assert first["data-seconds"] == str(settings.PLAYER_NEXT_UP_SECONDS)
    assert first.select_one("[data-countdown]") is not None
    assert first.select_one("button[data-cancel]") is not None
    assert last_of_season.select_one("a[data-next]")["href"] == (
        f"/watch/{files[(2, 1)].public_id}/?autoplay=1"
    )
    assert last is None


def test_without_a_countdown_the_offer_waits_for_the_viewer(admin_as, viewer, series, settings):
    settings.PLAYER_NEXT_UP_SECONDS = 0
    files = series

    offer = soup(admin_as(viewer), f"/watch/{files[(1, 1)].public_id}/").find(id="next-up")

    assert offer.select_one("a[data-next]") is not None
    assert offer.select_one("[data-countdown]") is None
    assert offer.select_one("button[data-cancel]") is None
