"""A 3 MB .torrent of 20,000 files: accepted, started, and cheap to follow (only its video is
fetched and written; the fetch loop asks libtorrent for the torrent's counters, never its file
list)."""

from __future__ import annotations

import os
import time

import pytest

from ingest.fetch import job_fetch
from ingest.jobs import work_dir
from ingest.models import IngestJob
from ingest.services import job_check
from tests.torrent_fixture import torrent_of

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
CLIP = "Night.of.the.Living.Dead.1968.mp4"
EXTRAS = 20_000


@pytest.fixture(scope="module")
def big_pack(media_root) -> tuple[str, bytes, list]:
    """The clip, web-seeded, beside 20,000 empty extras with long names: a 3 MB .torrent."""
    pack = media_root / "Big.Pack.1968"
    pack.mkdir(exist_ok=True)
    clip = pack / CLIP
    if not clip.exists():
        os.link(media_root / CLIP, clip)
    extras = [
        (
            (
                "Extras",
                f"Disc {n // 1000:02d} - bonus material and commentaries",
                f"Behind the scenes {n:05d} - the cast and crew, restored from the negative.nfo",
            ),
            b"i",
        )
        for n in range(EXTRAS)
    ]
    return pack.name, clip.read_bytes(), extras


def test_a_3mb_torrent_of_20000_files_downloads_its_video_for_little_cpu(
    ingest_settings, media_server, media_root, big_pack, tenant
) -> None:
    name, clip, extras = big_pack
    torrent = torrent_of(
        name, [((CLIP,), clip), *extras], pad_first=True, web_seed=f"{media_server.base_url}/"
    )
    assert len(torrent) > 3_000_000  # aria2c refused RPC requests over ~2 MB
    job_check(tenant=tenant, torrent=torrent)  # what a submission goes through
    job = IngestJob.objects.create(
        tenant=tenant, torrent=torrent, state=IngestJob.State.FETCHING, lease_owner="test"
    )
    media_server.throttle = len(clip) / 3  # about three seconds of downloading to watch
    try:
        wall, cpu = time.monotonic(), time.process_time()
        items = job_fetch(job)
        wall, cpu = time.monotonic() - wall, time.process_time() - cpu
    finally:
        media_server.throttle = None

    assert [item.source_path for item in items] == [f"{name}/{CLIP}"]
    download = work_dir(job.id) / "download"
    assert (download / name / CLIP).read_bytes() == clip
    assert len([p for p in download.rglob("*") if p.is_file()]) == 1  # no extras, no leftovers
    job.refresh_from_db()
    assert job.bytes_total == len(clip)
    assert wall > 2
    # this process (libtorrent's threads, the fetch loop and the web seed) over the download
    assert cpu / wall < 0.25, f"{cpu:.2f} s of CPU in {wall:.2f} s"
