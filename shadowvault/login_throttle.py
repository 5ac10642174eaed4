"""Failed sign-ins, counted per account and per address, lock both for a while.

Every password check goes through here: Django's `authenticate()` (the admin's and the web
site's login forms, anything else that calls it) by way of `ThrottledModelBackend`, and other
entry points (HTTP Basic) by calling the three functions themselves:

    if not login_attempt_allowed(username, address):
        ...refuse without checking the password...
    if password is right: login_succeeded(username, address) else: login_failed(username, address)

An account that failed LOGIN_FAILURES_PER_ACCOUNT times, or an address that failed
LOGIN_FAILURES_PER_ADDRESS times, is refused for the rest of the LOGIN_LOCK_SECONDS window
that began with its first failure, right password or not. The counts live in the cache
(Redis): every web process sees them. When the cache cannot be reached the limiter lets the
attempt through (a sign-in page that answers 500 helps no one) and logs it.
"""

from __future__ import annotations

import hashlib
import logging

import redis
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse

log = logging.getLogger(__name__)
# What a cache that does not answer raises (Redis refused, reset, timed out).
CACHE_DOWN = (redis.RedisError, OSError)


class LoginLocked(PermissionDenied):
    """Too many failed sign-ins for this account or from this address."""


def _keys(username: str, address: str) -> list[tuple[str, int]]:
    """(cache key, failure limit) for the account and, when known, the address."""
    account = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    keys = [(f"login-failures:account:{account}", settings.LOGIN_FAILURES_PER_ACCOUNT)]
    if address:
        keys.append((f"login-failures:address:{address}", settings.LOGIN_FAILURES_PER_ADDRESS))
    return keys


def login_attempt_allowed(username: str, address: str) -> bool:
    """Whether a password may be checked for `username` from `address` now (True when the
    cache cannot say)."""
    keys = _keys(username, address)
    try:
        counts = cache.get_many([key for key, _ in keys])
    except CACHE_DOWN as exc:
        log.warning("login throttle unavailable, letting %r through: %s", username, exc)
        return True
    return all(counts.get(key, 0) < limit for key, limit in keys)


def login_failed(username: str, address: str) -> None:
    """Count a wrong password (or unknown account) for `username` and `address`."""
    for key, _ in _keys(username, address):
        try:
            # The window starts with the first failure; later ones do not extend it.
            cache.add(key, 0, timeout=settings.LOGIN_LOCK_SECONDS)
            cache.incr(key)
        except ValueError:  # the window lapsed between add and incr
            cache.set(key, 1, timeout=settings.LOGIN_LOCK_SECONDS)
        except CACHE_DOWN as exc:
            log.warning("login failure for %r not counted: %s", username, exc)
            return


def login_succeeded(username: str, address: str) -> None:
    """A right password while not locked: the account's count starts again (the address's
    does not, or one known account would reset an address trying many)."""
    key, _ = _keys(username, "")[0]
    try:
        cache.delete(key)
    except CACHE_DOWN as exc:
        log.warning("login count for %r not reset: %s", username, exc)


def request_address(request: HttpRequest | None) -> str:
    """The client's address: REMOTE_ADDR, which the web server sets from nginx's
    X-Forwarded-For (FORWARDED_ALLOW_IPS names the proxies it believes)."""
    return request.META.get("REMOTE_ADDR", "") if request is not None else ""


class ThrottledModelBackend(ModelBackend):
    """Django's username and password check, behind the limiter."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        address = request_address(request)
        if not login_attempt_allowed(username, address):
            # PermissionDenied makes authenticate() give up at once: no other backend is asked.
            raise LoginLocked
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            login_failed(username, address)
        else:
            login_succeeded(username, address)
        return user


LOCKED_MESSAGE = "Too many failed sign-ins for this account or from this address; try again later."


class ThrottledLoginMixin:
    """For an AuthenticationForm: a locked account or address gets its own error (code
    "locked", `form.locked`) instead of "wrong password"."""

    locked = False

    def clean(self):
        username = self.cleaned_data.get("username")
        if username and not login_attempt_allowed(username, request_address(self.request)):
            self.locked = True
            raise ValidationError(LOCKED_MESSAGE, code="locked")
        return super().clean()


def locked_status(response: HttpResponse) -> HttpResponse:
    """A login page's answer, 429 when its form was refused for a lock."""
    form = (getattr(response, "context_data", None) or {}).get("form")
    if getattr(form, "locked", False):
        response.status_code = 429
    return response
