"""The Telegram bot, fed events built from Telethon's own event and message types."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.db import connections
from telethon import events, utils
from telethon.tl import types

from ingest.models import IngestJob
from shadowvault.storage.models import ChannelAccess, StorageChannel
from telegrambot.bot import StorageBot
from tests.telegram_fake import NOW, FakeTelegram

ADMIN, STRANGER = 4242, 777


@pytest.fixture
def telegram() -> FakeTelegram:
    server = FakeTelegram()
    server.account("bot-111")
    return server


@pytest.fixture
def client(telegram):
    client = telegram.client(None, "fake:bot-111")
    asyncio.run(client.connect())
    return client


def new_message(client, *, chat, sender: int, text: str) -> events.NewMessage.Event:
    """What Telethon hands a handler: an Event around a Message, with the chat's entity."""
    peer = (
        types.PeerChannel(chat.id)
        if isinstance(chat, types.Channel)
        else types.PeerChat(chat.id)
        if isinstance(chat, types.Chat)
        else types.PeerUser(chat.id)
    )
    message = types.Message(
        id=7, peer_id=peer, date=NOW, message=text, from_id=types.PeerUser(sender), out=False
    )
    event = events.NewMessage.Event(message)
    event._entities = {utils.get_peer_id(chat): chat}
    event._set_client(client)
    return event


def dispatch(bot: StorageBot, event) -> None:
    """Route the event as Telethon does: the first handler whose builder's filter passes."""

    async def run() -> None:
        try:
            for builder, handler in bot.handlers():
                builder.resolved = True  # no chat filter to resolve
                if builder.filter(event):
                    await handler(event)
                    return
        finally:  # the handlers' database work ran in asgiref's thread: close its connection
            await sync_to_async(connections.close_all)()

    asyncio.run(run())


@pytest.fixture
def bot(tenant) -> StorageBot:
    return StorageBot(admin_ids={ADMIN}, tenant=tenant, session="bot-111", poll_seconds=0.01)


@pytest.mark.django_db(transaction=True)
def test_register_makes_the_chat_a_storage_channel(bot, client, telegram, tenant) -> None:
    vault = telegram.channel("Vault A", admins={"bot-111"})

    dispatch(
        bot,
        new_message(client, chat=telegram.entity("bot-111", vault), sender=ADMIN, text="/register"),
    )

    channel = StorageChannel.objects.get()
    assert (channel.tenant, channel.chat_id, channel.title) == (tenant, vault.marked_id, "Vault A")
    assert telegram.sent[-1]["text"] == "“Vault A” is now a storage channel of Tenant A."
    assert telegram.sent[-1]["reply_to"] == 7
    # the bot's hash for the chat is kept: its storage session will not look for it
    access = ChannelAccess.objects.get()
    assert (access.session, access.chat_id, access.found_by) == (
        "bot-111",
        vault.marked_id,
        "register",
    )
    assert access.access_hash == telegram.access_hash("bot-111", vault)


@pytest.mark.django_db(transaction=True)
def test_a_registered_supergroup_stores_files_without_any_lookup(
    bot, client, telegram, tenant, tmp_path
) -> None:
    from shadowvault.storage.telegram import TelegramBackend
    from shadowvault.storage.telegram.book import SessionBook
    from shadowvault.storage.telegram.sessions import bot_spec

    group = telegram.channel("Vault group", admins={"bot-111"}, megagroup=True)
    dispatch(
        bot,
        new_message(client, chat=telegram.entity("bot-111", group), sender=ADMIN, text="/register"),
    )
    path = tmp_path / "f.bin"
    path.write_bytes(b"stored in a supergroup" * 1000)
    backend = TelegramBackend(
        [bot_spec("111:secret")],
        client_factory=telegram.client,
        channel_of=lambda _tenant: group.marked_id,
        book=SessionBook(),
        max_file_bytes=2000 * 1024 * 1024,
    )
    try:
        locator = backend.put(path, name="f.bin")
    finally:
        backend.close()

    assert (
        telegram.stored_bytes(group.marked_id, locator["parts"][0]["message"]) == path.read_bytes()
    )
    assert telegram.lookups == []


@pytest.mark.django_db(transaction=True)
def test_register_refuses_a_basic_group(bot, client, telegram) -> None:
    group = types.Chat(
        id=4321,
        title="Old group",
        photo=types.ChatPhotoEmpty(),
        participants_count=3,
        date=NOW,
        version=1,
    )

    dispatch(bot, new_message(client, chat=group, sender=ADMIN, text="/register"))

    assert not StorageChannel.objects.exists()
    assert "“Old group” is a basic group" in telegram.sent[-1]["text"]


