"""Sign-ins: wrong passwords lock the account and the address; a dead cache locks nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import authenticate
from django.core.cache import cache
from django.test import Client

from shadowvault.login_throttle import login_attempt_allowed, login_failed
from tests import processes
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # the factories' password
HOST = "tenant-a.test"


@pytest.fixture(autouse=True)
def empty_counts():
    cache.clear()
    yield
    cache.clear()  # later tests sign in as the same personas


@pytest.fixture(scope="module")
def browser() -> Client:
    return Client(HTTP_HOST=HOST)  # one: each new client builds the middleware stack again


@pytest.fixture
def sign_in(browser):
    def post(path: str, username: str, password: str, *, address: str = "203.0.113.9"):
        browser.cookies.clear()
        data = {"username": username, "password": password, "next": "/"}
        return browser.post(path, data, REMOTE_ADDR=address)

    return post


def signed_in(response) -> bool:
    return response.status_code == 302 and "sessionid" in response.cookies


@pytest.mark.parametrize("path", ["/admin/login/", "/accounts/login/"])
def test_forty_wrong_passwords_lock_the_account_even_for_the_right_one(
    path, curator, sign_in
) -> None:
    wrong = [sign_in(path, "curator", f"guess {n}").status_code for n in range(40)]

    right = sign_in(path, "curator", PASSWORD)
    elsewhere = sign_in(path, "curator", PASSWORD, address="198.51.100.4")

    assert wrong[:10] == [200] * 10  # the form again: wrong password
    assert set(wrong[10:]) == {429}
    assert (right.status_code, signed_in(right)) == (429, False)
    assert "Too many failed sign-ins" in right.content.decode()
    assert not signed_in(elsewhere)  # the account is locked, not only the address


def test_the_lock_lifts_when_its_window_ends(curator, settings, sign_in) -> None:
    with time_machine.travel(0, tick=False) as clock:
        for n in range(settings.LOGIN_FAILURES_PER_ACCOUNT):
            sign_in("/accounts/login/", "curator", f"guess {n}")
        assert not signed_in(sign_in("/accounts/login/", "curator", PASSWORD))

        clock.shift(timedelta(seconds=settings.LOGIN_LOCK_SECONDS + 1))

        assert signed_in(sign_in("/accounts/login/", "curator", PASSWORD))


def test_one_address_trying_many_accounts_is_locked(viewer, settings, sign_in) -> None:
    for n in range(settings.LOGIN_FAILURES_PER_ADDRESS):
        sign_in("/accounts/login/", f"someone{n}", "guess")

    from_there = sign_in("/accounts/login/", "viewer", PASSWORD)
    from_elsewhere = sign_in("/accounts/login/", "viewer", PASSWORD, address="198.51.100.4")

    assert from_there.status_code == 429
    assert signed_in(from_elsewhere)


def test_a_right_password_starts_the_accounts_count_again(viewer, settings, sign_in) -> None:
    for _ in range(3):
        for n in range(settings.LOGIN_FAILURES_PER_ACCOUNT - 1):
            sign_in("/accounts/login/", "viewer", f"typo {n}", address=f"192.0.2.{n}")
        assert signed_in(sign_in("/accounts/login/", "viewer", PASSWORD, address="192.0.2.99"))


def test_other_entry_points_share_the_limiter_through_authenticate(settings) -> None:
    UserFactory(username="reader")
    for _ in range(settings.LOGIN_FAILURES_PER_ACCOUNT):
        login_failed("Reader", "192.0.2.1")  # what an HTTP Basic check calls on a bad password

    assert not login_attempt_allowed("reader", "192.0.2.2")
    assert authenticate(None, username="reader", password=PASSWORD) is None


def test_a_dead_cache_locks_nobody_and_breaks_nothing(curator, settings, sign_in) -> None:
    # given a Redis cache on a port where nothing answers
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{processes.free_port()}/1",
        }
    }

    # when
    wrong = [sign_in("/admin/login/", "curator", "guess").status_code for _ in range(12)]
    right = sign_in("/admin/login/", "curator", PASSWORD)

    # then
    assert set(wrong) == {200}
    assert signed_in(right)
