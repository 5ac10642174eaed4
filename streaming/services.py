"""Handing out stream links and admitting viewers to what they link to."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.http.request import split_domain_port

from shadowvault.storage import session_pool
from shadowvault.storage.pool import PoolFull

from .hls import stream_path
from .objects import StoredObject
from .signing import LinkGrant, link_sign, link_verify

__all__ = [
    "PoolFull",
    "StreamLink",
    "stream_link",
    "stream_link_check",
    "stream_seat",
    "viewer_key",
    "viewer_may_watch",
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


def signed_query(*, stored: StoredObject, viewer: str, now: float | None = None) -> tuple[str, int]:
    """The query (`exp`, `v`, `sig`) that lets `viewer` at `stored` (its stream, and its HLS
    playlists) until STREAM_LINK_TTL_SECONDS from now, and that moment."""
    expires = int(now if now is not None else time.time()) + settings.STREAM_LINK_TTL_SECONDS
    grant = LinkGrant(stored.public_id, stored.tenant_id, viewer, expires)
    return urlencode({"exp": expires, "v": viewer, "sig": link_sign(grant)}), expires


def stream_link(
    *, stored: StoredObject, viewer: str, host: str, now: float | None = None, path: str = ""
) -> StreamLink:
    """A signed gateway URL for `viewer` to `stored`, valid for STREAM_LINK_TTL_SECONDS.

    `path` points the same grant elsewhere (an HLS playlist of `stored`); by default the
    link is the stored object's own `/s/<public id>/<name>`.
    """
    query, expires = signed_query(stored=stored, viewer=viewer, now=now)
    gateway = gateway_origin().format(host=split_domain_port(host)[0])
    path = path or stream_path(stored.public_id, stored.name)
    return StreamLink(f"{gateway}{path}?{query}", datetime.fromtimestamp(expires, UTC))


def viewer_may_watch(*, viewer: str, tenant_id: int) -> bool:
    """Whether the user a link was signed for (`u<id>`) may still watch on the tenant's site:
    active, and a member of it (or a superuser). A deleted, deactivated or removed user's
    links stop working; so does a link for anyone who is not a user."""
    if not (viewer.startswith("u") and viewer[1:].isdigit()):
        return False
    return (
        get_user_model()
        .objects.filter(id=int(viewer[1:]), is_active=True)
        .filter(Q(is_superuser=True) | Q(memberships__tenant_id=tenant_id))
        .exists()
    )


def takes_viewer_slot(stored: StoredObject) -> bool:
    """Telegram files seat their viewer in the session pool (a Redis round trip); the rest
    only have their link checked."""
    return stored.locator.get("backend") == "telegram"


def stream_link_check(
    *, stored: StoredObject, tenant_id: int, viewer: str, expires: int, signature: str
) -> None:
    """Raise LinkInvalid unless this is a current link to `stored` on the tenant's site
    (forged, altered, expired, another tenant's). No I/O: fine on the event loop."""
    link_verify(LinkGrant(stored.public_id, tenant_id, viewer, expires), signature)


def stream_seat(*, stored: StoredObject, viewer: str) -> str | None:
    """Seat the viewer of a checked link; the storage session to read through, if any.

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
