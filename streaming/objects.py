"""What the stream path serves: a stored object found by its public id.

Video files (MediaFile), their WebVTT subtitles (Subtitle) and manga pages (Page), through
`STORED_OBJECT_SOURCES`, so that the gateway, the authorize view and the origin serve every
kind of stored file the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F, QuerySet

from library.models import MediaFile, Subtitle


@dataclass(frozen=True)
class StoredObject:
    public_id: str
    tenant_id: int
    name: str
    mime: str
    size: int
    sha256: str
    locator: dict
    whole: bool = False  # small files (manga pages) are cached whole, not in 1 MiB slices

    @property
    def etag(self) -> str:
        """A strong ETag that never changes for the object: nginx's slices rely on that."""
        return f'"{self.sha256 or self.public_id}"'


# What every stored kind's row gives (`.values(*STORED_FIELDS, tenant_id=...)`).
STORED_FIELDS = ("public_id", "name", "mime", "size", "sha256", "locator")


def stored_from_row(row: dict, *, whole: bool = False) -> StoredObject:
    return StoredObject(
        **{field: row[field] for field in STORED_FIELDS}, tenant_id=row["tenant_id"], whole=whole
    )


def media_file_rows(files: QuerySet[MediaFile], *extra: str, **expressions) -> QuerySet:
    """Rows for `stored_from_row` of ready video files, with the `extra` columns and
    `expressions`."""
    return files.filter(state=MediaFile.State.READY).values(
        *STORED_FIELDS, *extra, tenant_id=F("title__tenant_id"), **expressions
    )


def subtitle_rows(subtitles: QuerySet[Subtitle], *extra: str) -> QuerySet:
    """Rows for `stored_from_row(row, whole=True)` of the stored (text) subtitles of ready
    video files (small files, cached whole like manga pages), with the `extra` columns. Image
    subtitles (kept only in the original) have no object of their own."""
    stored = subtitles.filter(image=False, media_file__state=MediaFile.State.READY)
    return stored.exclude(locator={}).values(
        *STORED_FIELDS, *extra, tenant_id=F("media_file__title__tenant_id")
    )


def media_file_object(public_id: str) -> StoredObject | None:
    row = media_file_rows(MediaFile.objects.filter(public_id=public_id)).first()
    return stored_from_row(row) if row else None


def subtitle_object(public_id: str) -> StoredObject | None:
    row = subtitle_rows(Subtitle.objects.filter(public_id=public_id)).first()
    return stored_from_row(row, whole=True) if row else None


def page_object(public_id: str) -> StoredObject | None:
    from readvault.models import Chapter, Page

    page = (
        Page.objects.filter(public_id=public_id, chapter__state=Chapter.State.AVAILABLE)
        .select_related("chapter__series")
        .first()
    )
    return page_stored(page, page.chapter.series.tenant_id) if page else None


def page_stored(page, tenant_id: int) -> StoredObject:
    extension = page.mime.split("/")[-1].replace("jpeg", "jpg")
    return StoredObject(
        public_id=page.public_id,
        tenant_id=tenant_id,
        name=f"page-{page.index:03d}.{extension}",
        mime=page.mime,
        size=page.size,
        sha256=page.sha256,
        locator=page.locator,
        whole=True,
    )


STORED_OBJECT_SOURCES = [media_file_object, subtitle_object, page_object]


def stored_object(public_id: str) -> StoredObject | None:
    """The ready stored object with this public id, of any kind, or None."""
    for source in STORED_OBJECT_SOURCES:
        found = source(public_id)
        if found is not None:
            return found
    return None
