"""Make .torrent files whose only source is a web seed (BEP 19 url-list): offline BitTorrent."""

from __future__ import annotations

import hashlib
from pathlib import Path

PIECE = 256 * 1024


def bencode(value) -> bytes:
    if isinstance(value, int):
        return b"i%de" % value
    if isinstance(value, str):
        value = value.encode()
    if isinstance(value, bytes):
        return b"%d:%s" % (len(value), value)
    if isinstance(value, list):
        return b"l" + b"".join(bencode(v) for v in value) + b"e"
    if isinstance(value, dict):
        items = sorted((k.encode() if isinstance(k, str) else k, v) for k, v in value.items())
        return b"d" + b"".join(bencode(k) + bencode(v) for k, v in items) + b"e"
    raise TypeError(type(value))


def make_torrent(folder: Path, *, web_seed: str) -> bytes:
    """A multi-file torrent of every file in `folder`, seeded from `web_seed` + folder name."""
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    data = b"".join(p.read_bytes() for p in files)
    pieces = b"".join(
        hashlib.sha1(data[i : i + PIECE], usedforsecurity=False).digest()
        for i in range(0, len(data), PIECE)
    )
    info = {
        "name": folder.name,
        "piece length": PIECE,
        "pieces": pieces,
        "files": [
            {"length": p.stat().st_size, "path": list(p.relative_to(folder).parts)} for p in files
        ],
    }
    return bencode({"info": info, "url-list": [web_seed]})
