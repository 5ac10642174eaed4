"""`put(..., adopt=True)`: a temporary file handed over is moved into the vault, not copied."""

from __future__ import annotations

import errno
import hashlib
import multiprocessing
import os
import signal
from pathlib import Path

import pytest

from shadowvault.storage.filesystem import CHUNK_BYTES, FilesystemBackend

LONG_AGO_NS = 1_000_000_000_000_000_000  # 2001


@pytest.fixture
def backend(tmp_path: Path) -> FilesystemBackend:
    return FilesystemBackend(tmp_path / "vault")


@pytest.fixture
def data() -> bytes:
    return os.urandom(3 * CHUNK_BYTES + 12345)


def made(backend: FilesystemBackend, data: bytes, name: str = "web-1.mp4") -> Path:
    """A finished temporary file on the vault's filesystem, as ffmpeg leaves it."""
    work = backend.root.parent / "work"
    work.mkdir(exist_ok=True)
    path = work / name
    path.write_bytes(data)
    return path


def stored_files(backend: FilesystemBackend) -> list[Path]:
    return [path for path in (backend.root / "objects").rglob("*") if path.is_file()]


def test_an_adopted_file_is_stored_as_put_stores_it_and_handed_over(
    backend, data, tmp_path
) -> None:
    copied = FilesystemBackend(tmp_path / "other-vault")
    path = made(backend, data)
    inode = path.stat().st_ino
    seen: list[tuple[int, int]] = []

    locator = backend.put(path, name="a.mp4", adopt=True, progress=lambda d, t: seen.append((d, t)))

    assert locator == copied.put(made(copied, data, "copy.mp4"), name="a.mp4")
    assert locator["sha256"] == hashlib.sha256(data).hexdigest()
    assert backend.path_of(locator).read_bytes() == data
    assert backend.path_of(locator).stat().st_ino == inode  # moved: its bytes not written again
    assert not path.exists()
    assert seen[-1] == (len(data), len(data))
    assert not any((backend.root / "incoming").iterdir())


def test_adopting_content_already_stored_leaves_the_stored_file_as_it_was(backend, data):
    stored = backend.path_of(backend.put(made(backend, data, "first.mp4"), name="a"))
    os.utime(stored, ns=(LONG_AGO_NS, LONG_AGO_NS))
    before = stored.stat()
    again = made(backend, data, "again.mp4")

    locator = backend.put(again, name="b", adopt=True)

    after = stored.stat()
    assert backend.path_of(locator) == stored
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert stored_files(backend) == [stored]
    assert not again.exists()
    assert not any((backend.root / "incoming").iterdir())


def test_an_adopt_killed_midway_leaves_only_what_the_leftovers_sweep_removes(backend, data):
    # given a file finished long ago (its mtime says so)
    path = made(backend, data)
    os.utime(path, ns=(LONG_AGO_NS, LONG_AGO_NS))

    def killed_after_the_first_chunk(done: int, total: int) -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    # when the process storing it dies midway
    child = multiprocessing.get_context("fork").Process(
        target=backend.put,
        args=(path,),
        kwargs={"name": "a", "adopt": True, "progress": killed_after_the_first_chunk},
    )
    child.start()
    child.join(timeout=30)

    # then nothing is stored; what it left is fresh (a store at work looks alike), and swept
    assert child.exitcode == -signal.SIGKILL
    assert stored_files(backend) == []
    assert backend.leftovers_sweep(idle_seconds=3600) == 0
    assert backend.leftovers_sweep(idle_seconds=0) == 1
    assert not any((backend.root / "incoming").iterdir())


def test_a_file_on_another_filesystem_is_copied_in_and_let_go(backend, data, monkeypatch):
    path = made(backend, data)

    def across_filesystems(rename):
        def renamed(source, target) -> None:
            if backend.root not in Path(source).parents:  # outside the vault: another device
                raise OSError(errno.EXDEV, os.strerror(errno.EXDEV))
            rename(source, target)

        return renamed

    monkeypatch.setattr(os, "rename", across_filesystems(os.rename))
    monkeypatch.setattr(os, "replace", across_filesystems(os.replace))

    locator = backend.put(path, name="a.mp4", adopt=True)

    assert locator["sha256"] == hashlib.sha256(data).hexdigest()
    assert backend.path_of(locator).read_bytes() == data
    assert not path.exists()
    assert not any((backend.root / "incoming").iterdir())
