"""Make .torrent files and tracker answers for offline BitTorrent: web seeds (BEP 19 url-list)
serve the files; a local web server answers as a tracker."""

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


def make_torrent(folder: Path, *, web_seed: str = "", trackers: tuple[str, ...] = ()) -> bytes:
    """A multi-file torrent of every file in `folder`, seeded from `web_seed` + folder name."""
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return torrent_of(
        folder.name,
        [(p.relative_to(folder).parts, p.read_bytes()) for p in files],
        web_seed=web_seed,
        trackers=trackers,
    )


def torrent_of(
    name: str,
    files: list[tuple[tuple[str, ...], bytes]],
    *,
    pad_first: bool = False,
    web_seed: str = "",
    trackers: tuple[str, ...] = (),
) -> bytes:
    """A multi-file torrent `name` of (path parts, content) pairs; `pad_first` ends the first
    file's last piece with a pad file (BEP 47), so no piece of it holds another file's bytes."""
    entries = [{"length": len(content), "path": list(parts)} for parts, content in files]
    if pad_first and len(files[0][1]) % PIECE:
        pad = PIECE - len(files[0][1]) % PIECE
        entries.insert(1, {"length": pad, "path": [".pad", str(pad)], "attr": "p"})
        files = [files[0], ((".pad",), b"\0" * pad), *files[1:]]
    data = b"".join(content for _, content in files)
    pieces = b"".join(
        hashlib.sha1(data[i : i + PIECE], usedforsecurity=False).digest()
        for i in range(0, len(data), PIECE)
    )
    info = {
        "name": name,
        "piece length": PIECE,
        "pieces": pieces,
        "files": entries,
    }
    torrent: dict = {"info": info}
    if web_seed:
        torrent["url-list"] = [web_seed]
    if trackers:
        torrent["announce"] = trackers[0]
        torrent["announce-list"] = [[tracker] for tracker in trackers]
    return bencode(torrent)


def tracker_answer(peers: list[tuple[str, int]]) -> bytes:
    """An HTTP tracker's announce answer handing out `peers`."""
    return bencode({"interval": 1800, "peers": [{"ip": ip, "port": port} for ip, port in peers]})
