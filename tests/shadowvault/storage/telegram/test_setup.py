"""Sessions from settings, bot logins kept encrypted, channel wiring and the two commands."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command

from shadowvault import storage
from shadowvault.storage.models import StorageChannel, TelegramLogin
from shadowvault.storage.telegram import ChannelProblem, TelegramBackend
from shadowvault.storage.telegram import setup as telegram_setup
from shadowvault.storage.telegram.sessions import sessions_from_settings
from tests.telegram_fake import FakeTelegram

BOT_A, BOT_B = "111:secret-a", "222:secret-b"


@pytest.fixture
def telegram(wire_settings) -> FakeTelegram:
    """A fake Telegram behind the project's one Telethon chokepoint, and settings using it."""
    server = FakeTelegram()
    server.account("bot-111")
    server.account("bot-222")
    server.account("alice", is_bot=False)
    return wire_settings(server, bots=[BOT_A, BOT_B])


def test_sessions_come_from_settings_with_names_that_hide_secrets(telegram, settings) -> None:
    settings.TELEGRAM_BOT_TOKENS = [BOT_A, f" {BOT_A} ", BOT_B]
    settings.TELEGRAM_SESSIONS = ["fake:alice"]

    specs = sessions_from_settings()

    assert [spec.name for spec in specs] == ["bot-111", "bot-222", specs[2].name]
    assert specs[2].name.startswith("user-")
    assert "secret" not in repr(specs)
    assert "alice" not in repr(specs)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"TELEGRAM_BOT_TOKENS": [], "TELEGRAM_SESSIONS": []},
            "TELEGRAM_BOT_TOKENS or TELEGRAM_SESSIONS",
        ),
        ({"TELEGRAM_API_ID": 0}, "TELEGRAM_API_ID and TELEGRAM_API_HASH"),
        ({"TELEGRAM_BOT_TOKENS": ["not-a-token"]}, "not a bot token"),
    ],
)
def test_bad_session_settings_name_the_variable(telegram, settings, changes, message) -> None:
    for name, value in changes.items():
        setattr(settings, name, value)
    with pytest.raises(ImproperlyConfigured, match=message):
        sessions_from_settings()


@pytest.mark.django_db(transaction=True)
def test_a_bot_logs_in_once_and_its_session_is_kept_encrypted(telegram, settings) -> None:
    settings.TELEGRAM_BOT_TOKENS = [BOT_A]

    telegram_setup.telegram_backend().close()
    telegram_setup.telegram_backend().close()  # a restart

    assert telegram.bot_logins["bot-111"] == 1
    row = TelegramLogin.objects.get(bot_id=111)
    assert "fake:bot-111" not in row.session_encrypted
    assert "secret-a" not in row.session_encrypted

    # a new key cannot read the old login: the bot logs in once more and the row is replaced
    settings.TELEGRAM_SESSION_KEY = "x" * 43 + "="
    telegram_setup.telegram_backend().close()
    telegram_setup.telegram_backend().close()
    assert telegram.bot_logins["bot-111"] == 2


def test_a_session_key_that_is_not_a_fernet_key_is_refused(telegram, settings) -> None:
    settings.TELEGRAM_SESSION_KEY = "too short"
    with pytest.raises(ImproperlyConfigured, match="TELEGRAM_SESSION_KEY must be a Fernet key"):
        telegram_setup.telegram_backend()


def test_uploads_go_to_the_tenants_newest_enabled_channel(
    telegram, tenant, other_tenant, settings
) -> None:
    StorageChannel.objects.create(tenant=tenant, chat_id=-1001, title="old")
    StorageChannel.objects.create(tenant=tenant, chat_id=-1002, title="new")
    StorageChannel.objects.create(tenant=tenant, chat_id=-1003, title="off", enabled=False)
    settings.TELEGRAM_DEFAULT_CHANNEL = -1009

    assert telegram_setup.tenant_channel(tenant.id) == -1002
    assert telegram_setup.tenant_channel(other_tenant.id) == -1009
    settings.TELEGRAM_DEFAULT_CHANNEL = 0
    with pytest.raises(ChannelProblem, match="has no storage channel"):
        telegram_setup.tenant_channel(other_tenant.id)


@pytest.mark.django_db(transaction=True)
def test_storage_backend_builds_the_telegram_backend_and_stores_a_file(telegram, tmp_path) -> None:
    from library.models import Tenant

    tenant = Tenant.objects.create(name="T")
    channel = telegram.channel("Vault T", admins={"bot-111", "bot-222"})
    StorageChannel.objects.create(tenant=tenant, chat_id=channel.marked_id, title="Vault T")
    path = tmp_path / "f.bin"
    path.write_bytes(b"x" * 5000)

    backend = storage.storage_backend()
    try:
        assert isinstance(backend, TelegramBackend)
        locator = backend.put(path, name="f.bin", tenant_id=tenant.id)
    finally:
        backend.close()

    assert locator["parts"][0]["chat"] == channel.marked_id
    assert telegram.stored_bytes(channel.marked_id, 1) == b"x" * 5000
    assert [s.name for s in backend.router.sessions] == storage.session_pool().sessions


