"""A Telegram-stored film through the real gateway: web takes the viewer's slot in the session
pool (Redis), nginx caches 1 MiB slices, and the origin reads them through the Telegram
backend, here over the fake (so the origin runs in this process, under uvicorn in a thread)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import redis
import requests
import uvicorn
from django.db import connection

from library.models import MediaFile
from shadowvault.storage.pool import SessionPool
from shadowvault.storage.telegram import TelegramBackend
from streaming.nginx import gateway_config, nginx_render
from streaming.objects import stored_object
from streaming.origin import Origin
from streaming.signing import origin_secret
from tests import processes
from tests.factories import TitleFactory
from tests.streaming.conftest import link_path, member_viewer
from tests.telegram_fake import FakeTelegram, MiB, fake_backend

pytestmark = pytest.mark.integration

SIZE = 3 * MiB + 4321
HOST = {"Host": "tenant-a.test"}
CAP = 2  # viewers per session, so that the pool fills with two


@dataclass
class TelegramGateway:
    url: str
    telegram: FakeTelegram
    backend: TelegramBackend
    pool: SessionPool

    @property
    def get_files(self) -> list[tuple[str, int, int, int]]:
        """Every upload.getFile the origin made: (account, dc, offset, limit)."""
        return self.telegram.get_file_calls


@pytest.fixture(scope="module")
def telegram_gateway(
    django_db_setup, django_db_blocker, redis_url, tmp_path_factory
) -> Iterator[TelegramGateway]:
    with django_db_blocker.unblock():
        database_name = connection.settings_dict["NAME"]
    telegram = FakeTelegram(latency=0.005)
    telegram.account("bot-1")
    channel = telegram.channel("Vault", admins={"bot-1"})
    backend = fake_backend(telegram, channel)
    web_port, origin_port, gateway_port = (processes.free_port() for _ in range(3))
    origin = uvicorn.Server(
        uvicorn.Config(
            Origin(secret=origin_secret(), resolve=stored_object, backend=lambda: backend),
            host="127.0.0.1",
            port=origin_port,
            log_level="warning",
            lifespan="on",
        )
    )
    origin_thread = threading.Thread(target=origin.run, name="origin", daemon=True)
    web_env = {
        "TEST_DATABASE_NAME": str(database_name),
        "REDIS_URL": redis_url,
        "STORAGE_BACKEND": "telegram",
        "TELEGRAM_BOT_TOKENS": "1:x",
        "TELEGRAM_API_ID": "1",
        "TELEGRAM_API_HASH": "fake",
        "TELEGRAM_USERS_PER_SESSION": str(CAP),
    }
    config = gateway_config(
        prefix=str(tmp_path_factory.mktemp("nginx-telegram")),
        listen=f"127.0.0.1:{gateway_port}",
        web=f"127.0.0.1:{web_port}",
        origin=f"127.0.0.1:{origin_port}",
        workers="1",
        cache_lock_timeout="30s",
    )
    origin_thread.start()
    try:
        with (
            processes.asgi_server(
                "shadowvault.asgi:application", port=web_port, env=web_env, name="web-telegram"
            ),
            processes.nginx(nginx_render(config)),
        ):
            processes.wait_until(
                lambda: processes.port_open(gateway_port) and processes.port_open(origin_port),
                timeout=10,
                what="nginx and the origin listening",
            )
            pool = SessionPool(
                redis.Redis.from_url(redis_url), ["bot-1"], cap=CAP, lease_seconds=60
            )
            yield TelegramGateway(f"http://127.0.0.1:{gateway_port}", telegram, backend, pool)
    finally:
        origin.should_exit = True
        origin_thread.join(timeout=10)
        backend.close()


@pytest.fixture
def telegram_film(telegram_gateway, transactional_db, tenant, redis_client, tmp_path):
    """A ready film stored in the fake Telegram channel; the pool empty."""
    data = os.urandom(SIZE)
    source = tmp_path / "film.mkv"
    source.write_bytes(data)
    locator = telegram_gateway.backend.put(source, name="film.mkv")
    media_file = MediaFile.objects.create(
        title=TitleFactory(tenant=tenant),
        name="Film (2001).mkv",
        storage="telegram",
        locator=locator,
        size=SIZE,
        mime="video/x-matroska",
        sha256="",
        state=MediaFile.State.READY,
    )
    telegram_gateway.get_files.clear()
    return media_file, data


def get(gateway: TelegramGateway, path: str, **headers) -> requests.Response:
    return requests.get(gateway.url + path, headers={**HOST, **headers}, timeout=30)


@pytest.mark.parametrize(
    ("start", "end"),
    [(0, 0), (MiB - 10, MiB + 9), (2 * MiB, 3 * MiB - 1), (SIZE - 700, SIZE - 1)],
)
def test_ranges_come_back_byte_exact_through_the_viewers_session(
    telegram_gateway, telegram_film, start, end
) -> None:
    media_file, data = telegram_film

    response = get(telegram_gateway, link_path(media_file), Range=f"bytes={start}-{end}")

    assert response.status_code == 206
    assert response.content == data[start : end + 1]
    assert response.headers["Content-Range"] == f"bytes {start}-{end}/{SIZE}"
    assert {account for account, *_ in telegram_gateway.get_files} == {"bot-1"}
    assert telegram_gateway.pool.session_load() == {"bot-1": 1}  # the viewer holds a slot


def test_a_cold_slice_is_one_get_file_and_a_second_view_none(
    telegram_gateway, telegram_film
) -> None:
    media_file, data = telegram_film
    path = link_path(media_file)

    first = get(telegram_gateway, path, Range=f"bytes={MiB}-{2 * MiB - 1}")
    calls = len(telegram_gateway.get_files)
    second = get(
        telegram_gateway,
        link_path(media_file, viewer=member_viewer(media_file.title.tenant, "second")),
        Range=f"bytes={MiB}-",
    )

    assert (first.headers["X-Cache-Status"], calls) == ("MISS", 1)
    assert second.content == data[MiB:]
    # the first slice of the second read came from the cache: only the two after it were read
    assert len(telegram_gateway.get_files) == calls + 2


def test_a_full_pool_is_a_503_with_retry_after_and_reads_nothing(
    telegram_gateway, telegram_film
) -> None:
    media_file, _ = telegram_film
    for viewer in ("someone", "someone-else"):
        telegram_gateway.pool.viewer_admit(viewer)  # the session's CAP slots

    response = get(telegram_gateway, link_path(media_file), Range="bytes=0-99")

    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) >= 1
    assert telegram_gateway.get_files == []


def test_a_viewer_playing_through_never_has_a_chunk_asked_for_twice(
    telegram_gateway, telegram_film
) -> None:
    media_file, data = telegram_film

    response = get(telegram_gateway, link_path(media_file))

    assert response.content == data
    # nginx asked for the four slices one after another; after the second, the origin asked
    # for the rest ahead of nginx (carried read-ahead, tests/shadowvault/storage), and each
    # slice read then took its carried chunk instead of asking again
    offsets = [offset for _, _, offset, _ in telegram_gateway.get_files]
    assert sorted(offsets) == [0, MiB, 2 * MiB, 3 * MiB]
