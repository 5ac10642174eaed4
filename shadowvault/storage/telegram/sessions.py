"""The Telegram sessions of the pool, as settings describe them.

A session is either a bot token or a user's string session; none lives in a session file.
Each has a stable, non-secret name (`bot-<bot id>` or `user-<hash>`) that the viewer pool, the
logs and the database (`book`) use. A bot's login is kept encrypted with `session_cipher`.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class SessionSpec:
    name: str
    bot_token: str = ""  # set for bots
    string_session: str = ""  # set for user accounts

    @property
    def is_bot(self) -> bool:
        return bool(self.bot_token)

    @property
    def bot_id(self) -> int:
        return int(self.bot_token.split(":", 1)[0])

    def __repr__(self) -> str:  # never print a secret
        return f"SessionSpec({self.name})"


def bot_spec(token: str) -> SessionSpec:
    bot_id, _, secret = token.strip().partition(":")
    if not (bot_id.isdigit() and secret):
        raise ImproperlyConfigured(
            "TELEGRAM_BOT_TOKENS holds a value that is not a bot token (<bot id>:<secret>)."
        )
    return SessionSpec(name=f"bot-{bot_id}", bot_token=token.strip())


def user_spec(string_session: str) -> SessionSpec:
    digest = hashlib.sha256(string_session.strip().encode()).hexdigest()[:10]
    return SessionSpec(name=f"user-{digest}", string_session=string_session.strip())


def sessions_from_settings() -> list[SessionSpec]:
    """Every configured session, bots first, without duplicates; no network is touched."""
    specs = [bot_spec(t) for t in settings.TELEGRAM_BOT_TOKENS if t.strip()]
    specs += [user_spec(s) for s in settings.TELEGRAM_SESSIONS if s.strip()]
    unique = list({spec.name: spec for spec in specs}.values())
    if not unique:
        raise ImproperlyConfigured(
            "STORAGE_BACKEND=telegram needs TELEGRAM_BOT_TOKENS or TELEGRAM_SESSIONS."
        )
    if not (settings.TELEGRAM_API_ID and settings.TELEGRAM_API_HASH):
        raise ImproperlyConfigured(
            "STORAGE_BACKEND=telegram needs TELEGRAM_API_ID and TELEGRAM_API_HASH "
            "(from my.telegram.org)."
        )
    return unique


def session_cipher() -> Fernet:
    key = settings.TELEGRAM_SESSION_KEY
    if not key:
        digest = hashlib.sha256(b"shadowvault telegram logins\0" + settings.SECRET_KEY.encode())
        key = base64.urlsafe_b64encode(digest.digest()).decode()
    try:
        return Fernet(key)
    except ValueError as exc:
        raise ImproperlyConfigured(
            "TELEGRAM_SESSION_KEY must be a Fernet key (urlsafe base64 of 32 bytes)."
        ) from exc
