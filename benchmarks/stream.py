"""The stream path against nginx serving the same file statically.

    python benchmarks/stream.py [--megabytes 1024] [--rounds 3] [--seeks 100] [--viewers 200]

Starts web, origin and the nginx gateway as `make run` does, over a throw-away SQLite
database and vault; the same nginx also serves the stored object file straight from disk
(`/static-film`): the baseline. Two ways through the gateway, each with its own web process:
- "direct": how filesystem-backend files are served (STREAM_FILESYSTEM_DIRECT, the default):
  authorize, then nginx sends the vault file itself;
- "cached": how Telegram's files are served (and filesystem ones with the setting off):
  authorize, then 1 MiB slices from the origin through nginx's cache. "Cold" is a fresh nginx
  with an empty cache, so every slice comes from the origin; "warm" is the same request
  again, from the cache.
The stored file is in the page cache in every case, so nothing here measures the disk.
1. whole file with curl: MiB/s, median of `--rounds`, each cold round on a fresh nginx;
2. seeks: 1 MiB at random offsets, one request at a time on one keep-alive connection
   (each also passes the authorize step, a web call): p50 and p95 latency;
3. viewers: `--viewers` concurrent clients (one curl, --parallel), each reading 4 MiB from
   its own place in the file: aggregate MiB/s, p95 time per viewer, the origin's peak RSS.
Targets (issue 5): warm >= 0.9 x static, cold >= 0.5 x static, origin RSS < 250 MB.
"""

from __future__ import annotations

import argparse
import getpass
import http.client
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from throwaway import bench_viewer, throwaway_django

WORKDIR = throwaway_django("sv-bench-stream-")


from library.models import Domain, MediaFile, Tenant, Title  # noqa: E402
from shadowvault.storage.filesystem import FilesystemBackend  # noqa: E402
from streaming.nginx import gateway_config, nginx_render  # noqa: E402
from streaming.objects import stored_object  # noqa: E402
from streaming.services import stream_link  # noqa: E402
from tests import processes  # noqa: E402

MiB = 1024 * 1024
VIEWER_BYTES = 4 * MiB
STATIC = "/static-film"


def stored_film(megabytes: int) -> tuple[MediaFile, Path]:
    tenant = Tenant.objects.create(name="Bench")
    Domain.objects.create(tenant=tenant, domain="127.0.0.1")
    title = Title.objects.create(tenant=tenant, kind="movie", tmdb_id=1, title="Bench", year=2000)
    source = WORKDIR / "film.bin"
    with open(source, "wb") as out:
        for _ in range(megabytes):
            out.write(os.urandom(MiB))
    backend = FilesystemBackend(WORKDIR / "vault")
    locator = backend.put(source, name="film.bin")
    source.unlink()
    media_file = MediaFile.objects.create(
        title=title,
        name="Bench (2000).mkv",
        storage="filesystem",
        locator=locator,
        size=megabytes * MiB,
        mime="video/x-matroska",
        sha256=locator["sha256"],
        state=MediaFile.State.READY,
    )
    return media_file, backend.path_of(locator)


def with_static_location(config: Path, object_path: Path) -> None:
    """Add the baseline: the same file served by nginx from disk, no cache, no Django."""
    text = config.read_text()
    static = (
        f"        location = {STATIC} {{\n"
        f"            alias {object_path};\n"
        f"            default_type video/x-matroska;\n"
        f"        }}\n\n"
        f"        location /_origin/ {{"
    )
    config.write_text(text.replace("        location /_origin/ {", static, 1))


