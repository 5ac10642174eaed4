from __future__ import annotations

import contextlib
import importlib.util
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from types import ModuleType
from urllib.parse import urlparse

import pytest
import redis
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.db.models.signals import post_migrate
from django.test import Client
from rest_framework.test import APIClient

from library.models import Membership, Tenant
from tests import browsers, processes, tmdb_fixture
from tests.factories import TenantFactory, UserFactory
from tests.tmdb_fixture import TMDBFixtureServer

# Django re-creates every model's permission rows after each flush, that is after every
# transactional test (~0.3 s a test on PostgreSQL). Nothing here reads those rows (the admin
# asks whether a user curates the host's site: shadowvault/admin.py), so the suite makes
# none. Content types are still re-created.
post_migrate.disconnect(dispatch_uid="django.contrib.auth.management.create_permissions")


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A private redis-server on the port tests/settings.py chose for REDIS_URL."""
    url = urlparse(django_settings.REDIS_URL)
    with processes.redis_server(url.port) as started:
        yield started


@pytest.fixture(scope="session")
def redis_restart(redis_url: str) -> Iterator[Callable[..., None]]:
    """`redis_restart(down=3, during=fn)`: stop the private redis-server, leave it down for
    `down` seconds (calling `during()` meanwhile), then start it again on the same port, empty
    (the harsher case: what was queued in Redis is gone). It stays up for the session."""
    port = urlparse(redis_url).port
    running = [ExitStack()]

    def restart(*, down: float, during: Callable[[], None] = lambda: None) -> None:
        with contextlib.suppress(redis.ConnectionError):  # it may answer by hanging up
            redis.Redis.from_url(redis_url).shutdown(nosave=True)
        running[0].close()  # the replacement an earlier restart started, if any
        back_at = time.monotonic() + down
        during()
        time.sleep(max(0.0, back_at - time.monotonic()))  # the outage itself
        running[0] = ExitStack()
        running[0].enter_context(processes.redis_server(port))

    yield restart
    running[0].close()


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    """A client of the private Redis, emptied for this test."""
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.close()


@pytest.fixture
def vault(settings, tmp_path):
    """The filesystem storage backend over a vault of this test's own."""
    from shadowvault import storage

    settings.STORAGE_BACKEND = "filesystem"
    settings.VAULT_ROOT = tmp_path / "vault"
    storage.storage_backend.cache_clear()
    yield settings.VAULT_ROOT
    storage.storage_backend.cache_clear()


# --- Personas: a tenant on `tenant-a.test` with a curator and a viewer; an outsider who
# belongs only to `tenant-b.test`. ---


@pytest.fixture
def tenant(db) -> Tenant:
    return TenantFactory(name="Tenant A", domains=["tenant-a.test"])


@pytest.fixture
def other_tenant(db) -> Tenant:
    return TenantFactory(name="Tenant B", domains=["tenant-b.test"])


@pytest.fixture
def curator(tenant: Tenant) -> User:
    user = UserFactory(username="curator", is_staff=True)
    Membership.objects.create(tenant=tenant, user=user, role=Membership.Role.CURATOR)
    return user


@pytest.fixture
def viewer(tenant: Tenant) -> User:
    user = UserFactory(username="viewer")
    Membership.objects.create(tenant=tenant, user=user, role=Membership.Role.VIEWER)
    return user


@pytest.fixture
def outsider(other_tenant: Tenant) -> User:
    user = UserFactory(username="outsider", is_staff=True)
    Membership.objects.create(tenant=other_tenant, user=user, role=Membership.Role.CURATOR)
    return user


# --- TMDB: a local server answering like TMDB's v3 API ---


@pytest.fixture(scope="session")
def tmdb_server() -> Iterator[TMDBFixtureServer]:
    server = TMDBFixtureServer().start()
    yield server
    server.stop()


@pytest.fixture
def tmdb_settings(tmdb_server: TMDBFixtureServer, settings) -> TMDBFixtureServer:
    """Point the TMDB client at the fixture server, with its data and faults reset."""
    tmdb_server.reset()
    settings.TMDB_API_BASE_URL = tmdb_server.base_url
    settings.TMDB_API_KEY = tmdb_fixture.API_KEY
    settings.TMDB_BEARER_TOKEN = ""
    return tmdb_server


# --- Media: the everyday kinds of file, made once (tests/media_matrix.py) ---


@pytest.fixture(scope="session")
def media_matrix(tmp_path_factory) -> dict[str, Path]:
    """Each case of the media matrix as the store step keeps it, by case name."""
    from tests.media_matrix import matrix_build

    return matrix_build(tmp_path_factory.mktemp("matrix"))


# --- API clients ---

TENANT_A_HOST = "tenant-a.test"


@pytest.fixture
def api_as() -> Callable[..., APIClient]:
    """An API client logged in as `user` (or anonymous), talking to `host`."""

    def make(user: User | None, host: str = TENANT_A_HOST) -> APIClient:
        client = APIClient(HTTP_HOST=host)
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def admin_as() -> Callable[..., Client]:
    """A browser session logged in as `user` on `host`."""

    def make(user: User, host: str = TENANT_A_HOST) -> Client:
        client = Client(HTTP_HOST=host)
        client.force_login(user)
        return client

    return make


@pytest.fixture(scope="session")
def devstack() -> ModuleType:
    """scripts/devstack.py, the module `make run` runs: a script, not a package."""
    spec = importlib.util.spec_from_file_location(
        "devstack", processes.PROJECT_ROOT / "scripts/devstack.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["devstack"] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


# --- Browsers: headless Chromium and Firefox, each started once per session on first use,
# reset to a new visitor before each test (tests/browsers.py). ---


@pytest.fixture(scope="session")
def browser_pool() -> Iterator[browsers.BrowserPool]:
    pool = browsers.BrowserPool()
    yield pool
    pool.close()


def _fresh(request: pytest.FixtureRequest, name: str) -> Iterator[browsers.Browser]:
    try:
        browser = request.getfixturevalue("browser_pool").fresh(name)
    except browsers.BrowserMissing as exc:
        pytest.fail(str(exc), pytrace=False)
    yield browser
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        with contextlib.suppress(Exception):  # a dead browser has nothing to show
            browser.screenshot(f"failed-{request.node.name}")


@pytest.fixture
def chromium(request: pytest.FixtureRequest) -> Iterator[browsers.Browser]:
    """Headless Chromium as a new visitor (no cookies, storage or cache)."""
    yield from _fresh(request, "chromium")


@pytest.fixture
def firefox(request: pytest.FixtureRequest) -> Iterator[browsers.Browser]:
    """Headless Firefox ESR as a new visitor (no cookies, storage or cache)."""
    yield from _fresh(request, "firefox")


@pytest.fixture(params=browsers.BROWSERS)
def browser(request: pytest.FixtureRequest) -> Iterator[browsers.Browser]:
    """Each browser in turn, as a new visitor: the test runs once in Chromium, once in Firefox."""
    yield from _fresh(request, request.param)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Keep the call phase's report on the item: browser fixtures screenshot failures."""
    report = yield
    if report.when == "call":
        item.rep_call = report
    return report
