"""Telegram as a storage backend: files as documents in channels, read back in aligned chunks.

- `backend`: `TelegramBackend`, the storage contract over Telegram (upload, ranged reads).
- `router`: which session does a piece of work (connecting, floods, channel access).
- `sessions`: the sessions settings describe, and the bot logins kept in the database.
- `client`: Telethon clients built from settings, and the event-loop thread they live on.
- `ranges`: byte ranges planned as `upload.getFile` requests Telegram accepts.
- `carry`: read-ahead carried from one range read to the next.
- `setup`: the backend and the viewer pool wired from settings and the database.
"""

from __future__ import annotations

from .backend import ChannelProblem, ChannelReport, TelegramBackend, TelegramUnavailable

__all__ = ["ChannelProblem", "ChannelReport", "TelegramBackend", "TelegramUnavailable"]
