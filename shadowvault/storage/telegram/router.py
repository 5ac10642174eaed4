"""Which Telegram session does a piece of work: connecting, floods, channel access.

`SessionRouter.run(work, chat=...)` hands `work` a connected session that is not cooling down
and can use the channel, preferring the one named (a viewer's session) and otherwise the least
busy. A FloodWait (or FLOOD_PREMIUM_WAIT) cools that session down, here and in the shared
viewer pool, and the work moves on to the next session; so does a network failure. A channel
the session cannot see is remembered and reported by name.

`peer(session, chat)` names a channel the way that session may: with the access hash it found
once (`finder`) and the book keeps, so no restart looks for it again.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from telethon import errors
from telethon.tl import types

from ..base import StorageError
from .finder import access_find, channel_id
from .problems import (
    FLOOD_ERRORS,
    LOST_CHANNEL_ERRORS,
    TRANSIENT_ERRORS,
    ChannelProblem,
    TelegramUnavailable,
)
from .sessions import SessionSpec

__all__ = [
    "FLOOD_ERRORS",
    "TRANSIENT_ERRORS",
    "ChannelProblem",
    "ChannelReport",
    "Session",
    "SessionRouter",
    "TelegramUnavailable",
]

log = logging.getLogger(__name__)
T = TypeVar("T")
PROBE_TEXT = "ShadowVault checks that {session} may post here; this message deletes itself."


class Book(Protocol):
    """Where the router keeps what sessions learn (`book.SessionBook`: the database)."""

    def login_load(self, spec: SessionSpec) -> str: ...
    def login_save(self, spec: SessionSpec, string_session: str) -> None: ...
    def access_load(self, session: str, chat_id: int) -> int | None: ...
    def access_keep(self, session: str, chat_id: int, access_hash: int, found_by: str) -> None: ...
    def access_forget(self, session: str, chat_id: int) -> None: ...
    def link(self, chat_id: int) -> str: ...


@dataclass(eq=False)
class Session:
    spec: SessionSpec
    client: Any = None
    cooling_until: float = 0.0
    in_flight: int = 0
    connect_lock: asyncio.Lock | None = None
    find_lock: asyncio.Lock | None = None
    dc_slots: dict[int, asyncio.Semaphore] = field(default_factory=dict)
    peers: dict[int, types.InputPeerChannel] = field(default_factory=dict)
    blocked_chats: set[int] = field(default_factory=set)
    # (chat, message) -> (InputDocumentFileLocation, dc id), least recently used first
    locations: OrderedDict[tuple[int, int], tuple[Any, int]] = field(default_factory=OrderedDict)

    @property
    def name(self) -> str:
        return self.spec.name

    def dc_slot(self, dc: int, cap: int) -> asyncio.Semaphore:
        """The cap on this session's requests in flight to one DC, reads and uploads alike."""
        return self.dc_slots.setdefault(dc, asyncio.Semaphore(cap))


@dataclass(frozen=True)
class ChannelReport:
    session: str
    chat_id: int
    title: str
    problem: str  # "" when the session can read and post there


