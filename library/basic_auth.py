"""HTTP Basic auth for apps that speak nothing else (OPDS readers, WebDAV clients).

A request's `Authorization: Basic` credentials are a member's user name and either their
account password or one of their app passwords (library.app_passwords), and count only on
the site (tenant) of the request's host: an app password belongs to one site, and the
account password works only where its user is a member.

- `basic_authenticate` is the one check; `basic_auth_user(request)` applies it to a Django
  request, `basic_auth_required` guards a view (401 with `WWW-Authenticate` when the
  credentials are missing or wrong; a signed-in member's session also passes), and
  `library.api.authentication.BasicAppAuthentication` does the same for DRF.
- Account passwords are PBKDF2 hashes (~100 ms a check) and apps send Basic with every
  request (each range request of a player), so a success is kept in the cache for
  BASIC_AUTH_CACHE_SECONDS under a keyed hash of the credentials (never the password in
  clear). A kept success is checked against the database on every use: the user must still
  be active and a member, the password hash unchanged, the app password not revoked. So a
  password change, a deactivation or a revocation takes effect on the next request, in
  every process, without any signal.
- Sign-ins are throttled by `shadowvault.login_throttle`, as the login pages are: a locked
  account or address has no password checked (app passwords included), and a wrong one is
  counted by the auth backend that `authenticate()` goes through. A success kept in the
  cache is still served while its account is locked: only the right password put it there.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from shadowvault.login_throttle import CACHE_DOWN, login_attempt_allowed

from .api.permissions import user_role
from .app_passwords import app_password_match
from .models import Tenant

log = logging.getLogger(__name__)


def basic_credentials(authorization: str) -> tuple[str, str] | None:
    """(user name, password) from an `Authorization: Basic …` value, or None if it is not one."""
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        raw = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        text = raw.decode("latin-1")  # clients from before RFC 7617's charset
    if "\x00" in text:  # no account has one, and PostgreSQL cannot even compare it
        return None
    username, colon, password = text.partition(":")
    return (username, password) if colon and username else None


def basic_authenticate(
    *, tenant: Tenant, authorization: str, address: str, request: HttpRequest | None = None
) -> AbstractBaseUser | None:
    """The member of `tenant` these Basic credentials belong to, or None.

    None when the header is missing, malformed or wrong, when the user is inactive or not a
    member of `tenant`, and when too many attempts failed lately (see the module's notes).
    The user's `app_password_id` says which app password it was (None: the account
    password). `request` goes to Django's `authenticate` (the throttled backend counts a
    failure against its REMOTE_ADDR); without one, a bare request from `address` does.
    """
    credentials = basic_credentials(authorization)
    if credentials is None:
        return None
    username, password = credentials
    key = credentials_key(tenant, username, password)
    user = kept_user(key, tenant)
    if user is not None:
        return user
    if not login_attempt_allowed(username, address):
        return None
    if request is None:
        request = HttpRequest()
        request.META["REMOTE_ADDR"] = address
    user = credentials_check(tenant, username, password, request)
    if user is None:  # a wrong password was counted by authenticate()'s throttled backend
        log.info("basic auth: wrong credentials for %r from %s", username, address)
        return None
    keep_user(key, user)
    return user


def basic_auth_user(request: HttpRequest) -> AbstractBaseUser | None:
    """`basic_authenticate` for a request of the site its host picked (request.tenant)."""
    if hasattr(request, "_basic_auth_user"):  # checked once per request
        return request._basic_auth_user
    tenant = getattr(request, "tenant", None)
    user = None
    if tenant is not None:
        user = basic_authenticate(
            tenant=tenant,
            authorization=request.META.get("HTTP_AUTHORIZATION", ""),
            address=request.META.get("REMOTE_ADDR", ""),
            request=request,
        )
    request._basic_auth_user = user  # type: ignore[attr-defined]
    return user


def has_basic_credentials(request: HttpRequest | None) -> bool:
    if request is None:
        return False
    return request.META.get("HTTP_AUTHORIZATION", "")[:6].lower() == "basic "


def basic_challenge(tenant: Tenant | None) -> str:
    """The `WWW-Authenticate` value: the site's name as the realm, UTF-8 credentials."""
    name = tenant.name if tenant else "ShadowVault"
    realm = "".join(c for c in name if c.isascii() and c.isprintable() and c not in '"\\')
    return f'Basic realm="{realm or "ShadowVault"}", charset="UTF-8"'


def basic_auth_challenge(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(
        "Sign in with your user name and password, or an app password of this site.\n",
        status=401,
        content_type="text/plain; charset=utf-8",
    )
    response["WWW-Authenticate"] = basic_challenge(getattr(request, "tenant", None))
    return response


def basic_auth_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Let members of the host's site in by Basic credentials, or by their session; else 401.

    Credentials that are sent and wrong are a 401 even with a session.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if has_basic_credentials(request):
            user = basic_auth_user(request)
            if user is None:
                return basic_auth_challenge(request)
            request.user = user
        elif user_role(request.user, getattr(request, "tenant", None)) is None:
            return basic_auth_challenge(request)
        return view(request, *args, **kwargs)

    return wrapped


# --- Checking credentials, and keeping the successes ---


def credentials_check(
    tenant: Tenant, username: str, password: str, request: HttpRequest | None
) -> AbstractBaseUser | None:
    """The user, if these are an app password or the account password of a member of
    `tenant`."""
    app_password = app_password_match(username=username, tenant=tenant, password=password)
    if app_password is not None:
        user = app_password.user
    else:
        user = authenticate(request, username=username, password=password)
    if user is None or user_role(user, tenant) is None:
        return None
    user.app_password_id = app_password.id if app_password else None
    return user


def cache_secret() -> bytes:
    return hashlib.sha256(b"shadowvault basic auth\0" + settings.SECRET_KEY.encode()).digest()


def credentials_key(tenant: Tenant, username: str, password: str) -> str:
    message = f"{tenant.id}\0{username}\0{password}".encode()
    return "sv:basic:" + hmac.new(cache_secret(), message, hashlib.sha256).hexdigest()


def password_stamp(user: AbstractBaseUser) -> str:
    """Changes whenever the user's password does (a keyed hash of its hash)."""
    return hmac.new(cache_secret(), user.password.encode(), hashlib.sha256).hexdigest()[:32]


def keep_user(key: str, user: AbstractBaseUser) -> None:
    entry = {"user": user.pk, "app": user.app_password_id, "stamp": password_stamp(user)}
    try:
        cache.set(key, entry, settings.BASIC_AUTH_CACHE_SECONDS)
    except CACHE_DOWN as exc:
        log.warning("basic auth: cannot keep a success (%s)", exc)


def kept_user(key: str, tenant: Tenant) -> AbstractBaseUser | None:
    """The user of a kept success, if it still stands (see the module's notes)."""
    try:
        entry = cache.get(key)
    except CACHE_DOWN as exc:
        log.warning("basic auth: cannot read kept successes (%s)", exc)
        return None
    if not isinstance(entry, dict):
        return None
    users = get_user_model().objects.filter(pk=entry["user"], is_active=True)
    if entry["app"] is not None:
        users = users.filter(app_passwords__id=entry["app"], app_passwords__tenant=tenant)
    user = users.first()
    if user is None or user_role(user, tenant) is None:
        return None
    if entry["app"] is None and not hmac.compare_digest(password_stamp(user), entry["stamp"]):
        return None
    user.app_password_id = entry["app"]
    return user
