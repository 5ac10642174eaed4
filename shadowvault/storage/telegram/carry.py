"""Read-ahead carried from one range read of a Telegram file to the next.

nginx's slice module asks the origin for a file's 1 MiB slices one after another, and a
1 MiB-aligned slice is one `upload.getFile`: inside a slice the backend's read-ahead has
nothing to overlap, so a viewer's cold read would get 1 MiB per round trip to Telegram. When
a read starts where an earlier read of the same file ended (a viewer playing on), the backend
also asks for the chunks after it and keeps them here; the next read takes them instead of
asking again.

Bounded: at most `limit` chunks are kept (when full, nothing more is carried, so nothing
already asked for is thrown away), each for `ttl` seconds. A chunk that failed, or was made
on another event loop, is never handed out: the read then asks Telegram itself, with all its
error handling.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from .ranges import ChunkRequest

# (file, part, offset, limit): one upload.getFile of one stored file.
ChunkKey = tuple[str, int, int, int]


def chunk_key(file: str, request: ChunkRequest) -> ChunkKey:
    return (file, request.part, request.offset, request.limit)


ENDS_PER_FILE = 16  # where recent reads of one file ended: one per viewer playing it
FILES_TRACKED = 4096


class CarriedChunks:
    def __init__(
        self, *, limit: int, ttl: float = 30.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.ttl = ttl
        self.clock = clock
        self.chunks: OrderedDict[ChunkKey, tuple[float, asyncio.Future[bytes]]] = OrderedDict()
        self.ends: OrderedDict[str, deque[int]] = OrderedDict()

    def plays_on(self, file: str, start: int) -> bool:
        """Whether a read of `file` from `start` continues an earlier read of it."""
        return start in self.ends.get(file, ())

    def read_ended(self, file: str, end: int) -> None:
        """A read of `file` delivered everything before `end`."""
        ends = self.ends.pop(file, None) or deque(maxlen=ENDS_PER_FILE)
        ends.append(end)
        self.ends[file] = ends
        while len(self.ends) > FILES_TRACKED:
            self.ends.popitem(last=False)

    def take(self, key: ChunkKey) -> asyncio.Future[bytes] | None:
        """The carried chunk for `key`, if it can still be used; it is no longer kept."""
        kept = self.chunks.pop(key, None)
        if kept is None:
            return None
        expires, chunk = kept
        usable = (
            expires > self.clock()
            and chunk.get_loop() is asyncio.get_running_loop()
            and not (chunk.done() and (chunk.cancelled() or chunk.exception() is not None))
        )
        if not usable:
            chunk.cancel()
            return None
        return chunk

    def wants(self, key: ChunkKey) -> bool:
        """Whether carrying `key` is worth asking Telegram for now."""
        self._drop_expired()
        return key not in self.chunks and len(self.chunks) < self.limit

    def keep(self, key: ChunkKey, chunk: asyncio.Future[bytes]) -> None:
        # Nobody may ever take it: its error must not be reported as never retrieved.
        chunk.add_done_callback(lambda done: done.cancelled() or done.exception())
        self.chunks[key] = (self.clock() + self.ttl, chunk)

    def _drop_expired(self) -> None:
        now = self.clock()
        while self.chunks:
            key, (expires, chunk) = next(iter(self.chunks.items()))
            if expires > now:
                return
            del self.chunks[key]
            chunk.cancel()
