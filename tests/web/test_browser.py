"""A person in a real (headless) browser, Chromium and Firefox: sign in, find a film, play and
seek it, read a chapter; go on watching in another browser; play on to the next episode.

Everything goes through the gateway: nginx, web, origin, the slice cache. Screenshots of each
page land in artifacts/.
"""

from __future__ import annotations

import io
import subprocess
from decimal import Decimal

import pytest
from PIL import Image

from library.models import Domain, MediaFile, Subtitle
from readvault.models import Chapter, Page, Series, Source
from shadowvault.storage.filesystem import FilesystemBackend
from tests import processes
from tests.browsers import sign_in
from tests.factories import EpisodeFactory, SeasonFactory, TitleFactory
from watching.models import ViewerPreferences, WatchProgress

pytestmark = pytest.mark.integration
PASSWORD = "watch-and-read-123"
VIDEO = "document.querySelector('video')"


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> bytes:
    """20 s of 320x240 VP9 in WebM, made once for the module."""
    path = tmp_path_factory.mktemp("clip") / "clip.webm"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc=duration=20:size=320x240:rate=25",
            "-c:v",
            "libvpx-vp9",
            "-deadline",
            "realtime",
            "-cpu-used",
            "8",
            "-b:v",
            "300k",
            str(path),
        ],
        check=True,
    )
    return path.read_bytes()


@pytest.fixture
def site(gateway, transactional_db, tenant, viewer) -> str:
    """The gateway's URL, reached by IP as the tenant's, with the viewer's password set."""
    Domain.objects.create(tenant=tenant, domain="127.0.0.1")
    viewer.set_password(PASSWORD)
    viewer.save()
    return gateway.url


