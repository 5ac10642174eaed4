"""A fake Telegram with two bots and a storage channel, and settings wired to a fake."""

from __future__ import annotations

import pytest

from shadowvault import storage
from shadowvault.storage.telegram import setup as telegram_setup
from tests.telegram_fake import FakeTelegram


@pytest.fixture
def telegram() -> FakeTelegram:
    server = FakeTelegram(latency=0.002)
    server.account("bot-111")
    server.account("bot-222")
    return server


@pytest.fixture
def channel(telegram):
    return telegram.channel("Vault A", admins={"bot-111", "bot-222"})


@pytest.fixture
def wire_settings(settings, monkeypatch):
    """`wire_settings(server, bots=[...], sessions=[...])`: the settings name those sessions,
    and the project's one Telethon chokepoint builds clients of the fake `server`."""

    def wire(server: FakeTelegram, *, bots=(), sessions=()) -> FakeTelegram:
        settings.STORAGE_BACKEND = "telegram"
        settings.TELEGRAM_API_ID, settings.TELEGRAM_API_HASH = 12345, "0123456789abcdef"
        settings.TELEGRAM_BOT_TOKENS, settings.TELEGRAM_SESSIONS = list(bots), list(sessions)
        settings.TELEGRAM_DEFAULT_CHANNEL = 0
        monkeypatch.setattr(telegram_setup, "telethon_client", server.client)
        storage.storage_backend.cache_clear()
        storage.session_pool.cache_clear()
        return server

    yield wire
    storage.storage_backend.cache_clear()
    storage.session_pool.cache_clear()
