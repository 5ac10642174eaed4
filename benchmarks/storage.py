"""Storage throughput and pool admission rate.

    python benchmarks/storage.py [--megabytes 512] [--processes 4] [--seconds 5]

1. Filesystem backend `open_range` over a whole file, against a plain read of the same bytes
   in the same chunk size (the baseline): MB/s of each and the ratio (target >= 0.8).
2. Session pool admit+release pairs per second, from several processes at once against one
   Redis (a private redis-server on a free port), against a bare Redis PING round trip
   (the baseline); and the highest load any session reached (must stay <= the cap).
3. Telegram backend read-ahead against the fake Telegram with a fixed delay per getFile call
   (a round trip to a DC): MiB/s reading one chunk at a time, as Telethon's own download does
   (the baseline), against several chunks in flight. It measures the backend's pipelining,
   not Telegram.
4. The same fake read the way the gateway reads a Telegram file cold: nginx asks the origin
   for 1 MiB slices one after another, each one upload.getFile. MiB/s without carried
   read-ahead (TELEGRAM_CARRY_CHUNKS=0, the baseline) and with it (the default).
5. Telegram uploads against the same fake, the same delay per upload.saveBigFilePart: a
   12 MiB put with one 512 KiB part in flight (Telethon's own upload: the baseline) against
   2, 4 and 8; then a put with the default settings against reading the file back with them.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shadowvault.storage.filesystem import CHUNK_BYTES, FilesystemBackend  # noqa: E402
from shadowvault.storage.pool import PoolFull, SessionPool  # noqa: E402
from shadowvault.storage.telegram import TelegramBackend  # noqa: E402
from tests.processes import free_port, redis_server  # noqa: E402
from tests.telegram_fake import FakeTelegram, MiB, fake_backend  # noqa: E402

SESSIONS = [f"bot-{n}" for n in range(4)]
CAP = 15


def drop_page_cache_hint(path: Path) -> None:
    """Ask the kernel to forget the file so both reads start equally cold (best effort)."""
    with open(path, "rb") as handle:
        os.posix_fadvise(handle.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)


def plain_read(path: Path) -> float:
    started = time.perf_counter()
    with open(path, "rb") as handle:
        while handle.read(CHUNK_BYTES):
            pass
    return time.perf_counter() - started


def backend_read(backend: FilesystemBackend | TelegramBackend, locator: dict, size: int) -> float:
    async def drain() -> None:
        async for _chunk in backend.open_range(locator, 0, size - 1):
            pass

    started = time.perf_counter()
    asyncio.run(drain())
    return time.perf_counter() - started


def throughput(megabytes: int, workdir: Path) -> None:
    source = workdir / "source.bin"
    with open(source, "wb") as handle:
        for _ in range(megabytes):
            handle.write(os.urandom(1024 * 1024))
    backend = FilesystemBackend(workdir / "vault")
    locator = backend.put(source, name="source.bin")
    stored = backend.path_of(locator)
    size = source.stat().st_size
    results = {"plain read": [], "open_range": []}
    for _ in range(3):  # alternate, warm cache, best of three each
        drop_page_cache_hint(stored)
        plain_read(stored)  # warm
        results["plain read"].append(plain_read(stored))
        results["open_range"].append(backend_read(backend, locator, size))
    plain, ranged = min(results["plain read"]), min(results["open_range"])
    print(f"\nfilesystem, {megabytes} MiB file, {CHUNK_BYTES // 1024} KiB chunks, best of 3")
    print(f"  plain read  {megabytes / plain:8.0f} MiB/s")
    print(f"  open_range  {megabytes / ranged:8.0f} MiB/s")
    print(f"  ratio       {plain / ranged:8.2f}   (target >= 0.8)")


def admit_release(url: str, worker: int, processes: int, seconds: float, start_at: float, out):
    """Seat viewers and release the oldest, each worker holding a little more than its share
    of the pool's slots, so that together they keep it full and compete for every freed slot."""
    from collections import deque

    import redis

    pool = SessionPool(redis.Redis.from_url(url), SESSIONS, cap=CAP, lease_seconds=30)
    hold = CAP * len(SESSIONS) // processes + 1  # a little more than its share: contention
    seated: deque[str] = deque()
    time.sleep(max(0.0, start_at - time.time()))
    deadline = time.monotonic() + seconds
    operations = refused = highest = viewer = 0
    while time.monotonic() < deadline:
        viewer += 1
        name = f"w{worker}-{viewer}"
        operations += 1
        full = False
        try:
            pool.viewer_admit(name)
            seated.append(name)
        except PoolFull:
            refused += 1
            full = True
        # Viewers leave: the oldest goes once this worker holds its share, or the pool is full.
        if seated and (full or len(seated) >= hold):
            pool.viewer_release(seated.popleft())
            operations += 1
        if viewer % 100 == 0:
            highest = max(highest, *pool.session_load().values())
    out.put((operations, refused, highest))


