"""A magnet fetched from a real peer (a libtorrent seeder on 127.0.0.2, an allowed address):
its metadata is kept, so a retry after the worker died needs neither the peer nor the
metadata again."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import libtorrent as lt
import pytest

from ingest.fetch import job_fetch
from ingest.jobs import work_dir
from ingest.models import IngestJob
from tests import processes
from tests.torrent_fixture import torrent_of

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
CLIP = "Night.of.the.Living.Dead.1968.mp4"


class Seeder:
    """A libtorrent peer on 127.0.0.2 seeding `clip` (no DHT, no discovery: only it)."""

    def __init__(self, folder: Path, clip: bytes) -> None:
        self.clip = clip
        self.session = lt.session(
            {
                "listen_interfaces": "127.0.0.2:0",
                "enable_dht": False,
                "enable_lsd": False,
                "enable_upnp": False,
                "enable_natpmp": False,
            }
        )
        params = lt.add_torrent_params()
        params.ti = lt.torrent_info(torrent_of(folder.name, [((CLIP,), clip)]))
        params.save_path = str(folder.parent)
        params.flags |= lt.torrent_flags.seed_mode
        params.flags &= ~lt.torrent_flags.auto_managed & ~lt.torrent_flags.paused
        self.handle = self.session.add_torrent(params)
        self.info_hash = str(self.handle.info_hash())
        self.port = self.session.listen_port()
        # a peer that connects before the torrent runs is turned away, and tried again late
        processes.wait_until(
            lambda: not self.handle.status(0).paused, timeout=10, what="the seeder running"
        )

    def stop(self) -> None:
        if self.handle.is_valid():
            self.session.remove_torrent(self.handle)
            self.session.pause()


@pytest.fixture
def seeder(media_root, tmp_path) -> Iterator[Seeder]:
    folder = tmp_path / "seed" / "Night.1968"
    folder.mkdir(parents=True)
    shutil.copy(media_root / CLIP, folder / CLIP)
    started = Seeder(folder, (folder / CLIP).read_bytes())
    yield started
    started.stop()


def test_a_magnet_comes_from_its_peer_and_a_retry_needs_neither_again(
    ingest_settings, media_server, seeder, tenant
) -> None:
    magnet = f"magnet:?xt=urn:btih:{seeder.info_hash}&dn=Night&x.pe=127.0.0.2:{seeder.port}"
    job = IngestJob.objects.create(
        tenant=tenant, url=magnet, state=IngestJob.State.FETCHING, lease_owner="test"
    )

    items = job_fetch(job)

    assert [item.source_path for item in items] == [f"Night.1968/{CLIP}"]
    assert (work_dir(job.id) / "download" / items[0].source_path).read_bytes() == seeder.clip
    assert (work_dir(job.id) / "metadata.torrent").is_file()

    # when the step runs again (its worker died before moving on) and the peer is gone
    seeder.stop()
    items = job_fetch(job)

    # then what is on disk is checked and kept: nothing was asked of anyone
    assert [item.source_path for item in items] == [f"Night.1968/{CLIP}"]
