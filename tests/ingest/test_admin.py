"""Ingest in admin: submit, see progress, retry and cancel, per site."""

from __future__ import annotations

import pytest

from ingest.models import IngestJob
from tests.factories import TitleFactory

pytestmark = pytest.mark.django_db
ADD = "/admin/ingest/ingestjob/add/"
LIST = "/admin/ingest/ingestjob/"


def test_a_curator_pastes_a_url(admin_as, curator, tenant, settings) -> None:
    settings.INGEST_ALLOW_HOSTS = ["127.0.0.1:8765"]
    title = TitleFactory(tenant=tenant)

    response = admin_as(curator).post(
        ADD, {"url": "http://127.0.0.1:8765/film.mkv", "target_title": title.id}
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    job = IngestJob.objects.get()
    assert (job.tenant, job.created_by, job.target_title, job.state) == (
        tenant,
        curator,
        title,
        "queued",
    )


def test_a_refused_url_is_shown_on_the_form(admin_as, curator) -> None:
    response = admin_as(curator).post(ADD, {"url": "http://10.1.2.3/secret"})

    assert response.status_code == 200
    assert "10.1.2.3 is a private address" in response.content.decode()
    assert not IngestJob.objects.exists()


def test_running_jobs_show_a_progress_bar(admin_as, curator, tenant, other_tenant) -> None:
    IngestJob.objects.create(
        tenant=tenant,
        url="http://93.184.216.34/a.mkv",
        state="fetching",
        progress=37.5,
        bytes_done=375 * 1024**2,
        bytes_total=1000 * 1024**2,
        speed=5 * 1024**2,
        eta=125,
    )
    IngestJob.objects.create(tenant=other_tenant, url="http://93.184.216.34/elsewhere.mkv")

    page = admin_as(curator).get(LIST).content.decode()

    assert '<progress value="37.5" max="100"' in page
    assert "375.0\xa0MB of 1000.0\xa0MB, 5.0\xa0MB/s, 2 min 5 s left" in page
    assert "elsewhere.mkv" not in page
    assert 'http-equiv="refresh"' in page


def test_retry_and_cancel_actions(admin_as, curator, tenant) -> None:
    failed = IngestJob.objects.create(
        tenant=tenant, url="http://93.184.216.34/a.mkv", state="failed", error="boom"
    )
    running = IngestJob.objects.create(
        tenant=tenant, url="http://93.184.216.34/b.mkv", state="fetching"
    )
    client = admin_as(curator)

    client.post(LIST, {"action": "retry_jobs", "_selected_action": [failed.id]})
    client.post(LIST, {"action": "cancel_jobs", "_selected_action": [running.id]})

    failed.refresh_from_db()
    running.refresh_from_db()
    assert (failed.state, failed.error) == ("queued", "")
    assert running.state == "cancelled"


def test_another_sites_job_is_not_found(admin_as, outsider, tenant) -> None:
    job = IngestJob.objects.create(tenant=tenant, url="http://93.184.216.34/a.mkv")
    assert admin_as(outsider, "tenant-b.test").get(f"{LIST}{job.id}/change/").status_code in (
        302,
        404,
    )
