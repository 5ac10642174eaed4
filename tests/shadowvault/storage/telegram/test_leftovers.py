"""What an upload to Telegram posted before its process died is found and deleted."""

from __future__ import annotations

import asyncio
import itertools
import threading

import pytest
from django.db import connection

from shadowvault.storage import StorageError
from shadowvault.storage.models import TelegramUpload
from shadowvault.storage.telegram import TelegramUnavailable
from shadowvault.storage.telegram.journal import UploadJournal
from tests.processes import wait_until
from tests.telegram_fake import FakeTelegram, MiB, fake_backend

pytestmark = pytest.mark.django_db(transaction=True)  # the upload runs in its own thread


@pytest.fixture
def telegram() -> FakeTelegram:
    server = FakeTelegram()
    server.account("bot-1")
    return server


@pytest.fixture
def channel(telegram):
    return telegram.channel("Vault", admins={"bot-1"})


@pytest.fixture
def source(tmp_path):
    path = tmp_path / "film.mkv"
    path.write_bytes(bytes(range(256)) * (10 * 1024))  # 2.5 MiB: three parts of 1 MiB at most
    return path


def stopping_at_second_post(telegram: FakeTelegram, gate: threading.Event):
    """Clients whose second post waits for `gate`: the upload stands where a worker killed
    between two parts left it."""
    posts = itertools.count(1)

    def client(spec, session):
        fake = telegram.client(spec, session)
        post = fake.send_file

        async def send_file(*args, **kwargs):
            if next(posts) == 2:
                await asyncio.to_thread(gate.wait)
            return await post(*args, **kwargs)

        fake.send_file = send_file
        return fake

    return client


def test_the_parts_of_an_upload_that_stopped_are_deleted(telegram, channel, source) -> None:
    gate = threading.Event()
    backend = fake_backend(telegram, channel, max_file_bytes=MiB, journal=UploadJournal())
    backend.router.client_factory = stopping_at_second_post(telegram, gate)
    outcome = []

    def upload() -> None:
        try:
            outcome.append(backend.put(source, name="film.mkv"))
        except StorageError as exc:
            outcome.append(exc)
        finally:
            connection.close()

    uploading = threading.Thread(target=upload)
    uploading.start()
    try:
        wait_until(
            lambda: [len(row.parts) for row in TelegramUpload.objects.all()] == [1],
            timeout=10,
            what="the first part posted",
        )
        assert list(channel.messages) == [1]

        # a running upload is left alone
        assert backend.leftovers_sweep(idle_seconds=3600) == 0
        assert list(channel.messages) == [1]
        # one that stopped long enough ago is not
        assert backend.leftovers_sweep(idle_seconds=0) == 1
        assert channel.messages == {}
        assert not TelegramUpload.objects.exists()
    finally:
        gate.set()
        uploading.join(timeout=10)
        backend.close()

    # and should it go on after all, it removes what it posted and fails, to be retried
    [error] = outcome
    assert isinstance(error, TelegramUnavailable)
    assert channel.messages == {}


def test_an_upload_that_ends_leaves_nothing_for_the_sweep(telegram, channel, source) -> None:
    backend = fake_backend(telegram, channel, max_file_bytes=MiB, journal=UploadJournal())
    try:
        locator = backend.put(source, name="film.mkv")
        assert not TelegramUpload.objects.exists()
        assert backend.leftovers_sweep(idle_seconds=0) == 0
    finally:
        backend.close()
    assert [part["message"] for part in locator["parts"]] == [1, 2, 3]
    assert list(channel.messages) == [1, 2, 3]
