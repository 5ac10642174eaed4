"""INGEST_MAX_BYTES holds on what arrives, not on what the server announces: a server that
sends no Content-Length is stopped past the cap, and what it sent is removed."""

from __future__ import annotations

import pytest

from ingest.fetch import job_fetch
from ingest.jobs import JobFailed, work_dir
from ingest.models import IngestJob

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
CAP = 3 * 1024 * 1024
SENT = 20 * 1024 * 1024


@pytest.fixture
def capped(settings, ingest_settings):
    settings.INGEST_MAX_BYTES = CAP


def fetching(tenant, url: str) -> IngestJob:
    """A job whose fetch step this test runs itself."""
    return IngestJob.objects.create(
        tenant=tenant, url=url, state=IngestJob.State.FETCHING, lease_owner="test"
    )


@pytest.mark.parametrize("fetcher", ["aria2", "yt-dlp"])
def test_a_download_without_a_length_stops_at_the_cap(
    capped, media_server, tenant, fetcher
) -> None:
    # given a server that sends 20 MB of "video" and never says how much
    path = f"/unsized-{fetcher}.mp4"
    media_server.unsized[path] = SENT
    url = f"{media_server.base_url}{path}"
    if fetcher == "yt-dlp":  # a page whose video is that file
        media_server.pages["/unsized.html"] = f'<html><body><video src="{path}"></video></body>'
        url = f"{media_server.base_url}/unsized.html"
    job = fetching(tenant, url)

    # when it is fetched
    with pytest.raises(JobFailed) as failed:
        job_fetch(job)

    # then the job fails saying so, the server was cut off, and nothing is left on disk
    assert failed.value.permanent
    assert f"passed INGEST_MAX_BYTES ({CAP} bytes)" in failed.value.reason
    assert "its files removed" in failed.value.reason
    assert CAP < media_server.unsized_sent[path] < SENT
    download = work_dir(job.id) / "download"
    assert [p for p in download.rglob("*") if p.is_file()] == []
