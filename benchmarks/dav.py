"""The WebDAV share against `/s/` links for the same file, and PROPFIND of a large folder.

    python benchmarks/dav.py [--megabytes 256] [--rounds 6] [--seeks 1000] [--titles 10000]
                             [--requests 30] [--propfind-only]

Starts web (4 workers, each way of nginx's), the origin and the nginx gateway over a
throw-away SQLite database and vault (benchmarks/stream.py's set-up), stores one film, and
asks for it both ways through the same gateway and web process:
- link: `/s/<id>/<name>?exp&v&sig`, what the player in the browser uses (the baseline);
- share: `/dav/Movies/Bench (2000)/Bench (2000).mkv` with Basic credentials (an app
  password), what Infuse, Kodi, VLC and rclone use.
1. whole file with curl, MiB/s: median of `--rounds`, the two ways taking turns (each first
   every other round);
2. seeks: 1 MiB at random offsets, one request at a time on one keep-alive connection per
   way, the two ways taking turns per offset: p50 and p95 ms.
Both on the direct way (filesystem files, the default) and the cached way (Telegram's:
1 MiB slices through nginx's cache, measured warm). Target (issue 16): share >= 0.9 x link,
in throughput and in seek speed (link latency / share latency).
3. PROPFIND Depth 1 of /dav/Movies/ with `--titles` films (each with a file), `--requests`
   times: p50 and p95 ms, the answer's size, and web's CPU time a request (what the machine's
   load does not change). Target: p95 < 300 ms at 10k titles.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import os
import random
import shutil
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

# stream.py's set-up: importing it makes the throw-away Django (stream.WORKDIR), first.
sys.path.insert(0, str(Path(__file__).resolve().parent))
import stream
from django.contrib.auth.models import User

from library.app_passwords import app_password_create
from library.models import MediaFile, Tenant, Title
from streaming.objects import stored_object
from streaming.services import stream_link
from tests import processes

MiB = stream.MiB
SHARE_PATH = "/dav/Movies/Bench (2000)/Bench (2000).mkv"


def credentials(tenant: Tenant) -> tuple[str, str]:
    """The bench member's viewer key (links are signed for it) and Basic credentials with an
    app password (for the share)."""
    viewer = stream.bench_viewer(tenant)
    user = User.objects.get(id=int(viewer[1:]))
    _, secret = app_password_create(user=user, tenant=tenant, label="bench")
    return viewer, "Basic " + base64.b64encode(f"bench:{secret}".encode()).decode()


def many_titles(tenant: Tenant, count: int, locator: dict) -> None:
    """`count` films, each with a ready file (bulk inserts), for the PROPFIND measure."""
    words = ["Night", "Day", "Return", "Dark", "City", "Blue", "Last", "Iron", "Silent", "Red"]
    titles = Title.objects.bulk_create(
        Title(
            tenant=tenant,
            kind=Title.Kind.MOVIE,
            tmdb_id=100_000 + n,
            title=f"{random.choice(words)} {random.choice(words)} {n}",
            year=1950 + n % 75,
        )
        for n in range(count)
    )
    MediaFile.objects.bulk_create(
        MediaFile(
            title=title,
            name=f"{title.title} ({title.year}) [1080p].mkv",
            storage="filesystem",
            locator=locator,
            size=1_500_000_000,
            sha256=locator["sha256"],
            state=MediaFile.State.READY,
        )
        for title in titles
    )


def curl_rate(port: int, path: str, headers: dict[str, str]) -> float:
    return stream.curl_rate(
        port, quote(path, safe="/?=&"), *(f"{k}: {v}" for k, v in headers.items())
    )


def in_turn(ways: dict, turn: int) -> list:
    """The ways' items, in turn first: neither way always follows the other."""
    items = list(ways.items())
    return items if turn % 2 == 0 else items[::-1]


def seek_pairs(port: int, ways: dict[str, tuple[str, dict]], offsets: list[int]) -> dict:
    """Seconds per 1 MiB range for each way, the ways taking turns (each first every other
    time) on their own connection."""
    connections = {way: http.client.HTTPConnection("127.0.0.1", port, timeout=60) for way in ways}
    times: dict[str, list[float]] = {way: [] for way in ways}
    for turn, start in enumerate(offsets):
        for way, (path, headers) in in_turn(ways, turn):
            began = time.perf_counter()
            connections[way].request(
                "GET",
                quote(path, safe="/?=&"),
                headers={**headers, "Range": f"bytes={start}-{start + MiB - 1}"},
            )
            response = connections[way].getresponse()
            body = response.read()
            times[way].append(time.perf_counter() - began)
            if response.status != 206 or len(body) != MiB:
                raise RuntimeError(f"{way}: {response.status}, {len(body)} bytes")
    for connection in connections.values():
        connection.close()
    return times


