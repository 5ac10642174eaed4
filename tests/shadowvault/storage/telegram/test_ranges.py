"""Any range across any split returns exactly the source bytes, through valid requests only."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shadowvault.storage.telegram.ranges import BLOCK, plan_range, request_is_valid


def read_through_plan(parts: list[bytes], start: int, end: int) -> bytes:
    """What a client obeying the plan gets from Telegram (which answers short at part end)."""
    out = bytearray()
    for request in plan_range([len(p) for p in parts], start, end):
        assert request_is_valid(request.offset, request.limit), request
        answer = parts[request.part][request.offset : request.offset + request.limit]
        out += answer[request.skip : request.skip + request.take]
    return bytes(out)


@st.composite
def split_file_and_range(draw):
    sizes = draw(
        st.lists(st.integers(min_value=1, max_value=3 * BLOCK + 5000), min_size=1, max_size=3)
    )
    total = sum(sizes)
    start = draw(st.integers(min_value=0, max_value=total - 1))
    end = draw(st.integers(min_value=start, max_value=min(total - 1, start + 4 * BLOCK)))
    return sizes, start, end


SOURCE = bytes(range(251)) * (4 * 3 * BLOCK // 251 + 1)  # no period that divides 4 KiB


@settings(max_examples=300, deadline=None)
@given(split_file_and_range())
def test_any_range_across_parts_is_byte_exact(case) -> None:
    sizes, start, end = case
    parts, position = [], 0
    for size in sizes:
        parts.append(SOURCE[position : position + size])
        position += size

    assert read_through_plan(parts, start, end) == SOURCE[start : end + 1]


def test_an_aligned_megabyte_is_one_request() -> None:
    [request] = plan_range([5 * BLOCK], 2 * BLOCK, 3 * BLOCK - 1)

    assert (request.offset, request.limit, request.skip, request.take) == (
        2 * BLOCK,
        BLOCK,
        0,
        BLOCK,
    )


def test_a_small_range_asks_for_a_small_aligned_chunk() -> None:
    [request] = plan_range([BLOCK], 5000, 5099)

    assert (request.offset, request.limit, request.skip, request.take) == (4096, 4096, 904, 100)


def test_a_range_over_a_part_boundary_reads_both_parts() -> None:
    requests = plan_range([BLOCK, BLOCK], BLOCK - 10, BLOCK + 9)

    assert [(r.part, r.take) for r in requests] == [(0, 10), (1, 10)]


@pytest.mark.parametrize(("offset", "limit"), [(1000, 4096), (0, 3 * 4096), (BLOCK - 4096, 8192)])
def test_it_knows_the_requests_telegram_refuses(offset: int, limit: int) -> None:
    assert not request_is_valid(offset, limit)


def test_a_range_outside_the_file_is_refused() -> None:
    with pytest.raises(ValueError, match="outside a file of 100 bytes"):
        plan_range([60, 40], 50, 100)
