"""Manga pages through the real gateway: byte-exact, cached whole, shared by readers."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import pytest
import requests
from PIL import Image

from readvault.models import Chapter, Page, Series, Source
from shadowvault.storage.filesystem import FilesystemBackend

pytestmark = pytest.mark.integration


def test_pages_are_byte_exact_and_cached_whole(
    gateway, vault_root, transactional_db, tenant, viewer, api_as, tmp_path
) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 960), (10, 200, 30)).save(buffer, format="PNG")
    data = buffer.getvalue()
    (tmp_path / "p.png").write_bytes(data)
    locator = FilesystemBackend(vault_root).put(tmp_path / "p.png", name="p.png")
    source = Source.objects.create(
        tenant=tenant, name="s", kind="mangadex", base_url="https://api.example"
    )
    series = Series.objects.create(tenant=tenant, source=source, source_key="m", title="M")
    chapter = Chapter.objects.create(series=series, source_key="c", number=1, state="available")
    Page.objects.create(
        chapter=chapter,
        index=1,
        storage="filesystem",
        locator=locator,
        width=640,
        height=960,
        size=len(data),
        mime="image/png",
        sha256=locator["sha256"],
    )

    link = api_as(viewer).get(f"/api/manga/chapters/{chapter.id}/pages/").json()[0]["url"]
    path = link.split(urlsplit(link).netloc, 1)[1]
    first = requests.get(gateway.url + path, headers={"Host": "tenant-a.test"}, timeout=30)
    second = requests.get(gateway.url + path, headers={"Host": "tenant-a.test"}, timeout=30)
    ranged = requests.get(
        gateway.url + path, headers={"Host": "tenant-a.test", "Range": "bytes=0-99"}, timeout=30
    )

    assert first.status_code == 200
    assert first.content == data
    assert first.headers["Content-Type"] == "image/png"
    assert (first.headers["X-Cache-Status"], second.headers["X-Cache-Status"]) == ("MISS", "HIT")
    assert (ranged.status_code, ranged.content) == (206, data[:100])
    assert gateway.origin_reads(Page.objects.get().public_id) == 1
