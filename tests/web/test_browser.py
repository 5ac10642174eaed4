"""A person in a real (headless) Chromium: sign in, find a film, play and seek it, read a chapter.

Everything goes through the gateway: nginx, web, origin, the slice cache. Screenshots of each
page land in artifacts/.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from library.models import Domain
from readvault.models import Chapter, Page, Series, Source
from shadowvault.storage.filesystem import FilesystemBackend
from tests.factories import TitleFactory

pytestmark = pytest.mark.integration
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


@pytest.fixture
def browser(tmp_path):
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver):
        pytest.fail("chromium and chromedriver are missing: `make bootstrap` installs them")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--autoplay-policy=no-user-gesture-required",
        "--mute-audio",
        "--window-size=1280,900",
        f"--user-data-dir={tmp_path / 'profile'}",
    ):
        options.add_argument(flag)
    browser = webdriver.Chrome(service=Service(driver), options=options)
    yield browser
    browser.quit()


def shot(browser, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / f"{name}.png"))


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
    wait = WebDriverWait(browser, 30)

    # sign in
    browser.get(f"{gateway.url}/accounts/login/")
    browser.find_element(By.ID, "id_username").send_keys("viewer")
    browser.find_element(By.ID, "id_password").send_keys("watch-and-read-123")
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait.until(lambda b: "Recent movies" in b.page_source)
    shot(browser, "home")

    # find the film, open it, play it
    browser.find_element(By.PARTIAL_LINK_TEXT, "Night of the Living Dead").click()
    wait.until(lambda b: "▶" in b.page_source)
    shot(browser, "title")
    browser.find_element(By.PARTIAL_LINK_TEXT, "Night of the Living Dead (1968)").click()
    video = wait.until(lambda b: b.find_element(By.TAG_NAME, "video"))
    browser.execute_script("arguments[0].play()", video)
    wait.until(lambda b: b.execute_script("return arguments[0].currentTime", video) > 1.0)
    shot(browser, "playing")

    # seek to the middle: it plays on from there
    browser.execute_script("arguments[0].currentTime = arguments[0].duration / 2", video)
    wait.until(lambda b: b.execute_script("return arguments[0].currentTime", video) > 11.0)
    assert browser.execute_script("return arguments[0].error", video) is None
    shot(browser, "seeked")

    # read the chapter, page by page
    browser.get(f"{gateway.url}/manga/")
    browser.find_element(By.PARTIAL_LINK_TEXT, "Dungeon Meshi").click()
    browser.find_element(By.PARTIAL_LINK_TEXT, "Chapter 1").click()
    images = wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, ".reader img"))
    for image in images:
        browser.execute_script("arguments[0].scrollIntoView()", image)
        wait.until(
            lambda b, i=image: (
                b.execute_script("return arguments[0].complete && arguments[0].naturalWidth", i)
                == 400
            )
        )
    shot(browser, "reader")
    assert len(images) == 3
    assert gateway.origin_reads(media_file.public_id) >= 1  # the film came through the origin
