"""The leech pipeline end to end on a real worker, aria2c, ffmpeg and a local web server."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from ingest.jobs import work_dir
from ingest.models import IngestItem, IngestJob
from ingest.services import job_create
from library.models import MediaFile, Title
from shadowvault.storage.filesystem import FilesystemBackend
from tests.factories import TitleFactory
from tests.ingest.conftest import job_wait

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
State = IngestJob.State


def stored_path(media_file: MediaFile, vault_root: str) -> Path:
    return FilesystemBackend(Path(vault_root)).path_of(media_file.locator)


def tags_of(path: Path) -> dict:
    result = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    info = json.loads(result.stdout)
    return {
        "format": info["format"].get("tags", {}),
        "streams": [stream.get("tags", {}) for stream in info["streams"]],
    }


def test_a_direct_link_ends_stored_scrubbed_and_linked(
    ingest_worker, ingest_settings, ingest_env, media_server, tenant
) -> None:
    title = TitleFactory(tenant=tenant, title="Night of the Living Dead", year=1968)

    job = job_create(
        tenant=tenant, url=f"{media_server.base_url}/Night.of.the.Living.Dead.1968.mp4", title=title
    )
    job = job_wait(job)

    assert job.state == State.READY, job.error
    assert job.finished_at is not None
    assert job.progress == 100  # a finished job reads 100 %, all of its bytes done
    assert job.bytes_done == job.bytes_total > 0
    media_file = IngestItem.objects.get(job=job).media_file
    assert media_file.title == title
    assert media_file.state == MediaFile.State.READY
    assert media_file.name == "Night of the Living Dead (1968) [240p].mp4"
    assert (media_file.width, media_file.height, media_file.video_codec) == (320, 240, "h264")
    assert 3.5 < media_file.duration < 4.5
    tags = tags_of(stored_path(media_file, ingest_env["VAULT_ROOT"]))
    leftovers = json.dumps(tags).lower()
    assert "evilgroup" not in leftovers
    assert "evil.example" not in leftovers
    assert "encoder" not in {key.lower() for key in tags["format"]}
    assert {"language": "eng"}.items() <= tags["streams"][1].items()  # the language stays
    assert not work_dir(job.id).exists()  # the work directory is gone


def test_identical_content_is_stored_once(
    ingest_worker, ingest_settings, media_server, tenant
) -> None:
    title = TitleFactory(tenant=tenant, title="Night of the Living Dead", year=1968)
    url = f"{media_server.base_url}/Night.of.the.Living.Dead.1968.mp4"

    first = job_wait(job_create(tenant=tenant, url=url, title=title))
    second = job_wait(job_create(tenant=tenant, url=url, title=title))

    a, b = (IngestItem.objects.get(job=job).media_file for job in (first, second))
    assert (first.state, second.state) == (State.READY, State.READY)
    assert a.sha256 == b.sha256
    assert a.locator == b.locator


def test_without_a_target_the_title_is_found_on_tmdb_and_imported(
    ingest_worker, ingest_settings, media_server, tenant
) -> None:
    job = job_wait(
        job_create(tenant=tenant, url=f"{media_server.base_url}/Night.of.the.Living.Dead.1968.mp4")
    )

    assert job.state == State.READY, job.error
    title = Title.objects.get(tenant=tenant, tmdb_id=10331)
    assert IngestItem.objects.get(job=job).media_file.title == title


def test_an_unknown_file_waits_for_review(
    ingest_worker, ingest_settings, media_server, tenant
) -> None:
    job = job_wait(job_create(tenant=tenant, url=f"{media_server.base_url}/notes.txt.mp4"))

    assert job.state == State.NEEDS_REVIEW
    assert "notes" in job.error
    assert not MediaFile.objects.exists()


def test_a_file_that_is_not_media_fails_with_the_reason(
    ingest_worker, ingest_settings, media_server, tenant
) -> None:
    title = TitleFactory(tenant=tenant)
    job = job_wait(
        job_create(tenant=tenant, url=f"{media_server.base_url}/not-a-video.mp4", title=title)
    )

    assert job.state == State.FAILED
    assert "not a media file" in job.error


def test_a_redirect_to_an_inner_address_is_refused(
    ingest_worker, ingest_settings, media_server, tenant
) -> None:
    media_server.redirects["/sneaky.mp4"] = "http://127.0.0.1:9/admin/secret.mp4"
    title = TitleFactory(tenant=tenant)

    job = job_wait(
        job_create(tenant=tenant, url=f"{media_server.base_url}/sneaky.mp4", title=title)
    )

    assert job.state == State.FAILED
    assert "refused by the URL guard" in job.error
    assert "127.0.0.1" in job.error


def test_a_refusal_on_an_https_hop_fails_at_once(
    ingest_worker, ingest_settings, media_server, tenant
) -> None:
    # the guard refuses the tunnel, which the HTTP client reports as "cannot connect"
    media_server.redirects["/tunnel.mp4"] = "https://127.0.0.1:9/secret.mp4"
    job = job_create(tenant=tenant, url=f"{media_server.base_url}/tunnel.mp4")

    job = job_wait(job)

    assert job.state == State.FAILED
    assert "refused by the URL guard" in job.error
    assert job.attempts == 1  # a refusal is never retried


def test_a_server_that_keeps_failing_ends_the_job_after_its_retries(
    ingest_worker, ingest_settings, media_server, tenant
) -> None:
    media_server.statuses["/busy.mp4"] = 503
    job = job_create(tenant=tenant, url=f"{media_server.base_url}/busy.mp4")

    job = job_wait(job, timeout=60)

    assert job.state == State.FAILED
    assert "answered HTTP 503" in job.error  # the last error
    assert "gave up after 3 tries" in job.error
    assert job.attempts == 3  # the first try and INGEST_RETRIES=2 more, 1 s then 2 s apart
    assert media_server.requests.count("/busy.mp4") == 3


def test_a_missing_file_fails_with_the_servers_answer(
    ingest_worker, ingest_settings, media_server, tenant
) -> None:
    title = TitleFactory(tenant=tenant)
    job = job_wait(job_create(tenant=tenant, url=f"{media_server.base_url}/gone.mp4", title=title))
    assert job.state == State.FAILED
    assert "answered HTTP 404" in job.error
    assert job.attempts == 1  # a permanent answer: no retries


def test_the_leech_command_follows_a_job_to_the_end(
    ingest_worker, ingest_settings, media_server, tenant
) -> None:
    import io

    from django.core.management import call_command

    title = TitleFactory(tenant=tenant, title="Night of the Living Dead", year=1968)
    out = io.StringIO()

    call_command(
        "leech",
        f"{media_server.base_url}/Night.of.the.Living.Dead.1968.mp4",
        "--title",
        title.slug,
        stdout=out,
    )

    text = out.getvalue()
    assert "[##############################] " in text
    assert "stored Night of the Living Dead (1968) [240p].mp4" in text