class SessionRouter:
    def __init__(
        self,
        specs: list[SessionSpec],
        *,
        client_factory: Callable[[SessionSpec, str], Any],
        book: Book,
        pool: Any = None,
        clock: Callable[[], float],
    ) -> None:
        if not specs:
            raise ValueError("the Telegram backend needs at least one session")
        self.sessions = [Session(spec) for spec in specs]
        self.client_factory = client_factory
        self.book = book
        self.pool = pool
        self.clock = clock

    async def check(self, chat_ids: list[int], *, post: bool = False) -> list[ChannelReport]:
        reports = []
        for session in self.sessions:
            try:
                await self.connect(session)
            except (StorageError, *TRANSIENT_ERRORS, errors.RPCError) as exc:
                problem = f"{session.name} cannot connect: {exc}"
                reports.append(ChannelReport(session.name, 0, "", problem))
                continue
            for chat_id in chat_ids:
                reports.append(await self.channel_report(session, chat_id, post=post))
        for report in reports:
            if report.problem:
                log.error("telegram: %s", report.problem)
        return reports

    async def channel_report(
        self, session: Session, chat_id: int, *, post: bool = False
    ) -> ChannelReport:
        try:
            peer = await self.peer(session, chat_id)
            channel = await session.client.get_entity(peer)
            permissions = await session.client.get_permissions(peer, "me")
        except ChannelProblem as exc:
            return ChannelReport(session.name, chat_id, "", str(exc))
        except LOST_CHANNEL_ERRORS as exc:
            await self.forget(session, chat_id)
            problem = f"{session.name} cannot see channel {chat_id}: {exc}"
            return ChannelReport(session.name, chat_id, "", problem)
        except errors.RPCError as exc:
            problem = f"{session.name} cannot check channel {chat_id}: {exc}"
            return ChannelReport(session.name, chat_id, "", problem)
        title = getattr(channel, "title", "") or str(chat_id)
        problem = ""
        if not permissions.is_admin:
            problem = f"{session.name} is not an admin of “{title}” ({chat_id}); make it one"
        elif getattr(channel, "broadcast", False) and not permissions.post_messages:
            problem = f"{session.name} may not post in “{title}” ({chat_id}); allow it to post"
        elif post:
            problem = await self.post_probe(session, peer, title)
        if problem:
            session.blocked_chats.add(chat_id)
        else:
            session.blocked_chats.discard(chat_id)
        return ChannelReport(session.name, chat_id, title, problem)

    async def post_probe(self, session: Session, peer: Any, title: str) -> str:
        """Post a short message in the channel and delete it: "" when both work."""
        client = session.client
        try:
            text = PROBE_TEXT.format(session=session.name)
            message = await client.send_message(peer, text, silent=True)  # no one is notified
        except errors.RPCError as exc:
            return f"{session.name} could not post in “{title}”: {exc}"
        try:
            await client.delete_messages(peer, [message.id])
        except errors.RPCError as exc:
            return (
                f"{session.name} posted in “{title}” but could not delete its test message "
                f"{message.id} ({exc}); delete it by hand and allow it to delete messages"
            )
        return ""

    async def connect(self, session: Session) -> None:
        if session.connect_lock is None:
            session.connect_lock = asyncio.Lock()
        async with session.connect_lock:
            if session.client is not None:
                return
            spec = session.spec
            saved = await asyncio.to_thread(self.book.login_load, spec) if spec.is_bot else ""
            client = self.client_factory(spec, saved or spec.string_session)
            await client.connect()
            if not await client.is_user_authorized():
                if not spec.is_bot:
                    await client.disconnect()
                    raise StorageError(
                        f"{spec.name} is not logged in; make a new string session with "
                        "`manage.py telegram_login` and put it in TELEGRAM_SESSIONS"
                    )
                await client.sign_in(bot_token=spec.bot_token)
                await asyncio.to_thread(self.book.login_save, spec, client.session.save())
                log.info("telegram: %s logged in; its session is kept for next time", spec.name)
            session.client = client

    def pick(
        self, chat: int, preferred: str | None, tried: set[str], cooling_too: bool = False
    ) -> Session | None:
        now = self.clock()
        free = [
            s
            for s in self.sessions
            if s.name not in tried
            and (cooling_too or s.cooling_until <= now)
            and chat not in s.blocked_chats
        ]
        for session in free:
            if session.name == preferred:
                return session
        return min(free, key=lambda s: s.in_flight, default=None)

    async def cool(self, session: Session, seconds: int) -> None:
        seconds = max(1, seconds)
        session.cooling_until = self.clock() + seconds
        log.warning(
            "telegram: %s must wait %d s (flood); using other sessions", session.name, seconds
        )
        if self.pool is not None:
            await asyncio.to_thread(self.pool.session_cooldown, session.name, seconds)

    async def run(
        self,
        work: Callable[[Session], Awaitable[T]],
        *,
        chat: int,
        preferred: str | None = None,
        cooling_too: bool = False,
    ) -> T:
        """Run `work` on a free session; on a flood or a failure move on to the next one.

        `cooling_too` admits sessions in a cooldown: Telegram's flood waits are per method,
        so a session waiting out an upload flood can still delete messages.
        """
        tried: set[str] = set()
        last_error: StorageError | None = None
        while (session := self.pick(chat, preferred, tried, cooling_too)) is not None:
            tried.add(session.name)
            try:
                await self.connect(session)
                session.in_flight += 1
                try:
                    return await work(session)
                finally:
                    session.in_flight -= 1
            except FLOOD_ERRORS as exc:
                await self.cool(session, exc.seconds)
                last_error = TelegramUnavailable(str(exc), retry_after=exc.seconds)
            except ChannelProblem as exc:
                session.blocked_chats.add(chat)
                last_error = exc
            except LOST_CHANNEL_ERRORS as exc:
                await self.forget(session, chat)
                session.blocked_chats.add(chat)
                last_error = ChannelProblem(f"{session.name} lost channel {chat} ({exc})")
            except TRANSIENT_ERRORS as exc:
                last_error = TelegramUnavailable(f"{session.name}: {exc!r}")
            except errors.RPCError as exc:
                raise StorageError(f"Telegram refused {session.name}'s request: {exc}") from exc
        if last_error is not None and not isinstance(last_error, TelegramUnavailable):
            raise last_error
        raise TelegramUnavailable(
            f"no Telegram session can serve channel {chat} now", retry_after=self.retry_after()
        )

    def retry_after(self) -> int:
        waits = [s.cooling_until - self.clock() for s in self.sessions]
        return max(1, int(min(waits) + 0.999))

    async def peer(self, session: Session, chat: int) -> types.InputPeerChannel:
        """How `session` names channel `chat` in requests: its id and the session's hash."""
        if chat not in session.peers:
            if session.find_lock is None:
                session.find_lock = asyncio.Lock()
            async with session.find_lock:  # parallel reads and parts look once, not each
                if chat not in session.peers:
                    session.peers[chat] = await self._peer_find(session, chat)
        return session.peers[chat]

    async def _peer_find(self, session: Session, chat: int) -> types.InputPeerChannel:
        found_by = ""
        try:
            bare = channel_id(chat)
            access_hash = await asyncio.to_thread(self.book.access_load, session.name, chat)
            if access_hash is None:
                link = await asyncio.to_thread(self.book.link, chat)
                access_hash, found_by = await access_find(
                    session.client, chat=chat, is_bot=session.spec.is_bot, link=link
                )
        except ChannelProblem as exc:
            raise ChannelProblem(f"{session.name} {exc}") from exc
        if found_by:
            await asyncio.to_thread(
                self.book.access_keep, session.name, chat, access_hash, found_by
            )
            log.info("telegram: %s found channel %s (%s); kept", session.name, chat, found_by)
        return types.InputPeerChannel(bare, access_hash)

    async def forget(self, session: Session, chat: int) -> None:
        """The session's hash for `chat` stopped working: the next check looks again."""
        session.peers.pop(chat, None)
        await asyncio.to_thread(self.book.access_forget, session.name, chat)
        log.warning("telegram: %s lost channel %s; it will be looked for again", session.name, chat)
