"""What the stream path serves: a stored object found by its public id.

Video files (MediaFile), their WebVTT subtitles (Subtitle) and manga pages (Page), through
`STORED_OBJECT_SOURCES`, so that the gateway, the authorize view and the origin serve every
kind of stored file the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

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


def media_file_object(public_id: str) -> StoredObject | None:
    row = (
        MediaFile.objects.filter(public_id=public_id, state=MediaFile.State.READY)
        .values("public_id", "title__tenant_id", "name", "mime", "size", "sha256", "locator")
        .first()
    )
    if row is None:
        return None
    return StoredObject(
        public_id=row["public_id"],
        tenant_id=row["title__tenant_id"],
        name=row["name"],
        mime=row["mime"],
        size=row["size"],
        sha256=row["sha256"],
        locator=row["locator"],
    )


def subtitle_object(public_id: str) -> StoredObject | None:
    """A stored (text) subtitle of a ready file; small, so cached whole."""
    row = (
        Subtitle.objects.filter(
            public_id=public_id, image=False, media_file__state=MediaFile.State.READY
        )
        .exclude(locator={})
        .values(
            "public_id", "media_file__title__tenant_id", "name", "mime", "size", "sha256", "locator"
        )
        .first()
    )
    if row is None:
        return None
    return StoredObject(
        public_id=row["public_id"],
        tenant_id=row["media_file__title__tenant_id"],
        name=row["name"],
        mime=row["mime"],
        size=row["size"],
        sha256=row["sha256"],
        locator=row["locator"],
        whole=True,
    )


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
