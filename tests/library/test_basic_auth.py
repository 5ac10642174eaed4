"""HTTP Basic with account and app passwords, scoped to the host's site, kept briefly."""

from __future__ import annotations

import base64

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.http import HttpResponse
from django.test import RequestFactory
from rest_framework.test import APIClient

from library import basic_auth
from library.app_passwords import app_password_create
from library.basic_auth import basic_auth_required, basic_credentials
from library.middleware import tenant_for_host
from tests import processes

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def api_get(authorization: str | None, host: str = "tenant-a.test", path: str = "/api/titles/"):
    client = APIClient(HTTP_HOST=host)
    if authorization:
        client.credentials(HTTP_AUTHORIZATION=authorization)
    return client.get(path)


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def password_checks(monkeypatch) -> list[str]:
    """The user names whose account password was hashed and compared (a spy: it still checks)."""
    checked = []
    real = basic_auth.authenticate

    def spy(request, *, username, password):
        checked.append(username)
        return real(request, username=username, password=password)

    monkeypatch.setattr(basic_auth, "authenticate", spy)
    return checked


def test_it_reads_basic_credentials_and_nothing_else() -> None:
    assert basic_credentials(basic("anna", "p:ss wörd")) == ("anna", "p:ss wörd")
    assert basic_credentials("basic " + base64.b64encode(b"bob:x").decode()) == ("bob", "x")
    assert basic_credentials("Basic " + base64.b64encode("zoë:ü".encode("latin-1")).decode()) == (
        "zoë",
        "ü",
    )
    for bad in ["", "Bearer abc", "Basic", "Basic !!!", basic("", "x"), "Basic " + "bm9jb2xvbg=="]:
        assert basic_credentials(bad) is None, bad


@pytest.mark.parametrize(("username", "password"), [("viewer\x00", PASSWORD), ("viewer", "pw\x00")])
def test_credentials_with_a_nul_are_wrong_without_a_lookup(
    viewer, password_checks, username, password
) -> None:
    # PostgreSQL cannot compare text holding NUL: the throttle's and the user's lookups were
    # a DataError there, a 500.
    assert basic_credentials(basic(username, password)) is None

    response = api_get(basic(username, password))

    assert response.status_code == 401
    assert password_checks == []


def test_a_member_signs_in_with_the_account_password(viewer) -> None:
    assert api_get(basic("viewer", PASSWORD)).status_code == 200


def test_wrong_or_missing_credentials_are_401_with_a_challenge(viewer) -> None:
    wrong = api_get(basic("viewer", "not it"))
    nobody = api_get(basic("nobody", PASSWORD))

    assert wrong.status_code == nobody.status_code == 401
    assert wrong["WWW-Authenticate"] == 'Basic realm="Tenant A", charset="UTF-8"'
    assert "Wrong user name or password" in wrong.json()["detail"]


def test_the_account_password_counts_only_where_its_user_is_a_member(viewer, outsider) -> None:
    assert api_get(basic("outsider", PASSWORD), host="tenant-a.test").status_code == 401
    assert api_get(basic("outsider", PASSWORD), host="tenant-b.test").status_code == 200


def test_an_app_password_works_on_its_own_site_only(viewer, tenant, other_tenant) -> None:
    from library.models import Membership

    Membership.objects.create(tenant=other_tenant, user=viewer)
    _, secret = app_password_create(user=viewer, tenant=tenant, label="Panels")

    assert api_get(basic("viewer", secret)).status_code == 200
    # Typed without dashes and in capitals, as on a TV remote.
    assert api_get(basic("viewer", secret.replace("-", "").upper())).status_code == 200
    assert api_get(basic("viewer", secret), host="tenant-b.test").status_code == 401
    assert api_get(basic("outsider", secret)).status_code == 401  # someone else's name


def test_a_success_is_kept_and_never_holds_the_password(viewer, password_checks) -> None:
    statuses = [api_get(basic("viewer", PASSWORD)).status_code for _ in range(3)]

    assert statuses == [200, 200, 200]
    assert password_checks == ["viewer"]  # hashed once, then kept
    kept = repr(cache._cache) + repr(list(cache._cache))  # locmem: pickled entries by key
    assert PASSWORD.encode() not in str(kept).encode()
    assert base64.b64encode(f"viewer:{PASSWORD}".encode()).decode() not in kept


