"""Real browsers for tests: headless Chromium and headless Firefox ESR behind one small API.

Chromium is driven by selenium through Debian's chromedriver; Firefox by Marionette (the
`marionette-driver` package), since there is no geckodriver here. Each is started once per test
session in a temporary profile (BrowserPool; the fixtures `browser`, `chromium` and `firefox`
in tests/conftest.py), with autoplay allowed, and reset to a blank page with no cookies,
storage or cache before each test (started anew if it died). Firefox is also kept off the
network: every non-loopback request goes to a closed proxy.

    browser.open(url)                          # load a page and wait for it
    browser.run("return document.title")       # a script's result (arguments[0], ...)
    browser.wait_for("document.querySelector('video').currentTime > 1", what="playing")
    browser.click("a.next"); browser.fill("#id_username", "viewer")
    browser.stays("!offer.hidden", seconds=1.5)  # what must not change meanwhile
    browser.screenshot("playing")              # artifacts/playing-<browser>.png
"""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests import processes

ARTIFACTS = processes.PROJECT_ROOT / "artifacts"
BROWSERS = ("chromium", "firefox")
WINDOW = (1280, 900)


class BrowserMissing(RuntimeError):
    """The browser (or its driver) is not installed; the message says how to get it."""


class Browser:
    """What a test does in a browser; the same steps work in each subclass."""

    name: str

    def __init__(self) -> None:
        self.origins: set[str] = set()  # everything opened, for reset()

    def open(self, url: str) -> None:
        """Load `url` and wait for its load event."""
        self.origins.add(_origin(url))
        self._navigate(url)

    def run(self, script: str, *args: Any) -> Any:
        """Run `script` as a function body in the page (its arguments are `args`); its result."""
        raise NotImplementedError

    @property
    def url(self) -> str:
        return self.run("return location.href")

    def wait_for(self, condition: str, *args: Any, timeout: float = 20.0, what: str = "") -> Any:
        """Poll the JavaScript expression `condition` until it is truthy; return its value.

        An exception in the expression, or a page being replaced meanwhile, counts as not yet.
        Raises TimeoutError naming `what` (or the condition) with the last value or error.
        """
        script = (
            "try { return {value: (" + condition + ")}; }"
            " catch (error) { return {error: String(error)}; }"
        )
        deadline = time.monotonic() + timeout
        last: Any = None
        while True:
            try:
                answer = self.run(script, *args)
            except Exception as exc:  # the page is changing under us
                if "SyntaxError" in str(exc):
                    raise
                answer = {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0]}"}
            if answer and answer.get("value"):
                return answer["value"]
            last = answer
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{self.name}: {what or condition} did not happen within {timeout:g}s"
                    f" (last: {last}; page: {self._safe_url()})"
                )
            time.sleep(0.1)

    def stays(self, condition: str, *args: Any, seconds: float, what: str = "") -> None:
        """Check that the expression `condition` holds throughout the next `seconds`.

        For what must not happen (a cancelled countdown playing on): fails as soon as it stops
        holding, or if the page is replaced.
        """
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if not self.run(f"return !!({condition})", *args):
                raise AssertionError(f"{self.name}: {what or condition} stopped holding")
            time.sleep(0.1)

    def click(self, selector: str) -> None:
        """Click the first element matching the CSS `selector` (an error if there is none)."""
        found = self.run(
            "const el = document.querySelector(arguments[0]);"
            " if (!el) return false; el.click(); return true;",
            selector,
        )
        if not found:
            raise AssertionError(f"{self.name}: nothing matches {selector!r} on {self.url}")

    def fill(self, selector: str, text: str) -> None:
        """Type `text` into the input matching `selector`, as input events would leave it."""
        found = self.run(
            "const el = document.querySelector(arguments[0]); if (!el) return false;"
            " el.value = arguments[1];"
            " el.dispatchEvent(new Event('input', {bubbles: true}));"
            " el.dispatchEvent(new Event('change', {bubbles: true})); return true;",
            selector,
            text,
        )
        if not found:
            raise AssertionError(f"{self.name}: no input matches {selector!r} on {self.url}")

    def screenshot(self, name: str) -> Path:
        """Save what the window shows as artifacts/<name>-<browser>.png."""
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}-{self.name}.png"
        path.write_bytes(self._png())
        return path

    def reset(self) -> None:
        """A blank page with no cookies, storage or cache: a new visitor."""
        raise NotImplementedError

    def quit(self) -> None:
        raise NotImplementedError

    def _navigate(self, url: str) -> None:
        raise NotImplementedError

    def _png(self) -> bytes:
        raise NotImplementedError

    def _safe_url(self) -> str:
        try:
            return self.url
        except Exception as exc:  # noqa: BLE001 - only for an error message
            return f"unknown ({type(exc).__name__})"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class Chromium(Browser):
    name = "chromium"

    def __init__(self) -> None:
        super().__init__()
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        binary, driver = shutil.which("chromium"), shutil.which("chromedriver")
        if not (binary and driver):
            raise BrowserMissing(
                "chromium and chromedriver are not installed: `make bootstrap` installs them"
            )
        self.profile = Path(tempfile.mkdtemp(prefix="sv-chromium-"))
        options = webdriver.ChromeOptions()
        options.binary_location = binary
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
            f"--window-size={WINDOW[0]},{WINDOW[1]}",
            f"--user-data-dir={self.profile}",
        ):
            options.add_argument(flag)
        self.driver = webdriver.Chrome(service=Service(driver), options=options)
        self.driver.set_page_load_timeout(30)

    def run(self, script: str, *args: Any) -> Any:
        return self.driver.execute_script(script, *args)

    def _navigate(self, url: str) -> None:
        self.driver.get(url)

    def _png(self) -> bytes:
        return self.driver.get_screenshot_as_png()

    def reset(self) -> None:
        self._close_other_windows()
        self.driver.get("about:blank")
        self.driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
        self.driver.execute_cdp_cmd("Network.clearBrowserCache", {})
        for origin in self.origins:
            self.driver.execute_cdp_cmd(
                "Storage.clearDataForOrigin", {"origin": origin, "storageTypes": "all"}
            )
        self.origins.clear()

    def _close_other_windows(self) -> None:
        handles = self.driver.window_handles
        for handle in handles[1:]:
            self.driver.switch_to.window(handle)
            self.driver.close()
        self.driver.switch_to.window(handles[0])

    def quit(self) -> None:
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)