def png(shade: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (400, 600), (shade, 90, 160)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_watch_seek_and_read_in_a_browser(
    site, gateway, store_file, vault_root, tenant, browser, clip, tmp_path
) -> None:
    # given a film and a chapter on the site the browser reaches by IP
    film = TitleFactory(tenant=tenant, title="Night of the Living Dead", year=1968)
    media_file = store_file(
        clip,
        name="Night of the Living Dead (1968) [240p].webm",
        mime="video/webm",
        title=film,
    )
    source = Source.objects.create(
        tenant=tenant, name="s", kind="mangadex", base_url="https://api.example"
    )
    series = Series.objects.create(
        tenant=tenant, source=source, source_key="m", title="Dungeon Meshi"
    )
    chapter = Chapter.objects.create(
        series=series, source_key="c1", number=Decimal(1), state="available"
    )
    for index in (1, 2, 3):
        (tmp_path / f"p{index}.png").write_bytes(png(index * 60))
        locator = FilesystemBackend(vault_root).put(tmp_path / f"p{index}.png", name="p.png")
        Page.objects.create(
            chapter=chapter,
            index=index,
            storage="filesystem",
            locator=locator,
            width=400,
            height=600,
            size=(tmp_path / f"p{index}.png").stat().st_size,
            mime="image/png",
            sha256=locator["sha256"],
        )
    video = VIDEO

    sign_in(browser, site, username="viewer", password=PASSWORD)
    browser.wait_for("document.body.innerText.includes('Recent movies')", what="the home page")
    browser.screenshot("home")

    # find the film, open it, play it
    browser.click(f"a[href='/title/{film.slug}/']")
    browser.wait_for("document.body.innerText.includes('▶')", what="the title page")
    browser.screenshot("title")
    browser.click(f"a[href='/watch/{media_file.public_id}/']")
    browser.wait_for(f"{video} && {video}.readyState >= 1", what="the player")
    browser.run(f"{video}.play()")
    browser.wait_for(f"{video}.currentTime > 1.0", what="playing past 1 s")
    browser.screenshot("playing")

    # seek to the middle: it plays on from there
    browser.run(f"{video}.currentTime = {video}.duration / 2")
    browser.wait_for(f"{video}.currentTime > 11.0", what="playing on after the seek")
    assert browser.run(f"return {video}.error") is None
    browser.screenshot("seeked")

    # read the chapter, page by page
    browser.open(f"{gateway.url}/manga/")
    browser.click(f"a[href='/manga/{series.slug}/']")
    browser.wait_for("document.body.innerText.includes('Chapter 1')", what="the series page")
    browser.click(f"a[href='/read/{chapter.id}/']")
    count = browser.wait_for(
        "document.querySelectorAll('.reader img').length", what="the reader's pages"
    )
    for index in range(count):
        image = f"document.querySelectorAll('.reader img')[{index}]"
        browser.run(f"{image}.scrollIntoView()")
        browser.wait_for(f"{image}.complete && {image}.naturalWidth === 400", what=f"page {index}")
    browser.screenshot("reader")
    assert count == 3
    assert gateway.origin_reads(media_file.public_id) >= 1  # the film came through the origin


def saved_progress(viewer, **where) -> WatchProgress | None:
    return WatchProgress.objects.filter(user=viewer, **where).first()


def test_progress_follows_the_viewer_to_another_browser(
    site, store_file, tenant, viewer, chromium, firefox, clip
) -> None:
    film = store_file(
        clip,
        name="Nosferatu (1922) [240p].webm",
        mime="video/webm",
        title=TitleFactory(tenant=tenant, title="Nosferatu", year=1922),
    )

    # given the viewer watched part of a film in Chromium and paused it
    sign_in(chromium, site, username="viewer", password=PASSWORD)
    chromium.open(f"{site}/watch/{film.public_id}/")
    chromium.wait_for(f"{VIDEO}.readyState >= 1", what="the film's metadata")
    chromium.run(f"{VIDEO}.currentTime = 8; {VIDEO}.play()")
    chromium.wait_for(f"{VIDEO}.currentTime > 9", what="playing past 9 s")
    stopped_at = chromium.run(f"{VIDEO}.pause(); return {VIDEO}.currentTime")
    processes.wait_until(
        lambda: (
            (p := saved_progress(viewer)) is not None
            and p.position == pytest.approx(stopped_at, abs=0.05)
        ),
        timeout=10,
        what="the pause saved on the server",
    )
    stopped_at = saved_progress(viewer).position

    # when they sign in with Firefox, the home page offers to continue, and the film starts there
    sign_in(firefox, site, username="viewer", password=PASSWORD)
    firefox.wait_for("document.getElementById('continue')", what="the continue-watching row")
    firefox.screenshot("continue-watching")
    firefox.click(f"section[aria-labelledby=continue] a[href='/watch/{film.public_id}/']")
    firefox.wait_for(
        f"{VIDEO} && {VIDEO}.readyState >= 1 && Math.abs({VIDEO}.currentTime - {stopped_at}) < 0.1",
        what=f"the player resuming at {stopped_at:.1f} s",
    )
    firefox.run(f"{VIDEO}.play()")
    firefox.wait_for(f"{VIDEO}.currentTime > {stopped_at + 1.5}", what="playing on")
    firefox.screenshot("resumed")

    # then leaving the page mid-play saves where Firefox got to
    played_to = firefox.run(f"return {VIDEO}.currentTime")
    firefox.open(f"{site}/")
    processes.wait_until(
        lambda: saved_progress(viewer).position >= played_to,
        timeout=10,
        what="the position saved as the page closed",
    )
    assert saved_progress(viewer).watched_at is None


def with_subtitles(media_file: MediaFile, vault_root, tmp_path, *languages: str) -> MediaFile:
    """Store a WebVTT track in each language for `media_file` (its cue names the language)."""
    for language in languages:
        path = tmp_path / f"{media_file.public_id}.{language}.vtt"
        path.write_text(f"WEBVTT\n\n00:00.000 --> 00:19.000\nSubtitles in {language}\n")
        locator = FilesystemBackend(vault_root).put(path, name=path.name)
        Subtitle.objects.create(
            media_file=media_file,
            language=language,
            name=path.name,
            storage="filesystem",
            locator=locator,
            size=path.stat().st_size,
            sha256=locator["sha256"],
            mime="text/vtt",
        )
    return media_file


def test_the_subtitle_language_follows_the_viewer_to_another_browser(
    site, store_file, tenant, viewer, chromium, firefox, clip, vault_root, tmp_path
) -> None:
    films = [
        with_subtitles(
            store_file(
                clip,
                name=f"{name} [240p].webm",
                mime="video/webm",
                title=TitleFactory(tenant=tenant, title=name),
            ),
            vault_root,
            tmp_path,
            "eng",
            "fre",
        )
        for name in ("Metropolis", "Sunrise")
    ]
    showing = (
        f"Array.from({VIDEO}.textTracks).filter(t => t.mode === 'showing').map(t => t.language)"
    )

    # given the viewer chose French subtitles in Chromium
    sign_in(chromium, site, username="viewer", password=PASSWORD)
    chromium.open(f"{site}/watch/{films[0].public_id}/")
    chromium.wait_for(f"{VIDEO}.textTracks.length === 2", what="the subtitle tracks")
    assert chromium.run(f"return {showing}") == []  # none chosen yet: subtitles off
    chromium.run(
        "const menu = document.getElementById('subtitle-track'); menu.value = '1';"
        " menu.dispatchEvent(new Event('change'));"
    )
    processes.wait_until(
        lambda: ViewerPreferences.objects.filter(user=viewer, subtitle_language="fre").exists(),
        timeout=10,
        what="the choice saved on the server",
    )

    # when they open another film in Firefox, its French subtitles show from the start
    sign_in(firefox, site, username="viewer", password=PASSWORD)
    firefox.open(f"{site}/watch/{films[1].public_id}/")
    firefox.wait_for(f"(s => s.length === 1 && s[0] === 'fre')({showing})", what="French shown")
    assert firefox.run("return document.getElementById('subtitle-track').value") == "1"
    firefox.screenshot("subtitles-remembered")


def test_the_next_episode_is_offered_at_the_end_and_plays(
    site, store_file, tenant, viewer, browser, clip
) -> None:
    # given a series with two stored episodes
    series = TitleFactory(tenant=tenant, title="Sherlock", kind="series")
    season = SeasonFactory(title=series, number=1)
    pilot, second = (
        store_file(
            clip,
            name=f"Sherlock - S01E0{number} [240p].webm",
            mime="video/webm",
            title=series,
            episode=EpisodeFactory(season=season, number=number, name=name),
        )
        for number, name in ((1, "A Study in Pink"), (2, "The Blind Banker"))
    )
    offer = "document.getElementById('next-up')"
    countdown = f"{offer}.querySelector('[data-countdown]').textContent"
    sign_in(browser, site, username="viewer", password=PASSWORD)
    browser.open(f"{site}/watch/{pilot.public_id}/")
    browser.wait_for(f"{VIDEO}.readyState >= 1", what="the pilot's metadata")
    seconds = int(browser.run(f"return {offer}.dataset.seconds"))

    # when the pilot ends, the next episode is offered with a countdown; the viewer cancels it
    # as soon as it shows (in the same script: a busy machine must not let the countdown win)
    browser.run(f"{VIDEO}.currentTime = {VIDEO}.duration - 0.5; {VIDEO}.play()")
    shown = browser.wait_for(
        f"{VIDEO}.ended && !{offer}.hidden"
        f" && ({offer}.querySelector('[data-cancel]').click(), {offer}.textContent)",
        what="the offer at the end",
    )
    assert "S01E02 · The Blind Banker" in shown
    # it goes away and counts no further
    left = browser.run(f"return {countdown}")
    on_the_pilot = f"location.pathname === '/watch/{pilot.public_id}/'"
    browser.stays(
        f"{offer}.hidden && {countdown} === arguments[0] && {on_the_pilot}",
        left,
        seconds=1.2,  # the countdown ticks every second
        what="the cancelled offer staying cancelled",
    )

    # then at the end again, left alone, the countdown plays the next episode
    browser.run(f"{VIDEO}.currentTime = {VIDEO}.duration - 0.5; {VIDEO}.play()")
    left = browser.wait_for(f"!{offer}.hidden && Number({countdown})", what="the second offer")
    browser.screenshot("next-up")
    assert 0 < left <= seconds
    browser.wait_for(
        f"location.pathname === '/watch/{second.public_id}/'"
        f" && {VIDEO} && {VIDEO}.currentTime > 0.5",
        timeout=seconds + 15,
        what="the next episode playing",
    )
    pilot_progress = saved_progress(viewer, episode=pilot.episode)
    assert pilot_progress.watched_at is not None  # the end was saved: the pilot is watched
