"""What the storage layer keeps in the database: tenants' storage channels, bot logins, and
the messages uploads to Telegram have posted while they run."""

from __future__ import annotations

from django.db import models


class StorageChannel(models.Model):
    """A Telegram channel a tenant's files are uploaded to (the newest enabled one is used)."""

    tenant = models.ForeignKey(
        "library.Tenant", on_delete=models.CASCADE, related_name="storage_channels"
    )
    # The marked id Telethon uses for channels: -100 followed by the channel's id.
    chat_id = models.BigIntegerField()
    title = models.CharField(max_length=255, blank=True)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "chat_id"], name="channel_unique_per_tenant")
        ]

    def __str__(self) -> str:
        return f"{self.title or 'channel'} ({self.chat_id})"


class TelegramLogin(models.Model):
    """The session a bot token logged in with, encrypted, so restarts do not log in again.

    Telegram answers repeated bot logins with long FloodWaits. `bot_id` is the public part of
    the token; the token itself is never stored.
    """

    bot_id = models.BigIntegerField(unique=True)
    session_encrypted = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"bot {self.bot_id}"


class TelegramUpload(models.Model):
    """The messages an upload to Telegram has posted so far, kept while it runs.

    The row goes when the upload hands its locator over. One whose worker died stays, stops
    being touched, and beat's leftovers sweep deletes its messages (`telegram_journal`).
    """

    parts = models.JSONField(default=list, help_text='[{"chat": ..., "message": ..., ...}]')
    touched_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"upload {self.pk} ({len(self.parts)} part(s) posted)"