def pings(url: str, seconds: float, start_at: float, out) -> None:
    import redis

    client = redis.Redis.from_url(url)
    time.sleep(max(0.0, start_at - time.time()))
    deadline = time.monotonic() + seconds
    count = 0
    while time.monotonic() < deadline:
        client.ping()
        count += 1
    out.put(count)


def run_processes(target, args_for, processes: int) -> list:
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    start_at = time.time() + 2
    workers = [
        context.Process(target=target, args=(*args_for(n), start_at, out)) for n in range(processes)
    ]
    for worker in workers:
        worker.start()
    results = [out.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join()
    return results


def contention(processes: int, seconds: float) -> None:
    with redis_server(free_port()) as url:
        baseline = run_processes(pings, lambda n: (url, seconds), processes)
        results = run_processes(admit_release, lambda n: (url, n, processes, seconds), processes)
    operations = sum(r[0] for r in results) / seconds
    refused = sum(r[1] for r in results) / seconds
    highest = max(r[2] for r in results)
    ping_rate = sum(baseline) / seconds
    print(
        f"\nsession pool, {processes} processes, {len(SESSIONS)} sessions x {CAP}, {seconds:.0f} s"
    )
    print(f"  redis PING          {ping_rate:9.0f} /s  (baseline: one round trip each)")
    print(f"  admits + releases   {operations:9.0f} /s  ratio {operations / ping_rate:.2f}")
    print(f"  of which refused    {refused:9.0f} /s  (pool full: PoolFull with Retry-After)")
    print(f"  highest load seen   {highest:9d}     (cap {CAP})")


def fake_telegram(megabytes: int, latency_ms: float, workdir: Path):
    """The fake Telegram (`latency_ms` per call), its channel, and a file to store there."""
    telegram = FakeTelegram(latency=latency_ms / 1000)
    telegram.account("bot-1")
    channel = telegram.channel("bench", admins={"bot-1"})
    path = workdir / "telegram.bin"
    path.write_bytes(os.urandom(megabytes * MiB))
    return telegram, channel, path


def telegram_read_ahead(megabytes: int, latency_ms: float, workdir: Path) -> None:
    telegram, channel, path = fake_telegram(megabytes, latency_ms, workdir)
    print(f"\ntelegram backend (fake, {latency_ms:.0f} ms per getFile), {megabytes} MiB read")
    baseline = None
    for read_ahead in (1, 2, 4, 8):
        backend = fake_backend(telegram, channel, read_ahead=read_ahead, requests_per_dc=8)
        try:
            locator = backend.put(path, name="bench.bin")
            seconds = backend_read(backend, locator, megabytes * MiB)
        finally:
            backend.close()
        rate = megabytes / seconds
        baseline = baseline or rate
        label = "one at a time (baseline)" if read_ahead == 1 else f"{read_ahead} in flight"
        print(f"  {label:<26}{rate:8.1f} MiB/s  ratio {rate / baseline:.2f}")


def telegram_slices(megabytes: int, latency_ms: float, workdir: Path) -> None:
    telegram, channel, path = fake_telegram(megabytes, latency_ms, workdir)

    async def slices(backend: TelegramBackend, locator: dict) -> float:
        began = time.perf_counter()
        for index in range(megabytes):
            async for _chunk in backend.open_range(locator, index * MiB, (index + 1) * MiB - 1):
                pass
        return time.perf_counter() - began

    print(f"\ntelegram, 1 MiB slices one after another as nginx asks ({latency_ms:.0f} ms each)")
    baseline = None
    for carry_limit in (0, 64):
        backend = fake_backend(telegram, channel, carry_limit=carry_limit, requests_per_dc=8)
        try:
            locator = backend.put(path, name="slices.bin")
            rate = megabytes / asyncio.run(slices(backend, locator))
        finally:
            backend.close()
        baseline = baseline or rate
        label = "no carried read-ahead" if carry_limit == 0 else "carried read-ahead (default)"
        print(f"  {label:<30}{rate:8.1f} MiB/s  ratio {rate / baseline:.2f}")


def timed_put(backend: TelegramBackend, path: Path) -> tuple[float, dict]:
    started = time.perf_counter()
    locator = backend.put(path, name="upload.bin")
    return time.perf_counter() - started, locator


def telegram_upload(megabytes: int, latency_ms: float, workdir: Path) -> None:
    telegram, channel, path = fake_telegram(megabytes, latency_ms, workdir)
    print(f"\ntelegram upload (fake, {latency_ms:.0f} ms per saveBigFilePart), {megabytes} MiB put")
    baseline = None
    for in_flight in (1, 2, 4, 8):
        backend = fake_backend(
            telegram, channel, upload_parts_in_flight=in_flight, requests_per_dc=8
        )
        try:
            seconds = min(timed_put(backend, path)[0] for _ in range(3))
        finally:
            backend.close()
        rate = megabytes / seconds
        baseline = baseline or rate
        label = (
            "one part at a time (baseline)" if in_flight == 1 else f"{in_flight} parts in flight"
        )
        print(f"  {label:<30}{rate:8.1f} MiB/s  ratio {rate / baseline:.2f}")
    backend = fake_backend(telegram, channel)  # the defaults: 6 parts, read-ahead 4, 6 per DC
    try:
        puts, reads = [], []
        for _ in range(3):
            seconds, locator = timed_put(backend, path)
            puts.append(seconds)
            reads.append(backend_read(backend, locator, megabytes * MiB))
    finally:
        backend.close()
    put_rate, read_rate = megabytes / min(puts), megabytes / min(reads)
    print(f"  read back, defaults           {read_rate:8.1f} MiB/s")
    print(
        f"  put, defaults                 {put_rate:8.1f} MiB/s  ratio {put_rate / read_rate:.2f}"
    )
    print("  (targets: >= 3.5 at 4 in flight, >= 6 at 8; put >= 0.6 x read back)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=512)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--telegram-megabytes", type=int, default=32)
    parser.add_argument("--telegram-latency-ms", type=float, default=50)
    parser.add_argument("--upload-megabytes", type=int, default=12)
    parser.add_argument(
        "--only-telegram", action="store_true", help="only the Telegram lines (3, 4 and 5)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sv-bench-storage-") as workdir:
        if not args.only_telegram:
            throughput(args.megabytes, Path(workdir))
        telegram_read_ahead(args.telegram_megabytes, args.telegram_latency_ms, Path(workdir))
        telegram_slices(args.telegram_megabytes, args.telegram_latency_ms, Path(workdir))
        telegram_upload(args.upload_megabytes, args.telegram_latency_ms, Path(workdir))
    if not args.only_telegram:
        contention(args.processes, args.seconds)


if __name__ == "__main__":
    main()
