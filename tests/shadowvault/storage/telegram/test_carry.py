"""Read-ahead carried from one slice read of a Telegram file to the next (telegram.carry)."""

from __future__ import annotations

import asyncio
import os
from collections import Counter

import pytest

from shadowvault.storage.telegram.carry import CarriedChunks
from shadowvault.storage.telegram.router import TelegramUnavailable
from tests.telegram_fake import FakeTelegram, MiB, fake_backend

SLICES = 6


@pytest.fixture
def telegram() -> FakeTelegram:
    server = FakeTelegram(latency=0.002)
    server.account("bot-1")
    return server


@pytest.fixture
def stored(telegram, tmp_path):
    """A backend (read-ahead 4) and a film of six 1 MiB slices stored through it."""
    channel = telegram.channel("Vault", admins={"bot-1"})
    backend = fake_backend(telegram, channel, read_ahead=4)
    data = os.urandom(SLICES * MiB)
    (tmp_path / "film").write_bytes(data)
    locator = backend.put(tmp_path / "film", name="film")
    telegram.get_file_calls.clear()
    yield backend, locator, data
    backend.close()


async def read_slice(backend, locator, index: int) -> bytes:
    start = index * MiB
    return b"".join([c async for c in backend.open_range(locator, start, start + MiB - 1)])


async def carried_done(backend) -> None:
    await asyncio.gather(*(chunk for _, chunk in backend.carried.chunks.values()))


def offsets(telegram) -> list[int]:
    return [offset // MiB for _, _, offset, _ in telegram.get_file_calls]


def test_a_viewer_playing_on_finds_the_next_slices_already_asked_for(stored, telegram) -> None:
    backend, locator, data = stored

    async def play() -> tuple[list[int], list[bytes]]:
        first = [await read_slice(backend, locator, 0), await read_slice(backend, locator, 1)]
        await carried_done(backend)
        asked_before_slice_2 = offsets(telegram)
        rest = [await read_slice(backend, locator, index) for index in range(2, SLICES)]
        return asked_before_slice_2, first + rest

    asked_before_slice_2, slices = asyncio.run(play())

    assert b"".join(slices) == data
    # slice 1 continued slice 0, so the four after it were asked for before anyone read them
    assert asked_before_slice_2 == [0, 1, 2, 3, 4, 5]
    assert Counter(offsets(telegram)) == {index: 1 for index in range(SLICES)}  # each once


def test_scattered_reads_carry_nothing(stored, telegram) -> None:
    backend, locator, data = stored

    async def seek_around() -> list[bytes]:
        return [await read_slice(backend, locator, index) for index in (3, 0, 5, 2)]

    slices = asyncio.run(seek_around())

    assert slices == [data[i * MiB : (i + 1) * MiB] for i in (3, 0, 5, 2)]
    assert offsets(telegram) == [3, 0, 5, 2]
    assert backend.carried.chunks == {}


def test_a_failed_carried_chunk_is_asked_for_again(stored, telegram) -> None:
    backend, locator, data = stored

    async def play_on_after_a_failure() -> bytes:
        await read_slice(backend, locator, 0)
        await read_slice(backend, locator, 1)
        await carried_done(backend)
        key = next(key for key in backend.carried.chunks if key[2] == 2 * MiB)
        failed = asyncio.get_running_loop().create_future()
        failed.set_exception(TelegramUnavailable("the carried read failed", retry_after=5))
        backend.carried.chunks[key] = (backend.carried.chunks[key][0], failed)
        return await read_slice(backend, locator, 2)

    assert asyncio.run(play_on_after_a_failure()) == data[2 * MiB : 3 * MiB]
    assert Counter(offsets(telegram))[2] == 2  # carried, failed, asked for again


def test_carrying_stops_when_full_and_kept_chunks_expire() -> None:
    now = [100.0]
    carried = CarriedChunks(limit=2, ttl=30, clock=lambda: now[0])

    async def scenario() -> tuple:
        loop = asyncio.get_running_loop()
        first, second, third = (loop.create_future() for _ in range(3))
        carried.keep(("f", 0, 0, MiB), first)
        carried.keep(("f", 0, MiB, MiB), second)
        full = carried.wants(("f", 0, 2 * MiB, MiB))
        now[0] += 31
        after_expiry = carried.wants(("f", 0, 2 * MiB, MiB))
        carried.keep(("f", 0, 2 * MiB, MiB), third)
        return full, after_expiry, first.cancelled(), carried.take(("f", 0, MiB, MiB))

    full, after_expiry, first_cancelled, expired_take = asyncio.run(scenario())

    assert (full, after_expiry) == (False, True)
    assert first_cancelled  # dropped chunks stop their Telegram request
    assert expired_take is None
    assert list(carried.chunks) == [("f", 0, 2 * MiB, MiB)]


def test_a_chunk_from_another_event_loop_is_not_handed_out() -> None:
    carried = CarriedChunks(limit=4)

    async def keep() -> None:
        chunk = asyncio.get_running_loop().create_future()
        chunk.set_result(b"x")
        carried.keep(("f", 0, 0, MiB), chunk)

    async def take():
        return carried.take(("f", 0, 0, MiB))

    asyncio.run(keep())

    assert asyncio.run(take()) is None
