from __future__ import annotations

import asyncio
import hashlib
import os
from pathlib import Path

import pytest

from shadowvault.storage import LocatorInvalid, RangeInvalid
from shadowvault.storage.filesystem import CHUNK_BYTES, FilesystemBackend


@pytest.fixture
def backend(tmp_path: Path) -> FilesystemBackend:
    return FilesystemBackend(tmp_path / "vault")


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "film.mkv"
    path.write_bytes(os.urandom(3 * CHUNK_BYTES + 12345))
    return path


def read_range(backend: FilesystemBackend, locator: dict, start: int, end: int) -> list[bytes]:
    async def collect() -> list[bytes]:
        return [chunk async for chunk in backend.open_range(locator, start, end)]

    return asyncio.run(collect())


def test_put_stores_by_content_hash_and_reports_progress(backend, source) -> None:
    seen: list[tuple[int, int]] = []

    locator = backend.put(source, name="Film (2001).mkv", progress=lambda d, t: seen.append((d, t)))

    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    assert locator == {"backend": "filesystem", "sha256": digest, "size": source.stat().st_size}
    assert backend.size(locator) == source.stat().st_size
    assert seen[-1] == (source.stat().st_size, source.stat().st_size)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert list((backend.root / "incoming").iterdir()) == []  # no temp file left behind


def test_an_identical_file_is_stored_once(backend, source, tmp_path) -> None:
    copy = tmp_path / "same.mkv"
    copy.write_bytes(source.read_bytes())

    first = backend.put(source, name="a")
    second = backend.put(copy, name="b")

    assert first == second
    assert len([p for p in (backend.root / "objects").rglob("*") if p.is_file()]) == 1


def test_storing_identical_content_again_leaves_the_stored_file_as_it_was(backend, source):
    stored = backend.path_of(backend.put(source, name="a"))
    os.utime(stored, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))  # stored long ago
    before = stored.stat()

    backend.put(source, name="b")

    after = stored.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert not any((backend.root / "incoming").iterdir())


@pytest.mark.parametrize(
    ("start", "end"),
    [(0, 0), (0, 99), (CHUNK_BYTES - 1, CHUNK_BYTES), (12345, 3 * CHUNK_BYTES), (-1, -1)],
)
def test_a_range_is_byte_exact_and_streamed_in_bounded_chunks(backend, source, start, end):
    data = source.read_bytes()
    if start < 0:  # the last byte
        start = end = len(data) - 1
    locator = backend.put(source, name="film")

    chunks = read_range(backend, locator, start, end)

    assert b"".join(chunks) == data[start : end + 1]
    assert max(len(chunk) for chunk in chunks) <= CHUNK_BYTES


def test_a_range_past_the_end_is_refused(backend, source) -> None:
    locator = backend.put(source, name="film")
    size = source.stat().st_size

    with pytest.raises(RangeInvalid, match="outside a file"):
        read_range(backend, locator, size - 10, size)


@pytest.mark.parametrize(
    "locator",
    [
        {"backend": "filesystem", "sha256": "../../etc/passwd"},
        {"backend": "filesystem", "sha256": "a" * 63 + "/"},
        {"backend": "telegram", "sha256": "a" * 64},
        {"backend": "filesystem"},
    ],
)
def test_a_locator_cannot_point_outside_the_vault(backend, locator) -> None:
    with pytest.raises(LocatorInvalid):
        backend.size(locator)


def test_delete_removes_the_file_and_tolerates_a_second_delete(backend, source) -> None:
    locator = backend.put(source, name="film")

    backend.delete(locator)
    backend.delete(locator)

    with pytest.raises(LocatorInvalid, match="not in the vault"):
        backend.size(locator)


def test_the_configured_backend_is_the_filesystem_under_vault_root(settings, tmp_path) -> None:
    from shadowvault.storage import storage_backend

    settings.VAULT_ROOT = tmp_path / "configured"
    storage_backend.cache_clear()
    try:
        backend = storage_backend()
        assert isinstance(backend, FilesystemBackend)
        assert backend.root == tmp_path / "configured"
    finally:
        storage_backend.cache_clear()


def test_reads_that_must_wait_for_the_disk_go_through_a_thread(backend, source, monkeypatch):
    from shadowvault.storage import filesystem

    monkeypatch.setattr(filesystem, "LIBC", None)  # as where mincore cannot be called
    locator = backend.put(source, name="film")
    data = source.read_bytes()

    chunks = read_range(backend, locator, 100, len(data) - 100)

    assert b"".join(chunks) == data[100 : len(data) - 99]
    assert max(len(chunk) for chunk in chunks) <= CHUNK_BYTES


def test_the_page_cache_probe_sees_a_file_that_was_just_read(backend, source) -> None:
    from shadowvault.storage.filesystem import PageCacheProbe

    locator = backend.put(source, name="film")
    path = backend.path_of(locator)
    path.read_bytes()  # now in the page cache
    with open(path, "rb") as handle:
        probe = PageCacheProbe(handle.fileno(), path.stat().st_size)
        try:
            assert probe.resident(0, CHUNK_BYTES)
            assert probe.resident(CHUNK_BYTES + 5, 1000)
            assert not probe.resident(0, 64 * CHUNK_BYTES)  # more than one chunk: not asked
        finally:
            probe.close()
