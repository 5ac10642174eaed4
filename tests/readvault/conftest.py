from __future__ import annotations

from collections.abc import Iterator

import pytest

from readvault.models import Source
from tests.manga_fixture import MangaFixtureServer


@pytest.fixture(scope="session")
def manga_server() -> Iterator[MangaFixtureServer]:
    server = MangaFixtureServer()
    yield server
    server.stop()


@pytest.fixture
def manga(manga_server, settings, redis_client, tmp_path) -> MangaFixtureServer:
    """The fixture server, reset, allowed past the URL guard; pages stored under tmp_path."""
    manga_server.reset()
    settings.INGEST_ALLOW_HOSTS = [manga_server.host]
    settings.STORAGE_BACKEND = "filesystem"
    settings.VAULT_ROOT = tmp_path / "vault"
    from shadowvault import storage

    storage.storage_backend.cache_clear()
    yield manga_server
    storage.storage_backend.cache_clear()


@pytest.fixture
def mangadex(manga, tenant) -> Source:
    return Source.objects.create(
        tenant=tenant,
        name="MangaDex (local)",
        kind="mangadex",
        base_url=f"{manga.base_url}/api",
        requests_per_minute=600,
    )


@pytest.fixture
def html_site(manga, tenant) -> Source:
    return Source.objects.create(
        tenant=tenant,
        name="HTML site (local)",
        kind="html",
        base_url=f"{manga.base_url}/site",
        requests_per_minute=600,
        chapter_link_selector="ul.chapters a",
        page_image_selector="div.reader img",
        page_image_attribute="data-src",
    )
