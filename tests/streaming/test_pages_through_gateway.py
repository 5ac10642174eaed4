"""Manga pages through the real gateway: byte-exact, cached whole, shared by readers; and an
OPDS reader app's walk to them (signed in with an app password), and to the chapter's CBZ."""

from __future__ import annotations

import io
import zipfile
from urllib.parse import urlsplit

import pytest
import requests
from PIL import Image

from library.app_passwords import app_password_create
from readvault.models import Chapter, Page, Series, Source
from shadowvault.storage.filesystem import FilesystemBackend
from tests.factories import SeriesFactory, page_image, stored_chapter
from tests.opds.client import PSE, OPDSClient, entry_link

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


def test_a_reader_app_walks_from_opds_root_to_every_page_and_the_cbz(
    gateway,
    vault_root,
    transactional_db,
    tenant,
    viewer,
) -> None:
    images = [page_image("PNG", shade=30), page_image("JPEG", shade=140), page_image(shade=250)]
    series = SeriesFactory(source__tenant=tenant, title="Meshi")
    chapter = stored_chapter(series, "1", images, vault_root=vault_root, title="Hot Pot")
    _, secret = app_password_create(user=viewer, tenant=tenant, label="Panels")
    app = OPDSClient(gateway.url, "viewer", secret)

    root, _ = app.feed("/opds/")
    shelf, _ = app.feed(entry_link(root, "Manga: A-Z"))
    chapters, xml = app.feed(entry_link(shelf, "Meshi"))
    stream = next(
        link for link in xml.iter("{http://www.w3.org/2005/Atom}link") if link.get("rel") == PSE
    )
    count = int(stream.get("{http://vaemendis.net/opds-pse/ns}count"))
    pages = [app.get(stream.get("href").replace("{pageNumber}", str(n))) for n in range(count)]

    assert count == 3
    assert [page.status_code for page in pages] == [200, 200, 200]
    assert [page.content for page in pages] == images  # byte-exact, in order
    assert [page.headers["Content-Type"] for page in pages] == [
        "image/png",
        "image/jpeg",
        "image/png",
    ]
    assert Image.open(io.BytesIO(pages[1].content)).size == (64, 96)
    assert (
        app.get(entry_link(chapters, "Chapter 1", "http://opds-spec.org/image")).content
        == images[0]
    )

    cbz = app.get(entry_link(chapters, "Chapter 1", "http://opds-spec.org/acquisition"))
    archive = zipfile.ZipFile(io.BytesIO(cbz.content))
    assert cbz.status_code == 200
    assert int(cbz.headers["Content-Length"]) == len(cbz.content)
    assert [archive.read(name) for name in archive.namelist()[1:]] == images
    assert archive.testzip() is None
    assert chapter.pages.filter(crc32__isnull=False).count() == 3

    stranger = OPDSClient(gateway.url, "viewer", "wrong password")
    refused = stranger.get("/opds/")
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"].startswith("Basic ")
