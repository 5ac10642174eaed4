"""A chapter as a CBZ (a ZIP of its pages), streamed as it is built.

- Every entry is stored (ZIP_STORED: images do not compress), so the archive's size is known
  from the pages' sizes before the first byte: the download has a Content-Length, and a
  reader app shows real progress.
- Each page's CRC-32 goes in its local header (no data descriptors: stream readers such as
  Java's ZipInputStream refuse stored entries without their sizes up front). Pages stored
  since `Page.crc32` existed carry it; older ones get it once, read through storage.
- Entries: `ComicInfo.xml` (series, number, title, language, page sizes), then the pages in
  reading order as `0001.png`, `0002.jpg`, … The bytes are the same on every download.
- Pages are read through the storage contract (`open_range`), a chunk at a time, so memory
  stays bounded and Telegram-stored pages work too. Nothing is written to disk.
- No ZIP64: an archive must stay under 4 GiB (a chapter is some tens of MiB; pages are
  capped at 30 MiB by the refresh). `CbzTooLarge` says so.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.etree import ElementTree

from asgiref.sync import async_to_sync

from shadowvault.storage import StorageError
from shadowvault.xmltext import xml_safe

from .models import Chapter, Page

ZIP_LIMIT = 0xFFFFFFFF
LOCAL_HEADER = struct.Struct("<IHHHHHIIIHH")  # 30 bytes, then the name
CENTRAL_HEADER = struct.Struct("<IHHHHHHIIIHHHHHII")  # 46 bytes, then the name
END_RECORD = struct.Struct("<IHHHHIIH")  # 22 bytes
VERSION = 20  # 2.0: what every unzip reads
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif"}

# Reads `length` bytes of a stored page from `start`: the storage contract's `open_range`.
PageReader = Callable[[Page, int, int], AsyncIterator[bytes]]


class CbzTooLarge(Exception):
    """The chapter's archive would pass ZIP's 4 GiB limit."""


@dataclass(frozen=True)
class Entry:
    name: bytes
    size: int
    crc: int
    offset: int  # of its local header
    page: Page | None = None  # None: `data` is the entry
    data: bytes = b""


@dataclass(frozen=True)
class CbzPlan:
    entries: list[Entry]
    size: int
    dos_time: tuple[int, int]
    directory_offset: int


def dos_time(moment: datetime) -> tuple[int, int]:
    """(time, date) as ZIP keeps them (UTC): two-second steps, years from 1980."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    moment = max(moment, moment.replace(year=1980, month=1, day=1, hour=0, minute=0, second=0))
    time = (moment.hour << 11) | (moment.minute << 5) | (moment.second // 2)
    date = ((moment.year - 1980) << 9) | (moment.month << 5) | moment.day
    return time, date


def page_name(page: Page, digits: int) -> str:
    return f"{page.index:0{digits}d}.{EXTENSIONS.get(page.mime, 'img')}"


def comic_info(chapter: Chapter, pages: list[Page]) -> bytes:
    """ComicInfo.xml (the Anansi schema readers use for comics' metadata)."""
    root = ElementTree.Element(
        "ComicInfo",
        {
            "xmlns:xsd": "http://www.w3.org/2001/XMLSchema",
            "xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
        },
    )
    series = chapter.series
    fields = {
        "Title": chapter.title,
        "Series": series.title,
        "Number": format(chapter.number.normalize(), "f"),
        "Volume": chapter.volume if chapter.volume.isdigit() else "",
        "Summary": series.description,
        "ScanInformation": chapter.group,
        "LanguageISO": chapter.language or series.language,
        "PageCount": str(len(pages)),
        "Manga": "Yes",
    }
    if chapter.published_at:
        day = chapter.published_at
        fields |= {"Year": str(day.year), "Month": str(day.month), "Day": str(day.day)}
    for tag, value in fields.items():
        if value:
            ElementTree.SubElement(root, tag).text = xml_safe(value)
    listing = ElementTree.SubElement(root, "Pages")
    for number, page in enumerate(pages):
        attributes = {
            "Image": str(number),
            "ImageSize": str(page.size),
            "ImageWidth": str(page.width),
            "ImageHeight": str(page.height),
        }
        if number == 0:
            attributes["Type"] = "FrontCover"
        ElementTree.SubElement(listing, "Page", attributes)
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


def cbz_plan(chapter: Chapter, pages: list[Page]) -> CbzPlan:
    """Every entry's name, size, CRC and place, and the archive's size. Pages need `crc32`.

    Raises CbzTooLarge.
    """
    info = comic_info(chapter, pages)
    digits = max(4, len(str(len(pages))))
    offset, entries = 0, []
    items = [(b"ComicInfo.xml", len(info), zlib.crc32(info), None, info)]
    items += [
        (page_name(page, digits).encode(), page.size, page.crc32, page, b"") for page in pages
    ]
    for name, size, crc, page, data in items:
        entries.append(Entry(name, size, crc, offset, page, data))
        offset += LOCAL_HEADER.size + len(name) + size
    directory = sum(CENTRAL_HEADER.size + len(entry.name) for entry in entries)
    total = offset + directory + END_RECORD.size
    if total > ZIP_LIMIT or len(entries) > 0xFFFF:
        raise CbzTooLarge(f"the chapter's CBZ would be {total} bytes, over ZIP's 4 GiB")
    moment = chapter.published_at or chapter.created_at
    return CbzPlan(entries, total, dos_time(moment), offset)


def local_header(entry: Entry, when: tuple[int, int]) -> bytes:
    return (
        LOCAL_HEADER.pack(
            0x04034B50, VERSION, 0, 0, *when, entry.crc, entry.size, entry.size, len(entry.name), 0
        )
        + entry.name
    )


def central_directory(plan: CbzPlan) -> bytes:
    records = [
        CENTRAL_HEADER.pack(
            0x02014B50,
            VERSION,
            VERSION,
            0,
            0,
            *plan.dos_time,
            entry.crc,
            entry.size,
            entry.size,
            len(entry.name),
            0,
            0,
            0,
            0,
            0o100644 << 16,  # a regular file, rw-r--r-- (for unzip on Unix)
            entry.offset,
        )
        + entry.name
        for entry in plan.entries
    ]
    size = sum(len(record) for record in records)
    count = len(plan.entries)
    end = END_RECORD.pack(0x06054B50, 0, 0, count, count, size, plan.directory_offset, 0)
    return b"".join(records) + end


async def cbz_stream(plan: CbzPlan, read: PageReader) -> AsyncIterator[bytes]:
    """The archive's bytes, exactly `plan.size` of them.

    Raises StorageError when a page is not what its row says (short, or another CRC):
    the response is already under way, so the caller can only cut it.
    """
    for entry in plan.entries:
        yield local_header(entry, plan.dos_time)
        if entry.page is None:
            yield entry.data
            continue
        crc, length = 0, 0
        async for chunk in read(entry.page, 0, entry.size - 1):
            crc, length = zlib.crc32(chunk, crc), length + len(chunk)
            yield chunk
        if (length, crc) != (entry.size, entry.crc):
            raise StorageError(
                f"page {entry.page.index} of chapter {entry.page.chapter_id} changed"
            )
    yield central_directory(plan)


def pages_crc_fill(pages: list[Page], read: PageReader) -> None:
    """Give every page without a CRC-32 its own, read through storage, and keep it."""

    async def crc_of(page: Page) -> int:
        crc = 0
        async for chunk in read(page, 0, page.size - 1):
            crc = zlib.crc32(chunk, crc)
        return crc

    for page in pages:
        if page.crc32 is None:
            page.crc32 = async_to_sync(crc_of)(page)
            Page.objects.filter(id=page.id).update(crc32=page.crc32)
