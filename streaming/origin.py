"""The origin: byte ranges of stored objects, for the gateway's slice cache only.

A bare ASGI app (its own process) in front of the storage backend's `open_range`:
- only the gateway may ask (the X-Origin-Secret header nginx adds); everything else is 403;
- GET and HEAD of `/_origin/<public id>`, one Range per request (`bytes=a-b`, `a-`, `-n`):
  206 with Content-Range and the total length, 200 without Range, 416 past the end;
- a strong ETag per object, If-Range, If-None-Match (304) and If-Match (412); nginx's slice
  module checks that every slice carries the same ETag and total length;
- the body streams chunk by chunk, so memory stays bounded whatever the file's size, and the
  read stops as soon as the client goes away;
- a storage failure before the first byte is a 503 with Retry-After (or 404 when the stored
  file is gone); after it, the connection is cut so no cache keeps a short body;
- an object that cannot be looked up because the database is unreachable is a 503 with
  Retry-After too (objects looked up in the last 30 s are still served).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async

from shadowvault.database_down import DATABASE_DOWN, RETRY_AFTER_SECONDS
from shadowvault.storage import LocatorInvalid, StorageBackend, StorageError

from .objects import StoredObject
from .ranges import RangeNotSatisfiable, range_parse
from .recent import Recent

log = logging.getLogger("shadowvault.origin")
PATH = re.compile(r"/_origin/([0-9A-Za-z]{8,32})")

Headers = list[tuple[bytes, bytes]]


class Origin:
    def __init__(
        self,
        *,
        secret: str,
        resolve: Callable[[str], StoredObject | None],
        backend: Callable[[], StorageBackend],
    ) -> None:
        self.secret = secret.encode()
        self.objects = Recent(resolve)
        self.backend_factory = backend
        self.backend: StorageBackend | None = None

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] == "lifespan":
            await self.lifespan(receive, send)
        elif scope["type"] == "http":
            await self.handle(scope, receive, send)

    async def lifespan(self, receive: Callable, send: Callable) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                # Building a backend may connect to Telegram and read the database: not on
                # the loop, and before the first viewer waits for it.
                self.backend = await sync_to_async(self.backend_factory, thread_sensitive=False)()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def handle(self, scope: dict, receive: Callable, send: Callable) -> None:
        headers = {
            name.decode().lower(): value.decode("latin-1") for name, value in scope["headers"]
        }
        method = scope["method"]
        match = PATH.fullmatch(scope["path"])
        if not hmac.compare_digest(headers.get("x-origin-secret", "").encode(), self.secret):
            return await respond(send, 403, body=b"the origin answers the gateway only\n")
        if method not in ("GET", "HEAD"):
            return await respond(send, 405, [(b"allow", b"GET, HEAD")])
        try:
            stored = await self.objects.get(match.group(1)) if match else None
        except DATABASE_DOWN as exc:  # objects looked up recently are still served
            log.warning("cannot look %s up, the database is unreachable: %s", scope["path"], exc)
            retry = [(b"retry-after", str(RETRY_AFTER_SECONDS).encode())]
            return await respond(send, 503, retry, body=b"database unreachable\n")
        if stored is None:
            return await respond(send, 404, body=b"no such object\n")
        query = parse_qs(scope.get("query_string", b"").decode())
        session = query.get("s", [None])[0]
        status, extra, span = self.plan(stored, headers)
        base = [(b"etag", stored.etag.encode()), (b"accept-ranges", b"bytes")]
        if span is None:
            return await respond(send, status, base + extra)
        start, end = span
        log.info("%s %s bytes=%d-%d -> %d", method, stored.public_id, start, end, status)
        if method == "HEAD":
            return await respond(send, status, base + extra + body_headers(stored, start, end))
        await self.stream(send, receive, stored, status, base + extra, start, end, session)

    def plan(self, stored: StoredObject, headers: dict[str, str]) -> tuple[int, Headers, Any]:
        """(status, headers, (start, end) or None when there is no body) for a request."""
        etag = stored.etag
        if_match = headers.get("if-match")
        if if_match and if_match.strip() != "*" and etag not in tags(if_match):
            return 412, [], None
        if_none_match = headers.get("if-none-match")
        if if_none_match and (if_none_match.strip() == "*" or etag in tags(if_none_match)):
            return 304, [], None
        requested = headers.get("range")
        if_range = headers.get("if-range")
        if requested and if_range and if_range.strip() != etag:
            requested = None  # the client's copy is stale: send the whole thing
        if stored.size == 0:
            return 200, [], (0, -1)
        try:
            span = range_parse(requested, stored.size)
        except RangeNotSatisfiable:
            return 416, [(b"content-range", f"bytes */{stored.size}".encode())], None
        if span is None:
            return 200, [], (0, stored.size - 1)
        start, end = span
        content_range = f"bytes {start}-{end}/{stored.size}".encode()
        return 206, [(b"content-range", content_range)], span

    async def stream(
        self,
        send: Callable,
        receive: Callable,
        stored: StoredObject,
        status: int,
        headers: Headers,
        start: int,
        end: int,
        session: str | None,
    ) -> None:
        if end < start:  # an empty file
            return await respond(send, status, headers + body_headers(stored, start, end))
        chunks = self.open(stored, start, end, session)
        try:
            first = await anext(chunks)
        except LocatorInvalid:
            log.error("stored file for %s is gone or unreadable", stored.public_id)
            return await respond(send, 404, body=b"the stored file is gone\n")
        except StorageError as exc:
            retry = str(getattr(exc, "retry_after", 5)).encode()
            log.warning("storage cannot serve %s now: %s", stored.public_id, exc)
            return await respond(send, 503, [(b"retry-after", retry)], body=b"storage busy\n")
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": headers + body_headers(stored, start, end),
            }
        )
        sender = asyncio.ensure_future(send_all(send, first, chunks))
        gone = asyncio.ensure_future(client_gone(receive))
        try:
            await asyncio.wait({sender, gone}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sender, gone):
                task.cancel()
            await chunks.aclose()
        if sender.done() and not sender.cancelled() and sender.exception():
            # Headers are out: cut the connection so nothing caches a short body.
            raise sender.exception()

    def open(
        self, stored: StoredObject, start: int, end: int, session: str | None
    ) -> AsyncIterator[bytes]:
        backend = self.backend or self.backend_factory()
        if session and backend.name == "telegram":
            return backend.open_range(stored.locator, start, end, session=session)
        return backend.open_range(stored.locator, start, end)


def tags(header: str) -> list[str]:
    return [tag.strip().removeprefix("W/") for tag in header.split(",")]


def body_headers(stored: StoredObject, start: int, end: int) -> Headers:
    return [
        (b"content-type", stored.mime.encode()),
        (b"content-length", str(end - start + 1).encode()),
        # Content-addressed: the bytes behind a public id never change.
        (b"cache-control", b"public, max-age=31536000, immutable"),
    ]


async def respond(send: Callable, status: int, headers: Headers = (), body: bytes = b"") -> None:
    headers = list(headers)
    if not any(name == b"content-length" for name, _ in headers):
        headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def send_all(send: Callable, first: bytes, rest: AsyncIterator[bytes]) -> None:
    await send({"type": "http.response.body", "body": first, "more_body": True})
    async for chunk in rest:
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


async def client_gone(receive: Callable[[], Awaitable[dict]]) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
