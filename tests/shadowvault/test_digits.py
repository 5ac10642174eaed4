"""Numbers from requests: ASCII digits only, and never more than a bound (int() refuses "²",
which isdigit() takes, and strings past 4300 digits)."""

from __future__ import annotations

import pytest

from shadowvault.digits import ascii_int


@pytest.mark.parametrize(
    ("text", "most", "number"),
    [
        ("42", 100, 42),
        ("0", 100, 0),
        ("007", 100, 7),
        ("101", 100, None),
        ("9" * 5000, 2**63 - 1, None),
        (str(2**63 - 1), 2**63 - 1, 2**63 - 1),
        (str(2**63), 2**63 - 1, None),
        ("\u00b2", 100, None),  # superscript two
        ("\u0661", 100, None),  # Arabic-Indic one: int() takes it, a URL has no business with it
        ("", 100, None),
        ("-1", 100, None),
        ("+1", 100, None),
        (" 1", 100, None),
        ("1.0", 100, None),
    ],
)
def test_it_reads_ascii_digits_within_a_bound(text, most, number) -> None:
    assert ascii_int(text, most=most) == number
