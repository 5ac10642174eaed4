"""Storing what the web-version step made: a lossless remux leaves one stored copy."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest import webversion
from ingest.jobs import job_claim
from ingest.models import WebVersionJob
from ingest.webversion import web_version_prepare, web_work_dir
from library.models import MediaFile
from shadowvault.storage import StorageBackend, storage_backend
from shadowvault.storage.filesystem import FilesystemBackend
from shadowvault.storage.telegram.backend import TelegramBackend
from shadowvault.storage.telegram.sessions import bot_spec
from tests.factories import MediaFileFactory, TitleFactory
from tests.ingest.conftest import make_clip
from tests.telegram_fake import FakeTelegram, MemoryBook, MiB

pytestmark = pytest.mark.django_db


@pytest.fixture
def vault(settings, tmp_path) -> Iterator[FilesystemBackend]:
    settings.STORAGE_BACKEND = "filesystem"
    settings.VAULT_ROOT = tmp_path / "vault"
    settings.INGEST_WORK_ROOT = tmp_path / "work"
    storage_backend.cache_clear()
    yield storage_backend()
    storage_backend.cache_clear()


def stored_original(backend: StorageBackend, tmp_path: Path) -> tuple[MediaFile, WebVersionJob]:
    """A stored H.264/AAC Matroska original and its claimed job, the sanitised file handed
    over to the step."""
    source = make_clip(tmp_path / "film.mkv", tags=False)
    locator = backend.put(source, name="film.mkv")
    original = MediaFileFactory(
        title=TitleFactory(),
        name="Film (2001) [240p].mkv",
        storage=backend.name,
        locator=locator,
        sha256=hashlib.sha256(source.read_bytes()).hexdigest(),
        size=source.stat().st_size,
    )
    job = WebVersionJob.objects.create(tenant=original.title.tenant, media_file=original)
    job = job_claim(job.id, states=("queued",), running="preparing", owner="t", model=WebVersionJob)
    web_work_dir(job.id).mkdir(parents=True)
    shutil.copyfile(source, web_work_dir(job.id) / "source")
    return original, job


def test_a_lossless_remux_replaces_the_stored_original_and_no_copy_is_left(
    vault, tmp_path, django_capture_on_commit_callbacks
) -> None:
    original, job = stored_original(vault, tmp_path)

    with django_capture_on_commit_callbacks(execute=True):
        replaced = web_version_prepare(job)

    # then the MP4 took the original's place, and it is the one file the vault holds
    assert (replaced.id, replaced.profile, replaced.mime) == (original.id, "remux", "video/mp4")
    stored = [path for path in (vault.root / "objects").rglob("*") if path.is_file()]
    assert stored == [vault.path_of(replaced.locator)]
    assert hashlib.sha256(stored[0].read_bytes()).hexdigest() == replaced.sha256
    assert replaced.size == stored[0].stat().st_size
    assert not list(web_work_dir(job.id).glob("*.mp4"))  # handed over, not copied
    assert not any((vault.root / "incoming").iterdir())


def test_on_telegram_the_remux_is_listed_with_its_own_size_and_hash(
    settings, tmp_path, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    # given a Telegram vault (a backend that does not hash for the caller)
    settings.INGEST_WORK_ROOT = tmp_path / "work"
    telegram = FakeTelegram()
    telegram.account("bot-111")
    channel = telegram.channel("Vault", admins={"bot-111"})
    backend = TelegramBackend(
        [bot_spec("111:secret")],
        client_factory=telegram.client,
        channel_of=lambda tenant_id: channel.marked_id,
        book=MemoryBook(),
        max_file_bytes=2000 * MiB,
    )
    monkeypatch.setattr(webversion, "storage_backend", lambda: backend)
    try:
        original, job = stored_original(backend, tmp_path)

        with django_capture_on_commit_callbacks(execute=True):
            replaced = web_version_prepare(job)
    finally:
        backend.close()

    # then the channel holds the MP4 alone, listed with its size and hash
    assert (replaced.id, replaced.profile, replaced.storage) == (original.id, "remux", "telegram")
    [part] = replaced.locator["parts"]
    assert list(channel.messages) == [part["message"]]
    data = telegram.stored_bytes(channel.marked_id, part["message"])
    assert (replaced.size, replaced.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert not list(web_work_dir(job.id).glob("*.mp4"))
