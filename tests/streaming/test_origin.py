"""The origin as an ASGI app, called directly: what nginx never sends it, and failures."""

from __future__ import annotations

import asyncio
import os

import pytest
from django.db import OperationalError

from shadowvault.storage.filesystem import FilesystemBackend
from streaming.objects import StoredObject
from streaming.origin import Origin
from tests.telegram_fake import FakeTelegram, MiB, fake_backend

SECRET = "s3cret"


def call(
    origin: Origin,
    method: str,
    path: str,
    headers: dict[str, str],
    *,
    disconnect_after: int | None = None,
):
    """Run one request through the ASGI app; (status, headers, body, body messages sent)."""
    sent: list[dict] = []
    request = {"type": "http.request", "body": b"", "more_body": False}
    delivered = asyncio.Event()

    async def receive() -> dict:
        nonlocal request
        if request is not None:
            message, request = request, None
            return message
        await delivered.wait()  # the client leaves once it has what it wanted
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)
        bodies = [m for m in sent if m["type"] == "http.response.body"]
        if disconnect_after is not None and len(bodies) >= disconnect_after:
            delivered.set()
        await asyncio.sleep(0)

    scope = {
        "type": "http",
        "method": method,
        "path": path.split("?")[0],
        "query_string": path.partition("?")[2].encode(),
        "headers": [
            (k.lower().encode(), v.encode())
            for k, v in {"X-Origin-Secret": SECRET, **headers}.items()
        ],
    }
    asyncio.run(origin(scope, receive, send))
    start = sent[0]
    bodies = [m["body"] for m in sent[1:]]
    return (
        start["status"],
        {k.decode(): v.decode() for k, v in start["headers"]},
        b"".join(bodies),
        len(bodies),
    )


@pytest.fixture
def stored_film(tmp_path):
    backend = FilesystemBackend(tmp_path / "vault")
    data = os.urandom(5 * MiB)
    (tmp_path / "f").write_bytes(data)
    locator = backend.put(tmp_path / "f", name="f")
    stored = StoredObject(
        "AbCdEfGh12345678", 1, "f.mkv", "video/x-matroska", len(data), locator["sha256"], locator
    )
    origin = Origin(
        secret=SECRET,
        resolve=lambda pid: stored if pid == stored.public_id else None,
        backend=lambda: backend,
    )
    return origin, stored, data


def test_only_the_gateway_may_ask(stored_film) -> None:
    origin, stored, _ = stored_film
    assert (
        call(origin, "GET", f"/_origin/{stored.public_id}", {"X-Origin-Secret": "guess"})[0] == 403
    )


def test_only_get_and_head(stored_film) -> None:
    origin, stored, _ = stored_film
    status, headers, _, _ = call(origin, "POST", f"/_origin/{stored.public_id}", {})
    assert (status, headers["allow"]) == (405, "GET, HEAD")


def test_if_range_with_a_stale_etag_sends_the_whole_file(stored_film) -> None:
    origin, stored, data = stored_film
    path = f"/_origin/{stored.public_id}"

    fresh = call(origin, "GET", path, {"Range": "bytes=0-9", "If-Range": stored.etag})
    stale = call(origin, "GET", path, {"Range": "bytes=0-9", "If-Range": '"old"'})

    assert (fresh[0], fresh[2]) == (206, data[:10])
    assert (stale[0], len(stale[2])) == (200, len(data))


def test_a_client_that_leaves_stops_the_read(stored_film) -> None:
    origin, stored, _ = stored_film

    status, _, _, chunks = call(
        origin, "GET", f"/_origin/{stored.public_id}", {}, disconnect_after=1
    )

    assert status == 200
    assert chunks < 5  # 5 MiB is five chunks: it stopped early


def test_busy_storage_is_503_with_retry_after(tmp_path) -> None:
    telegram = FakeTelegram()
    telegram.account("bot-1")
    channel = telegram.channel("vault", admins={"bot-1"})
    backend = fake_backend(telegram, channel, max_file_bytes=MiB)
    (tmp_path / "f").write_bytes(b"y" * 5000)
    try:
        locator = backend.put(tmp_path / "f", name="f")
        stored = StoredObject("AbCdEfGh12345678", 1, "f", "video/mp4", 5000, "", locator)
        origin = Origin(secret=SECRET, resolve=lambda _: stored, backend=lambda: backend)
        telegram.flood_next("bot-1", 17)

        status, headers, _, _ = call(origin, "GET", f"/_origin/{stored.public_id}?s=bot-1", {})
    finally:
        backend.close()

    assert (status, headers["retry-after"]) == (503, "17")


def test_an_unreachable_database_is_503_with_retry_after(stored_film) -> None:
    # given an object looked up before the database went away, and a lookup that now fails
    origin, stored, data = stored_film
    call(origin, "GET", f"/_origin/{stored.public_id}", {"Range": "bytes=0-9"})
    lookup = origin.objects.lookup

    async def database_down(public_id: str):
        if public_id != stored.public_id:
            raise OperationalError("connection refused")
        return await lookup(public_id)

    origin.objects.lookup = database_down

    # when the gateway asks for the object it had and for another one
    kept = call(origin, "GET", f"/_origin/{stored.public_id}", {"Range": "bytes=0-9"})
    status, headers, body, _ = call(origin, "GET", "/_origin/ZyXwVuTs87654321", {})

    # then the first is still served, the second is a 503 without a traceback
    assert (kept[0], kept[2]) == (206, data[:10])
    assert (status, headers["retry-after"], body) == (503, "5", b"database unreachable\n")
