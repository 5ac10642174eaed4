from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

TENANT_A_HOST = "tenant-a.test"
TENANT_B_HOST = "tenant-b.test"


@pytest.fixture
def api_as() -> Callable[..., APIClient]:
    """An API client logged in as `user` (or anonymous), talking to `host`."""

    def make(user: User | None, host: str = TENANT_A_HOST) -> APIClient:
        client = APIClient(HTTP_HOST=host)
        if user is not None:
            client.force_authenticate(user)
        return client

    return make
