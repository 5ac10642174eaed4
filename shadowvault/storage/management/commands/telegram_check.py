"""Connect every Telegram session and report whether it can read and post in each channel."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from shadowvault.storage import StorageError
from shadowvault.storage.telegram import setup as telegram_setup
from shadowvault.storage.telegram.client import key_fingerprint, server_key


class Command(BaseCommand):
    help = (
        "Connect every session of TELEGRAM_BOT_TOKENS / TELEGRAM_SESSIONS and report, per "
        "session and storage channel, whether it can see the channel and post there."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--post",
            action="store_true",
            help="Post a short message in every channel from every session and delete it, so "
            "that posting is proven, not inferred from the session's rights.",
        )

    def handle(self, *args, **options) -> None:
        try:
            backend = telegram_setup.telegram_backend(check_channels=False)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        self.server_describe()
        try:
            channels = telegram_setup.configured_channels()
            if not channels:
                self.stderr.write(
                    "No storage channel is configured: add one in admin (Storage channels) "
                    "or set TELEGRAM_DEFAULT_CHANNEL. Checking the logins only."
                )
            reports = backend.channels_check(channels, post=options["post"])
        finally:
            backend.close()
        for report in reports:
            where = f"{report.chat_id} “{report.title}”" if report.chat_id else "login"
            verdict = report.problem or (
                "ok: can read, posted and deleted a test message"
                if options["post"]
                else "ok: can read and post"
            )
            self.stdout.write(f"{report.session:<20} {where:<40} {verdict}")
        failed = [report for report in reports if report.problem]
        if failed:
            raise CommandError(f"{len(failed)} problem(s) found; see above.")

    def server_describe(self) -> None:
        """Which server the sessions connect to, and the key they trust (when not Telegram)."""
        if not settings.TELEGRAM_SERVER:
            return
        line = f"server {settings.TELEGRAM_SERVER}"
        if settings.TELEGRAM_SERVER_PUBLIC_KEY:
            try:
                key = server_key(settings.TELEGRAM_SERVER_PUBLIC_KEY)
                line += f", key fingerprint {key_fingerprint(key)}"
            except StorageError:
                line += ", key unreadable (see each session below)"
        self.stdout.write(line)
