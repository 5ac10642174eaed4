"""A large local file from submit to ready, against the same steps run by hand.

    python benchmarks/ingest.py [--megabytes 500]

Builds a video of about the given size (a lossless ffmpeg test pattern, looped), serves it
from a local web server, and times:
1. the pipeline: `job_create` to `ready` on a real Celery worker with aria2c, the guard
   proxy, guessit, the ffmpeg scrub and the filesystem store;
2. the baseline, the same work by hand in one process: `aria2c` downloading the file, an
   `ffmpeg -c copy` without metadata, and `FilesystemBackend.put`.
The ratio is pipeline / baseline (target <= 1.3): what the queueing, the proxy, progress
reports, probing and hashing cost on top of the work itself.
"""

from __future__ import annotations

import argparse
import math
import os
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from throwaway import ROOT, throwaway_django

sys.path.insert(0, str(ROOT))
from tests import processes

REDIS_PORT = processes.free_port()
WORKDIR = throwaway_django("sv-bench-ingest-", REDIS_URL=f"redis://127.0.0.1:{REDIS_PORT}/0")

from django.conf import settings  # noqa: E402

from ingest.models import IngestJob  # noqa: E402
from ingest.services import job_create  # noqa: E402
from library.models import Tenant, Title  # noqa: E402
from shadowvault.storage.filesystem import FilesystemBackend  # noqa: E402
from tests.media_fixture import MediaServer  # noqa: E402

MiB = 1024 * 1024


def make_video(target: Path, megabytes: int) -> None:
    clip = WORKDIR / "clip.mkv"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=1280x720:rate=25:duration=4",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-qp",
            "0",
            "-metadata",
            "title=Ripped",
            str(clip),
        ],
        check=True,
    )
    loops = max(1, math.ceil(megabytes * MiB / clip.stat().st_size))
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-stream_loop",
            str(loops - 1),
            "-i",
            str(clip),
            "-c",
            "copy",
            str(target),
        ],
        check=True,
    )
    clip.unlink()


def by_hand(url: str, rpc_dir: Path) -> dict[str, float]:
    times = {}
    download = rpc_dir / "by-hand"
    started = time.perf_counter()
    subprocess.run(
        ["aria2c", "-q", "-x4", "-s4", "--allow-overwrite=true", "-d", str(download), url],
        check=True,
    )
    times["aria2c download"] = time.perf_counter() - started
    source = next(download.iterdir())
    clean = download / "clean.mkv"
    started = time.perf_counter()
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-i",
            str(source),
            "-map",
            "0",
            "-c",
            "copy",
            "-map_metadata",
            "-1",
            str(clean),
        ],
        check=True,
    )
    times["ffmpeg copy"] = time.perf_counter() - started
    started = time.perf_counter()
    FilesystemBackend(WORKDIR / "vault-by-hand").put(clean, name="clean.mkv")
    times["storage put"] = time.perf_counter() - started
    shutil.rmtree(download)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=500)
    args = parser.parse_args()
    media = WORKDIR / "media"
    media.mkdir()
    film = media / "Bench.Film.2000.720p.mkv"
    make_video(film, args.megabytes)
    size_mib = film.stat().st_size / MiB
    tenant = Tenant.objects.create(name="Bench")
    title = Title.objects.create(
        tenant=tenant, kind="movie", tmdb_id=1, title="Bench Film", year=2000
    )
    server = MediaServer(media)
    secret = secrets.token_hex(16)
    aria2_port = processes.free_port()
    while aria2_port == REDIS_PORT:
        aria2_port = processes.free_port()
    redis_url = os.environ["REDIS_URL"]  # the broker this process's Celery app was built for
    with (
        processes.redis_server(REDIS_PORT),
        processes.aria2_daemon(port=aria2_port, secret=secret) as rpc,
    ):
        env = {
            "REDIS_URL": redis_url,
            "TEST_DATABASE_NAME": os.environ["TEST_DATABASE_NAME"],
            "ARIA2_RPC_URL": rpc,
            "ARIA2_RPC_SECRET": secret,
            "INGEST_ALLOW_HOSTS": server.host,
            "INGEST_WORK_ROOT": os.environ["INGEST_WORK_ROOT"],
            "VAULT_ROOT": os.environ["VAULT_ROOT"],
            "STORAGE_BACKEND": "filesystem",
        }
        settings.INGEST_ALLOW_HOSTS = [server.host]
        with processes.celery_worker(env=env, queues="default,fetch,media,upload", name="bench"):
            url = f"{server.base_url}/{film.name}"
            started = time.perf_counter()
            job = job_create(tenant=tenant, url=url, title=title)
            seen, state_started = job.state, started
            phases: dict[str, float] = {}
            while job.state not in (*IngestJob.FINISHED, IngestJob.State.NEEDS_REVIEW):
                time.sleep(0.02)
                job.refresh_from_db()
                if job.state != seen:  # how long each state lasted, as seen from outside
                    now = time.perf_counter()
                    phases[seen] = now - state_started
                    seen, state_started = job.state, now
            pipeline = time.perf_counter() - started
            if job.state != IngestJob.State.READY:
                sys.exit(f"the job ended {job.state}: {job.error}")
        steps = by_hand(url, WORKDIR)
    server.stop()
    baseline = sum(steps.values())
    print(f"\n{size_mib:.0f} MiB file from a local web server")
    for name, seconds in steps.items():
        print(f"  by hand: {name:<16}{seconds:7.2f} s")
    print(f"  by hand, total (baseline) {baseline:7.2f} s")
    for state, seconds in phases.items():
        print(f"  pipeline: {state:<17}{seconds:7.2f} s")
    ratio = pipeline / baseline
    print(f"  pipeline, submit to ready {pipeline:7.2f} s   ratio {ratio:.2f} (target <= 1.3)")
    shutil.rmtree(WORKDIR, ignore_errors=True)


if __name__ == "__main__":
    main()
