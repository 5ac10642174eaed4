"""What can go wrong talking to Telegram, sorted by what the caller should do about it."""

from __future__ import annotations

import asyncio

from telethon import errors

from ..base import StorageError

# The session must wait: cool it down and move the work to another one.
FLOOD_ERRORS = (errors.FloodWaitError, errors.FloodPremiumWaitError)
# The network or a DC failed this once: the same request may succeed when sent again.
TRANSIENT_ERRORS = (
    ConnectionError,
    OSError,
    asyncio.TimeoutError,
    errors.ServerError,
    errors.TimedOutError,
    errors.RpcCallFailError,
)
# The session's access hash for a channel no longer works (it left, was removed, or the hash
# was wrong): forget the hash, so the next check looks for the channel again.
LOST_CHANNEL_ERRORS = (errors.ChannelInvalidError, errors.ChannelPrivateError)


class TelegramUnavailable(StorageError):
    """Telegram cannot serve this now (floods, outages); retry after `retry_after` seconds."""

    permanent = False

    def __init__(self, message: str, *, retry_after: int = 5) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ChannelProblem(StorageError):
    """A session cannot see or post to a storage channel; the message says which and why."""
