"""Every way a session finds a storage channel, against the strict fake: a user session cannot
name a channel by id alone (CHANNEL_INVALID, as on Telegram), a bot can; what is found is kept
per session and channel, so a restart does not look again."""

from __future__ import annotations

import asyncio
import io
import os

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from shadowvault.storage.models import ChannelAccess, StorageChannel
from shadowvault.storage.telegram import TelegramBackend
from shadowvault.storage.telegram import setup as telegram_setup
from shadowvault.storage.telegram.finder import Link, link_parse
from shadowvault.storage.telegram.sessions import bot_spec, user_spec
from tests.telegram_fake import FakeTelegram, MemoryBook, MiB

ALICE = "fake:alice"  # a user account's string session


@pytest.fixture
def telegram() -> FakeTelegram:
    server = FakeTelegram()
    server.account("alice", is_bot=False)
    server.account("bot-111")
    return server


def backend_of(telegram, chat: int, *, sessions=(ALICE,), book=None) -> TelegramBackend:
    specs = [
        bot_spec(s) if ":" in s and not s.startswith("fake:") else user_spec(s) for s in sessions
    ]
    return TelegramBackend(
        specs,
        client_factory=telegram.client,
        channel_of=lambda _tenant: chat,
        book=book if book is not None else MemoryBook(),
        max_file_bytes=2000 * MiB,
    )


def round_trip(
    backend: TelegramBackend, tmp_path, size: int = MiB + 4321, tenant_id: int | None = None
) -> None:
    """Store a file and read it back whole: the session named the channel right throughout."""
    path = tmp_path / "f.bin"
    path.write_bytes(os.urandom(size))
    locator = backend.put(path, name="f.bin", tenant_id=tenant_id)

    async def read() -> bytes:
        return b"".join([c async for c in backend.open_range(locator, 0, size - 1)])

    assert asyncio.run(read()) == path.read_bytes()


def test_the_fake_refuses_a_zero_hash_to_a_user_as_telegram_does(telegram) -> None:
    vault = telegram.channel("Vault", admins={"alice", "bot-111"})

    async def by_id_alone(session: str):
        client = telegram.client(None, session)
        await client.connect()
        return await client.get_entity(vault.marked_id)  # what the backend did before

    with pytest.raises(ValueError, match="Could not find the input entity"):
        asyncio.run(by_id_alone(ALICE))
    assert asyncio.run(by_id_alone("fake:bot-111")).access_hash == telegram.access_hash(
        "bot-111", vault
    )


def test_a_user_session_finds_its_channel_among_its_dialogs_once_and_keeps_it(
    telegram, tmp_path
) -> None:
    vault = telegram.channel("Vault", admins={"alice"})
    telegram.channel("Elsewhere", members={"alice"})
    book = MemoryBook()
    backend = backend_of(telegram, vault.marked_id, book=book)
    try:
        reports = backend.channels_check([vault.marked_id])
        round_trip(backend, tmp_path, size=4 * MiB)  # parallel parts and reads, one lookup
    finally:
        backend.close()

    assert [r.problem for r in reports] == [""]
    assert telegram.lookups == [("alice", "dialogs")]
    name = user_spec(ALICE).name
    assert book.hashes[(name, vault.marked_id)] == (telegram.access_hash("alice", vault), "dialogs")


def test_a_bot_finds_its_channel_by_id_with_a_zero_hash(telegram, tmp_path) -> None:
    vault = telegram.channel("Vault", admins={"bot-111"})
    book = MemoryBook()
    backend = backend_of(telegram, vault.marked_id, sessions=("111:x",), book=book)
    try:
        round_trip(backend, tmp_path)
    finally:
        backend.close()

    assert telegram.lookups == [("bot-111", "zero-hash")]
    assert book.hashes[("bot-111", vault.marked_id)][1] == "zero-hash"


def test_a_supergroup_stores_files_like_a_broadcast_channel(telegram, tmp_path) -> None:
    group = telegram.channel("Vault group", admins={"alice", "bot-111"}, megagroup=True)
    backend = backend_of(telegram, group.marked_id, sessions=(ALICE, "111:x"))
    try:
        reports = backend.channels_check([group.marked_id], post=True)
        round_trip(backend, tmp_path)
    finally:
        backend.close()

    assert [(r.title, r.problem) for r in reports] == [("Vault group", "")] * 2
    assert len(group.messages) == 1  # the stored file; both test posts were deleted


def test_a_curators_username_finds_the_channel_without_searching_dialogs(telegram) -> None:
    vault = telegram.channel("Public vault", admins={"alice"}, username="pubvault")
    backend = backend_of(telegram, vault.marked_id, book=MemoryBook({vault.marked_id: "@pubvault"}))
    try:
        reports = backend.channels_check([vault.marked_id])
    finally:
        backend.close()

    assert reports[0].problem == ""
    assert telegram.lookups == [("alice", "username")]


