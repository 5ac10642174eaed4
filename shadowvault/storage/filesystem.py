"""The embedded backend: files under VAULT_ROOT, content-addressed by sha256.

- A file is written under a temporary name, flushed to disk, then renamed into place, so no
  half-written file is ever visible under its final name.
- The path comes from the content hash alone (checked as 64 hex digits), never from a name or
  anything else a user supplied.
- An identical file is stored once: the second `put` finds it and keeps the one copy as it
  was (same inode, same mtime: nginx's ETag for it does not change).
- A put killed midway leaves its temporary file in `incoming/`; `leftovers_sweep` (beat)
  removes those no put has written to for a while.
- An adopted file (`put(..., adopt=True)`) is renamed into `incoming/` instead of copied
  there, then hashed and synced like a copy: no second write of its bytes. From another
  filesystem than VAULT_ROOT's it cannot be renamed, and is copied.
"""

from __future__ import annotations

import asyncio
import ctypes
import errno
import hashlib
import mmap
import os
import re
import secrets
import tempfile
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

from .base import Locator, LocatorInvalid, Progress, StorageBackend, range_check

CHUNK_BYTES = 1024 * 1024
TOUCH_SECONDS = 10  # an adopted file being hashed says so this often (leftovers_sweep)
SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def _libc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.mmap.restype = ctypes.c_void_p
        libc.mmap.argtypes = [
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.c_int,
            ctypes.c_int,
            ctypes.c_int,
            ctypes.c_long,
        ]
        libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
        libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p]
    except (OSError, AttributeError):
        return None
    return libc


LIBC = _libc()
MAP_FAILED = ctypes.c_void_p(-1).value
RESIDENT_BITS = bytes(range(2)) * 128  # mincore's answer per page: only bit 0 matters


