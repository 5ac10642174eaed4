"""A real gateway for the stream-path tests: nginx, the origin and the web process."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection

from library.models import MediaFile, Membership
from shadowvault.storage.filesystem import FilesystemBackend
from streaming.nginx import gateway_config, nginx_render
from streaming.objects import stored_object
from streaming.services import stream_link, viewer_key
from tests import processes
from tests.factories import TitleFactory
from tests.media_fixture import MediaServer

MiB = 1024 * 1024


@dataclass
class Gateway:
    url: str
    origin_url: str
    origin_log: Path
    prefix: Path
    origin_restart: Callable[[], None]
    tmdb_images: Path  # files served as TMDB's image server (w342/x.jpg, ...)

    def origin_reads(self, public_id: str) -> int:
        """How many ranged reads the origin served for `public_id` so far."""
        return sum(
            f" {public_id} bytes=" in line for line in self.origin_log.read_text().splitlines()
        )


@pytest.fixture(scope="module")
def vault_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("vault")


@pytest.fixture(scope="module")
def gateway(django_db_setup, django_db_blocker, vault_root, tmp_path_factory) -> Iterator[Gateway]:
    """Filesystem files through the origin and the slice cache: the path Telegram's take."""
    with running_gateway(django_db_blocker, vault_root, tmp_path_factory, direct=False) as gw:
        yield gw


@pytest.fixture(scope="module")
def direct_gateway(
    django_db_setup, django_db_blocker, vault_root, tmp_path_factory
) -> Iterator[Gateway]:
    """Filesystem files sent by nginx straight from the vault (the default)."""
    with running_gateway(django_db_blocker, vault_root, tmp_path_factory, direct=True) as gw:
        yield gw


@contextmanager
def running_gateway(
    django_db_blocker, vault_root: Path, tmp_path_factory, *, direct: bool
) -> Iterator[Gateway]:
    with django_db_blocker.unblock():
        database_name = connection.settings_dict["NAME"]  # the test database, once it exists
    call_command("collectstatic", interactive=False, verbosity=0)  # web serves them (WhiteNoise)
    web_port, origin_port, gateway_port = (processes.free_port() for _ in range(3))
    env = {
        "TEST_DATABASE_NAME": str(database_name),
        "VAULT_ROOT": str(vault_root),
        "STORAGE_BACKEND": "filesystem",
        "STREAM_FILESYSTEM_DIRECT": str(direct).lower(),
        "GATEWAY_LISTEN": f"127.0.0.1:{gateway_port}",  # pages link to this gateway
    }
    tmdb_images = tmp_path_factory.mktemp("tmdb-images")
    image_server = MediaServer(tmdb_images)
    config = gateway_config(
        filesystem_direct=direct,
        vault_objects=str(vault_root / "objects"),
        tmdb_image_base=image_server.base_url,
        resolver="127.0.0.1",
        prefix=str(tmp_path_factory.mktemp("nginx")),
        listen=f"127.0.0.1:{gateway_port}",
        web=f"127.0.0.1:{web_port}",
        origin=f"127.0.0.1:{origin_port}",
        workers="1",
        cache_lock_timeout="30s",
    )
    origin = ExitStack()

    def origin_start() -> Path:
        return origin.enter_context(
            processes.asgi_server(
                "streaming.origin_asgi:app", port=origin_port, env=env, name="origin"
            )
        )

    def origin_restart() -> None:
        origin.close()
        gateway.origin_log = origin_start()

    with (
        processes.asgi_server("shadowvault.asgi:application", port=web_port, env=env, name="web"),
        origin,
        processes.nginx(nginx_render(config)) as prefix,
    ):
        origin_log = origin_start()
        processes.wait_until(
            lambda: processes.port_open(gateway_port), timeout=10, what="nginx listening"
        )
        gateway = Gateway(
            url=f"http://127.0.0.1:{gateway_port}",
            origin_url=f"http://127.0.0.1:{origin_port}",
            origin_log=origin_log,
            prefix=prefix,
            origin_restart=origin_restart,
            tmdb_images=tmdb_images,
        )
        try:
            yield gateway
        finally:
            image_server.stop()


@pytest.fixture
def store_file(transactional_db, tenant, vault_root, tmp_path) -> Callable[..., MediaFile]:
    """Store bytes in the vault the origin reads and catalog them as a ready file."""

    def store(
        data: bytes,
        *,
        name: str = "Film (2001) [1080p].mkv",
        mime: str = "video/x-matroska",
        **fields,
    ) -> MediaFile:
        path = tmp_path / f"upload-{os.urandom(4).hex()}"
        path.write_bytes(data)
        locator = FilesystemBackend(vault_root).put(path, name=name)
        return MediaFile.objects.create(
            title=fields.pop("title", None) or TitleFactory(tenant=tenant),
            name=name,
            storage="filesystem",
            locator=locator,
            size=len(data),
            mime=mime,
            sha256=locator["sha256"],
            state=fields.pop("state", MediaFile.State.READY),
            **fields,
        )

    return store


def member_viewer(tenant, username: str = "watcher") -> str:
    """The link viewer of a member of `tenant` called `username` (made on first use)."""
    user, _ = User.objects.get_or_create(username=username)
    Membership.objects.get_or_create(tenant=tenant, user=user)
    return viewer_key(user.id)


def link_path(media_file: MediaFile, *, viewer: str | None = None, now: float | None = None) -> str:
    """The path and query of a signed link (its host is the gateway's, which tests know), by
    default for a member of the file's tenant."""
    viewer = viewer or member_viewer(media_file.title.tenant)
    link = stream_link(
        stored=stored_object(media_file.public_id) or _pending(media_file),
        viewer=viewer,
        host="tenant-a.test",
        now=now,
    )
    return link.url.split(":8080", 1)[1]


def _pending(media_file: MediaFile):
    from streaming.objects import StoredObject

    return StoredObject(
        media_file.public_id,
        media_file.title.tenant_id,
        media_file.name,
        media_file.mime,
        media_file.size,
        media_file.sha256,
        media_file.locator,
    )
