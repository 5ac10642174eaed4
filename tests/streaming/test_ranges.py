from __future__ import annotations

import pytest

from streaming.ranges import RangeNotSatisfiable, range_parse


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("bytes=0-0", (0, 0)),
        ("bytes=10-19", (10, 19)),
        ("bytes=90-", (90, 99)),
        ("bytes=-10", (90, 99)),
        ("bytes=-1000", (0, 99)),
        ("bytes=50-5000", (50, 99)),
        ("bytes=0-1,5-6", None),  # several ranges: the whole file
        ("items=0-1", None),
        ("bytes=9-3", None),  # invalid: ignored
        ("bytes=-", None),
        # past Python's 4300-digit limit int() raised ValueError: a 500 from the origin
        ("bytes=" + "9" * 5000 + "-", None),
        ("bytes=0-" + "9" * 5000, None),
        ("bytes=\u0661-\u0662", None),  # other digits: no number of a header's
    ],
)
def test_range_headers(header, expected) -> None:
    assert range_parse(header, 100) == expected


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=100-200", "bytes=-0"])
def test_unsatisfiable_ranges(header) -> None:
    with pytest.raises(RangeNotSatisfiable):
        range_parse(header, 100)
