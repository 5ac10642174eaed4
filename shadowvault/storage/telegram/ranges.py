"""Plan a byte range of a split file as `upload.getFile` requests Telegram accepts.

Telegram's rules for a precise download request (offset, limit):
  - offset is divisible by 4 KiB, and limit is divisible by 4 KiB;
  - 1 MiB is divisible by limit (so limit is 4 KiB, 8 KiB, ... 1 MiB);
  - offset // 1 MiB == (offset + limit - 1) // 1 MiB: a request never crosses a 1 MiB block.

A stored file may be split into several Telegram documents ("parts"). A range of the whole
file is mapped onto the parts it touches, and each piece onto the smallest aligned requests
that cover it; `skip` and `take` then trim each answer to exactly the bytes asked for.
A 1 MiB-aligned 1 MiB read (what nginx's `slice 1m` asks for) is one request.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

BLOCK = 1024 * 1024
ALIGN = 4 * 1024


@dataclass(frozen=True)
class ChunkRequest:
    part: int  # index into the locator's parts
    offset: int  # within the part
    limit: int
    skip: int  # bytes to drop from the start of the answer
    take: int  # bytes to keep after that


def request_is_valid(offset: int, limit: int) -> bool:
    return (
        offset % ALIGN == 0
        and limit % ALIGN == 0
        and 0 < limit <= BLOCK
        and BLOCK % limit == 0
        and offset // BLOCK == (offset + limit - 1) // BLOCK
    )


def covering_request(first: int, last: int) -> tuple[int, int]:
    """The smallest (offset, limit) covering bytes first..last of one 1 MiB block.

    The offset is aligned to the limit, a power of two dividing 1 MiB, so the request never
    crosses a block boundary; a whole block always covers, which bounds the search.
    """
    limit = ALIGN
    while True:
        offset = first - first % limit
        if offset + limit > last or limit == BLOCK:
            return offset, limit
        limit *= 2


def block_requests(part: int, start: int, end: int) -> Iterator[ChunkRequest]:
    """Requests for bytes start..end (inclusive) of one part, one 1 MiB block at a time."""
    position = start
    while position <= end:
        block_end = min(end, (position // BLOCK + 1) * BLOCK - 1)
        offset, limit = covering_request(position, block_end)
        yield ChunkRequest(part, offset, limit, position - offset, block_end - position + 1)
        position = block_end + 1


def plan_range(part_sizes: Sequence[int], start: int, end: int) -> list[ChunkRequest]:
    """The requests that yield bytes start..end (inclusive) of the parts laid end to end."""
    total = sum(part_sizes)
    if not (0 <= start <= end < total):
        raise ValueError(f"bytes {start}-{end} are outside a file of {total} bytes")
    requests: list[ChunkRequest] = []
    part_start = 0
    for index, size in enumerate(part_sizes):
        part_end = part_start + size - 1
        if size and start <= part_end and end >= part_start:
            local_start = max(start, part_start) - part_start
            local_end = min(end, part_end) - part_start
            requests.extend(block_requests(index, local_start, local_end))
        part_start += size
    return requests
