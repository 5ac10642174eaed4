"""The stream path against nginx serving the same file statically.

    python benchmarks/stream.py [--megabytes 256] [--clients 8] [--requests 400]

Starts what `make run` starts for streaming (web, origin, nginx gateway) on free ports over a
throw-away SQLite database and vault, plus a second nginx location serving the stored object
file straight from disk (the baseline). Then, for each:
1. one whole-file GET with curl: MiB/s (the gateway twice: cold, every slice from the origin,
   then warm, every slice from nginx's cache);
2. random 1 MiB ranges (a player seeking) from several client threads: requests per second,
   on the warm cache.
Ratios are gateway / static; the gateway also checks a signed link per request (a web call).
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from throwaway import throwaway_django

WORKDIR = throwaway_django("sv-bench-stream-")

from library.models import Domain, MediaFile, Tenant, Title  # noqa: E402
from shadowvault.storage.filesystem import FilesystemBackend  # noqa: E402
from streaming.nginx import gateway_config, nginx_render  # noqa: E402
from streaming.objects import stored_object  # noqa: E402
from streaming.services import stream_link  # noqa: E402
from tests import processes  # noqa: E402

MiB = 1024 * 1024


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
        f"        location = /static-film {{\n"
        f"            alias {object_path};\n"
        f"            default_type video/x-matroska;\n"
        f"        }}\n\n"
        f"        location /_origin/ {{"
    )
    config.write_text(text.replace("        location /_origin/ {", static, 1))


def curl_seconds(url: str) -> float:
    started = time.perf_counter()
    subprocess.run(["curl", "-sf", "-o", "/dev/null", url], check=True)
    return time.perf_counter() - started


def ranged_rate(port: int, path: str, size: int, clients: int, requests: int) -> float:
    def worker(count: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for _ in range(count):
            start = random.randrange(0, size - MiB)
            connection.request("GET", path, headers={"Range": f"bytes={start}-{start + MiB - 1}"})
            response = connection.getresponse()
            body = response.read()
            if response.status != 206 or len(body) != MiB:
                raise RuntimeError(f"{path}: {response.status}, {len(body)} bytes")
        connection.close()

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(worker, [requests // clients] * clients))
    return (requests // clients * clients) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=256)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()
    media_file, object_path = stored_film(args.megabytes)
    web_port, origin_port, gateway_port = (processes.free_port() for _ in range(3))
    config = nginx_render(
        gateway_config(
            prefix=str(WORKDIR / "nginx"),
            listen=f"127.0.0.1:{gateway_port}",
            web=f"127.0.0.1:{web_port}",
            origin=f"127.0.0.1:{origin_port}",
            workers="2",
        )
    )
    with_static_location(config, object_path)
    env = {
        key: os.environ[key]
        for key in ("TEST_DATABASE_NAME", "VAULT_ROOT", "STORAGE_BACKEND", "LOG_LEVEL")
    }
    link = stream_link(stored=stored_object(media_file.public_id), viewer="bench", host="127.0.0.1")
    stream_path = link.url.split(":8080", 1)[1]
    with (
        processes.asgi_server("shadowvault.asgi:application", port=web_port, env=env, name="web"),
        processes.asgi_server(
            "streaming.origin_asgi:app", port=origin_port, env=env, name="origin"
        ),
        processes.nginx(config),
    ):
        processes.wait_until(lambda: processes.port_open(gateway_port), timeout=10, what="nginx")
        base = f"http://127.0.0.1:{gateway_port}"
        size = args.megabytes
        static = size / curl_seconds(f"{base}/static-film")
        cold = size / curl_seconds(base + stream_path)
        warm = size / curl_seconds(base + stream_path)
        print(f"\nwhole file, {size} MiB, curl")
        print(f"  nginx static (baseline)   {static:8.0f} MiB/s")
        print(f"  gateway, cold cache       {cold:8.0f} MiB/s  ratio {cold / static:.2f}")
        print(f"  gateway, warm cache       {warm:8.0f} MiB/s  ratio {warm / static:.2f}")
        total = size * MiB
        static_rate = ranged_rate(gateway_port, "/static-film", total, args.clients, args.requests)
        gateway_rate = ranged_rate(gateway_port, stream_path, total, args.clients, args.requests)
        print(f"\nrandom 1 MiB ranges, {args.clients} clients, {args.requests} requests, warm")
        print(f"  nginx static (baseline)   {static_rate:8.0f} req/s")
        ratio = gateway_rate / static_rate
        print(f"  gateway                   {gateway_rate:8.0f} req/s  ratio {ratio:.2f}")


if __name__ == "__main__":
    main()
