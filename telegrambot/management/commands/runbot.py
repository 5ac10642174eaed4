"""Run the Telegram bot (/register, /leech, /status) on the first bot token."""

from __future__ import annotations

import asyncio

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from library.models import Tenant
from shadowvault.storage.telegram.book import SessionBook
from shadowvault.storage.telegram.client import telethon_client
from shadowvault.storage.telegram.sessions import sessions_from_settings
from telegrambot.bot import StorageBot


class Command(BaseCommand):
    help = "Run the Telegram bot: /register a storage channel, /leech <url>, /status."

    def handle(self, *args, **options) -> None:
        try:
            bots = [spec for spec in sessions_from_settings() if spec.is_bot]
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        if not bots:
            raise CommandError("runbot needs a bot token in TELEGRAM_BOT_TOKENS.")
        if not settings.TELEGRAM_ADMIN_IDS:
            raise CommandError("Set TELEGRAM_ADMIN_IDS: the Telegram user ids the bot obeys.")
        bot = StorageBot(
            admin_ids=set(settings.TELEGRAM_ADMIN_IDS), tenant=bot_tenant(), session=bots[0].name
        )
        asyncio.run(self.run(bots[0], bot))

    async def run(self, spec, bot: StorageBot) -> None:
        book = SessionBook()
        client = telethon_client(spec, await sync_to_async(book.login_load)(spec), updates=True)
        await client.start(bot_token=spec.bot_token)
        await sync_to_async(book.login_save)(spec, client.session.save())
        for builder, handler in bot.handlers():
            client.add_event_handler(handler, builder)
        self.stdout.write(f"{spec.name} is listening for /register, /leech and /status")
        await client.run_until_disconnected()


def bot_tenant() -> Tenant:
    name = settings.TELEGRAM_BOT_TENANT
    tenants = list(Tenant.objects.filter(name=name)[:2] if name else Tenant.objects.all()[:2])
    if len(tenants) != 1:
        raise CommandError(
            f"No tenant {name!r}."
            if name
            else "Set TELEGRAM_BOT_TENANT: there are several tenants."
        )
    return tenants[0]