# Firefox's own preferences for a test profile. Marionette's recommended preferences (on by
# default) already quieten most automatic requests; these make sure of the rest.
FIREFOX_PREFS: dict[str, Any] = {
    # media plays without a gesture
    "media.autoplay.default": 0,  # allow audible autoplay
    "media.autoplay.blocking_policy": 0,
    "media.autoplay.block-webaudio": False,
    "media.block-autoplay-until-in-foreground": False,
    # nothing but loopback: any other request goes to a closed proxy (localhost is never
    # proxied), and the services that would phone home are off
    "network.proxy.type": 1,
    "network.proxy.http": "127.0.0.1",
    "network.proxy.http_port": 9,
    "network.proxy.ssl": "127.0.0.1",
    "network.proxy.ssl_port": 9,
    "network.proxy.socks": "127.0.0.1",
    "network.proxy.socks_port": 9,
    "network.proxy.socks_remote_dns": True,
    "network.trr.mode": 5,
    "network.dns.disablePrefetch": True,
    "network.prefetch-next": False,
    "network.predictor.enabled": False,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "app.update.disabledForTesting": True,
    "app.update.auto": False,
    "app.normandy.enabled": False,
    "app.shield.optoutstudies.enabled": False,
    "messaging-system.rsexperimentloader.enabled": False,
    "services.settings.server": "http://127.0.0.1:9/v1",
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "browser.safebrowsing.downloads.enabled": False,
    "browser.safebrowsing.downloads.remote.enabled": False,
    "browser.safebrowsing.blockedURIs.enabled": False,
    "browser.safebrowsing.provider.mozilla.updateURL": "",
    "toolkit.telemetry.enabled": False,
    "toolkit.telemetry.unified": False,
    "toolkit.telemetry.server": "",
    "datareporting.healthreport.uploadEnabled": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "extensions.update.enabled": False,
    "extensions.getAddons.cache.enabled": False,
    "extensions.systemAddon.update.enabled": False,
    "media.gmp-manager.updateEnabled": False,
    "browser.search.update": False,
    "browser.newtabpage.enabled": False,
    "browser.startup.homepage": "about:blank",
    "browser.startup.page": 0,
    "browser.shell.checkDefaultBrowser": False,
    "browser.aboutwelcome.enabled": False,
    "startup.homepage_welcome_url": "about:blank",
    "datareporting.policy.dataSubmissionPolicyBypassNotification": True,
}


