"""The Telegram backend: files as documents in storage channels, read back in aligned chunks.

The storage contract over Telegram, through Telethon (with `router`, `finder`, `upload`):
- `put` uploads in 512 KiB parts, TELEGRAM_UPLOAD_PARTS_IN_FLIGHT of them at once (`upload`),
  with a progress callback that only goes up; a file above TELEGRAM_MAX_FILE_BYTES is split
  into several documents before upload, and the locator lists each one's chat, message and
  size. A failed upload deletes the documents already sent: nothing half-stored stays behind.
  What an upload has posted is also kept in a journal while it runs (`journal`), so that the
  documents of an upload whose process died are deleted by `leftovers_sweep`.
- `open_range` maps a byte range onto `upload.getFile` requests that obey Telegram's alignment
  rules (`ranges`), asks for several 1 MiB chunks at once (read-ahead), at most
  TELEGRAM_REQUESTS_PER_DC at a time per session and data centre (upload parts included), and
  trims the answers to exactly the bytes asked for. It holds at most the read-ahead window in
  memory, plus up to TELEGRAM_CARRY_CHUNKS chunks carried to the next read of a viewer playing
  on (`carry`).
- An expired file reference is refreshed by fetching the message again; FILE_MIGRATE is
  followed to the named DC; a FloodWait (or FLOOD_PREMIUM_WAIT) cools the session down, here
  and in the shared pool, and the work continues on another session.
Errors leave as StorageError: `TelegramUnavailable` (transient, with `retry_after`) or
`ChannelProblem` / `LocatorInvalid` (permanent, saying what to fix).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from telethon import errors
from telethon.tl import functions, types

from ..base import Locator, LocatorInvalid, Progress, StorageBackend, StorageError, range_check
from .carry import CarriedChunks, chunk_key
from .client import REQUEST_TIMEOUT_SECONDS, LoopThread
from .ranges import BLOCK, ChunkRequest, plan_range
from .router import (
    Book,
    ChannelProblem,
    ChannelReport,
    Session,
    SessionRouter,
    TelegramUnavailable,
)
from .sessions import SessionSpec
from .upload import parts_upload

if TYPE_CHECKING:
    from .journal import UploadJournal

log = logging.getLogger(__name__)
T = TypeVar("T")

LOCATIONS_PER_SESSION = 4096  # cached file locations (one per stored part) per session
REFERENCE_ERRORS = (errors.FileReferenceExpiredError, errors.FilerefUpgradeNeededError)
JOURNAL_TOUCH_SECONDS = 60  # an upload making progress says so this often


def split_sizes(total: int, limit: int) -> list[tuple[int, int]]:
    """(offset, length) of each part when `total` bytes are cut into parts of at most `limit`."""
    return [(offset, min(limit, total - offset)) for offset in range(0, total, limit)]


class TelegramBackend(StorageBackend):
    name = "telegram"

    def __init__(
        self,
        specs: list[SessionSpec],
        *,
        client_factory: Callable[[SessionSpec, str], Any],
        channel_of: Callable[[int | None], int],
        book: Book,
        pool: Any = None,
        max_file_bytes: int,
        read_ahead: int = 4,
        carry_limit: int = 64,
        requests_per_dc: int = 6,
        upload_parts_in_flight: int = 6,
        journal: UploadJournal | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.router = SessionRouter(
            specs, client_factory=client_factory, book=book, pool=pool, clock=clock
        )
        self.channel_of = channel_of
        self.max_file_bytes = max_file_bytes
        self.read_ahead = max(1, read_ahead)
        self.carried = CarriedChunks(limit=carry_limit)
        self.requests_per_dc = max(1, requests_per_dc)
        self.upload_parts_in_flight = max(1, upload_parts_in_flight)
        self.journal = journal
        self.loop = LoopThread()

    # --- The storage contract ---

    def put(
        self,
        path: Path,
        *,
        name: str,
        progress: Progress | None = None,
        tenant_id: int | None = None,
        adopt: bool = False,  # uploaded as any file, then removed
    ) -> Locator:
        size = Path(path).stat().st_size
        if size == 0:
            raise StorageError("an empty file cannot be stored on Telegram")
        chat = self.channel_of(tenant_id)
        events: queue.SimpleQueue = queue.SimpleQueue()  # run in this thread, not on the loop
        journal = self.journal
        upload = journal.begin() if journal else None
        touched = time.monotonic()

        def report(done: int) -> None:
            nonlocal touched
            if progress is not None:
                events.put(partial(progress, done, size))
            if journal and time.monotonic() - touched > JOURNAL_TOUCH_SECONDS:
                touched = time.monotonic()
                events.put(partial(journal.touch, upload))

        def posted(part: dict[str, int]) -> None:
            if journal:
                events.put(partial(journal.posted, upload, part))

        parts = self.loop.run(
            self._upload(Path(path), size, name, chat, report, posted), events=events
        )
        if journal and not journal.finish(upload):
            self.loop.run(self._delete_parts(parts))
            raise TelegramUnavailable(
                "the upload made no progress for so long that the leftovers sweep removed it"
            )
        if adopt:
            Path(path).unlink(missing_ok=True)
        return {"backend": self.name, "size": size, "parts": parts}

    async def open_range(
        self, locator: Locator, start: int, end: int, *, session: str | None = None
    ) -> AsyncIterator[bytes]:
        """Yield bytes start..end; `session` names the viewer's session to read through.

        A read that continues an earlier one (nginx's next slice) also asks for the chunks
        after it, for the next read to take (`carry`)."""
        parts = self._parts(locator)
        sizes = [part["size"] for part in parts]
        range_check(start, end, sum(sizes))
        file = f"{parts[0]['chat']}:{parts[0]['message']}"
        plays_on = self.carried.plays_on(file, start)
        plan = iter(plan_range(sizes, start, end))
        pending: deque[tuple[ChunkRequest, asyncio.Future[bytes]]] = deque()

        def ask(request: ChunkRequest) -> asyncio.Future[bytes]:
            return asyncio.ensure_future(
                self._read_chunk_on_loop(parts[request.part], request, session)
            )

        def schedule_next() -> None:
            request = next(plan, None)
            if request is not None:
                chunk = self.carried.take(chunk_key(file, request)) or ask(request)
                pending.append((request, chunk))

        for _ in range(self.read_ahead):
            schedule_next()
        try:
            while pending:
                request, chunk = pending.popleft()
                data = await chunk
                schedule_next()
                if request.skip == 0 and request.take == len(data):
                    yield data
                else:
                    yield data[request.skip : request.skip + request.take]
            self.carried.read_ended(file, end + 1)
            if plays_on and (end + 1) % BLOCK == 0:  # a slice's shape: the next one is alike
                self._carry_on(sizes, file, end + 1, ask)
        finally:
            for _, chunk in pending:  # the client went away: stop asking Telegram
                chunk.cancel()

    def _carry_on(
        self,
        sizes: list[int],
        file: str,
        start: int,
        ask: Callable[[ChunkRequest], asyncio.Future[bytes]],
    ) -> None:
        """Ask for the read-ahead window after `start` and keep it for the next read."""
        end = min(sum(sizes), start + self.read_ahead * BLOCK) - 1
        if start > end:
            return
        for request in plan_range(sizes, start, end):
            key = chunk_key(file, request)
            if self.carried.wants(key):
                self.carried.keep(key, ask(request))

    def size(self, locator: Locator) -> int:
        return sum(part["size"] for part in self._parts(locator))

    def leftovers_sweep(self, *, idle_seconds: float) -> int:
        """Delete the messages of uploads that stopped (their process died): how many."""
        if self.journal is None:
            return 0
        deleted = 0
        for parts in self.journal.abandoned(idle_seconds=idle_seconds):
            try:
                self.loop.run(self._delete_parts(parts))
            except StorageError:
                self.journal.keep(parts)  # _delete_parts logged which; the next sweep retries
                continue
            deleted += len(parts)
        return deleted

    def delete(self, locator: Locator) -> None:
        self.loop.run(self._delete_parts(self._parts(locator)))

    # --- Start-up and checks ---

    def start(self) -> list[ChannelReport]:
        """Connect (and log in) every session; report the ones that cannot."""
        return self.loop.run(self.router.check([]))

    def channels_check(self, chat_ids: list[int], *, post: bool = False) -> list[ChannelReport]:
        """For every session and channel: can it see the channel and post there?

        With `post`, each session also posts a short message in each channel and deletes it.
        """
        return self.loop.run(self.router.check(chat_ids, post=post))

    def close(self) -> None:
        async def disconnect() -> None:
            for session in self.router.sessions:
                if session.client is not None:
                    await session.client.disconnect()

        self.loop.run(disconnect())
        self.loop.stop()

    # --- Upload ---

    async def _upload(
        self,
        path: Path,
        size: int,
        name: str,
        chat: int,
        report: Callable[[int], None],
        posted: Callable[[dict[str, int]], None],
    ) -> list[dict[str, int]]:
        pieces = split_sizes(size, self.max_file_bytes)
        stored: list[dict[str, int]] = []
        reported = 0
        try:
            for index, (offset, length) in enumerate(pieces):
                piece_name = name if len(pieces) == 1 else f"{name}.part{index + 1:03d}"

                def progress(sent: int, _total: int, base: int = offset) -> None:
                    nonlocal reported
                    if base + sent > reported:  # a piece restarted elsewhere catches up first
                        reported = base + sent
                        report(reported)

                stored.append(
                    await self.router.run(
                        partial(
                            self._upload_piece, path, offset, length, piece_name, chat, progress
                        ),
                        chat=chat,
                    )
                )
                posted(stored[-1])
        except BaseException:
            # A failed clean-up is logged with the message ids; the upload's error matters more.
            with contextlib.suppress(StorageError):
                await asyncio.shield(self._delete_parts(stored))
            raise
        return stored

    async def _upload_piece(
        self,
        path: Path,
        offset: int,
        length: int,
        name: str,
        chat: int,
        progress: Callable[[int, int], None],
        session: Session,
    ) -> dict[str, int]:
        peer = await self.router.peer(session, chat)
        uploaded = await parts_upload(
            session,
            path,
            offset,
            length,
            name,
            in_flight=self.upload_parts_in_flight,
            dc_cap=self.requests_per_dc,
            progress=progress,
        )
        try:
            message = await session.client.send_file(
                peer,
                uploaded,
                force_document=True,
                attributes=[types.DocumentAttributeFilename(name)],
            )
        except (errors.ChatWriteForbiddenError, errors.ChatAdminRequiredError) as exc:
            raise ChannelProblem(f"{session.name} may not post in channel {chat} ({exc})") from exc
        return {"chat": chat, "message": message.id, "size": length}

    async def _delete_parts(self, parts: list[dict[str, int]]) -> None:
        by_chat: dict[int, list[int]] = {}
        for part in parts:
            by_chat.setdefault(part["chat"], []).append(part["message"])
        for chat, messages in by_chat.items():

            async def delete(session: Session, chat: int = chat, ids: list = messages) -> None:
                await session.client.delete_messages(await self.router.peer(session, chat), ids)

            try:
                await self.router.run(delete, chat=chat, cooling_too=True)
            except StorageError as exc:
                log.error("telegram: could not delete messages %s in %s: %s", messages, chat, exc)
                raise

    # --- Ranged reads ---

    async def _read_chunk_on_loop(
        self, part: dict[str, int], request: ChunkRequest, preferred: str | None
    ) -> bytes:
        # The chunk's coroutine is made here, inside the task, so a task cancelled before it
        # starts leaves no coroutine un-awaited.
        return await self.loop.call(self._read_chunk(part, request, preferred))

    async def _read_chunk(
        self, part: dict[str, int], request: ChunkRequest, preferred: str | None
    ) -> bytes:
        work = partial(self._get_file, part, request.offset, request.limit)
        return await self.router.run(work, chat=part["chat"], preferred=preferred)

    async def _get_file(
        self, part: dict[str, int], offset: int, limit: int, session: Session
    ) -> bytes:
        key = (part["chat"], part["message"])
        for _ in range(3):
            location, dc = await self._location(session, part)
            request = functions.upload.GetFileRequest(
                location=location, offset=offset, limit=limit, precise=False, cdn_supported=False
            )
            try:
                async with session.dc_slot(dc, self.requests_per_dc):
                    result = await asyncio.wait_for(
                        self._send(session, dc, request), REQUEST_TIMEOUT_SECONDS
                    )
            except REFERENCE_ERRORS:
                session.locations.pop(key, None)  # fetch the message again for a fresh reference
                continue
            except errors.FileMigrateError as exc:
                session.locations[key] = (location, exc.new_dc)
                continue
            expected = min(limit, part["size"] - offset)
            if len(result.bytes) != expected:
                raise TelegramUnavailable(
                    f"Telegram sent {len(result.bytes)} bytes of {expected} for message "
                    f"{part['message']} at {offset}"
                )
            return result.bytes
        raise TelegramUnavailable(f"message {part['message']} in {part['chat']} keeps moving")

    async def _send(self, session: Session, dc: int, request: Any) -> Any:
        client = session.client
        if dc == client.session.dc_id:
            return await client(request)
        # Telethon's own downloads reach other DCs through a borrowed, authorised sender.
        sender = await client._borrow_exported_sender(dc)
        try:
            return await client._call(sender, request)
        finally:
            await client._return_exported_sender(sender)

    async def _location(self, session: Session, part: dict[str, int]) -> tuple[Any, int]:
        key = (part["chat"], part["message"])
        if key in session.locations:
            session.locations.move_to_end(key)
            return session.locations[key]
        peer = await self.router.peer(session, part["chat"])
        message = await session.client.get_messages(peer, ids=part["message"])
        document = getattr(getattr(message, "media", None), "document", None)
        if document is None or document.size != part["size"]:
            raise LocatorInvalid(
                f"message {part['message']} in channel {part['chat']} no longer holds the "
                f"{part['size']}-byte document stored there"
            )
        location = types.InputDocumentFileLocation(
            id=document.id,
            access_hash=document.access_hash,
            file_reference=document.file_reference,
            thumb_size="",
        )
        session.locations[key] = (location, document.dc_id)
        while len(session.locations) > LOCATIONS_PER_SESSION:
            session.locations.popitem(last=False)
        return session.locations[key]

    def _parts(self, locator: Locator) -> list[dict[str, int]]:
        if not isinstance(locator, dict) or locator.get("backend") != self.name:
            raise LocatorInvalid(f"not a telegram locator: {locator!r}")
        parts = locator.get("parts")
        if not isinstance(parts, list) or not parts:
            raise LocatorInvalid(f"not a telegram locator: {locator!r}")
        for part in parts:
            fields = ("chat", "message", "size")
            if not isinstance(part, dict) or not all(isinstance(part.get(k), int) for k in fields):
                raise LocatorInvalid(f"a telegram part needs chat, message and size: {part!r}")
        return parts