@pytest.mark.django_db(transaction=True)
def test_register_says_so_when_the_bot_is_not_an_admin(bot, client, telegram) -> None:
    group = telegram.channel("Just members", members={"bot-111"}, megagroup=True)

    dispatch(
        bot,
        new_message(client, chat=telegram.entity("bot-111", group), sender=ADMIN, text="/register"),
    )

    assert not StorageChannel.objects.exists()
    assert "I am not an admin of “Just members”" in telegram.sent[-1]["text"]


@pytest.mark.django_db(transaction=True)
def test_only_configured_admins_are_obeyed(bot, client, telegram) -> None:
    vault = telegram.channel("Vault A", admins={"bot-111"})

    dispatch(
        bot,
        new_message(
            client, chat=telegram.entity("bot-111", vault), sender=STRANGER, text="/register"
        ),
    )
    dispatch(
        bot,
        new_message(
            client,
            chat=telegram.entity("bot-111", vault),
            sender=STRANGER,
            text="/leech http://93.184.216.34/a.mkv",
        ),
    )

    assert not StorageChannel.objects.exists()
    assert not IngestJob.objects.exists()
    assert [m["text"] for m in telegram.sent] == [
        "Only ShadowVault's admins may register storage channels.",
        "Only ShadowVault's admins may leech.",
    ]


@pytest.mark.django_db(transaction=True)
def test_leech_refuses_inner_urls_with_the_reason(bot, client, telegram) -> None:
    me = types.User(id=ADMIN, first_name="Admin", access_hash=1)

    dispatch(bot, new_message(client, chat=me, sender=ADMIN, text="/leech http://10.0.0.1/x.mkv"))

    assert (
        telegram.sent[-1]["text"]
        == "Refused: 10.0.0.1 is a private address; only public internet addresses may be fetched"
    )
    assert not IngestJob.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_leech_edits_its_reply_with_progress_until_the_job_ends(
    bot, client, telegram, tenant, settings, monkeypatch
) -> None:
    import threading

    settings.INGEST_ALLOW_HOSTS = ["127.0.0.1:8765"]
    monkeypatch.setattr(
        "ingest.services.transaction.on_commit", lambda callback: None
    )  # no worker here
    me = types.User(id=ADMIN, first_name="Admin", access_hash=1)

    def a_worker_moves_the_job() -> None:  # what the pipeline would write as it goes
        from django.db import connection

        job = None
        while job is None:
            job = IngestJob.objects.first()
        for state, progress in (("fetching", 50.0), ("fetching", 100.0), ("failed", 0.0)):
            threading.Event().wait(0.1)
            IngestJob.objects.filter(id=job.id).update(
                state=state, progress=progress, error="boom" if state == "failed" else ""
            )
        connection.close()

    mover = threading.Thread(target=a_worker_moves_the_job)
    mover.start()
    dispatch(
        bot,
        new_message(client, chat=me, sender=ADMIN, text="/leech http://127.0.0.1:8765/film.mkv"),
    )
    mover.join()

    reply = telegram.sent[-1]
    job = IngestJob.objects.get()
    assert reply["text"] == f"Job {job.id}: queued"
    assert any(" 50.0%  fetching" in edit for edit in reply["edits"])
    assert reply["edits"][-1] == f"Job {job.id} ended failed: boom"


@pytest.mark.django_db(transaction=True)
def test_status_reports_queues_and_jobs(bot, client, telegram, tenant, redis_client) -> None:
    IngestJob.objects.create(tenant=tenant, url="http://93.184.216.34/a", state="fetching")
    redis_client.lpush("fetch", "x")
    me = types.User(id=ADMIN, first_name="Admin", access_hash=1)

    dispatch(bot, new_message(client, chat=me, sender=ADMIN, text="/status"))

    text = telegram.sent[-1]["text"]
    assert "fetch 1" in text
    assert "Jobs: fetching 1" in text


def test_runbot_says_what_it_needs(settings) -> None:
    from django.core.management import CommandError, call_command

    settings.TELEGRAM_API_ID, settings.TELEGRAM_API_HASH = 1, "h"
    settings.TELEGRAM_BOT_TOKENS, settings.TELEGRAM_SESSIONS = [], ["fake:alice"]
    with pytest.raises(CommandError, match="needs a bot token"):
        call_command("runbot")
    settings.TELEGRAM_BOT_TOKENS, settings.TELEGRAM_ADMIN_IDS = ["111:a"], []
    with pytest.raises(CommandError, match="TELEGRAM_ADMIN_IDS"):
        call_command("runbot")
