"""A person in a real (headless) browser, Chromium and Firefox: sign in, find a film, play and
seek it, read a chapter.

Everything goes through the gateway: nginx, web, origin, the slice cache. Screenshots of each
page land in artifacts/.
"""

from __future__ import annotations

import io
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image

from library.models import Domain
from readvault.models import Chapter, Page, Series, Source
from shadowvault.storage.filesystem import FilesystemBackend
from tests.browsers import sign_in
from tests.factories import TitleFactory

pytestmark = pytest.mark.integration


def webm_clip(path: Path) -> bytes:
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


def png(shade: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (400, 600), (shade, 90, 160)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_watch_seek_and_read_in_a_browser(
    gateway, store_file, vault_root, transactional_db, tenant, viewer, browser, tmp_path
) -> None:
    # given a film and a chapter on the site the browser reaches by IP
    Domain.objects.create(tenant=tenant, domain="127.0.0.1")
    viewer.set_password("watch-and-read-123")
    viewer.save()
    film = TitleFactory(tenant=tenant, title="Night of the Living Dead", year=1968)
    media_file = store_file(
        webm_clip(tmp_path / "clip.webm"),
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
    video = "document.querySelector('video')"

    sign_in(browser, gateway.url, username="viewer", password="watch-and-read-123")
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