@contextmanager
def gateway(web_port: int, origin_port: int, object_path: Path) -> Iterator[int]:
    """A fresh nginx, its slice cache empty, in front of web and origin; yields its port."""
    port = processes.free_port()
    prefix = Path(tempfile.mkdtemp(dir=WORKDIR, prefix="nginx-"))
    config = nginx_render(
        gateway_config(
            prefix=str(prefix),
            listen=f"127.0.0.1:{port}",
            web=f"127.0.0.1:{web_port}",
            origin=f"127.0.0.1:{origin_port}",
            workers="auto",
            vault_objects=str(object_path.parents[2]),
            filesystem_direct=True,  # the location exists; each web process decides its use
        )
    )
    with_static_location(config, object_path)
    with processes.nginx(config):
        processes.wait_until(lambda: processes.port_open(port), timeout=10, what="nginx")
        yield port
    shutil.rmtree(prefix, ignore_errors=True)  # the cache: up to the whole file


@contextmanager
def static_origin(object_path: Path, public_id: str) -> Iterator[int]:
    """A second nginx serving the object at /_origin/<id> itself: the fastest origin there
    can be. With it the cached way measures nginx's slice cache alone (`--nginx-origin`)."""
    port = processes.free_port()
    prefix = Path(tempfile.mkdtemp(dir=WORKDIR, prefix="origin-nginx-"))
    (prefix / "logs").mkdir()
    config = prefix / "nginx.conf"
    config.write_text(
        f"user {getpass.getuser()};\nworker_processes 1;\npid {prefix}/nginx.pid;\n"
        "events { worker_connections 1024; }\n"
        f"http {{ access_log off; sendfile on; server {{ listen 127.0.0.1:{port}; "
        f"location = /_origin/{public_id} {{ alias {object_path}; }} }} }}\n"
    )
    with processes.nginx(config):
        processes.wait_until(lambda: processes.port_open(port), timeout=10, what="origin nginx")
        yield port


