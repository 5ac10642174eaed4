"""A chapter's CBZ: streamed, stored entries in reading order with ComicInfo.xml, exact length."""

from __future__ import annotations

import base64
import io
import zipfile
import zlib
from datetime import UTC, datetime
from xml.etree import ElementTree

import pytest
from PIL import Image

from readvault.models import Page, Series
from shadowvault import storage
from shadowvault.storage import StorageError
from shadowvault.storage.filesystem import FilesystemBackend
from tests.asgi import asgi_request, session_cookie
from tests.factories import SeriesFactory, page_image, stored_chapter

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"


@pytest.fixture
def series(tenant) -> Series:
    return SeriesFactory(
        source__tenant=tenant,
        title="Dungeon Meshi",
        description="Adventurers cook <monsters> & eat them.",
    )


@pytest.fixture
def images() -> list[bytes]:
    return [page_image("PNG", shade=10), page_image("JPEG", shade=120), page_image(shade=240)]


@pytest.fixture
def chapter(series, images, vault):
    return stored_chapter(
        series,
        "10.5",
        images,
        vault_root=vault,
        title="Walking Mushroom",
        volume="2",
        group="Alpha",
        language="en",
        published_at=datetime(2024, 3, 9, 12, 30, tzinfo=UTC),
    )


def fetch(path: str, *, user=None, authorization: str = "", host: str = "tenant-a.test"):
    """GET through the web process's ASGI application: (answer, body, body messages)."""
    headers = {"authorization": authorization} if authorization else {}
    if user is not None:
        headers["cookie"] = session_cookie(user)
    answer = asgi_request(path, host=host, **headers)
    return answer, answer.body, answer.chunks


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def test_the_cbz_has_the_pages_in_order_stored_and_a_comicinfo(viewer, chapter, images) -> None:
    response, body, chunks = fetch(f"/manga/chapters/{chapter.id}/cbz", user=viewer)

    assert response.status == 200
    assert response["Content-Type"] == "application/vnd.comicbook+zip"
    assert int(response["Content-Length"]) == len(body)  # known before the first byte
    assert chunks > len(images)  # streamed in pieces, not built whole first
    assert response["Content-Disposition"] == (
        "attachment; filename*=UTF-8''Dungeon%20Meshi%20-%20Chapter%200010.5.cbz"
    )
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert archive.testzip() is None  # every CRC matches
    assert archive.namelist() == ["ComicInfo.xml", "0001.png", "0002.jpg", "0003.png"]
    assert {info.compress_type for info in archive.infolist()} == {zipfile.ZIP_STORED}
    assert archive.getinfo("0001.png").date_time == (2024, 3, 9, 12, 30, 0)
    pages = [archive.read(name) for name in archive.namelist()[1:]]
    assert pages == images
    shades = [Image.open(io.BytesIO(data)).convert("RGB").getpixel((5, 5))[0] for data in pages]
    assert shades == pytest.approx([10, 120, 240], abs=3)  # in reading order
    info = ElementTree.fromstring(archive.read("ComicInfo.xml"))
    fields = {child.tag: child.text for child in info if child.tag != "Pages"}
    assert (
        fields.items()
        >= {
            "Series": "Dungeon Meshi",
            "Title": "Walking Mushroom",
            "Number": "10.5",
            "Volume": "2",
            "Summary": "Adventurers cook <monsters> & eat them.",
            "LanguageISO": "en",
            "PageCount": "3",
            "Year": "2024",
            "Manga": "Yes",
        }.items()
    )
    assert [p.get("ImageSize") for p in info.find("Pages")] == [str(len(i)) for i in images]


def test_head_says_the_length_without_reading_a_page(client, viewer, chapter) -> None:
    _, body, _ = fetch(f"/manga/chapters/{chapter.id}/cbz", user=viewer)
    client.force_login(viewer)
    for page in Page.objects.all():  # nothing is read: a missing vault would not matter
        FilesystemBackend(storage.storage_backend().root).delete(page.locator)

    head = client.head(f"/manga/chapters/{chapter.id}/cbz", HTTP_HOST="tenant-a.test")

    assert head.status_code == 200
    assert int(head["Content-Length"]) == len(body)
    assert head.content == b""


