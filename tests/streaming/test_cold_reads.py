"""A cold file through the slice cache costs storage reads near where its viewer is.

nginx's slice module asks for the next slice as soon as the last one is handed on. With
sendfile, handing on is queueing a reference to the cached slice, so a viewer who takes the
bytes slowly (a player whose buffer is full) made nginx fetch the whole file from the origin,
which on Telegram is a whole film read for a minute of watching. The gateway now copies
slices out through small buffers, and the next slice is asked for once the last has gone to
the socket.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.streaming.conftest import MiB, link_path

pytestmark = pytest.mark.integration

SIZE = 40 * MiB
# What may lie between a viewer and the furthest slice read for it: the kernel's socket
# buffers (up to 4 MiB on this kind of machine), the gateway's copy buffers and a slice.
AHEAD = 8 * MiB


@contextmanager
def viewer(gateway, path: str, first_byte: int) -> Iterator[socket.socket]:
    """A player's connection asking for everything from `first_byte`, its window small."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)  # before connect: fixed
    sock.connect(("127.0.0.1", int(gateway.url.rsplit(":", 1)[1])))
    request = (
        f"GET {path} HTTP/1.1\r\nHost: tenant-a.test\r\nRange: bytes={first_byte}-\r\n"
        "Connection: close\r\n\r\n"
    )
    sock.sendall(request.encode())
    try:
        yield sock
    finally:
        sock.close()


def watch(sock: socket.socket, *, take: int, then_pause: float) -> int:
    """Take about `take` bytes at a player's pace, then stop taking for `then_pause` s (its
    buffer is full); the bytes taken, headers included."""
    taken = 0
    while taken < take:
        chunk = sock.recv(64 * 1024)
        assert chunk, "the gateway closed the stream"
        taken += len(chunk)
        time.sleep(0.01)
    time.sleep(then_pause)
    return taken


def test_a_slow_viewer_costs_reads_near_its_position_not_the_whole_file(
    gateway, store_file
) -> None:
    media_file = store_file(os.urandom(SIZE))
    seek = 24 * MiB

    # a viewer plays the start, pauses, then seeks into the middle and pauses again
    with viewer(gateway, link_path(media_file), 0) as sock:
        from_start = watch(sock, take=2 * MiB, then_pause=1.0)
        start_ranges = gateway.origin_ranges(media_file.public_id)
    with viewer(gateway, link_path(media_file), seek) as sock:
        from_seek = watch(sock, take=2 * MiB, then_pause=1.0)
    seek_ranges = gateway.origin_ranges(media_file.public_id)[len(start_ranges) :]

    assert max(last for _, last in start_ranges) < from_start + AHEAD
    assert seek_ranges, "the seek was served without the origin: read ahead before it"
    assert min(first for first, _ in seek_ranges) == seek  # nothing before the new position
    assert max(last for _, last in seek_ranges) < seek + from_seek + AHEAD
    assert gateway.origin_reads(media_file.public_id) <= (4 + 2 * AHEAD) // MiB < SIZE // MiB
