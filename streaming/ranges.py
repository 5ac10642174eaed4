"""HTTP byte ranges (RFC 9110 §14): one range per request, as nginx's slices ask."""

from __future__ import annotations

import re

# ASCII digits, and few enough for int() (past 4300 digits it raises): 19 spell any file size.
SINGLE_RANGE = re.compile(r"bytes=([0-9]{0,19})-([0-9]{0,19})")


class RangeNotSatisfiable(Exception):
    pass


def range_parse(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive (start, end) that `header` asks of a `size`-byte file, or None for all.

    `bytes=a-b`, `bytes=a-` and `bytes=-n` are understood; an end past the file is clipped.
    A header that is not one of those (several ranges, other units) is ignored, as RFC 9110
    allows: the whole file is sent. A range starting past the end raises RangeNotSatisfiable.
    """
    if not header:
        return None
    match = SINGLE_RANGE.fullmatch(header.strip())
    if match is None or match.group(1) == match.group(2) == "":
        return None
    first, last = match.groups()
    if first == "":  # suffix: the last n bytes
        length = int(last)
        if length == 0 or size == 0:
            raise RangeNotSatisfiable
        return max(0, size - length), size - 1
    start = int(first)
    end = size - 1 if last == "" else min(int(last), size - 1)
    if start >= size:
        raise RangeNotSatisfiable
    if start > end:
        return None  # b < a is syntactically invalid: ignore the header
    return start, end
