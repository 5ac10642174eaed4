"""What the sessions learned, kept in the database so that a restart need not learn it again.

- A bot's login (its string session), encrypted: Telegram answers repeated bot logins with
  long FloodWaits.
- The access hash each session found for each channel (`finder`): a user session would
  otherwise search its dialogs again on every start.
- The @username or invite link a curator gave for a channel, for sessions that need it.
The backend calls the book from short-lived worker threads (`asyncio.to_thread`); every call
closes its thread's database connection, which would otherwise leak.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from cryptography.fernet import InvalidToken
from django.db import connection

from .sessions import SessionSpec, session_cipher

T = TypeVar("T")


def in_own_connection(function: Callable[..., T]) -> Callable[..., T]:
    @wraps(function)
    def call(*args: Any) -> T:
        try:
            return function(*args)
        finally:
            connection.close()

    return call


class SessionBook:
    @in_own_connection
    def login_load(self, spec: SessionSpec) -> str:
        """The string session a bot logged in with before, or "" (none kept, or unreadable)."""
        from ..models import TelegramLogin

        row = TelegramLogin.objects.filter(bot_id=spec.bot_id).first()
        if row is None:
            return ""
        try:
            return session_cipher().decrypt(row.session_encrypted.encode()).decode()
        except InvalidToken:  # the key changed: log in once more and store it again
            return ""

    @in_own_connection
    def login_save(self, spec: SessionSpec, string_session: str) -> None:
        from ..models import TelegramLogin

        token = session_cipher().encrypt(string_session.encode()).decode()
        TelegramLogin.objects.update_or_create(
            bot_id=spec.bot_id, defaults={"session_encrypted": token}
        )

    @in_own_connection
    def access_load(self, session: str, chat_id: int) -> int | None:
        from ..models import ChannelAccess

        rows = ChannelAccess.objects.filter(session=session, chat_id=chat_id)
        return rows.values_list("access_hash", flat=True).first()

    @in_own_connection
    def access_keep(self, session: str, chat_id: int, access_hash: int, found_by: str) -> None:
        from ..services import channel_access_keep

        channel_access_keep(
            session=session, chat_id=chat_id, access_hash=access_hash, found_by=found_by
        )

    @in_own_connection
    def access_forget(self, session: str, chat_id: int) -> None:
        from ..models import ChannelAccess

        ChannelAccess.objects.filter(session=session, chat_id=chat_id).delete()

    @in_own_connection
    def link(self, chat_id: int) -> str:
        """The @username or invite link a curator gave for the channel, or ""."""
        from ..models import StorageChannel

        links = StorageChannel.objects.filter(chat_id=chat_id).exclude(link="")
        return links.order_by("-created_at").values_list("link", flat=True).first() or ""
