"""What following a 20,000-file torrent costs the worker, against a 1-file torrent.

    python benchmarks/torrent.py [--seconds 10] [--files 20000]

Three ways, side by side, each watching a torrent with no source (it stays active and makes
no progress) for the same time, measuring this process's CPU (libtorrent's threads included):
- libtorrent, 1 file: the baseline;
- libtorrent, N files: what the fetch step does now (the torrent's counters, once a second);
- aria2c, N files: what it did before (aria2p's full status, every file, five times a second;
  aria2c's own CPU is not counted).
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.throwaway import throwaway_django


def cpu_share(poll: Callable[[], object], *, seconds: float, every: float) -> float:
    """CPU seconds per second of wall time while `poll` runs every `every` seconds."""
    wall, cpu = time.monotonic(), time.process_time()
    while time.monotonic() - wall < seconds:
        poll()
        time.sleep(every)
    return (time.process_time() - cpu) / (time.monotonic() - wall)


def torrent(files: int) -> bytes:
    from tests.torrent_fixture import torrent_of

    extras = [(("Extras", f"Extra {n:05d}.nfo"), b"x") for n in range(files - 1)]
    return torrent_of(
        "Pack", [(("Film.mkv",), b"\0" * 1000), *extras], web_seed="http://127.0.0.1:9/"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--files", type=int, default=20_000)
    args = parser.parse_args()
    throwaway_django("sv-bench-torrent-")
    from ingest.clients.aria2 import Aria2
    from ingest.clients.bittorrent import TorrentDownload
    from ingest.fetch import TORRENT_POLL_SECONDS
    from tests import processes

    results = {}
    for label, files in (
        ("libtorrent, 1 file", 1),
        (f"libtorrent, {args.files} files", args.files),
    ):
        with TorrentDownload(
            directory=Path(tempfile.mkdtemp()), torrent=torrent(files), allow_hosts=[]
        ) as download:
            results[label] = cpu_share(
                download.status, seconds=args.seconds, every=TORRENT_POLL_SECONDS
            )
    secret = secrets.token_hex(8)
    with processes.aria2_daemon(port=processes.free_port(), secret=secret) as url:
        aria2 = Aria2(url, secret)
        path = Path(tempfile.mkdtemp()) / "pack.torrent"
        path.write_bytes(torrent(args.files))
        gid = aria2.api.add_torrent(path, options={"dir": str(path.parent)}).gid
        label = f"aria2c before, {args.files} files"
        results[label] = cpu_share(lambda: aria2.status(gid), seconds=args.seconds, every=0.2)
    baseline = results["libtorrent, 1 file"]
    print(f"CPU of this process over {args.seconds:.0f} s (cores busy), ratio to the baseline:")
    for label, share in results.items():
        print(f"  {label:<32} {share:7.4f}   x{share / max(baseline, 1e-6):.1f}")


if __name__ == "__main__":
    main()
