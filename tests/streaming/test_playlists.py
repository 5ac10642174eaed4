"""Playlists for outside players: what they list, how long their links last, who may fetch
them, and the title page's menu."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from library.app_passwords import app_password_create
from streaming.playlists import playlist_build, playlist_link, playlist_text
from tests.factories import EpisodeFactory, MediaFileFactory, SeasonFactory, TitleFactory

pytestmark = pytest.mark.django_db
HOST = "tenant-a.test"


@pytest.fixture
def show(tenant):
    """Season 1: episode 1 (one file), episode 2 (720p and 1080p), episode 3 (nothing ready);
    specials (season 0) and season 2 with a file each."""
    title = TitleFactory(tenant=tenant, title="Show", year=2019, kind="series")
    one, specials, two = (SeasonFactory(title=title, number=n) for n in (1, 0, 2))
    pilot = EpisodeFactory(season=one, number=1, name="Pilot")
    second = EpisodeFactory(season=one, number=2, name="")
    unready = EpisodeFactory(season=one, number=3, name="Later")
    files = {
        "pilot": MediaFileFactory(title=title, episode=pilot, duration=1500.2, name="p.mkv"),
        "second-720": MediaFileFactory(title=title, episode=second, height=720, duration=1400),
        "second-1080": MediaFileFactory(title=title, episode=second, height=1080, duration=1400),
        "special": MediaFileFactory(title=title, episode=EpisodeFactory(season=specials)),
        "s2": MediaFileFactory(title=title, episode=EpisodeFactory(season=two, number=1)),
    }
    MediaFileFactory(title=title, episode=unready, state="pending")
    return title, files


@pytest.fixture
def member(viewer) -> str:
    """The viewer persona's key, as links are signed for it."""
    return f"u{viewer.id}"


def signed_path(title, season, viewer: str) -> str:
    link = playlist_link(
        tenant_id=title.tenant_id, slug=title.slug, season=season, viewer=viewer, host=HOST
    )
    return link.url.split(":8080", 1)[1]


def entries(text: str) -> list[tuple[str, str]]:
    """(#EXTINF line, URL) pairs."""
    lines = text.splitlines()
    assert lines[0] == "#EXTM3U"
    return [(lines[i], lines[i + 1]) for i, line in enumerate(lines) if line.startswith("#EXTINF")]


def public_id(url: str) -> str:
    return urlsplit(url).path.split("/")[2]  # /s/<public id>/<name>


def test_a_season_lists_each_ready_episode_once_in_order(client, show, member) -> None:
    title, files = show

    response = client.get(signed_path(title, 1, member), HTTP_HOST=HOST)

    assert response.status_code == 200
    assert response["Content-Type"] == "audio/x-mpegurl; charset=utf-8"
    assert response["Content-Disposition"] == (
        "attachment; filename*=UTF-8''" + quote("Show (2019) - Season 01") + ".m3u8"
    )
    text = response.content.decode()
    assert "#PLAYLIST:Show (2019) - Season 01" in text
    listed = entries(text)
    assert [extinf for extinf, _ in listed] == [
        "#EXTINF:1501,Show - S01E01 - Pilot",
        "#EXTINF:1400,Show - S01E02",
    ]
    assert [public_id(url) for _, url in listed] == [
        files["pilot"].public_id,
        files["second-1080"].public_id,  # the tallest picture of the two
    ]


def test_entry_links_open_their_file_for_that_viewer(client, show, member) -> None:
    title, _ = show
    text = client.get(signed_path(title, 1, member), HTTP_HOST=HOST).content.decode()

    for _, url in entries(text):
        assert parse_qs(urlsplit(url).query)["v"] == [member]
        stream = client.get(url.split(":8080", 1)[1], HTTP_HOST=HOST)
        assert stream.status_code == 200
        assert stream["X-Accel-Redirect"]


