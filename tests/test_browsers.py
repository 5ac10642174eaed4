"""The browser harness itself: a new visitor per test, clear errors, in both browsers."""

from __future__ import annotations

import shutil

import pytest

from tests import browsers
from tests.media_fixture import MediaServer

pytestmark = pytest.mark.integration

PAGE = """<!doctype html><title>harness</title>
<script>document.cookie = "seen=yes; path=/"; localStorage.setItem("seen", "yes");</script>
<p id="late"></p>
<script>setTimeout(() => document.querySelector("#late").textContent = "here", 300);</script>"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    server = MediaServer(tmp_path_factory.mktemp("harness"))
    server.pages["/page"] = PAGE
    server.pages["/other"] = "<!doctype html><title>other</title>"
    yield server
    server.stop()


def test_each_test_starts_as_a_new_visitor(browser, site) -> None:
    # given a visit that left a cookie and local storage
    browser.open(f"{site.base_url}/page")
    assert browser.run("return [document.cookie, localStorage.getItem('seen')]") == [
        "seen=yes",
        "yes",
    ]

    # when the browser is reset (as the fixture does before every test)
    browser.reset()
    browser.open(f"{site.base_url}/other")

    # then the site finds neither
    assert browser.run("return [document.cookie, localStorage.getItem('seen')]") == ["", None]


def test_it_waits_for_a_condition_and_names_what_never_happened(browser, site) -> None:
    browser.open(f"{site.base_url}/page")

    assert browser.wait_for("document.querySelector('#late').textContent") == "here"
    never = r"the missing thing did not happen within 0.5s.*TypeError"
    with pytest.raises(TimeoutError, match=never):
        browser.wait_for(
            "document.querySelector('#nowhere').textContent", timeout=0.5, what="the missing thing"
        )


def test_a_script_may_answer_with_a_promise(browser, site) -> None:
    browser.open(f"{site.base_url}/other")

    answer = browser.run("return new Promise(done => setTimeout(() => done(arguments[0]), 50))", 42)

    assert answer == 42


def test_a_missing_browser_says_how_to_install_it(monkeypatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)

    with pytest.raises(browsers.BrowserMissing, match="make bootstrap"):
        browsers.start("firefox")
    with pytest.raises(browsers.BrowserMissing, match="make bootstrap"):
        browsers.start("chromium")


def test_a_browser_that_died_is_started_anew(monkeypatch) -> None:
    class Dead(browsers.Browser):
        name = "chromium"

        def reset(self) -> None:
            raise ConnectionRefusedError("the driver is gone")

        def quit(self) -> None:
            pass

    pool = browsers.BrowserPool()
    pool.started["chromium"] = dead = Dead()
    replacement = Dead()
    monkeypatch.setattr(browsers, "start", lambda name: replacement)

    assert pool.fresh("chromium") is replacement
    assert pool.started["chromium"] is not dead
