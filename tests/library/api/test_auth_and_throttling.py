from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.library.api.conftest import TENANT_A_HOST

pytestmark = pytest.mark.django_db


def test_a_token_from_drf_create_token_authenticates(viewer, capsys) -> None:
    call_command("drf_create_token", viewer.username)
    key = Token.objects.get(user=viewer).key
    assert key in capsys.readouterr().out

    client = APIClient(HTTP_HOST=TENANT_A_HOST, HTTP_AUTHORIZATION=f"Token {key}")

    assert client.get("/api/titles/").status_code == 200


def test_a_wrong_token_is_refused(tenant) -> None:
    client = APIClient(HTTP_HOST=TENANT_A_HOST, HTTP_AUTHORIZATION="Token not-a-real-token")

    assert client.get("/api/titles/").status_code == 401


def test_too_many_requests_are_throttled(api_as, viewer, monkeypatch) -> None:
    from rest_framework.throttling import UserRateThrottle

    cache.clear()
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "3/min", "anon": "3/min"})
    client = api_as(viewer)

    statuses = [client.get("/api/titles/").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    cache.clear()
