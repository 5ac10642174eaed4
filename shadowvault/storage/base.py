"""The storage contract every backend fulfils (DESIGN.md, "The storage contract").

A locator is a JSON-able dict that says where a file lives. It never leaves the server.
Ranges are HTTP's: `start` and `end` are both inclusive byte offsets.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

Locator = dict[str, Any]
# progress(bytes_done, bytes_total)
Progress = Callable[[int, int], None]


class StorageError(Exception):
    """A storage operation failed. `permanent` is False when a retry may succeed."""

    permanent = True


class LocatorInvalid(StorageError):
    """The locator is malformed, or names a file the backend does not hold."""


class RangeInvalid(StorageError):
    """The byte range is not inside the file (HTTP would answer 416)."""


def range_check(start: int, end: int, size: int) -> None:
    if not (0 <= start <= end < size):
        raise RangeInvalid(f"bytes {start}-{end} are outside a file of {size} bytes")


class StorageBackend(ABC):
    name: str
    # True when `put` itself keeps identical content once (and says its sha256 in the
    # locator): callers need not hash first to avoid storing a file twice.
    deduplicates: bool = False

    @abstractmethod
    def put(
        self,
        path: Path,
        *,
        name: str,
        progress: Progress | None = None,
        tenant_id: int | None = None,
        adopt: bool = False,
    ) -> Locator:
        """Store the local file at `path`; return its locator.

        `name` is for display only. `tenant_id` is the tenant the file belongs to: backends
        that keep tenants apart (Telegram: one storage channel per tenant) use it.
        `adopt`: the caller hands the file over and never uses it again (a temporary file it
        made), so the backend may move it into the store rather than copy it. It is gone once
        `put` returns; if `put` raises, it may or may not still be there.
        """

    @abstractmethod
    def open_range(self, locator: Locator, start: int, end: int) -> AsyncIterator[bytes]:
        """Yield exactly the bytes start..end (inclusive), a bounded chunk at a time."""

    @abstractmethod
    def size(self, locator: Locator) -> int:
        """The stored file's size in bytes."""

    @abstractmethod
    def delete(self, locator: Locator) -> None:
        """Remove the stored file; deleting what is already gone is not an error."""

    def leftovers_sweep(self, *, idle_seconds: float) -> int:
        """Remove what `put`s that died midway left behind, untouched for `idle_seconds`
        (a put in progress keeps touching what it writes); how many were removed."""
        return 0