def test_a_series_leaves_out_specials_and_a_movie_plays_its_best_file(
    client, show, tenant, member
) -> None:
    title, files = show
    movie = TitleFactory(tenant=tenant, title="Film", year=2001)
    MediaFileFactory(title=movie, height=720)
    best = MediaFileFactory(title=movie, height=2160, duration=5400)

    series = entries(client.get(signed_path(title, None, member), HTTP_HOST=HOST).content.decode())
    film = entries(client.get(signed_path(movie, None, member), HTTP_HOST=HOST).content.decode())

    assert [public_id(url) for _, url in series] == [
        files["pilot"].public_id,
        files["second-1080"].public_id,
        files["s2"].public_id,
    ]
    assert film == [("#EXTINF:5400,Film (2001)", film[0][1])]
    assert f"/s/{best.public_id}/" in film[0][1]


def test_each_link_lasts_the_running_time_up_to_its_entry(show, tenant, settings) -> None:
    title, _ = show
    settings.STREAM_LINK_TTL_SECONDS = 3600
    settings.PLAYLIST_LINK_MAX_SECONDS = 3600 + 2000
    playlist = playlist_build(tenant=tenant, slug=title.slug)

    text = playlist_text(playlist, viewer="u1", host=HOST, now=1_000_000)

    expiries = [int(parse_qs(urlsplit(url).query)["exp"][0]) for _, url in entries(text)]
    # the s2 episode has no duration: it adds nothing, and the cap holds the second entry
    assert expiries == [1_000_000 + 3600 + 1501, 1_000_000 + 5600, 1_000_000 + 5600]


def test_forged_expired_and_misplaced_playlist_links_are_refused(
    client, show, settings, other_tenant, member, viewer
) -> None:
    title, _ = show
    good, empty_season = signed_path(title, 1, member), signed_path(title, 9, member)
    settings.STREAM_LINK_TTL_SECONDS = -1
    expired = signed_path(title, 1, member)

    assert client.get(good, HTTP_HOST=HOST).status_code == 200
    assert client.get(good.replace(f"v={member}", "v=u0"), HTTP_HOST=HOST).status_code == 403
    assert client.get(good.replace("season-1", "season-2"), HTTP_HOST=HOST).status_code == 403
    assert client.get(good.split("?")[0] + "?sig=x", HTTP_HOST=HOST).status_code == 403
    assert client.get(expired, HTTP_HOST=HOST).status_code == 403
    assert client.get(good, HTTP_HOST="tenant-b.test").status_code == 403
    assert client.get(empty_season, HTTP_HOST=HOST).status_code == 404
    viewer.is_active = False
    viewer.save()
    assert client.get(good, HTTP_HOST=HOST).status_code == 403  # its user may no longer watch


def test_unsigned_playlists_take_basic_credentials_or_a_session(
    client, admin_as, show, viewer, tenant
):
    title, _ = show
    _, secret = app_password_create(user=viewer, tenant=tenant, label="Infuse")
    path = f"/playlists/{title.slug}/season-1.m3u8"
    token = base64.b64encode(f"viewer:{secret}".encode()).decode()

    anonymous = client.get(path, HTTP_HOST=HOST)
    with_app_password = client.get(path, HTTP_HOST=HOST, HTTP_AUTHORIZATION=f"Basic {token}")
    signed_in = admin_as(viewer).get(path)

    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"].startswith("Basic realm=")
    assert with_app_password.status_code == 200
    assert f"v=u{viewer.id}" in with_app_password.content.decode()
    assert signed_in.status_code == 200


def test_the_title_page_offers_each_playlist_to_outside_players(
    admin_as, viewer, show, time_machine
) -> None:
    title, _ = show
    time_machine.move_to("2026-11-30 12:00", tick=False)  # the links on the page are these

    page = admin_as(viewer).get(f"/title/{title.slug}/").content.decode()

    for season in (None, 1, 2, 0):
        url = playlist_link(
            tenant_id=title.tenant_id,
            slug=title.slug,
            season=season,
            viewer=f"u{viewer.id}",
            host=HOST,
        ).url
        shown = url.replace("&", "&amp;")
        assert f'data-copy="{shown}"' in page
        assert f'href="{shown}" download=' in page
        assert f'href="vlc://{shown}"' in page
        assert f'href="mpv://{quote(url, safe="")}"' in page
        assert f'href="infuse://x-callback-url/play?url={quote(url, safe="")}"' in page
    assert page.count('class="elsewhere"') == 4  # the series, and each season with a file
