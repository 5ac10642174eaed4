"""App passwords: one secret per outside app, made and revoked by its member.

A secret is 24 random characters of a 31-letter alphabet (~119 bits), written in groups of
four (`abcd-efgh-…`) and accepted with or without the dashes, in either case. Because it is
random and long, a SHA-256 of it is as safe to keep as a slow password hash and costs
microseconds to check, where PBKDF2 costs ~100 ms: an app that sends its password with
every request (WebDAV, OPDS page streaming) would otherwise pay that on each one.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.utils import timezone

from .models import AppPassword, Tenant

# No 0/o, 1/l/i: the secret may be typed on a TV remote.
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
SECRET_LENGTH = 24
PREFIX_LENGTH = 8
SECRET_SHAPE = re.compile(rf"[{ALPHABET}]{{{SECRET_LENGTH}}}")


def secret_normalize(text: str) -> str | None:
    """The secret as stored (lower case, no dashes or spaces), or None if it cannot be one."""
    secret = re.sub(r"[\s-]", "", text).lower()
    return secret if SECRET_SHAPE.fullmatch(secret) else None


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def app_password_secret(row: AppPassword) -> str:
    """Give `row` (not saved yet) a new secret; the secret as the member should see it."""
    secret = "".join(secrets.choice(ALPHABET) for _ in range(SECRET_LENGTH))
    row.prefix, row.secret_hash = secret[:PREFIX_LENGTH], secret_hash(secret)
    return "-".join(secret[i : i + 4] for i in range(0, SECRET_LENGTH, 4))


def app_password_create(
    *, user: AbstractBaseUser, tenant: Tenant, label: str
) -> tuple[AppPassword, str]:
    """A new app password for `user` on `tenant`: the row, and its secret, shown only now."""
    row = AppPassword(user=user, tenant=tenant, label=label.strip()[:100] or "App")
    secret = app_password_secret(row)
    row.save()
    return row, secret


def app_passwords_of(*, user: AbstractBaseUser, tenant: Tenant) -> QuerySet[AppPassword]:
    return AppPassword.objects.filter(user=user, tenant=tenant)


def app_password_revoke(*, user: AbstractBaseUser, tenant: Tenant, app_password_id: int) -> bool:
    """Delete one of the member's app passwords on `tenant`; whether there was one."""
    deleted, _ = app_passwords_of(user=user, tenant=tenant).filter(id=app_password_id).delete()
    return deleted > 0


def app_password_match(*, username: str, tenant: Tenant, password: str) -> AppPassword | None:
    """The app password of `username` on `tenant` that `password` is, with its user, or None.

    Marks it used. Inactive users' app passwords match nothing.
    """
    secret = secret_normalize(password)
    if secret is None:
        return None
    wanted = secret_hash(secret)
    candidates = AppPassword.objects.select_related("user").filter(
        tenant=tenant,
        prefix=secret[:PREFIX_LENGTH],
        user__username=username,
        user__is_active=True,
    )
    for row in candidates:
        if hmac.compare_digest(row.secret_hash, wanted):
            AppPassword.objects.filter(id=row.id).update(last_used_at=timezone.now())
            return row
    return None
