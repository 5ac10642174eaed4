"""Whole numbers from requests (a page, a year, an id, a port, a byte offset).

`str.isdigit()` then `int()` is the obvious way, and both halves fail on hostile input:
isdigit() takes digits int() refuses ("²"), and int() refuses strings of over 4300 digits
(Python's guard against quadratic conversion); either was a ValueError, a 500. `ascii_int`
takes ASCII digits only, at most `most`, and answers None for anything else.
"""

from __future__ import annotations

LARGEST_ID = 2**63 - 1  # a BigAutoField's, on every database


def ascii_int(text: str, *, most: int = LARGEST_ID) -> int | None:
    """The number `text` spells in ASCII digits, if it is at most `most`; else None (other
    digits, a sign, a space, a point, nothing, or too many digits)."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(most)):
        return None
    number = int(text)
    return number if number <= most else None
