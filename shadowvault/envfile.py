"""Reading a `.env` file: django-environ's rules, plus quoted values over several lines.

One reader for the settings and for `make run` (scripts/devstack.py), so both see the same
values. Lines are read by django-environ's own `Env.read_env`: `KEY=value`, an optional
`export `, `'single'` quotes kept literally, `"double"` quotes with backslash escapes (`\\n`
stays a backslash and an n, which `env.str(multiline=True)` turns into a newline), no inline
comments, the last of two lines for one key winning.

django-environ reads line by line, so a quoted value that does not end on its own line (a PEM
key) would keep its opening quote and lose its other lines. Such a value runs here to the first
later line that ends with the same quote, and is folded onto one line with `\\n` between its
lines, the way the one-line form writes it; django-environ then reads it like any other.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

_ASSIGNMENT = re.compile(r"\A(?:export )?([A-Za-z_0-9]+)=(.*)\Z")


def env_file_values(path: str | os.PathLike) -> dict[str, str]:
    """Every variable the file sets, as django-environ reads it; {} when there is no file.

    Raises ImproperlyConfigured, naming the file and line, for a quote no later line closes.
    """
    try:
        text = Path(path).read_text(encoding="utf8")
    except (FileNotFoundError, IsADirectoryError):
        return {}
    return env_text_values(text, source=str(path))


def env_text_values(text: str, *, source: str = ".env") -> dict[str, str]:
    """`env_file_values` of a file's text; `source` names it in errors."""
    # read_env writes into cls.ENVIRON: a class of its own per call keeps os.environ out of it
    collected = type("Collected", (environ.Env,), {"ENVIRON": {}})
    folded = "\n".join(_folded(text.splitlines(), source))
    collected.read_env(io.StringIO(folded), overwrite=True)
    return dict(collected.ENVIRON)


def env_file_apply(path: str | os.PathLike) -> None:
    """Put the file's variables into os.environ, leaving those already set alone."""
    for key, value in env_file_values(path).items():
        os.environ.setdefault(key, value)


def _folded(lines: list[str], source: str) -> Iterator[str]:
    number = 0
    while number < len(lines):
        line, number = lines[number], number + 1
        match = _ASSIGNMENT.match(line)
        quote = _opened_quote(match.group(2)) if match else ""
        if not quote:
            yield line
            continue
        first, parts = number, [line]
        while number < len(lines) and not lines[number].rstrip().endswith(quote):
            parts.append(lines[number])
            number += 1
        if number == len(lines):
            raise ImproperlyConfigured(
                f"{source}, line {first}: the value of {match.group(1)} opens a {quote} quote "
                "that no later line closes"
            )
        parts.append(lines[number].rstrip())
        number += 1
        yield "\\n".join(parts)


def _opened_quote(value: str) -> str:
    """The quote `value` starts with and does not close on its line, or ""."""
    if value[:1] not in ("'", '"'):
        return ""
    quote, rest = value[0], value[1:]
    if quote == '"':
        rest = re.sub(r"\\.", "", rest)  # escaped characters, \" among them, close nothing
    return "" if quote in rest else quote
