"""What the storage layer keeps in the database: tenants' storage channels, bot logins, the
access hash each Telegram session found for each channel, and the messages uploads to Telegram
have posted while they run."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models


def channel_link_validate(value: str) -> None:
    from .telegram.finder import link_parse

    try:
        link_parse(value)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc


def channel_id_validate(value: int) -> None:
    if not str(value).startswith("-100"):
        raise ValidationError(
            f"{value} is not a channel's id: channels and supergroups have ids starting with -100"
        )


class StorageChannel(models.Model):
    """A Telegram channel a tenant's files are uploaded to (the newest enabled one is used)."""

    tenant = models.ForeignKey(
        "library.Tenant", on_delete=models.CASCADE, related_name="storage_channels"
    )
    # The marked id Telethon uses for channels: -100 followed by the channel's id.
    chat_id = models.BigIntegerField(validators=[channel_id_validate])
    title = models.CharField(max_length=255, blank=True)
    link = models.CharField(
        max_length=255,
        blank=True,
        validators=[channel_link_validate],
        help_text="The channel's @username or an invite link (https://t.me/+…), for sessions "
        "that cannot find it otherwise: user accounts not yet in it join through the link.",
    )
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


class ChannelAccess(models.Model):
    """The access hash one Telegram session found for one channel, kept so no restart looks again.

    Telegram gives every account its own hash for a channel, and requests naming the channel
    need it. `session` is the pool's name for the session (`bot-<id>`, `user-<hash>`). Deleting
    a row makes that session look for the channel again.
    """

    session = models.CharField(max_length=64)
    chat_id = models.BigIntegerField()
    access_hash = models.BigIntegerField()
    # dialogs, zero-hash (bots, by id), username, invite or register (the bot's /register)
    found_by = models.CharField(max_length=16)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "channel accesses"
        constraints = [
            models.UniqueConstraint(fields=["session", "chat_id"], name="access_unique_per_session")
        ]

    def __str__(self) -> str:
        return f"{self.session} in {self.chat_id}"


class TelegramUpload(models.Model):
    """The messages an upload to Telegram has posted so far, kept while it runs.

    The row goes when the upload hands its locator over. One whose worker died stays, stops
    being touched, and beat's leftovers sweep deletes its messages (`telegram.journal`).
    """

    parts = models.JSONField(default=list, help_text='[{"chat": ..., "message": ..., ...}]')
    touched_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"upload {self.pk} ({len(self.parts)} part(s) posted)"
