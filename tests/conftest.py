from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import urlparse

import pytest
import redis
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.test import APIClient

from library.models import Membership, Tenant
from tests import processes, tmdb_fixture
from tests.factories import TenantFactory, UserFactory
from tests.tmdb_fixture import TMDBFixtureServer


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A private redis-server on the port tests/settings.py chose for REDIS_URL."""
    url = urlparse(django_settings.REDIS_URL)
    with processes.redis_server(url.port) as started:
        yield started


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