@pytest.mark.django_db(transaction=True)  # logins are saved from the backend's own thread
def test_telegram_check_reports_each_session_and_channel(telegram, tenant) -> None:
    good = telegram.channel("Good", admins={"bot-111", "bot-222"})
    half = telegram.channel("Half", admins={"bot-111"}, members={"bot-222"})
    StorageChannel.objects.create(tenant=tenant, chat_id=good.marked_id)
    StorageChannel.objects.create(tenant=tenant, chat_id=half.marked_id)
    out = io.StringIO()

    with pytest.raises(CommandError, match="1 problem"):
        call_command("telegram_check", stdout=out)

    lines = out.getvalue().splitlines()
    assert len(lines) == 4
    assert sum("ok: can read and post" in line for line in lines) == 3
    assert any(line.startswith("bot-222") and "not an admin of “Half”" in line for line in lines)


@pytest.mark.django_db(transaction=True)
def test_telegram_check_passes_when_all_is_well(telegram, tenant) -> None:
    good = telegram.channel("Good", admins={"bot-111", "bot-222"})
    StorageChannel.objects.create(tenant=tenant, chat_id=good.marked_id)
    out = io.StringIO()

    call_command("telegram_check", stdout=out)

    assert out.getvalue().count("ok: can read and post") == 2


@pytest.mark.django_db(transaction=True)
def test_telegram_check_post_proves_posting_where_rights_alone_mislead(
    telegram, tenant, settings
) -> None:
    good = telegram.channel("Good", admins={"bot-111", "bot-222"})
    muted = telegram.channel("Muted", admins={"bot-111"})
    muted.posting_refused = True
    StorageChannel.objects.create(tenant=tenant, chat_id=good.marked_id)
    StorageChannel.objects.create(tenant=tenant, chat_id=muted.marked_id)
    settings.TELEGRAM_BOT_TOKENS = [BOT_A]
    call_command("telegram_check", stdout=io.StringIO())  # the rights look fine everywhere
    out = io.StringIO()

    with pytest.raises(CommandError, match="1 problem"):
        call_command("telegram_check", "--post", stdout=out)

    good_line, muted_line = sorted(out.getvalue().splitlines(), key=lambda line: "Muted" in line)
    assert "ok: can read, posted and deleted a test message" in good_line
    assert "bot-111 could not post in “Muted”" in muted_line
    assert [m["chat"].channel_id for m in telegram.sent] == [good.id]
    assert good.messages == {}  # the test message is gone again


@pytest.mark.django_db(transaction=True)  # bot logins are read from the backend's threads
def test_a_bad_server_key_is_one_error_line_per_session_at_start_up(settings, caplog) -> None:
    settings.STORAGE_BACKEND = "telegram"
    settings.TELEGRAM_API_ID, settings.TELEGRAM_API_HASH = 1, "hash"
    settings.TELEGRAM_BOT_TOKENS, settings.TELEGRAM_SESSIONS = [BOT_A, BOT_B], []
    settings.TELEGRAM_SERVER_PUBLIC_KEY = "-----BEGIN RSA PUBLIC KEY-----\nnot base64\n"

    telegram_setup.telegram_backend().close()  # the real Telethon client: no network reached

    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert [message.split()[1] for message in errors] == ["bot-111", "bot-222"]
    assert all("TELEGRAM_SERVER_PUBLIC_KEY is not an RSA public key" in m for m in errors)


def test_telegram_check_without_sessions_says_what_to_set(telegram, settings, db) -> None:
    settings.TELEGRAM_BOT_TOKENS = []
    with pytest.raises(CommandError, match="TELEGRAM_BOT_TOKENS or TELEGRAM_SESSIONS"):
        call_command("telegram_check")


def test_telegram_login_needs_api_credentials(settings) -> None:
    settings.TELEGRAM_API_ID = 0
    with pytest.raises(CommandError, match="TELEGRAM_API_ID and TELEGRAM_API_HASH"):
        call_command("telegram_login")


def test_telegram_server_settings_point_a_real_client_elsewhere(settings) -> None:
    import rsa as rsa_keys
    from telethon.crypto import rsa as telethon_rsa

    from shadowvault.storage.telegram.client import telethon_client
    from shadowvault.storage.telegram.sessions import bot_spec

    public, _ = rsa_keys.newkeys(512)
    settings.TELEGRAM_API_ID, settings.TELEGRAM_API_HASH = 1, "hash"
    settings.TELEGRAM_SERVER = "2:[::1]:4430"
    settings.TELEGRAM_SERVER_PUBLIC_KEY = public.save_pkcs1().decode()

    client = telethon_client(bot_spec(BOT_A), "")  # built, not connected

    assert (client.session.dc_id, client.session.server_address, client.session.port) == (
        2,
        "::1",
        4430,
    )
    assert telethon_rsa._compute_fingerprint(public) in telethon_rsa._server_keys
    assert client.flood_sleep_threshold == 0  # floods come back to the backend, never slept


@pytest.mark.parametrize("value", ["2:host", "x:host:443", "2::443"])
def test_a_malformed_telegram_server_is_refused(value) -> None:
    from shadowvault.storage.telegram.client import parse_server

    with pytest.raises(ImproperlyConfigured, match="dc_id:host:port"):
        parse_server(value)
