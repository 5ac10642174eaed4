"""The embedded backend: files under VAULT_ROOT, content-addressed by sha256.

- A file is written under a temporary name, flushed to disk, then renamed into place, so no
  half-written file is ever visible under its final name.
- The path comes from the content hash alone (checked as 64 hex digits), never from a name or
  anything else a user supplied.
- An identical file is stored once: the second `put` finds it and keeps the one copy.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from .base import Locator, LocatorInvalid, Progress, StorageBackend, range_check

CHUNK_BYTES = 1024 * 1024
SHA256_HEX = re.compile(r"[0-9a-f]{64}")
HAVE_NOWAIT = hasattr(os, "RWF_NOWAIT") and hasattr(os, "preadv")  # Linux 4.14+


def read_if_cached(fd: int, size: int, offset: int) -> bytearray | None:
    """Up to `size` bytes at `offset` if the page cache holds them, else None.

    A hot file (the common case behind nginx's slice cache misses) is read inline: handing
    each chunk to a thread costs more than copying it. RWF_NOWAIT makes the read fail rather
    than wait for the disk, so the event loop never blocks on I/O.
    """
    if not HAVE_NOWAIT:
        return None
    buffer = bytearray(size)
    try:
        read = os.preadv(fd, [buffer], offset, os.RWF_NOWAIT)
    except OSError:  # EAGAIN: not cached; EOPNOTSUPP: the file system cannot say
        return None
    if read == 0:
        return None
    del buffer[read:]  # a short read: trim in place, no copy
    return buffer


class FilesystemBackend(StorageBackend):
    name = "filesystem"
    deduplicates = True

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.objects = self.root / "objects"
        self.incoming = self.root / "incoming"
        self.objects.mkdir(parents=True, exist_ok=True)
        self.incoming.mkdir(parents=True, exist_ok=True)

    def path_of(self, locator: Locator) -> Path:
        digest = locator.get("sha256") if isinstance(locator, dict) else None
        if locator.get("backend") != self.name or not isinstance(digest, str):
            raise LocatorInvalid(f"not a filesystem locator: {locator!r}")
        if not SHA256_HEX.fullmatch(digest):
            raise LocatorInvalid("a filesystem locator's sha256 must be 64 hex digits")
        return self.objects / digest[:2] / digest[2:4] / digest

    def put(
        self,
        path: Path,
        *,
        name: str,
        progress: Progress | None = None,
        tenant_id: int | None = None,  # one shared store: identical files are kept once
    ) -> Locator:
        total = os.path.getsize(path)
        digest = hashlib.sha256()
        done = 0
        handle, temp_name = tempfile.mkstemp(dir=self.incoming, prefix="put-")
        try:
            with open(path, "rb") as source, os.fdopen(handle, "wb") as target:
                while chunk := source.read(CHUNK_BYTES):
                    digest.update(chunk)
                    target.write(chunk)
                    done += len(chunk)
                    if progress:
                        progress(done, total)
                target.flush()
                os.fsync(target.fileno())
            locator = {"backend": self.name, "sha256": digest.hexdigest(), "size": done}
            final = self.path_of(locator)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temp_name, final)  # atomic; an identical file is simply replaced
        finally:
            if os.path.exists(temp_name):
                os.unlink(temp_name)
        return locator

    def size(self, locator: Locator) -> int:
        try:
            return self.path_of(locator).stat().st_size
        except FileNotFoundError as exc:
            raise LocatorInvalid("the file is not in the vault") from exc

    async def open_range(self, locator: Locator, start: int, end: int) -> AsyncIterator[bytes]:
        path = self.path_of(locator)
        try:
            source = await asyncio.to_thread(open, path, "rb")
        except FileNotFoundError as exc:
            raise LocatorInvalid("the file is not in the vault") from exc
        try:
            range_check(start, end, os.fstat(source.fileno()).st_size)
            position, remaining = start, end - start + 1
            while remaining:
                want = min(CHUNK_BYTES, remaining)
                chunk = read_if_cached(source.fileno(), want, position)
                if chunk is None:  # on disk, not in memory: read without blocking the loop
                    chunk = await asyncio.to_thread(os.pread, source.fileno(), want, position)
                if not chunk:
                    raise LocatorInvalid("the file shrank while being read")
                position += len(chunk)
                remaining -= len(chunk)
                yield chunk
        finally:
            source.close()

    def delete(self, locator: Locator) -> None:
        self.path_of(locator).unlink(missing_ok=True)
