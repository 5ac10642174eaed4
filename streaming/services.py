"""Handing out stream links and seating viewers in the storage session pool."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.http import QueryDict
from django.http.request import split_domain_port

from shadowvault.digits import ascii_int
from shadowvault.storage import session_pool
from shadowvault.storage.pool import PoolFull

from .hls import stream_path
from .objects import StoredObject
from .signing import LinkGrant, link_sign, link_verify

__all__ = [
    "PoolFull",
    "StreamLink",
    "signed_viewer",
    "stream_link",
    "viewer_key",
    "viewer_may_watch",
    "viewer_seat",
]


@dataclass(frozen=True)
class StreamLink:
    url: str
    expires_at: datetime


def viewer_key(user_id: int) -> str:
    return f"u{user_id}"


def gateway_origin() -> str:
    """The links' scheme, host and port, with a `{host}` placeholder for the asked host."""
    if settings.STREAM_GATEWAY_ORIGIN:
        return settings.STREAM_GATEWAY_ORIGIN
    return "http://{host}:" + settings.GATEWAY_LISTEN.rpartition(":")[2]


def stream_link(
    *,
    stored: StoredObject,
    viewer: str,
    host: str,
    now: float | None = None,
    expires: int | None = None,
    path: str = "",
) -> StreamLink:
    """A signed gateway URL for `viewer` to `stored`, valid until `expires` (unix seconds;
    default: STREAM_LINK_TTL_SECONDS from now).

    `path` points the same grant elsewhere (an HLS playlist of `stored`); by default the
    link is the stored object's own `/s/<public id>/<name>`.
    """
    grant = LinkGrant(stored.public_id, stored.tenant_id, viewer, expires or link_expiry(now))
    return signed_link(grant, path=path or stream_path(stored.public_id, stored.name), host=host)


def link_expiry(now: float | None = None) -> int:
    return int(now if now is not None else time.time()) + settings.STREAM_LINK_TTL_SECONDS


def signed_query(grant: LinkGrant) -> str:
    """The query (`exp`, `v`, `sig`) that proves `grant` (checked by `signed_viewer`)."""
    return urlencode({"exp": grant.expires, "v": grant.viewer, "sig": link_sign(grant)})


def signed_link(grant: LinkGrant, *, path: str, host: str) -> StreamLink:
    """`path` on the gateway, with the query that proves `grant`."""
    gateway = gateway_origin().format(host=split_domain_port(host)[0])
    return StreamLink(
        f"{gateway}{path}?{signed_query(grant)}", datetime.fromtimestamp(grant.expires, UTC)
    )


def signed_viewer(*, grant_id: str, tenant_id: int, query: QueryDict) -> str:
    """The viewer a signed URL's query (`exp`, `v`, `sig`) was made for, if it grants
    `grant_id` on `tenant_id`'s site and has not expired. Raises LinkInvalid or ValueError."""
    viewer = query.get("v", "")
    grant = LinkGrant(grant_id, tenant_id, viewer, int(query.get("exp", "")))
    link_verify(grant, query.get("sig", ""))
    return viewer


def viewer_may_watch(*, viewer: str, tenant_id: int) -> bool:
    """Whether the user a link was signed for (`u<id>`) may still watch on the tenant's site:
    active, and a member of it (or a superuser). A deleted, deactivated or removed user's
    links stop working; so does a link for anyone who is not a user."""
    user_id = ascii_int(viewer[1:]) if viewer.startswith("u") else None
    if user_id is None:
        return False
    return (
        get_user_model()
        .objects.filter(id=user_id, is_active=True)
        .filter(Q(is_superuser=True) | Q(memberships__tenant_id=tenant_id))
        .exists()
    )


def takes_viewer_slot(stored: StoredObject) -> bool:
    """Telegram files seat their viewer in the session pool (a Redis round trip); the rest
    only have their link checked."""
    return stored.locator.get("backend") == "telegram"


def viewer_seat(*, stored: StoredObject, viewer: str) -> str | None:
    """Seat `viewer` (a link's, checked; or a member the caller authenticated) for `stored`;
    the storage session to read through, if any.

    Raises PoolFull (every Telegram session serves its cap of viewers: try again after
    `retry_after`). Only Telegram files take a seat (a Redis round trip).
    """
    if not takes_viewer_slot(stored):
        return None
    pool = session_pool()
    return pool.viewer_admit(viewer) if pool is not None else None


def page_links(chapter, *, viewer: str, host: str) -> list[tuple[object, StreamLink]]:
    """Each page of a manga chapter with a signed gateway link for `viewer`."""
    from .objects import page_stored

    tenant_id = chapter.series.tenant_id
    return [
        (page, stream_link(stored=page_stored(page, tenant_id), viewer=viewer, host=host))
        for page in chapter.pages.all()
    ]
