"""The Telegram bot: register storage channels, leech from a chat, see what the system does.

Commands, for the user ids in TELEGRAM_ADMIN_IDS only:
- `/register` in a channel or supergroup: it becomes a storage channel of TELEGRAM_BOT_TENANT
  (the bot says so when it is not an admin there, or cannot post), and the bot's access hash
  for it is kept, so the storage session of the same bot never has to look for it;
- `/leech <url>`: an ingest job; the bot's reply is edited with the progress until it ends;
- `/status`: queue lengths, jobs by state, viewers per storage session.
Handlers are plain coroutines on Telethon's `events.NewMessage` events; `runbot` wires them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import redis
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db.models import Count
from telethon import events
from telethon.tl import types

from shadowvault.storage.services import channel_register

log = logging.getLogger(__name__)
PROGRESS_EDIT_SECONDS = 3.0
Handler = Callable[[events.NewMessage.Event], Awaitable[None]]


class StorageBot:
    def __init__(
        self,
        *,
        admin_ids: set[int],
        tenant,
        session: str,
        poll_seconds: float = PROGRESS_EDIT_SECONDS,
    ) -> None:
        self.admin_ids = admin_ids
        self.tenant = tenant
        self.session = session  # the pool's name for this bot (bot-<id>)
        self.poll_seconds = poll_seconds

    def handlers(self) -> list[tuple[events.NewMessage, Handler]]:
        return [
            (events.NewMessage(pattern=r"^/register(?:@\w+)?\s*$"), self.on_register),
            (events.NewMessage(pattern=r"^/leech(?:@\w+)?\s+(\S+)\s*$"), self.on_leech),
            (events.NewMessage(pattern=r"^/status(?:@\w+)?\s*$"), self.on_status),
        ]

    def allowed(self, event) -> bool:
        return event.sender_id is not None and event.sender_id in self.admin_ids

    async def on_register(self, event) -> None:
        if not self.allowed(event):
            await event.reply("Only ShadowVault's admins may register storage channels.")
            return
        if event.is_private:
            await event.reply("Send /register in the group or channel to store files in.")
            return
        chat = await event.get_chat()
        title = getattr(chat, "title", "") or str(event.chat_id)
        if not isinstance(chat, types.Channel):
            await event.reply(
                f"“{title}” is a basic group: files are stored in channels and supergroups. "
                "Make it a supergroup (or use a channel), then /register again."
            )
            return
        permissions = await event.client.get_permissions(chat, "me")
        if not permissions.is_admin or (
            getattr(chat, "broadcast", False) and not permissions.post_messages
        ):
            await event.reply(
                f"I am not an admin of “{title}” with the right to post: "
                "make me one, then /register again."
            )
            return
        await sync_to_async(channel_register)(
            tenant=self.tenant,
            chat_id=event.chat_id,
            title=title,
            session=self.session,
            access_hash=None if chat.min else chat.access_hash,
        )
        await event.reply(f"“{title}” is now a storage channel of {self.tenant.name}.")

    async def on_leech(self, event) -> None:
        from ingest.services import job_create
        from ingest.url_guard import URLRefused

        if not self.allowed(event):
            await event.reply("Only ShadowVault's admins may leech.")
            return
        url = event.pattern_match.group(1)
        try:
            job = await sync_to_async(job_create)(tenant=self.tenant, url=url)
        except (URLRefused, ValueError) as exc:
            await event.reply(f"Refused: {getattr(exc, 'reason', exc)}")
            return
        message = await event.reply(f"Job {job.id}: queued")
        await self.follow(job, message)

    async def follow(self, job, message) -> None:
        from ingest.management.commands.leech import progress_line
        from ingest.models import IngestJob

        finished = (*IngestJob.FINISHED, IngestJob.State.NEEDS_REVIEW)
        shown = ""
        while True:
            await sync_to_async(job.refresh_from_db)()
            text = f"Job {job.id}: {progress_line(job).strip()}"
            if job.state in finished:
                text = await sync_to_async(job_summary)(job)
            if text != shown:
                await message.edit(text)
                shown = text
            if job.state in finished:
                return
            await asyncio.sleep(self.poll_seconds)

    async def on_status(self, event) -> None:
        if not self.allowed(event):
            await event.reply("Only ShadowVault's admins may see the status.")
            return
        await event.reply(await sync_to_async(status_text)())


def job_summary(job) -> str:
    if job.state != "ready":
        return f"Job {job.id} ended {job.get_state_display().lower()}: {job.error}"
    names = [item.clean_name for item in job.items.all()]
    return f"Job {job.id} is ready: " + ", ".join(names)


def status_text() -> str:
    from ingest.models import IngestJob
    from shadowvault.celery import QUEUES
    from shadowvault.storage import session_pool

    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2)
    queues = ", ".join(f"{queue} {client.llen(queue)}" for queue in QUEUES)
    jobs = dict(IngestJob.objects.values_list("state").annotate(n=Count("id")))
    running = ", ".join(f"{state} {count}" for state, count in sorted(jobs.items())) or "none"
    lines = [f"Queues: {queues}", f"Jobs: {running}"]
    pool = session_pool()
    if pool is not None:
        load = ", ".join(
            f"{name} {viewers}/{pool.cap}" for name, viewers in pool.session_load().items()
        )
        lines.append(f"Viewers per session: {load}")
    return "\n".join(lines)
