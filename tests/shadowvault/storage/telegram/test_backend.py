"""The Telegram backend against the fake Telegram (tests/telegram_fake.py)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shadowvault.storage import LocatorInvalid, RangeInvalid, StorageError
from shadowvault.storage.pool import SessionPool
from shadowvault.storage.telegram.backend import (
    ChannelProblem,
    TelegramBackend,
    TelegramUnavailable,
    split_sizes,
)
from shadowvault.storage.telegram.sessions import bot_spec, user_spec
from tests.telegram_fake import FakeTelegram, MemoryBook, MiB

BOT_A, BOT_B = "111:secret-a", "222:secret-b"


def make_backend(
    telegram, channel, *, tokens=(BOT_A, BOT_B), pool=None, **options
) -> TelegramBackend:
    options.setdefault("max_file_bytes", 2000 * MiB)
    return TelegramBackend(
        [bot_spec(token) for token in tokens],
        client_factory=telegram.client,
        channel_of=lambda tenant_id: channel.marked_id,
        book=MemoryBook(),
        pool=pool,
        **options,
    )


@pytest.fixture
def backend(telegram, channel) -> Iterator[TelegramBackend]:
    backend = make_backend(telegram, channel)
    yield backend
    backend.close()


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "film.mkv"
    path.write_bytes(os.urandom(3 * MiB + 54321))
    return path


def read(backend: TelegramBackend, locator: dict, start: int, end: int, **kwargs) -> bytes:
    async def collect() -> bytes:
        return b"".join(
            [chunk async for chunk in backend.open_range(locator, start, end, **kwargs)]
        )

    return asyncio.run(collect())


def test_put_uploads_one_document_with_progress_and_reads_back_exactly(
    backend, source, telegram, channel
) -> None:
    seen: list[tuple[int, int]] = []

    locator = backend.put(source, name="Film (2001).mkv", progress=lambda d, t: seen.append((d, t)))

    size = source.stat().st_size
    assert locator == {
        "backend": "telegram",
        "size": size,
        "parts": [{"chat": channel.marked_id, "message": 1, "size": size}],
    }
    assert telegram.stored_bytes(channel.marked_id, 1) == source.read_bytes()
    assert seen[-1] == (size, size)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert len(seen) == -(-size // (512 * 1024))  # one report per 512 KiB part
    assert read(backend, locator, 0, size - 1) == source.read_bytes()
    assert backend.size(locator) == size


def test_an_adopted_file_is_uploaded_as_any_file_then_removed(backend, source) -> None:
    data = source.read_bytes()

    locator = backend.put(source, name="web.mp4", adopt=True)

    assert read(backend, locator, 0, len(data) - 1) == data
    assert not source.exists()


def test_a_file_over_the_limit_is_split_before_upload(telegram, channel, source) -> None:
    backend = make_backend(telegram, channel, max_file_bytes=MiB + 4096)
    try:
        locator = backend.put(source, name="big.mkv")
    finally:
        backend.close()

    sizes = [part["size"] for part in locator["parts"]]
    assert sizes == [MiB + 4096, MiB + 4096, MiB + 4096, source.stat().st_size - 3 * (MiB + 4096)]
    stored = b"".join(telegram.stored_bytes(p["chat"], p["message"]) for p in locator["parts"])
    assert stored == source.read_bytes()
    names = [channel.messages[p["message"]].name for p in locator["parts"]]
    assert names == ["big.mkv.part001", "big.mkv.part002", "big.mkv.part003", "big.mkv.part004"]


def test_the_fake_refuses_a_file_above_telegrams_limit(telegram, channel, source) -> None:
    # given a backend that believes in a larger limit than the server enforces
    telegram.max_file_bytes = MiB
    backend = make_backend(telegram, channel, max_file_bytes=4 * MiB)
    try:
        with pytest.raises(StorageError, match="Telegram refused"):
            backend.put(source, name="big.mkv")
    finally:
        backend.close()
    assert channel.messages == {}


@pytest.fixture(scope="module")
def split_file(tmp_path_factory):
    """A file stored in parts of an awkward size, so ranges cross part and block edges."""
    telegram = FakeTelegram()
    telegram.account("bot-111")
    channel = telegram.channel("Vault", admins={"bot-111"})
    path = tmp_path_factory.mktemp("split") / "f.bin"
    path.write_bytes(os.urandom(2 * MiB + 3 * 4096 + 17))
    backend = make_backend(telegram, channel, tokens=[BOT_A], max_file_bytes=MiB - 4096 * 3)
    locator = backend.put(path, name="f.bin")
    yield SplitFile(backend, locator, path.read_bytes(), telegram)
    backend.close()


class SplitFile(NamedTuple):
    backend: TelegramBackend
    locator: dict
    content: bytes
    telegram: FakeTelegram

    def __repr__(self) -> str:  # keeps hypothesis' failure report readable
        return f"SplitFile({self.locator})"


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_range_across_parts_is_byte_exact(split_file, data) -> None:
    backend, locator, content, telegram = split_file
    start = data.draw(st.integers(0, len(content) - 1))
    end = data.draw(st.integers(start, min(len(content) - 1, start + 3 * MiB)))

    assert read(backend, locator, start, end) == content[start : end + 1]
    # every request the backend made obeyed getFile's rules (the fake raises otherwise)
    assert all(
        offset % 4096 == 0 and MiB % limit == 0 for _, _, offset, limit in telegram.get_file_calls
    )


def test_an_aligned_1_mib_slice_is_one_getfile_call(backend, source, telegram) -> None:
    locator = backend.put(source, name="f")
    telegram.get_file_calls.clear()

    assert read(backend, locator, MiB, 2 * MiB - 1) == source.read_bytes()[MiB : 2 * MiB]
    assert [(offset, limit) for _, _, offset, limit in telegram.get_file_calls] == [(MiB, MiB)]


def test_the_fake_enforces_getfile_alignment(backend, source, telegram) -> None:
    from telethon import errors
    from telethon.tl import functions, types

    locator = backend.put(source, name="f")
    document = next(iter(telegram.channels.values())).messages[locator["parts"][0]["message"]]
    location = types.InputDocumentFileLocation(
        document.id, document.access_hash, telegram.reference(document), ""
    )
    for offset, limit, error in [
        (1000, 4096, errors.OffsetInvalidError),
        (0, 5000, errors.LimitInvalidError),
        (MiB - 4096, 8192, errors.LimitInvalidError),  # crosses a 1 MiB boundary
    ]:
        request = functions.upload.GetFileRequest(location, offset, limit)
        with pytest.raises(error):
            asyncio.run(telegram.get_file("bot-111", 2, request))


def test_reads_ask_for_several_chunks_at_once_but_within_the_per_dc_cap(
    telegram, channel, tmp_path
) -> None:
    path = tmp_path / "long.bin"
    path.write_bytes(os.urandom(12 * MiB))
    telegram.latency = 0.02
    backend = make_backend(telegram, channel, tokens=[BOT_A], read_ahead=8, requests_per_dc=3)
    try:
        locator = backend.put(path, name="long.bin")
        assert read(backend, locator, 0, 12 * MiB - 1) == path.read_bytes()
    finally:
        backend.close()

    assert telegram.most_in_flight[("bot-111", 2)] == 3


def test_an_expired_file_reference_is_refreshed_transparently(backend, source, telegram) -> None:
    locator = backend.put(source, name="f")
    assert read(backend, locator, 0, 99) == source.read_bytes()[:100]

    telegram.expire_references()

    assert read(backend, locator, MiB, MiB + 99) == source.read_bytes()[MiB : MiB + 100]


def test_a_document_in_another_dc_is_read_through_that_dc(
    backend, source, telegram, channel
) -> None:
    telegram.upload_dc = 4  # the sessions live in DC 2
    locator = backend.put(source, name="f")
    telegram.get_file_calls.clear()

    assert read(backend, locator, 0, 4095) == source.read_bytes()[:4096]
    assert {dc for _, dc, _, _ in telegram.get_file_calls} == {4}
    assert all(not s.client or s.client.borrowed == [] for s in backend.router.sessions)  # returned


def test_file_migrate_is_followed(backend, source, telegram, channel) -> None:
    locator = backend.put(source, name="f")
    read(backend, locator, 0, 4095)  # caches the location with dc 2
    document = channel.messages[locator["parts"][0]["message"]]
    document.dc_id = 5  # Telegram moved the file
    telegram.get_file_calls.clear()

    assert read(backend, locator, 4096, 8191) == source.read_bytes()[4096:8192]
    assert [dc for _, dc, _, _ in telegram.get_file_calls] == [5]


@pytest.mark.parametrize("premium", [False, True])
def test_a_flood_wait_cools_the_session_and_the_read_moves_on(
    telegram, channel, source, redis_client, premium
) -> None:
    pool = SessionPool(redis_client, ["bot-111", "bot-222"], cap=15, lease_seconds=60)
    backend = make_backend(telegram, channel, pool=pool)
    try:
        locator = backend.put(source, name="f")
        telegram.flood_next("bot-111", 120, premium=premium)
        telegram.get_file_calls.clear()

        data = read(backend, locator, 0, MiB - 1, session="bot-111")
    finally:
        backend.close()

    assert data == source.read_bytes()[:MiB]
    assert [account for account, *_ in telegram.get_file_calls] == ["bot-222"]
    assert 110_000 < redis_client.pttl("sv:pool:cooldown:bot-111") <= 120_000
    # a viewer asking for the pool now is seated on the session that is not cooling down
    assert pool.viewer_admit("viewer-1") == "bot-222"


def test_when_every_session_floods_the_read_fails_with_retry_after(
    telegram, channel, source
) -> None:
    backend = make_backend(telegram, channel, tokens=[BOT_A])
    try:
        locator = backend.put(source, name="f")
        telegram.flood_next("bot-111", 42)
        with pytest.raises(TelegramUnavailable) as raised:
            read(backend, locator, 0, 99)
    finally:
        backend.close()

    assert raised.value.retry_after == 42
    assert raised.value.permanent is False


def test_a_failed_upload_leaves_no_part_behind(telegram, channel, source) -> None:
    backend = make_backend(telegram, channel, tokens=[BOT_A], max_file_bytes=MiB)
    telegram.flood_next("bot-111", 300, after=2)  # the first 1 MiB part (two 512 KiB) goes up

    try:
        with pytest.raises(TelegramUnavailable):
            backend.put(source, name="f")
    finally:
        backend.close()

    assert channel.next_message == 2  # one part was stored...
    assert channel.messages == {}  # ...and deleted again


def test_delete_removes_every_part(telegram, channel, source) -> None:
    backend = make_backend(telegram, channel, max_file_bytes=MiB)
    try:
        locator = backend.put(source, name="f")
        assert len(channel.messages) == 4
        backend.delete(locator)
        backend.delete(locator)  # already gone: not an error
    finally:
        backend.close()
    assert channel.messages == {}


def test_a_deleted_message_is_an_invalid_locator(backend, source, channel) -> None:
    locator = backend.put(source, name="f")
    channel.messages.clear()

    with pytest.raises(LocatorInvalid, match="no longer holds"):
        read(backend, locator, 0, 10)


@pytest.mark.parametrize(
    "locator",
    [
        {"backend": "filesystem", "sha256": "0" * 64, "size": 1},
        {"backend": "telegram", "size": 1, "parts": []},
        {"backend": "telegram", "size": 1, "parts": [{"chat": "x", "message": 1, "size": 1}]},
        "not a dict",
    ],
)
def test_malformed_locators_are_refused(backend, locator) -> None:
    with pytest.raises(LocatorInvalid):
        read(backend, locator, 0, 0)


def test_a_range_outside_the_file_is_refused(backend, source) -> None:
    locator = backend.put(source, name="f")
    with pytest.raises(RangeInvalid):
        read(backend, locator, 0, source.stat().st_size)


def test_a_client_that_goes_away_stops_the_reads(telegram, channel, tmp_path) -> None:
    path = tmp_path / "long.bin"
    path.write_bytes(os.urandom(16 * MiB))
    telegram.latency = 0.01
    backend = make_backend(telegram, channel, tokens=[BOT_A], read_ahead=2)

    async def first_chunk_then_leave() -> bytes:
        stream = backend.open_range(locator, 0, 16 * MiB - 1)
        chunk = await anext(stream)
        await stream.aclose()
        await asyncio.sleep(0.1)
        return chunk

    try:
        locator = backend.put(path, name="long.bin")
        telegram.get_file_calls.clear()
        assert asyncio.run(first_chunk_then_leave()) == path.read_bytes()[:MiB]
    finally:
        backend.close()
    assert len(telegram.get_file_calls) <= 3  # the first chunk and the read-ahead, no more


def test_channel_problems_are_reported_by_name(telegram) -> None:
    visible = telegram.channel("Members only", members={"bot-111", "bot-222"}, admins={"bot-222"})
    hidden = telegram.channel("Private", admins=set())
    backend = make_backend(telegram, visible)
    try:
        reports = backend.channels_check([visible.marked_id, hidden.marked_id])
        with pytest.raises(ChannelProblem, match="bot-222 cannot find channel"):
            asyncio.run(_upload_as(backend, "bot-222", hidden.marked_id))
    finally:
        backend.close()

    problems = {(r.session, r.chat_id): r.problem for r in reports}
    assert "bot-111 is not an admin of “Members only”" in problems[("bot-111", visible.marked_id)]
    assert problems[("bot-222", visible.marked_id)] == ""
    assert "bot-111 cannot find channel" in problems[("bot-111", hidden.marked_id)]


async def _upload_as(backend: TelegramBackend, session_name: str, chat: int) -> None:
    session = next(s for s in backend.router.sessions if s.name == session_name)

    async def work():
        await backend.router.connect(session)
        return await backend.router.peer(session, chat)

    await backend.loop.call(work())


def test_a_user_session_that_is_not_logged_in_is_reported(telegram, channel) -> None:
    backend = TelegramBackend(
        [user_spec("fake:nobody")],
        client_factory=telegram.client,
        channel_of=lambda _: channel.marked_id,
        book=MemoryBook(),
        max_file_bytes=MiB,
    )
    try:
        reports = backend.start()
    finally:
        backend.close()
    assert "not logged in" in reports[0].problem
    assert "telegram_login" in reports[0].problem


def test_split_sizes_cover_the_file_exactly() -> None:
    assert split_sizes(10, 4) == [(0, 4), (4, 4), (8, 2)]
    assert split_sizes(8, 4) == [(0, 4), (4, 4)]
    assert split_sizes(3, 4) == [(0, 3)]
