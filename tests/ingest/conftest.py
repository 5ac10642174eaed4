"""Real parts for the leech pipeline: aria2c, ffmpeg-made clips, a local web server, a worker."""

from __future__ import annotations

import secrets
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from ingest.models import IngestJob
from tests import processes, tmdb_fixture
from tests.media_fixture import MediaServer

FINISHED = (*IngestJob.FINISHED, IngestJob.State.NEEDS_REVIEW)


def make_clip(path: Path, *, seconds: int = 4, size: str = "320x240", tags: bool = True) -> Path:
    """A small H.264 + AAC clip carrying the tags a release group would leave behind."""
    command = [
        "ffmpeg",
        "-v",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        f"testsrc=duration={seconds}:size={size}:rate=25",
        "-f",
        "lavfi",
        "-i",
        f"sine=frequency=440:duration={seconds}",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-shortest",
    ]
    if tags:
        command += [
            "-metadata",
            "title=Ripped by EVILGROUP",
            "-metadata",
            "comment=visit evil.example",
            "-metadata:s:v:0",
            "title=EVILGROUP video",
            "-metadata:s:a:0",
            "language=eng",
            "-metadata:s:a:0",
            "title=EVILGROUP audio",
        ]
    subprocess.run([*command, str(path)], check=True)
    return path


@pytest.fixture(scope="session")
def media_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("media")
    make_clip(root / "Night.of.the.Living.Dead.1968.mp4")
    (root / "Night.of.the.Living.Dead.1968.en.srt").write_text(
        "1\n00:00:01,000 --> 00:00:02,000\nHello\n"
    )
    make_clip(root / "notes.txt.mp4", seconds=1)
    (root / "not-a-video.mp4").write_bytes(b"this is text, not a video\n" * 100)
    return root


@pytest.fixture(scope="session")
def media_server(media_root) -> Iterator[MediaServer]:
    server = MediaServer(media_root, address="127.0.0.2")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def aria2(tmp_path_factory) -> Iterator[tuple[str, str]]:
    secret = secrets.token_hex(16)
    with processes.aria2_daemon(port=processes.free_port(), secret=secret) as url:
        yield url, secret


@pytest.fixture(scope="module")
def ingest_env(
    django_db_setup,
    django_db_blocker,
    redis_url,
    aria2,
    media_server,
    tmdb_server,
    tmp_path_factory,
) -> dict[str, str]:
    """The settings a worker and the test process share."""
    with django_db_blocker.unblock():
        database_name = connection.settings_dict["NAME"]
    rpc_url, secret = aria2
    return {
        "REDIS_URL": redis_url,
        "TEST_DATABASE_NAME": str(database_name),
        "ARIA2_RPC_URL": rpc_url,
        "ARIA2_RPC_SECRET": secret,
        "INGEST_ALLOW_HOSTS": media_server.host,
        "INGEST_WORK_ROOT": str(tmp_path_factory.mktemp("work")),
        "INGEST_LEASE_SECONDS": "3",
        "INGEST_STALL_SECONDS": "8",
        "VAULT_ROOT": str(tmp_path_factory.mktemp("vault")),
        "STORAGE_BACKEND": "filesystem",
        "TMDB_API_BASE_URL": tmdb_server.base_url,
        "TMDB_API_KEY": tmdb_fixture.API_KEY,
        "TMDB_MAX_RETRIES": "0",
    }


@pytest.fixture(scope="module")
def ingest_worker(ingest_env) -> Iterator[None]:
    with processes.celery_worker(
        env=ingest_env, queues="default,fetch,media,upload", name="ingest"
    ):
        yield


@pytest.fixture(scope="module")
def torrent_worker(ingest_env) -> Iterator[None]:
    """The BitTorrent fetches' own worker, as `make run` has one: threads, several slots."""
    with processes.celery_worker(
        env=ingest_env, queues="torrent", name="torrent", pool="threads", concurrency=2
    ):
        yield


@pytest.fixture
def ingest_settings(settings, ingest_env, tmdb_settings) -> None:
    """This process's settings as the worker's, so both agree on the guard and paths."""
    settings.ARIA2_RPC_URL = ingest_env["ARIA2_RPC_URL"]
    settings.ARIA2_RPC_SECRET = ingest_env["ARIA2_RPC_SECRET"]
    settings.INGEST_ALLOW_HOSTS = [ingest_env["INGEST_ALLOW_HOSTS"]]
    settings.INGEST_WORK_ROOT = Path(ingest_env["INGEST_WORK_ROOT"])
    settings.INGEST_LEASE_SECONDS = 3
    settings.VAULT_ROOT = Path(ingest_env["VAULT_ROOT"])
    settings.STORAGE_BACKEND = "filesystem"


def job_wait(job: IngestJob, *, timeout: float = 90) -> IngestJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.state in FINISHED:
            return job
        time.sleep(0.2)
    raise TimeoutError(f"job {job.id} still {job.state} after {timeout} s ({job.error})")
