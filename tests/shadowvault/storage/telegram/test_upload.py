"""Uploads in parallel parts, against the fake's rules for parts (sizes, order, md5, owner)."""

from __future__ import annotations

import asyncio
import itertools
import os
import threading

import pytest
from telethon import errors

from shadowvault.storage.pool import SessionPool
from tests.telegram_fake import MiB, fake_backend

PART = 512 * 1024


def random_file(tmp_path, size: int):
    path = tmp_path / "film.mkv"
    path.write_bytes(os.urandom(size))
    return path


def stored(telegram, locator) -> bytes:
    return b"".join(telegram.stored_bytes(p["chat"], p["message"]) for p in locator["parts"])


@pytest.mark.parametrize(
    ("size", "in_flight"),
    [
        (3 * MiB + 1000, 1),  # one part after another: Telethon's own way
        (3 * MiB + 1000, 4),  # a small file: saveFilePart, its md5 checked
        (10 * MiB + 1, 6),  # a big file: saveBigFilePart
    ],
)
def test_parts_go_up_several_at_once_and_the_file_arrives_whole(
    telegram, channel, tmp_path, size, in_flight
) -> None:
    path = random_file(tmp_path, size)
    telegram.latency = 0.01  # long enough for every sender's part to be on the wire at once
    backend = fake_backend(telegram, channel, tokens=["111:x"], upload_parts_in_flight=in_flight)
    try:
        locator = backend.put(path, name="film.mkv")
    finally:
        backend.close()

    assert stored(telegram, locator) == path.read_bytes()
    assert telegram.most_in_flight[("bot-111", 2)] == in_flight
    assert len(telegram.part_calls) == -(-size // PART)  # each part sent once


def test_reads_and_upload_parts_share_the_per_dc_cap(telegram, channel, tmp_path) -> None:
    path = random_file(tmp_path, 4 * MiB)
    telegram.latency = 0.02
    backend = fake_backend(
        telegram,
        channel,
        tokens=["111:x"],
        requests_per_dc=3,
        read_ahead=4,
        upload_parts_in_flight=4,
    )
    try:
        locator = backend.put(path, name="first")
        telegram.most_in_flight.clear()
        uploading = threading.Thread(target=backend.put, args=(path,), kwargs={"name": "second"})
        uploading.start()

        async def read() -> bytes:
            return b"".join([c async for c in backend.open_range(locator, 0, 4 * MiB - 1)])

        data = asyncio.run(read())
        uploading.join()
    finally:
        backend.close()

    assert data == path.read_bytes()
    assert telegram.reads_and_parts_overlapped  # both were under way at the same time...
    assert telegram.most_in_flight[("bot-111", 2)] == 3  # ...and together stayed within the cap


def test_a_part_that_fails_in_transit_is_sent_again_without_restarting_the_file(
    telegram, channel, tmp_path
) -> None:
    path = random_file(tmp_path, 3 * MiB)
    telegram.fail_next_parts("bot-111", ConnectionError, errors.RpcCallFailError)
    backend = fake_backend(telegram, channel, tokens=["111:x", "222:x"], upload_parts_in_flight=4)
    try:
        locator = backend.put(path, name="film.mkv")
    finally:
        backend.close()

    assert stored(telegram, locator) == path.read_bytes()
    accounts = {account for account, _, _ in telegram.part_calls}
    files = {file_id for _, file_id, _ in telegram.part_calls}
    assert (accounts, len(files)) == ({"bot-111"}, 1)  # one file, on the first session
    assert sorted(index for *_, index in telegram.part_calls) == list(range(6))


def test_a_flood_moves_the_upload_to_another_session_and_progress_never_goes_back(
    telegram, channel, tmp_path, redis_client
) -> None:
    path = random_file(tmp_path, 4 * MiB)
    pool = SessionPool(redis_client, ["bot-111", "bot-222"], cap=15, lease_seconds=60)
    telegram.flood_next("bot-111", 90, after=3)  # three parts go up, then a flood
    seen: list[int] = []
    backend = fake_backend(
        telegram, channel, tokens=["111:x", "222:x"], pool=pool, upload_parts_in_flight=2
    )
    try:
        locator = backend.put(path, name="film.mkv", progress=lambda done, _: seen.append(done))
    finally:
        backend.close()

    assert stored(telegram, locator) == path.read_bytes()
    assert {account for account, *_ in telegram.part_calls} == {"bot-111", "bot-222"}
    assert seen[-1] == path.stat().st_size
    assert all(earlier < later for earlier, later in itertools.pairwise(seen))
    assert 80_000 < redis_client.pttl("sv:pool:cooldown:bot-111") <= 90_000
    assert telegram.parts  # bot-111's parts stay with it (Telegram drops them in time)


def test_the_fake_refuses_parts_another_account_uploaded(telegram, channel, tmp_path) -> None:
    from telethon.tl import functions, types

    async def upload_as_one_send_as_other() -> None:
        one, other = telegram.client(None, "fake:bot-111"), telegram.client(None, "fake:bot-222")
        await one.connect()
        await other.connect()
        await one(functions.upload.SaveFilePartRequest(7, 0, b"x" * 1024))
        peer = types.InputPeerChannel(channel.id, telegram.access_hash("bot-222", channel))
        await other.send_file(peer, types.InputFile(7, 1, "f", ""), attributes=[])

    with pytest.raises(errors.FilePartMissingError):
        asyncio.run(upload_as_one_send_as_other())