def test_a_kept_success_ends_with_a_password_change(viewer, password_checks) -> None:
    assert api_get(basic("viewer", PASSWORD)).status_code == 200

    viewer.set_password("a brand new secret phrase")
    viewer.save()

    assert api_get(basic("viewer", PASSWORD)).status_code == 401
    assert api_get(basic("viewer", "a brand new secret phrase")).status_code == 200


def test_a_kept_success_ends_with_deactivation_or_membership(viewer, tenant) -> None:
    assert api_get(basic("viewer", PASSWORD)).status_code == 200
    type(viewer).objects.filter(id=viewer.id).update(is_active=False)  # no signal sent
    assert api_get(basic("viewer", PASSWORD)).status_code == 401

    type(viewer).objects.filter(id=viewer.id).update(is_active=True)
    assert api_get(basic("viewer", PASSWORD)).status_code == 200
    viewer.memberships.all().delete()
    assert api_get(basic("viewer", PASSWORD)).status_code == 401


def test_a_revoked_app_password_is_refused_at_once(viewer, tenant) -> None:
    row, secret = app_password_create(user=viewer, tenant=tenant, label="Chunky")
    assert api_get(basic("viewer", secret)).status_code == 200

    row.delete()

    assert api_get(basic("viewer", secret)).status_code == 401


@basic_auth_required
def protected(request):
    return HttpResponse(request.user.username)


def request_to(host="tenant-a.test", *, authorization=None, user=None):
    """A request as it reaches a view: its host's tenant and its session user set."""
    made = RequestFactory().get("/opds/", HTTP_HOST=host)
    made.tenant = tenant_for_host(host)
    if authorization:
        made.META["HTTP_AUTHORIZATION"] = authorization
    made.user = user or AnonymousUser()
    return made


def test_after_many_failures_even_the_right_password_waits(
    viewer, password_checks, settings
) -> None:
    settings.LOGIN_FAILURES_PER_ACCOUNT = 3
    for _ in range(3):
        assert protected(request_to(authorization=basic("viewer", "guess"))).status_code == 401
    checks_before = len(password_checks)

    locked = protected(request_to(authorization=basic("viewer", PASSWORD)))

    assert locked.status_code == 401
    assert len(password_checks) == checks_before  # not even checked


def test_a_kept_success_outlasts_a_lockout(viewer, settings) -> None:
    settings.LOGIN_FAILURES_PER_ACCOUNT = 3
    assert protected(request_to(authorization=basic("viewer", PASSWORD))).status_code == 200
    for _ in range(4):
        protected(request_to(authorization=basic("viewer", "guess")))

    assert protected(request_to(authorization=basic("viewer", PASSWORD))).status_code == 200


def test_it_still_signs_in_when_the_cache_is_down(viewer, settings) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{processes.free_port()}/0",  # nothing listens
        }
    }

    right = protected(request_to(authorization=basic("viewer", PASSWORD)))
    wrong = protected(request_to(authorization=basic("viewer", "wrong")))

    assert (right.status_code, right.content) == (200, b"viewer")
    assert wrong.status_code == 401


def test_the_view_decorator_takes_basic_or_a_members_session(viewer, outsider) -> None:
    assert protected(request_to(authorization=basic("viewer", PASSWORD))).content == b"viewer"
    assert protected(request_to(user=viewer)).content == b"viewer"
    for refused in [
        request_to(),
        request_to(user=outsider),
        request_to(authorization=basic("viewer", "wrong"), user=viewer),  # beats a session
    ]:
        response = protected(refused)
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith('Basic realm="Tenant A"')


def test_failures_without_a_request_count_against_the_address(viewer, settings) -> None:
    settings.LOGIN_FAILURES_PER_ADDRESS = 3
    tenant = tenant_for_host("tenant-a.test")

    def attempt(password: str, address: str):
        return basic_auth.basic_authenticate(
            tenant=tenant, authorization=basic("viewer", password), address=address
        )

    for _ in range(3):
        assert attempt("guess", "203.0.113.9") is None

    assert attempt(PASSWORD, "203.0.113.9") is None  # this address is locked out
    assert attempt(PASSWORD, "198.51.100.7") == viewer
