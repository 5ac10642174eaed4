"""Building Telethon clients from settings, and the event-loop thread they live on.

Telethon binds a client to the event loop it connected on. The storage backend is called from
synchronous code (Celery tasks uploading) and from other event loops (the origin reading), so
every client lives on one loop in a thread of its own and calls are handed over to it.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import Future, wait
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from ..base import StorageError
from .sessions import SessionSpec

T = TypeVar("T")
REQUEST_TIMEOUT_SECONDS = 60  # one request to Telegram (a chunk read, an upload part)


def parse_server(value: str) -> tuple[int, str, int]:
    """TELEGRAM_SERVER as (dc_id, host, port); "2:149.154.167.40:443" or "2:[::1]:443"."""
    dc, _, rest = value.partition(":")
    host, _, port = rest.rpartition(":")
    host = host.strip("[]")
    if not (dc.isdigit() and host and port.isdigit()):
        raise ImproperlyConfigured(f"TELEGRAM_SERVER={value!r} is not dc_id:host:port.")
    return int(dc), host, int(port)


def telethon_client(spec: SessionSpec, string_session: str, *, updates: bool = False) -> Any:
    """A Telethon client for one session of the pool (not yet connected).

    FloodWaits are never slept through inside Telethon (`flood_sleep_threshold=0`): the
    backend moves the work to another session instead. Storage sessions receive no updates
    (they only make requests); the bot does (`updates=True`).
    """
    from telethon import TelegramClient
    from telethon.crypto import rsa
    from telethon.sessions import StringSession

    if settings.TELEGRAM_SERVER_PUBLIC_KEY:
        key = server_key(settings.TELEGRAM_SERVER_PUBLIC_KEY)
        rsa.add_key(key.save_pkcs1().decode(), old=False)
    try:
        session = StringSession(string_session or None)
    except ValueError as exc:
        raise StorageError(
            f"{spec.name}: its string session is not one Telethon wrote ({exc}); make a new one "
            "with `manage.py telegram_login`"
        ) from exc
    if settings.TELEGRAM_SERVER and not string_session:
        session.set_dc(*parse_server(settings.TELEGRAM_SERVER))
    return TelegramClient(
        session,
        settings.TELEGRAM_API_ID,
        settings.TELEGRAM_API_HASH,
        flood_sleep_threshold=0,
        request_retries=3,
        connection_retries=3,
        receive_updates=updates,
    )


def server_key(pem: str) -> Any:
    """TELEGRAM_SERVER_PUBLIC_KEY as an `rsa.PublicKey`: PKCS#1 ("BEGIN RSA PUBLIC KEY", the
    form Telegram publishes) or SubjectPublicKeyInfo ("BEGIN PUBLIC KEY", what openssl writes).

    Raises StorageError saying what is wrong and how a PEM goes into .env: no client of any
    session can be built without the key, so each one reports that it cannot connect.
    """
    import rsa
    from pyasn1.error import PyAsn1Error

    data = pem.strip().encode()
    try:
        if b"-----BEGIN PUBLIC KEY-----" in data:
            return rsa.PublicKey.load_pkcs1_openssl_pem(data)
        return rsa.PublicKey.load_pkcs1(data)
    except (ValueError, IndexError, TypeError, PyAsn1Error) as exc:
        raise StorageError(
            f"TELEGRAM_SERVER_PUBLIC_KEY is not an RSA public key in PEM form ({exc}); in .env, "
            "put the PEM in double quotes over several lines, or on one line with \\n "
            "between its lines"
        ) from exc


def key_fingerprint(key: Any) -> str:
    """The key's fingerprint as Telegram computes it (the server lists it in its answer)."""
    from telethon.crypto import rsa

    return f"{rsa._compute_fingerprint(key) & 0xFFFFFFFFFFFFFFFF:016x}"


class LoopThread:
    """One asyncio loop in a daemon thread; coroutines are submitted to it from anywhere."""

    def __init__(self, name: str = "telegram") -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self.thread.start()

    def submit(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def run(self, coro: Coroutine[Any, Any, T], *, events: queue.SimpleQueue | None = None) -> T:
        """Run `coro` on the loop and wait for it, from synchronous code.

        `events` carries callables the coroutine wants run in *this* thread (progress
        callbacks that touch the database must not run on the loop).
        """
        future = self.submit(coro)
        while True:
            done, _ = wait([future], timeout=0.2)
            if events is not None:
                _drain(events)
            if done:
                return future.result()

    async def call(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await `coro` on the loop from another event loop (or from the loop itself)."""
        try:
            if asyncio.get_running_loop() is self.loop:
                return await coro
        except RuntimeError:
            pass
        return await asyncio.wrap_future(self.submit(coro))

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)


def _drain(events: queue.SimpleQueue) -> None:
    while True:
        try:
            callback: Callable[[], None] = events.get_nowait()
        except queue.Empty:
            return
        callback()
