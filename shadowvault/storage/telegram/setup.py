"""Wiring the Telegram backend and the viewer pool from settings and the database."""

from __future__ import annotations

import redis
from django.conf import settings

from ..pool import SessionPool
from .backend import ChannelProblem, TelegramBackend
from .book import SessionBook
from .client import telethon_client
from .journal import UploadJournal
from .sessions import session_cipher, sessions_from_settings


def tenant_channel(tenant_id: int | None) -> int:
    """The channel a tenant's uploads go to: its newest enabled one, else the default."""
    from ..models import StorageChannel

    channels = StorageChannel.objects.filter(tenant_id=tenant_id, enabled=True)
    chat_id = channels.order_by("-created_at").values_list("chat_id", flat=True).first()
    if chat_id is None:
        chat_id = settings.TELEGRAM_DEFAULT_CHANNEL
    if not chat_id:
        raise ChannelProblem(
            f"tenant {tenant_id} has no storage channel: register one (add a StorageChannel "
            "in admin) or set TELEGRAM_DEFAULT_CHANNEL"
        )
    return chat_id


def configured_channels() -> list[int]:
    from ..models import StorageChannel

    chat_ids = set(StorageChannel.objects.filter(enabled=True).values_list("chat_id", flat=True))
    if settings.TELEGRAM_DEFAULT_CHANNEL:
        chat_ids.add(settings.TELEGRAM_DEFAULT_CHANNEL)
    return sorted(chat_ids)


def telegram_pool() -> SessionPool:
    return SessionPool(
        redis.Redis.from_url(settings.REDIS_URL),
        [spec.name for spec in sessions_from_settings()],
        cap=settings.TELEGRAM_USERS_PER_SESSION,
        lease_seconds=settings.TELEGRAM_VIEWER_LEASE_SECONDS,
    )


def telegram_backend(*, check_channels: bool = True) -> TelegramBackend:
    """The backend over every configured session, connected, its channels found.

    Problems with a session (cannot connect: a bad server key, not logged in) or a channel
    (not found, not an admin) are logged here, one line each, and raised with the same words
    by the upload that needs that session or channel.
    """
    from .. import session_pool

    specs = sessions_from_settings()
    if any(spec.is_bot for spec in specs):
        session_cipher()  # a bad TELEGRAM_SESSION_KEY fails here, by name, not at first login
    backend = TelegramBackend(
        specs,
        client_factory=telethon_client,
        channel_of=tenant_channel,
        book=SessionBook(),
        pool=session_pool(),
        max_file_bytes=settings.TELEGRAM_MAX_FILE_BYTES,
        read_ahead=settings.TELEGRAM_READ_AHEAD,
        carry_limit=settings.TELEGRAM_CARRY_CHUNKS,
        requests_per_dc=settings.TELEGRAM_REQUESTS_PER_DC,
        upload_parts_in_flight=settings.TELEGRAM_UPLOAD_PARTS_IN_FLIGHT,
        journal=UploadJournal(),
    )
    if check_channels:
        backend.channels_check(configured_channels())
    return backend
