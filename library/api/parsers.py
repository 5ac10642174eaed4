"""JSON bodies for every API endpoint: bounded in how deeply they nest, and holding only text
a database can keep.

- Python's JSON decoder recurses once per level: a body of 100,000 opening brackets raised
  RecursionError out of DRF's parser, a 500. Here it is a 400 saying why, and so is anything
  nested deeper than MAX_DEPTH, which no endpoint of ours needs and which could still exhaust
  the stack of whatever walks the data next (validation, JSONField, rendering).
- JSON escapes can spell what UTF-8 cannot: a lone surrogate (`"\\ud800"`) fails to encode
  when saved, and NUL (`"\\u0000"`) is refused by PostgreSQL in text and jsonb, each a 500.
  DRF's CharField refuses both, but a list or JSON field took them; no client of ours sends
  either, so the whole body is refused, in keys as in values.
"""

from __future__ import annotations

import re

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_DEPTH = 64
TOO_DEEP = f"JSON nested too deeply (at most {MAX_DEPTH} levels)."
NUL = "JSON strings may not hold NUL (\\u0000)."
SURROGATE = re.compile(r"[\ud800-\udfff]")


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(TOO_DEEP) from None
        if (problem := json_problem(data)) is not None:
            raise ParseError(problem)
        return data


def json_problem(data: object) -> str | None:
    """Why `data` (parsed JSON) is refused, or None; walked without recursing."""
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            if problem := string_problem(value):
                return problem
            continue
        if isinstance(value, dict):
            keys = [key for key in value if string_problem(key)]
            if keys:
                return string_problem(keys[0])
            value = list(value.values())
        if isinstance(value, list):
            if depth > MAX_DEPTH:
                return TOO_DEEP
            pending.extend((child, depth + 1) for child in value)
    return None


def string_problem(text: str) -> str | None:
    if "\x00" in text:
        return NUL
    if match := SURROGATE.search(text):
        return f"JSON strings may not hold lone surrogates (\\u{ord(match[0]):04x})."
    return None