def curl_rate(port: int, path: str, *headers: str) -> float:
    """MiB/s of one whole-file GET (with `headers`, "Name: value" each)."""
    speed = subprocess.run(
        [
            "curl",
            "-sf",
            "-o",
            "/dev/null",
            "-w",
            "%{speed_download}",
            *(argument for header in headers for argument in ("-H", header)),
            f"http://127.0.0.1:{port}{path}",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return float(speed) / MiB


def seek_times(port: int, path: str, offsets: list[int]) -> list[float]:
    """Seconds for each 1 MiB range, asked one after another on one connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    times = []
    for start in offsets:
        began = time.perf_counter()
        connection.request("GET", path, headers={"Range": f"bytes={start}-{start + MiB - 1}"})
        response = connection.getresponse()
        body = response.read()
        times.append(time.perf_counter() - began)
        if response.status != 206 or len(body) != MiB:
            raise RuntimeError(f"{path}: {response.status}, {len(body)} bytes")
    connection.close()
    return times


def viewers_run(port: int, path: str, starts: list[int]) -> tuple[float, list[float]]:
    """All viewers at once, each reading VIEWER_BYTES from its start: (MiB/s, per-viewer s)."""
    config = WORKDIR / "viewers.curl"
    entries = [
        f'url = "http://127.0.0.1:{port}{path}"\n'
        f'header = "Range: bytes={start}-{start + VIEWER_BYTES - 1}"\n'
        f"output = /dev/null\n"
        f'write-out = "%{{http_code}} %{{size_download}} %{{time_total}}\\n"\n'
        for start in starts
    ]
    config.write_text("next\n".join(entries))
    began = time.perf_counter()
    lines = subprocess.run(
        ["curl", "-s", "--parallel", "--parallel-max", str(len(starts)), "-K", str(config)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    wall = time.perf_counter() - began
    codes, sizes, times = lines[0::3], lines[1::3], lines[2::3]
    if set(codes) != {"206"} or set(sizes) != {str(VIEWER_BYTES)} or len(times) != len(starts):
        raise RuntimeError(f"{path}: viewers got {sorted(set(codes))}, {sorted(set(sizes))}")
    return len(starts) * VIEWER_BYTES / MiB / wall, [float(t) for t in times]


def peak_rss_mib(pid: int) -> float:
    """The process's resident-set high-water mark (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for {pid}")


def pid_listening(module: str, port: int) -> int:
    """The pid of the `uvicorn <module> ... --port <port>` process (tests.processes starts it
    and keeps its pid to itself)."""
    wanted = [module.encode(), b"--port", str(port).encode()]
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:  # gone meanwhile
            continue
        if wanted[0] in argv and any(argv[i : i + 2] == wanted[1:] for i in range(len(argv))):
            return int(entry.name)
    raise RuntimeError(f"no process runs {module} on port {port}")


def reset_peak_rss(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # Linux: VmHWM := VmRSS


def warm_up(web_port: int, path: str) -> None:
    """Wake every web worker (the first request of each loads Django's lazy parts) with a
    forged link: 403, and no storage touched, so no cache is warmed."""
    for _ in range(32):
        connection = http.client.HTTPConnection("127.0.0.1", web_port, timeout=30)
        connection.request("GET", path + "x", headers={"Host": "127.0.0.1"})
        status = connection.getresponse().status
        connection.close()
        if status != 403:
            raise RuntimeError(f"warm-up: a forged link got {status}, not 403")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def whole_file(ports: dict, object_path: Path, path: str, rounds: int) -> dict[str, float]:
    rates = {"static": [], "direct": [], "cold": [], "warm": []}
    for _ in range(rounds):
        with gateway(ports["web"], ports["origin"], object_path) as port:
            rates["static"].append(curl_rate(port, STATIC))
            rates["cold"].append(curl_rate(port, path))
            rates["warm"].append(curl_rate(port, path))
        with gateway(ports["web_direct"], ports["origin"], object_path) as port:
            rates["static"].append(curl_rate(port, STATIC))
            rates["direct"].append(curl_rate(port, path))
    return {kind: statistics.median(values) for kind, values in rates.items()}


def seeks(ports: dict, object_path: Path, path: str, size: int, count: int) -> dict:
    slices = random.sample(range(size // MiB - 1), min(count, size // MiB - 1))
    offsets = [index * MiB + random.randrange(MiB) for index in slices]  # each its own slice
    with gateway(ports["web"], ports["origin"], object_path) as port:
        times = {
            "static": seek_times(port, STATIC, offsets),
            "cold": seek_times(port, path, offsets),
            "warm": seek_times(port, path, offsets),
        }
    with gateway(ports["web_direct"], ports["origin"], object_path) as port:
        times["direct"] = seek_times(port, path, offsets)
    return times


def viewers(ports: dict, object_path: Path, path: str, size: int, count: int) -> dict:
    room = size - VIEWER_BYTES
    starts = [(n * VIEWER_BYTES + 12345) % room for n in range(count)]
    with gateway(ports["web"], ports["origin"], object_path) as port:
        results = {"static": viewers_run(port, STATIC, starts)}
        reset_peak_rss(ports["origin_pid"])
        results["cold"] = viewers_run(port, path, starts)
        results["rss"] = peak_rss_mib(ports["origin_pid"])
        results["warm"] = viewers_run(port, path, starts)
    with gateway(ports["web_direct"], ports["origin"], object_path) as port:
        results["direct"] = viewers_run(port, path, starts)
    return results


def report(args: argparse.Namespace, rates: dict, seek: dict, crowd: dict) -> None:
    def ratio(kind: str, values: dict) -> str:
        return f"{values[kind] / values['static']:.2f}"

    kinds = ("static", "direct", "cold", "warm")
    crowd_rates = {kind: crowd[kind][0] for kind in kinds}
    rows = [
        ("whole file, MiB/s", {k: f"{v:.0f}" for k, v in rates.items()}),
        ("  ratio to static", {k: ratio(k, rates) for k in kinds[1:]}),
        *(
            (
                f"seek 1 MiB, {label} ms",
                {k: f"{percentile(v, q) * 1000:.1f}" for k, v in seek.items()},
            )
            for label, q in (("p50", 0.5), ("p95", 0.95))
        ),
        (f"{args.viewers} viewers x 4 MiB, MiB/s", {k: f"{v:.0f}" for k, v in crowd_rates.items()}),
        ("  ratio to static", {k: ratio(k, crowd_rates) for k in kinds[1:]}),
        (
            "  p95 per viewer, s",
            {k: f"{percentile(crowd[k][1], 0.95):.2f}" for k in kinds},
        ),
    ]
    print(f"\n{args.megabytes} MiB file; whole file: median of {args.rounds} rounds")
    headings = ("nginx static", "direct", "cached cold", "cached warm")
    print(f"{'':34}" + "".join(f"{heading:>14}" for heading in headings))
    for label, cells in rows:
        print(f"{label:34}" + "".join(f"{cells.get(k, ''):>14}" for k in kinds))
    if args.nginx_origin:
        print("the cached way read from nginx serving the file (--nginx-origin), not the origin")
    else:
        print(f"origin peak RSS during the cold viewers: {crowd['rss']:.0f} MiB (< 250 MB)")
    print(
        "targets: warm >= 0.9 x static, cold >= 0.5 x static (whole file). Filesystem files\n"
        "take the direct way; the cached way is Telegram's (its cold speed there is Telegram's)."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seeks", type=int, default=100)
    parser.add_argument("--viewers", type=int, default=200)
    parser.add_argument(
        "--nginx-origin",
        action="store_true",
        help="the cached way reads from nginx serving the file, not from the origin: the "
        "ceiling of the slice cache whatever the origin (the origin's RSS is then idle)",
    )
    args = parser.parse_args()
    media_file, object_path = stored_film(args.megabytes)
    size = args.megabytes * MiB
    viewer = bench_viewer(media_file.title.tenant)
    link = stream_link(stored=stored_object(media_file.public_id), viewer=viewer, host="127.0.0.1")
    path = link.url.split(":8080", 1)[1]
    ports = {name: processes.free_port() for name in ("web", "web_direct", "python_origin")}
    ports["origin"] = ports["python_origin"]  # what the gateway's cached way reads from
    env = {
        key: os.environ[key]
        for key in ("TEST_DATABASE_NAME", "VAULT_ROOT", "STORAGE_BACKEND", "LOG_LEVEL")
    }
    with ExitStack() as stack:
        if args.nginx_origin:
            ports["origin"] = stack.enter_context(static_origin(object_path, media_file.public_id))
        stack.enter_context(python_stack(ports, env))
        warm_up(ports["web"], path)
        warm_up(ports["web_direct"], path)
        ports["origin_pid"] = pid_listening("streaming.origin_asgi:app", ports["python_origin"])
        rates = whole_file(ports, object_path, path, args.rounds)
        seek = seeks(ports, object_path, path, size, args.seeks)
        crowd = viewers(ports, object_path, path, size, args.viewers)
    report(args, rates, seek, crowd)


def web_server(port: int, env: dict, *, direct: bool):
    return processes.asgi_server(
        "shadowvault.asgi:application",
        port=port,
        env={**env, "STREAM_FILESYSTEM_DIRECT": str(direct).lower()},
        name="web-direct" if direct else "web",
        workers=4,
    )


@contextmanager
def python_stack(ports: dict, env: dict) -> Iterator[None]:
    """Web (direct way), web (cached way) and the origin, as make run starts them."""
    with (
        # Web as many workers as make run gives it; one origin process takes every viewer
        # (make run starts two), the worst case for its memory.
        web_server(ports["web"], env, direct=False),
        web_server(ports["web_direct"], env, direct=True),
        processes.asgi_server(
            "streaming.origin_asgi:app", port=ports["python_origin"], env=env, name="origin"
        ),
    ):
        yield


if __name__ == "__main__":
    try:
        main()
    finally:
        shutil.rmtree(WORKDIR, ignore_errors=True)
