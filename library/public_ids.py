"""Opaque public identifiers: random base62 strings, never derived from a primary key."""

from __future__ import annotations

import secrets
import string

BASE62 = string.digits + string.ascii_letters


def new_public_id(length: int = 11) -> str:
    """A random base62 string; 11 characters carry about 65 bits, beyond guessing."""
    return "".join(secrets.choice(BASE62) for _ in range(length))


def new_title_slug() -> str:
    return new_public_id(11)


def new_file_public_id() -> str:
    return new_public_id(16)
