"""Storage channels and what the Telegram sessions know about them, in the database."""

from __future__ import annotations

from .models import ChannelAccess, StorageChannel


def channel_register(
    *, tenant, chat_id: int, title: str, session: str = "", access_hash: int | None = None
) -> StorageChannel:
    """Make `chat_id` a storage channel of `tenant`; keep `session`'s access hash when known."""
    channel, _ = StorageChannel.objects.update_or_create(
        tenant=tenant, chat_id=chat_id, defaults={"title": title[:255], "enabled": True}
    )
    if session and access_hash is not None:
        from .telegram.finder import BY_REGISTER

        channel_access_keep(
            session=session, chat_id=chat_id, access_hash=access_hash, found_by=BY_REGISTER
        )
    return channel


def channel_access_keep(*, session: str, chat_id: int, access_hash: int, found_by: str) -> None:
    ChannelAccess.objects.update_or_create(
        session=session,
        chat_id=chat_id,
        defaults={"access_hash": access_hash, "found_by": found_by},
    )
