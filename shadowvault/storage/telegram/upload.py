"""One document's bytes sent to Telegram as parts, several in flight at once.

Telethon's own `upload_file` sends one part after another, so an upload waits a round trip
per 512 KiB and runs at a fraction of the speed reads reach. Here up to `in_flight` parts of
the file are on the wire at once (`upload.saveBigFilePart`, or `saveFilePart` for files of
10 MiB and less), each one also holding a slot of the session's cap on requests to its DC,
which reads share. What the caller gets:
- a part that fails on the network or a DC is sent again, after a pause, without restarting
  the file; after PART_PAUSES it gives up with that error (the router then moves on);
- a FloodWait (or any other error) stops the parts still in flight and leaves at once, for
  the router to cool the session and restart the document on another session (the parts
  Telegram already holds belong to this account: another one cannot use them);
- `progress(sent, length)` after each part, `sent` growing, whatever order parts finish in;
- at most `in_flight` parts (512 KiB each) in memory.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

from telethon.tl import functions, types

from ..base import StorageError
from .client import REQUEST_TIMEOUT_SECONDS
from .problems import TRANSIENT_ERRORS

log = logging.getLogger(__name__)

PART_BYTES = 512 * 1024  # the only part size that reaches Telegram's 2000 MiB (4000 parts)
BIG_FILE_BYTES = 10 * 1024 * 1024  # above this a file must go up as "big" parts
PART_PAUSES = (0.1, 0.5, 2.0)  # before each new try of a part that failed in transit


async def parts_upload(
    session: Any,
    path: Path,
    offset: int,
    length: int,
    name: str,
    *,
    in_flight: int,
    dc_cap: int,
    progress: Callable[[int, int], None],
) -> types.InputFile | types.InputFileBig:
    """Send bytes offset..offset+length of `path` through `session`; the uploaded file's handle
    for `send_file`."""
    file_id = random.getrandbits(63)
    total = -(-length // PART_BYTES)
    big = length > BIG_FILE_BYTES
    slot = session.dc_slot(session.client.session.dc_id, dc_cap)
    parts = iter(range(total))
    sent = 0

    async def send(fd: int, index: int) -> None:
        nonlocal sent
        start = index * PART_BYTES
        size = min(PART_BYTES, length - start)
        data = await asyncio.to_thread(os.pread, fd, size, offset + start)
        if len(data) != size:
            raise StorageError(f"{path} changed while it was being uploaded")
        if big:
            request = functions.upload.SaveBigFilePartRequest(file_id, index, total, data)
        else:
            request = functions.upload.SaveFilePartRequest(file_id, index, data)
        for pause in (*PART_PAUSES, None):
            try:
                async with slot:
                    await asyncio.wait_for(session.client(request), REQUEST_TIMEOUT_SECONDS)
                break
            except TRANSIENT_ERRORS as exc:
                if pause is None:
                    raise
                log.warning(
                    "telegram: %s: part %d of %s failed (%r); again", session.name, index, name, exc
                )
                await asyncio.sleep(pause)
        sent += len(data)
        progress(sent, length)

    async def sender(fd: int) -> None:
        for index in parts:  # shared: each sender takes the next part not yet taken
            await send(fd, index)

    fd = os.open(path, os.O_RDONLY)
    senders = [asyncio.ensure_future(sender(fd)) for _ in range(max(1, min(in_flight, total)))]
    try:
        await asyncio.gather(*senders)
    finally:
        for task in senders:  # one failed: stop the others before the file closes
            task.cancel()
        await asyncio.gather(*senders, return_exceptions=True)
        os.close(fd)
    if big:
        return types.InputFileBig(file_id, total, name)
    checksum = await asyncio.to_thread(_md5, path, offset, length)
    return types.InputFile(file_id, total, name, checksum)


def _md5(path: Path, offset: int, length: int) -> str:
    """The md5 Telegram checks a small file against before it keeps it."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as file:
        file.seek(offset)
        while length > 0:
            block = file.read(min(length, 1024 * 1024))
            if not block:
                raise StorageError(f"{path} changed while it was being uploaded")
            digest.update(block)
            length -= len(block)
    return digest.hexdigest()
