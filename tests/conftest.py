from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User

from library.models import Membership, Tenant
from tests import processes
from tests.factories import TenantFactory, UserFactory


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A private redis-server for this test session."""
    with processes.redis_server() as url:
        yield url


@pytest.fixture
def redis_settings(redis_url: str, settings) -> str:
    """Point Django and Celery at the private Redis for one test."""
    from shadowvault.celery import app

    settings.REDIS_URL = redis_url
    previous = (app.conf.broker_url, app.conf.result_backend)
    app.conf.broker_url = app.conf.result_backend = redis_url
    yield redis_url
    app.conf.broker_url, app.conf.result_backend = previous


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