def test_an_invite_link_lets_a_user_session_join_and_keeps_its_hash(telegram) -> None:
    vault = telegram.channel("Private vault", admins={"bot-111"}, invite="AbCdEf123456")
    book = MemoryBook({vault.marked_id: "https://t.me/+AbCdEf123456"})
    backend = backend_of(telegram, vault.marked_id, book=book)
    try:
        reports = backend.channels_check([vault.marked_id])
    finally:
        backend.close()

    assert "alice" in vault.members  # joined through the link
    assert [way for _, way in telegram.lookups] == [
        "CheckChatInviteRequest",
        "ImportChatInviteRequest",
    ]
    assert book.access_load(user_spec(ALICE).name, vault.marked_id) == telegram.access_hash(
        "alice", vault
    )
    # found, but a member cannot store files yet: the report says what the curator does next
    assert "is not an admin of “Private vault”" in reports[0].problem


def test_a_session_that_cannot_find_the_channel_says_what_to_do(telegram) -> None:
    hidden = telegram.channel("Hidden", admins={"bot-111"})
    backend = backend_of(telegram, hidden.marked_id, sessions=(ALICE, "111:x"))
    try:
        reports = {r.session: r.problem for r in backend.channels_check([hidden.marked_id])}
    finally:
        backend.close()

    assert "cannot find channel" in reports[user_spec(ALICE).name]
    assert "give the channel's @username or invite link in admin" in reports[user_spec(ALICE).name]
    assert reports["bot-111"] == ""


def test_a_kept_hash_that_stopped_working_is_forgotten_and_looked_for_again(telegram) -> None:
    vault = telegram.channel("Vault", admins={"alice"})
    book = MemoryBook()
    book.access_keep(user_spec(ALICE).name, vault.marked_id, 12345, "dialogs")  # wrong hash
    backend = backend_of(telegram, vault.marked_id, book=book)
    try:
        first = backend.channels_check([vault.marked_id])
        second = backend.channels_check([vault.marked_id])
    finally:
        backend.close()

    assert "cannot see channel" in first[0].problem
    assert second[0].problem == ""
    assert telegram.lookups == [("alice", "dialogs")]


@pytest.mark.parametrize(
    ("text", "link"),
    [
        ("@pub_vault", Link("username", "pub_vault")),
        ("https://t.me/pub_vault", Link("username", "pub_vault")),
        ("t.me/+AbCdEf123456", Link("invite", "AbCdEf123456")),
        ("https://t.me/joinchat/AbCdEf123456", Link("invite", "AbCdEf123456")),
    ],
)
def test_links_a_curator_may_give(text, link) -> None:
    assert link_parse(text) == link


@pytest.mark.parametrize(
    "text", ["pub_vault", "https://example.com/+AbCdEf123456", "@ab", "@x/../y"]
)
def test_other_links_are_refused_in_admin(text, tenant) -> None:
    channel = StorageChannel(tenant=tenant, chat_id=-1001234, link=text)
    with pytest.raises(ValidationError, match="neither a @username nor an invite link"):
        channel.full_clean()


def test_a_chat_that_is_not_a_channel_is_refused_in_admin(tenant) -> None:
    with pytest.raises(ValidationError, match="not a channel's id"):
        StorageChannel(tenant=tenant, chat_id=-4321).full_clean()


@pytest.fixture
def user_settings(telegram, wire_settings) -> FakeTelegram:
    """The wiring from settings and the database, with the user session `alice`."""
    return wire_settings(telegram, sessions=[ALICE])


@pytest.mark.django_db(transaction=True)  # the book writes from the backend's threads
def test_a_restart_uses_the_kept_hash_and_looks_for_nothing(
    user_settings, tenant, tmp_path
) -> None:
    telegram = user_settings
    vault = telegram.channel("Vault", admins={"alice"}, megagroup=True)
    StorageChannel.objects.create(tenant=tenant, chat_id=vault.marked_id, title="Vault")
    telegram_setup.telegram_backend().close()  # the first start looks once
    assert telegram.lookups == [("alice", "dialogs")]
    assert ChannelAccess.objects.get().found_by == "dialogs"

    backend = telegram_setup.telegram_backend()  # a restart: new process, new clients
    try:
        round_trip(backend, tmp_path, tenant_id=tenant.id)
    finally:
        backend.close()
    out = io.StringIO()
    call_command("telegram_check", stdout=out)

    assert telegram.lookups == [("alice", "dialogs")]  # nothing looked up since
    assert "ok: can read and post" in out.getvalue()
