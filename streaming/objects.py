"""What the stream path serves: a stored object found by its public id.

Video files (MediaFile) today; manga pages join through `STORED_OBJECT_SOURCES` so that the
gateway, the authorize view and the origin serve every kind of stored file the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from library.models import MediaFile


@dataclass(frozen=True)
class StoredObject:
    public_id: str
    tenant_id: int
    name: str
    mime: str
    size: int
    sha256: str
    locator: dict

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


STORED_OBJECT_SOURCES = [media_file_object]


def stored_object(public_id: str) -> StoredObject | None:
    """The ready stored object with this public id, of any kind, or None."""
    for source in STORED_OBJECT_SOURCES:
        found = source(public_id)
        if found is not None:
            return found
    return None
