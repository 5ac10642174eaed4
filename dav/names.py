"""Names in the WebDAV tree: cleaned of what could climb or split a path, unique in a folder.

Titles, episodes and files are named by curators and by whatever a download was called, and
clients put each name into a path on their side (rclone, Windows, Finder, Kodi). So a name:
- has no `/` or `\\`, no control characters, nothing Windows cannot hold (`:` becomes ` -`,
  as media managers do), no leading or trailing dots or spaces, and is never `.` or `..`;
- is NFC, fits in a path component (at most NAME_MAX_BYTES of UTF-8), and is never empty;
- is unique in its folder, compared as Windows and macOS do (case-insensitively).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from typing import TypeVar

NAME_MAX_BYTES = 240  # most filesystems hold 255 bytes a component; leave room for clients
UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\<>|?*"]')
T = TypeVar("T")
TAG = re.compile(r"^(?P<base>.+) \[(?P<tag>[0-9A-Za-z]+)\]$")


# A name that is already clean: no unsafe character or other whitespace than single inner
# spaces, no dot or space at either end. Most titles are; they skip the scrubbing (a folder
# of 10k titles is named on every PROPFIND).
CLEAN = re.compile(r'(?![ .])(?:[^\x00-\x1f\x7f/\\<>|?*":\s]| (?=\S))+(?<![ .])')


def name_clean(text: str, *, fallback: str = "Untitled") -> str:
    """`text` made safe as one path component (see the module's rules)."""
    short = len(text) <= NAME_MAX_BYTES // 4  # 4 bytes a character at most
    if short and CLEAN.fullmatch(text) and unicodedata.is_normalized("NFC", text):
        return text
    return name_scrub(text, fallback=fallback)


def name_scrub(text: str, *, fallback: str) -> str:
    name = unicodedata.normalize("NFC", text).replace(": ", " - ").replace(":", "-")
    name = UNSAFE.sub(unsafe_replacement, name)
    name = " ".join(name.split()).strip(" .")
    if len(name.encode()) > NAME_MAX_BYTES:
        _, dot, extension = name.rpartition(".")
        keep = extension if dot and 0 < len(extension) <= 8 else ""
        room = NAME_MAX_BYTES - len(keep.encode()) - 1
        name = name.encode()[:room].decode(errors="ignore").rstrip(" .")
        name = f"{name}.{keep}" if keep else name
    return name or fallback


def unsafe_replacement(match: re.Match) -> str:
    character = match.group()
    if character in "/\\":
        return "-"
    return " " if character < " " or character == "\x7f" else ""


def name_key(name: str) -> str:
    """What two names in one folder must not share."""
    return unicodedata.normalize("NFC", name).casefold()


def name_tagged(name: str, tag: str, *, is_file: bool) -> str:
    """`name` with ` [tag]` before a file's extension (or at the end of a folder's name)."""
    stem, dot, extension = name.rpartition(".")
    if is_file and dot and stem:
        return f"{stem} [{tag}].{extension}"
    return f"{name} [{tag}]"


def names_unique(
    entries: Iterable[tuple[str, str, T]], *, is_file: bool, taken: Iterable[str] = ()
) -> Iterator[tuple[str, T]]:
    """(name in the folder, item) for each (name, tag, item), in order, in a folder that
    already holds `taken`; one at a time.

    The first entry with a name keeps it; later ones get their tag (a public id or a slug:
    unique, and stable whatever else the folder holds). Give entries oldest first, so that
    adding a title never renames another.
    """
    taken = {name_key(name) for name in taken}
    for name, tag, item in entries:
        key = name_key(name)
        if key in taken:
            name = name_tagged(name, tag, is_file=is_file)
            key = name_key(name)
        taken.add(key)
        yield name, item
