"""JSON bodies for every API endpoint, with a bound on how deeply they nest.

Python's JSON decoder recurses once per level: a body of 100,000 opening brackets raised
RecursionError out of DRF's parser, a 500. Here it is a 400 saying why, and so is anything
nested deeper than MAX_DEPTH, which no endpoint of ours needs and which could still exhaust
the stack of whatever walks the data next (validation, JSONField, rendering).
"""

from __future__ import annotations

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_DEPTH = 64


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"JSON nested too deeply (at most {MAX_DEPTH} levels).") from None
        if json_depth(data) > MAX_DEPTH:
            raise ParseError(f"JSON nested too deeply (at most {MAX_DEPTH} levels).")
        return data


def json_depth(data: object) -> int:
    """How deeply lists and objects nest in `data` (a scalar: 0), without recursing."""
    deepest, pending = 0, [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list):
            deepest = max(deepest, depth)
            pending.extend((child, depth + 1) for child in value)
    return deepest