def propfind_times(port: int, authorization: str, requests: int) -> tuple[list[float], int]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    times, size = [], 0
    for _ in range(requests):
        began = time.perf_counter()
        connection.request(
            "PROPFIND",
            "/dav/Movies/",
            body=b'<?xml version="1.0"?><propfind xmlns="DAV:"><allprop/></propfind>',
            headers={"Authorization": authorization, "Depth": "1", "Content-Type": "text/xml"},
        )
        response = connection.getresponse()
        size = len(response.read())
        times.append(time.perf_counter() - began)
        if response.status != 207:
            raise RuntimeError(f"PROPFIND: {response.status}")
    connection.close()
    return times, size


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its children (uvicorn's workers)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:  # gone meanwhile
            continue
        if int(entry.name) == pid or int(fields[1]) == pid:  # fields[1]: the parent's pid
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def measure_way(args, web_port: int, origin_port: int, object_path: Path, ways: dict) -> dict:
    size = args.megabytes * MiB
    offsets = [random.randrange(size - MiB) for _ in range(args.seeks)]
    rates: dict[str, list[float]] = {way: [] for way in ways}
    with stream.gateway(web_port, origin_port, object_path) as port:
        for path, headers in ways.values():  # fills the slice cache (cached way)
            curl_rate(port, path, headers)
        seek_pairs(port, ways, offsets[:32])  # each web worker's first lookups
        for turn in range(args.rounds):
            for way, (path, headers) in in_turn(ways, turn):
                rates[way].append(curl_rate(port, path, headers))
        seeks = seek_pairs(port, ways, offsets)
    return {"rates": {way: statistics.median(r) for way, r in rates.items()}, "seeks": seeks}


def report(results: dict, propfind: tuple[list[float], int, float], args) -> None:
    p = stream.percentile
    print(
        f"\n{args.megabytes} MiB file; whole file: median of {args.rounds} rounds; "
        f"{args.seeks} seeks of 1 MiB"
    )
    print(f"{'':28}{'link (/s/)':>14}{'share (/dav/)':>15}{'share / link':>14}")
    for way, result in results.items():
        link, share = result["rates"]["link"], result["rates"]["share"]
        print(f"{way + ', whole file MiB/s':28}{link:>14.0f}{share:>15.0f}{share / link:>14.2f}")
        for label, q in (("p50", 0.5), ("p95", 0.95)):
            link_ms = p(result["seeks"]["link"], q) * 1000
            share_ms = p(result["seeks"]["share"], q) * 1000
            print(
                f"{way + f', seek {label} ms':28}{link_ms:>14.2f}{share_ms:>15.2f}"
                f"{link_ms / share_ms:>14.2f}"
            )
    times, size, cpu = propfind
    print(
        f"\nPROPFIND Depth 1 of /dav/Movies/ with {args.titles} titles, {len(times)} requests "
        f"({size / MiB:.1f} MiB each): p50 {p(times, 0.5) * 1000:.0f} ms, "
        f"p95 {p(times, 0.95) * 1000:.0f} ms; web's CPU {cpu * 1000:.0f} ms a request"
    )
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(
        "targets: share >= 0.9 x link (throughput; seek: link ms / share ms); "
        "PROPFIND p95 < 300 ms at 10k titles"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seeks", type=int, default=1000)
    parser.add_argument("--titles", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--propfind-only", action="store_true", help="skip the file measures")
    args = parser.parse_args()
    media_file, object_path = stream.stored_film(args.megabytes)
    tenant = media_file.title.tenant
    viewer, authorization = credentials(tenant)
    many_titles(tenant, args.titles, media_file.locator)
    link = stream_link(stored=stored_object(media_file.public_id), viewer=viewer, host="127.0.0.1")
    ways = {
        "link": (link.url.split(":8080", 1)[1], {}),
        "share": (SHARE_PATH, {"Authorization": authorization}),
    }
    ports = {name: processes.free_port() for name in ("web", "web_direct", "origin")}
    env = {
        key: os.environ[key]
        for key in ("TEST_DATABASE_NAME", "VAULT_ROOT", "STORAGE_BACKEND", "LOG_LEVEL")
    }
    with stream.python_stack({**ports, "python_origin": ports["origin"]}, env):
        for port in (ports["web"], ports["web_direct"]):
            stream.warm_up(port, ways["link"][0])
        results = {}
        if not args.propfind_only:
            results = {
                "direct": measure_way(
                    args, ports["web_direct"], ports["origin"], object_path, ways
                ),
                "cached warm": measure_way(args, ports["web"], ports["origin"], object_path, ways),
            }
        with stream.gateway(ports["web_direct"], ports["origin"], object_path) as port:
            propfind_times(port, authorization, 3)  # every worker's first answer
            web = stream.pid_listening("shadowvault.asgi:application", ports["web_direct"])
            began = cpu_seconds(web)
            propfind = propfind_times(port, authorization, args.requests)
            cpu = (cpu_seconds(web) - began) / args.requests
    report(results, (*propfind, cpu), args)


if __name__ == "__main__":
    try:
        main()
    finally:
        shutil.rmtree(stream.WORKDIR, ignore_errors=True)
