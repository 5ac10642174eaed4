"""The web-version step after an ingest, on a real worker, aria2c and a local web seed."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.models import IngestItem, IngestJob, WebVersionJob
from ingest.services import job_create
from library.models import MediaFile, Subtitle
from shadowvault.storage.filesystem import FilesystemBackend
from tests import processes
from tests.factories import TitleFactory
from tests.ingest.conftest import job_wait
from tests.media_matrix import SRT, ffmpeg
from tests.torrent_fixture import make_torrent

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def web_job_wait(media_file: MediaFile, *, timeout: float = 60) -> WebVersionJob:
    processes.wait_until(
        lambda: WebVersionJob.objects.filter(
            media_file=media_file, state__in=WebVersionJob.FINISHED
        ).exists(),
        timeout=timeout,
        what=f"the web version of {media_file.name}",
    )
    return WebVersionJob.objects.get(media_file=media_file)


def test_an_mp4_with_an_srt_beside_it_in_a_torrent_plays_direct_with_its_subtitles(
    ingest_worker,
    torrent_worker,
    ingest_settings,
    ingest_env,
    media_server,
    media_root,
    media_matrix,
    tenant,
) -> None:
    # given a multi-file torrent: the film, its English subtitles, a text file
    folder = media_root / "Metropolis.1927.PACK"
    if not folder.exists():
        folder.mkdir()
        ffmpeg(
            *("-i", str(media_matrix["h264-aac-mkv"]), "-c", "copy"),
            str(folder / "Metropolis.1927.mp4"),
        )
        (folder / "Metropolis.1927.en.srt").write_text(SRT)
        (folder / "readme.txt").write_text("seeded by nobody\n")
    torrent = make_torrent(folder, web_seed=f"{media_server.base_url}/")
    title = TitleFactory(tenant=tenant, title="Metropolis", year=1927)

    job = job_wait(job_create(tenant=tenant, torrent=torrent, title=title))

    assert job.state == IngestJob.State.READY, job.error
    media_file = IngestItem.objects.get(job=job).media_file
    web_job = web_job_wait(media_file)
    assert (web_job.state, web_job.profile, web_job.error) == ("ready", "direct", "")
    assert web_job.bytes_done == 0  # the sanitised file was handed over, not read back
    assert not media_file.derived.exists()  # it plays as it is
    subtitle = Subtitle.objects.get(media_file=media_file)
    assert (subtitle.language, subtitle.origin, subtitle.mime) == ("en", "side", "text/vtt")
    vtt = FilesystemBackend(Path(ingest_env["VAULT_ROOT"])).path_of(subtitle.locator)
    assert vtt.read_text().startswith("WEBVTT")
    assert "Hello from the subtitles" in vtt.read_text()
