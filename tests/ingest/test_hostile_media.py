"""Downloads that only pretend to be films: playlists and concat lists never reach ffmpeg.

Each names a file of this machine that is not the job's (another tenant's upload): read by
ffmpeg's HLS or concat demuxer, its bytes would be stored as the film.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.models import IngestJob
from ingest.services import job_create
from library.models import MediaFile
from tests.factories import TitleFactory
from tests.ingest.conftest import job_wait, make_clip

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
State = IngestJob.State


@pytest.fixture(scope="module")
def other_upload(tmp_path_factory):
    """A real clip outside every job's directory: what the hostile files point at."""
    return make_clip(tmp_path_factory.mktemp("other-tenant") / "upload.ts", seconds=1)


def vault_files(ingest_env) -> set[Path]:
    return {p for p in Path(ingest_env["VAULT_ROOT"]).rglob("*") if p.is_file()}


@pytest.mark.parametrize(
    ("name", "body", "why"),
    [
        (
            "Hostile.Film.1999.mkv",
            "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n{path}\n#EXT-X-ENDLIST\n",
            "HLS playlist",
        ),
        ("Hostile.Film.1999.mp4", "ffconcat version 1.0\nfile {path}\n", "concat list"),
        (
            "Hostile.Film.1999.m3u8.mp4",
            "#EXTM3U\n#EXTINF:10,\nfile://{path}\n#EXT-X-ENDLIST\n",
            "HLS playlist",
        ),
    ],
)
def test_a_playlist_posing_as_a_film_fails_and_reads_nothing(
    ingest_worker,
    ingest_settings,
    ingest_env,
    media_server,
    media_root,
    other_upload,
    tenant,
    name,
    body,
    why,
) -> None:
    # given a "film" whose bytes are a list of other files
    (media_root / name).write_text(body.format(path=other_upload))
    before = vault_files(ingest_env)

    # when it is leeched
    job = job_wait(
        job_create(
            tenant=tenant, url=f"{media_server.base_url}/{name}", title=TitleFactory(tenant=tenant)
        )
    )

    # then the job fails saying why, and nothing was stored
    assert job.state == State.FAILED
    assert f"{name} is not a media file" in job.error
    assert why in job.error
    assert not MediaFile.objects.exists()
    assert vault_files(ingest_env) == before
