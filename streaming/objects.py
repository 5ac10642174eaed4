"""What the stream path serves: a stored object found by its public id.

Video files (MediaFile), their WebVTT subtitles (Subtitle) and manga pages (Page), through
`STORED_OBJECT_SOURCES`, so that the gateway, the authorize view and the origin serve every
kind of stored file the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F

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


STORED_FIELDS = ("public_id", "name", "mime", "size", "sha256", "locator")


def first_stored(rows, *, tenant: str, whole: bool = False) -> StoredObject | None:
    """The first of `rows` (a queryset of a stored model) as a StoredObject; `tenant` is
    the lookup from the model to its tenant's id."""
    row = rows.values(*STORED_FIELDS, tenant_id=F(tenant)).first()
    return StoredObject(**row, whole=whole) if row else None


def media_file_object(public_id: str) -> StoredObject | None:
    ready = MediaFile.objects.filter(public_id=public_id, state=MediaFile.State.READY)
    return first_stored(ready, tenant="title__tenant_id")


def subtitle_object(public_id: str) -> StoredObject | None:
    """A stored (text) subtitle of a ready file; small, so cached whole."""
    text = Subtitle.objects.filter(
        public_id=public_id, image=False, media_file__state=MediaFile.State.READY
    ).exclude(locator={})
    return first_stored(text, tenant="media_file__title__tenant_id", whole=True)


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
