"""A database that cannot be reached is a 503 with Retry-After, whatever hits it first."""

from __future__ import annotations

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client

from library import middleware

pytestmark = pytest.mark.django_db


@pytest.fixture
def tenant_lookup(monkeypatch):
    """Make the tenant lookup (the first query of every request on a site) raise `error`."""

    def fail_with(error: Exception) -> None:
        def lookup(host: str):
            raise error

        monkeypatch.setattr(middleware, "tenant_for_host", lookup)

    return fail_with


@pytest.mark.parametrize("error", [OperationalError("refused"), InterfaceError("closed")])
def test_the_api_answers_json_503(tenant_lookup, error) -> None:
    tenant_lookup(error)

    response = Client(raise_request_exception=False).get("/api/titles/", HTTP_HOST="a.test")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Type"] == "application/json"
    assert "database" in response.json()["detail"]


def test_a_page_answers_a_short_503_page(tenant_lookup) -> None:
    tenant_lookup(OperationalError("refused"))

    response = Client(raise_request_exception=False).get("/accounts/login/", HTTP_HOST="a.test")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert b"retry shortly" in response.content
    assert b"Traceback" not in response.content


def test_other_errors_stay_500(tenant_lookup) -> None:
    tenant_lookup(RuntimeError("a bug"))

    response = Client(raise_request_exception=False).get("/accounts/login/", HTTP_HOST="a.test")

    assert response.status_code == 500
    assert "Retry-After" not in response