class Firefox(Browser):
    name = "firefox"

    def __init__(self) -> None:
        super().__init__()
        binary = shutil.which("firefox-esr") or shutil.which("firefox")
        if not binary:
            raise BrowserMissing("firefox-esr is not installed: `make bootstrap` installs it")
        try:
            with warnings.catch_warnings():  # its mozrunner and mozinfo use deprecated modules
                warnings.simplefilter("ignore", DeprecationWarning)
                from marionette_driver.marionette import Marionette
        except ImportError as exc:
            raise BrowserMissing(
                "marionette-driver is not installed: `make bootstrap` installs"
                " requirements/test.txt"
            ) from exc
        self.profile = Path(tempfile.mkdtemp(prefix="sv-firefox-"))
        self.port = processes.free_port()
        prefs = {**FIREFOX_PREFS, "marionette.port": self.port}
        (self.profile / "user.js").write_text(
            "".join(f"user_pref({_js(k)}, {_js(v)});\n" for k, v in prefs.items())
        )
        self.log = self.profile / "firefox.log"
        # Without an audio device Firefox's audio clock never starts (AudioContext stays
        # suspended): give it a private PulseAudio that plays to a null sink.
        self.audio = contextlib.ExitStack()
        pulse = self.audio.enter_context(processes.audio_sink(self.profile))
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [
                    binary,
                    "--headless",
                    "--marionette",
                    "-remote-allow-system-access",  # reset() clears data from chrome scope
                    "--no-remote",
                    "-profile",
                    str(self.profile),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its content processes go with it in quit()
                env={**os.environ, "MOZ_CRASHREPORTER_DISABLE": "1", "PULSE_SERVER": pulse},
            )
        try:
            processes.wait_until(
                self._listening, timeout=90, what=f"Firefox's Marionette on port {self.port}"
            )
            self.client = Marionette(host="127.0.0.1", port=self.port)
            self.client.start_session()
            self.client.timeout.page_load = 30
            self.client.timeout.script = 30
            self.client.set_window_rect(width=WINDOW[0], height=WINDOW[1])
        except Exception:
            self._stop_process()
            raise

    def _listening(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"firefox exited early:\n{self.log.read_text()[-3000:]}")
        return processes.port_open(self.port)

    def run(self, script: str, *args: Any) -> Any:
        # sandbox=None: the page's own globals, as selenium's execute_script sees them
        return self.client.execute_script(script, script_args=list(args), sandbox=None)

    def _navigate(self, url: str) -> None:
        self.client.navigate(url)

    def _png(self) -> bytes:
        return base64.b64decode(self.client.screenshot(full=False))

    def reset(self) -> None:
        for handle in self.client.window_handles[1:]:
            self.client.switch_to_window(handle)
            self.client.close()
        self.client.switch_to_window(self.client.window_handles[0])
        self.client.navigate("about:blank")
        with self.client.using_context(self.client.CONTEXT_CHROME):
            self.client.execute_async_script(
                "const done = arguments[arguments.length - 1];"
                " Services.clearData.deleteData(Ci.nsIClearDataService.CLEAR_ALL, () => done());"
            )
        self.origins.clear()

    def quit(self) -> None:
        try:
            self.client.delete_session()
        except Exception:  # noqa: BLE001, S110 - the process is stopped below in any case
            pass
        finally:
            self._stop_process()
            shutil.rmtree(self.profile, ignore_errors=True)

    def _stop_process(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.audio.close()


def _js(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def start(name: str) -> Browser:
    """Start the browser called `name` (one of BROWSERS)."""
    return {"chromium": Chromium, "firefox": Firefox}[name]()


class BrowserPool:
    """One browser of each kind for a whole test session, started when first asked for."""

    def __init__(self) -> None:
        self.started: dict[str, Browser] = {}

    def fresh(self, name: str) -> Browser:
        """The browser called `name` as a new visitor; started anew if it died meanwhile."""
        browser = self.started.get(name)
        if browser is not None:
            try:
                browser.reset()
                return browser
            except Exception:  # noqa: BLE001 - crashed or hung: replace it
                del self.started[name]
                with contextlib.suppress(Exception):
                    browser.quit()
        self.started[name] = browser = start(name)
        return browser

    def close(self) -> None:
        for browser in self.started.values():
            browser.quit()
        self.started.clear()


def sign_in(browser: Browser, base_url: str, *, username: str, password: str) -> None:
    """Sign in through the site's login form; wait until it has taken us off it."""
    browser.open(f"{base_url}/accounts/login/")
    browser.fill("#id_username", username)
    browser.fill("#id_password", password)
    browser.click("form button[type=submit]")
    browser.wait_for(
        "!location.pathname.startsWith('/accounts/login/') && document.readyState === 'complete'",
        what=f"signing in as {username}",
    )
