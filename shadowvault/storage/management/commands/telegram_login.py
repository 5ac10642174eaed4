"""Log a Telegram user account in and print its string session for TELEGRAM_SESSIONS."""

from __future__ import annotations

import asyncio
from getpass import getpass

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from shadowvault.storage.telegram.client import telethon_client
from shadowvault.storage.telegram.sessions import SessionSpec


class Command(BaseCommand):
    help = (
        "Log a user account in (phone number and code at the prompt) and print a string "
        "session to add to TELEGRAM_SESSIONS. Nothing is written to disk."
    )

    def handle(self, *args, **options) -> None:
        if not (settings.TELEGRAM_API_ID and settings.TELEGRAM_API_HASH):
            raise CommandError(
                "Set TELEGRAM_API_ID and TELEGRAM_API_HASH first (from my.telegram.org)."
            )
        string_session, username = asyncio.run(self.login())
        self.stderr.write(f"Logged in as {username}. Add this to TELEGRAM_SESSIONS:")
        self.stdout.write(string_session)

    async def login(self) -> tuple[str, str]:
        client = telethon_client(SessionSpec(name="login"), "")
        await client.start(
            phone=lambda: input("Phone number (international format, +...): "),
            code_callback=lambda: input("The code Telegram sent you: "),
            password=lambda: getpass("Two-step verification password: "),
        )
        try:
            me = await client.get_me()
            return client.session.save(), me.username or str(me.id)
        finally:
            await client.disconnect()