def test_pages_stored_without_a_crc_get_theirs_once(viewer, chapter, images) -> None:
    Page.objects.update(crc32=None)  # stored before the field existed

    _, body, _ = fetch(f"/manga/chapters/{chapter.id}/cbz", user=viewer)

    assert zipfile.ZipFile(io.BytesIO(body)).testzip() is None
    assert list(Page.objects.order_by("index").values_list("crc32", flat=True)) == [
        zlib.crc32(data) for data in images
    ]


def test_a_page_that_changed_in_storage_cuts_the_download(viewer, chapter, vault) -> None:
    page = Page.objects.get(index=2)
    path = FilesystemBackend(vault).path_of(page.locator)
    path.write_bytes(bytes(len(path.read_bytes())))  # same size, other bytes

    with pytest.raises(StorageError, match="page 2 of chapter"):
        fetch(f"/manga/chapters/{chapter.id}/cbz", user=viewer)


def test_basic_auth_and_the_api_give_the_same_archive(viewer, chapter) -> None:
    _, by_session, _ = fetch(f"/manga/chapters/{chapter.id}/cbz", user=viewer)
    _, by_basic, _ = fetch(
        f"/manga/chapters/{chapter.id}/cbz", authorization=basic("viewer", PASSWORD)
    )
    _, by_api, _ = fetch(
        f"/api/manga/chapters/{chapter.id}/cbz/", authorization=basic("viewer", PASSWORD)
    )

    assert by_session == by_basic == by_api  # the same bytes on every download


def test_strangers_wrong_sites_and_unready_chapters_get_nothing(
    viewer, outsider, chapter, series
) -> None:
    chapter_path = f"/manga/chapters/{chapter.id}/cbz"
    anonymous, _, _ = fetch(chapter_path)
    wrong, _, _ = fetch(chapter_path, authorization=basic("viewer", "nope"))
    elsewhere, _, _ = fetch(chapter_path, user=outsider, host="tenant-b.test")
    chapter.state = "failed"
    chapter.save()
    failed, _, _ = fetch(chapter_path, user=viewer)

    assert anonymous.status == wrong.status == 401
    assert anonymous["WWW-Authenticate"] == 'Basic realm="Tenant A", charset="UTF-8"'
    assert elsewhere.status == failed.status == 404


def test_pages_stored_on_telegram_make_the_same_archive(
    viewer, series, images, monkeypatch, tmp_path
) -> None:
    from readvault import downloads
    from tests.telegram_fake import FakeTelegram, fake_backend

    telegram = FakeTelegram(latency=0.001)
    telegram.account("bot-1")
    backend = fake_backend(telegram, telegram.channel("Vault", admins={"bot-1"}))
    monkeypatch.setattr(downloads, "storage_backend", lambda: backend)  # the configured one
    chapter = stored_chapter(series, "3", [], vault_root=tmp_path)
    for index, data in enumerate(images, start=1):
        upload = tmp_path / f"page-{index}"
        upload.write_bytes(data)
        Page.objects.create(
            chapter=chapter,
            index=index,
            storage="telegram",
            locator=backend.put(upload, name=upload.name, tenant_id=series.tenant_id),
            width=64,
            height=96,
            size=len(data),
            mime="image/png" if index != 2 else "image/jpeg",
            sha256="-",
        )
    try:
        response, body, _ = fetch(f"/manga/chapters/{chapter.id}/cbz", user=viewer)
    finally:
        backend.close()

    archive = zipfile.ZipFile(io.BytesIO(body))
    assert int(response["Content-Length"]) == len(body)
    assert [archive.read(name) for name in archive.namelist()[1:]] == images
    assert archive.testzip() is None  # CRCs read through Telegram once, then kept
    assert len(telegram.get_file_calls) == 2 * len(images)
    assert Page.objects.filter(chapter=chapter, crc32__isnull=True).count() == 0
