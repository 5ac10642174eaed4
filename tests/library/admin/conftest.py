from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client

TENANT_A_HOST = "tenant-a.test"


@pytest.fixture
def admin_as() -> Callable[..., Client]:
    """A browser session logged in as `user` on `host`."""

    def make(user: User, host: str = TENANT_A_HOST) -> Client:
        client = Client(HTTP_HOST=host)
        client.force_login(user)
        return client

    return make