class PageCacheProbe:
    """Which parts of an open file the page cache holds (mincore over a read-only mapping).

    A chunk that is in memory is read inline, straight into a new bytes object: handing each
    chunk to a thread costs more than copying it, and the mapping is never touched, so the
    probe itself faults nothing in. A chunk that is not is read in a thread, so the event
    loop never waits for the disk. Without mincore, every read goes to a thread.
    """

    def __init__(self, fd: int, size: int) -> None:
        self.address = None
        self.size = size
        if LIBC is not None and size > 0:
            address = LIBC.mmap(None, size, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)
            if address not in (None, MAP_FAILED):
                self.address = address
                self.vector = ctypes.create_string_buffer(CHUNK_BYTES // mmap.PAGESIZE + 2)

    def resident(self, offset: int, length: int) -> bool:
        if self.address is None:
            return False
        first = offset - offset % mmap.PAGESIZE
        pages = (offset + length - first + mmap.PAGESIZE - 1) // mmap.PAGESIZE
        if (
            pages > len(self.vector)
            or LIBC.mincore(
                ctypes.c_void_p(self.address + first), pages * mmap.PAGESIZE, self.vector
            )
            != 0
        ):
            return False
        return b"\x00" not in self.vector.raw[:pages].translate(RESIDENT_BITS)

    def close(self) -> None:
        if self.address is not None:
            LIBC.munmap(ctypes.c_void_p(self.address), self.size)
            self.address = None


def _already_stored(final: Path, size: int) -> bool:
    """Whether the content-addressed file is there whole. Then it stays as it is: replacing
    it would change its mtime, so nginx's ETag for it, and a viewer's resumed download
    (If-Range) would start again from the beginning."""
    try:
        return final.stat().st_size == size
    except FileNotFoundError:
        return False


def _moved_hash(handle: BinaryIO, progress: Progress | None) -> tuple[str, int]:
    """(sha256, size) of an open file, touching it now and then: it is being worked on."""
    total = os.fstat(handle.fileno()).st_size
    digest = hashlib.sha256()
    done, touched = 0, time.monotonic()
    while chunk := handle.read(CHUNK_BYTES):
        digest.update(chunk)
        done += len(chunk)
        if progress:
            progress(done, total)
        if time.monotonic() - touched > TOUCH_SECONDS:
            os.utime(handle.fileno())
            touched = time.monotonic()
    return digest.hexdigest(), done


def _directory_sync(directory: Path) -> None:
    """Make a rename into `directory` durable (the file's own bytes are synced before)."""
    handle = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def object_relative_path(locator: Locator) -> str:
    """`ab/cd/abcd…`: where a filesystem locator's file lives under `VAULT_ROOT/objects`.

    Built from the checked content hash alone, so it can never leave that directory; the
    gateway's direct location (`/_files/`) receives exactly this path.
    """
    if not isinstance(locator, dict) or locator.get("backend") != FilesystemBackend.name:
        raise LocatorInvalid(f"not a filesystem locator: {locator!r}")
    digest = locator.get("sha256")
    if not isinstance(digest, str):
        raise LocatorInvalid(f"not a filesystem locator: {locator!r}")
    if not SHA256_HEX.fullmatch(digest):
        raise LocatorInvalid("a filesystem locator's sha256 must be 64 hex digits")
    return f"{digest[:2]}/{digest[2:4]}/{digest}"


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
        return self.objects / object_relative_path(locator)

    def put(
        self,
        path: Path,
        *,
        name: str,
        progress: Progress | None = None,
        tenant_id: int | None = None,  # one shared store: identical files are kept once
        adopt: bool = False,
    ) -> Locator:
        if adopt:
            locator = self._move_in(Path(path), progress)
            if locator is None:  # on another filesystem: copied, then let go
                locator = self._copy_in(Path(path), progress)
                os.unlink(path)
            return locator
        return self._copy_in(Path(path), progress)

    def _copy_in(self, path: Path, progress: Progress | None) -> Locator:
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
            return self._place(temp_name, digest.hexdigest(), done)
        finally:
            if os.path.exists(temp_name):
                os.unlink(temp_name)

    def _move_in(self, path: Path, progress: Progress | None) -> Locator | None:
        """Store `path` by renaming it into `incoming/`; None (and nothing moved) when it is
        on another filesystem."""
        # a new name, not one mkstemp made: renaming over a file makes ext4 start writing
        # the renamed one out there and then, before its hash could begin
        temp_name = str(self.incoming / f"put-{secrets.token_hex(16)}")
        try:
            os.utime(path)  # fresh from the start: leftovers_sweep must not take it midway
            os.rename(path, temp_name)
        except OSError as exc:
            if exc.errno == errno.EXDEV:
                return None
            raise
        try:
            with open(temp_name, "rb") as moved, ThreadPoolExecutor(1) as syncing:
                os.fchmod(moved.fileno(), 0o600)  # as a copy made by mkstemp is
                # its bytes are likely still in memory only: the disk writes them while
                # they are hashed (both let go of the GIL), rather than after
                synced = syncing.submit(os.fsync, moved.fileno())
                digest, size = _moved_hash(moved, progress)
                synced.result()
            return self._place(temp_name, digest, size)
        finally:
            if os.path.exists(temp_name):
                os.unlink(temp_name)

    def _place(self, temp_name: str, digest: str, size: int) -> Locator:
        """Rename the synced temporary file to its content address, unless that is stored."""
        locator = {"backend": self.name, "sha256": digest, "size": size}
        final = self.path_of(locator)
        final.parent.mkdir(parents=True, exist_ok=True)
        if not _already_stored(final, size):
            os.replace(temp_name, final)  # atomic
            _directory_sync(final.parent)
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
        fd = source.fileno()
        probe = None
        try:
            size = os.fstat(fd).st_size
            range_check(start, end, size)
            probe = PageCacheProbe(fd, size)
            position, remaining = start, end - start + 1
            while remaining:
                want = min(CHUNK_BYTES, remaining)
                if probe.resident(position, want):
                    chunk = os.pread(fd, want, position)
                else:  # on disk, not in memory: read without blocking the loop
                    chunk = await asyncio.to_thread(os.pread, fd, want, position)
                if not chunk:
                    raise LocatorInvalid("the file shrank while being read")
                position += len(chunk)
                remaining -= len(chunk)
                yield chunk
        finally:
            if probe is not None:
                probe.close()
            source.close()

    def delete(self, locator: Locator) -> None:
        self.path_of(locator).unlink(missing_ok=True)

    def leftovers_sweep(self, *, idle_seconds: float) -> int:
        idle_since = time.time() - idle_seconds
        removed = 0
        for temp in self.incoming.glob("put-*"):
            try:
                if temp.stat().st_mtime < idle_since:
                    temp.unlink()
                    removed += 1
            except FileNotFoundError:  # its put just finished (renamed) or failed (removed)
                continue
        return removed
