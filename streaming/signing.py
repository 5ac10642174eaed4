"""Signed, expiring stream links: HMAC-SHA256 over what a link grants.

A link names one stored object, for one viewer of one tenant, until one moment. The signature
covers all four, so changing any of them (another file, another viewer, another site, a later
expiry) breaks it. The first key of STREAM_SIGNING_KEYS signs; every key verifies, so after a
rotation (new key first, old key second) links already handed out keep working until they
expire.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass

from django.conf import settings


class LinkInvalid(Exception):
    """The link was forged, altered or has expired; `reason` says which, for logs."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class LinkGrant:
    public_id: str
    tenant_id: int
    viewer: str
    expires: int  # unix seconds


def signing_keys() -> list[bytes]:
    keys = [key.encode() for key in settings.STREAM_SIGNING_KEYS if key]
    if not keys:  # one key derived from SECRET_KEY: links work out of the box
        keys = [
            hashlib.sha256(b"shadowvault stream links\0" + settings.SECRET_KEY.encode()).digest()
        ]
    return keys


def _signature(key: bytes, grant: LinkGrant) -> str:
    message = f"{grant.public_id}\n{grant.tenant_id}\n{grant.viewer}\n{grant.expires}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def link_sign(grant: LinkGrant) -> str:
    return _signature(signing_keys()[0], grant)


def link_verify(grant: LinkGrant, signature: str, *, now: float | None = None) -> None:
    """Return if `signature` is a current key's signature of `grant` and it has not expired.

    Raises LinkInvalid. Every key is tried, in constant time per comparison.
    """
    # Bytes: compare_digest refuses non-ASCII text (a TypeError), and a link's query is anyone's.
    given = signature.encode("utf-8", "surrogateescape")
    if not any(
        hmac.compare_digest(_signature(key, grant).encode(), given) for key in signing_keys()
    ):
        raise LinkInvalid("signature does not match")
    if grant.expires < (time.time() if now is None else now):
        raise LinkInvalid("link has expired")


def origin_secret() -> str:
    """The header value nginx sends the origin; derived from SECRET_KEY unless set."""
    if settings.ORIGIN_SECRET:
        return settings.ORIGIN_SECRET
    return hashlib.sha256(b"shadowvault origin\0" + settings.SECRET_KEY.encode()).hexdigest()
