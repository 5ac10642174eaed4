"""Requests to the web process's ASGI application in-process, as uvicorn would make them.

Django's AsyncClient always sends `Host: testserver` first, and the tenant comes from the
host; this builds the scope itself. Sync views run on the calling thread (async_to_sync's
thread-sensitive rule), so they see the test's transaction.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from asgiref.sync import async_to_sync
from django.contrib.auth.models import User
from django.core import signals
from django.db import close_old_connections
from django.test import Client


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    chunks: int  # body messages sent: more than one means it was streamed

    def __getitem__(self, name: str) -> str:
        return self.headers[name.lower()]


def session_cookie(user: User) -> str:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


def asgi_request(
    path: str,
    *,
    host: str = "tenant-a.test",
    method: str = "GET",
    app=None,
    query_string: bytes | None = None,
    body: bytes = b"",
    **headers: str,
) -> Answer:
    """`path` (with its query) from `app` (the web process's, `shadowvault.asgi.application`,
    by default); headers by lower-case name with `_` for `-` (authorization=…, cookie=…).
    `query_string`: raw bytes sent as the query instead of the path's; `body`, the request's."""
    if app is None:
        from shadowvault.asgi import application as app

    parts = urlsplit(path)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": unquote(parts.path),
        "raw_path": parts.path.encode(),
        "query_string": parts.query.encode() if query_string is None else query_string,
        "root_path": "",
        "headers": [(b"host", host.encode())]
        + [(name.replace("_", "-").encode(), value.encode()) for name, value in headers.items()],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
    }
    sent: list[dict] = []
    requests = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict:
        if requests:
            return requests.pop()
        await asyncio.Event().wait()  # the client stays connected

    async def send(message: dict) -> None:
        sent.append(message)

    # As Django's test clients do: the request must not close the test's connection.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        async_to_sync(app)(scope, receive, send)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    start, bodies = sent[0], [m for m in sent[1:] if m["type"] == "http.response.body"]
    return Answer(
        status=start["status"],
        headers={name.decode().lower(): value.decode() for name, value in start["headers"]},
        body=b"".join(m.get("body", b"") for m in bodies),
        chunks=sum(1 for m in bodies if m.get("body")),
    )
