"""Ingest jobs over the API: curators only, refusals are 400s with the reason, no job runs."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ingest.models import IngestJob
from tests.factories import TitleFactory
from tests.torrent_fixture import torrent_of

pytestmark = pytest.mark.django_db
JOBS = "/api/ingest/jobs/"


def test_a_curator_submits_a_url_for_a_title(api_as, curator, tenant, settings) -> None:
    settings.INGEST_ALLOW_HOSTS = ["127.0.0.1:8765"]
    title = TitleFactory(tenant=tenant)

    response = api_as(curator).post(
        JOBS, {"url": "http://127.0.0.1:8765/film.mkv", "title": title.slug}, format="json"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "queued"
    assert body["title"] == title.slug
    job = IngestJob.objects.get(id=body["id"])
    assert (job.tenant, job.created_by, job.target_title) == (tenant, curator, title)


@pytest.mark.parametrize(
    ("payload", "field", "reason"),
    [
        ({"url": "http://127.0.0.1/admin"}, "url", "loopback"),
        ({"url": "http://169.254.169.254/latest/meta-data/"}, "url", "link-local"),
        ({"url": "file:///etc/passwd"}, "url", "scheme 'file' is not allowed"),
        ({"url": "magnet:?dn=x"}, "url", "xt=urn:btih"),
        ({}, "detail", "either a URL or a .torrent"),
        ({"url": "http://93.184.216.34/a.mkv", "title": "nope"}, "title", "No title"),
        ({"url": "http://93.184.216.34/a.mkv", "season": 1}, "detail", "both season and episode"),
    ],
)
def test_bad_submissions_are_400_with_the_reason_and_start_nothing(
    api_as, curator, payload, field, reason
) -> None:
    response = api_as(curator).post(JOBS, payload, format="json")

    assert response.status_code == 400
    assert reason in str(response.json()[field])
    assert not IngestJob.objects.exists()


def uploaded(data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("pack.torrent", data, content_type="application/x-bittorrent")


def test_a_torrent_file_can_be_uploaded(api_as, curator) -> None:
    torrent = torrent_of(
        "Pack", [(("Film.mkv",), b"\0" * 100)], web_seed="http://93.184.216.34/seed/"
    )

    response = api_as(curator).post(JOBS, {"torrent": uploaded(torrent)}, format="multipart")

    assert response.status_code == 201, response.json()
    assert response.json()["source"] == "uploaded .torrent"


@pytest.mark.parametrize(
    ("sources", "field", "reason"),
    [
        ({"trackers": ("udp://127.0.0.1:6969/announce",)}, "torrent", "loopback"),
        ({"trackers": ("http://10.0.0.1/announce",)}, "torrent", "private"),
        ({"web_seed": "http://169.254.169.254/seed/"}, "torrent", "link-local"),
        ({}, "torrent", "names no tracker or web seed"),
        (None, "detail", "not a .torrent file"),
    ],
)
def test_a_torrent_that_leads_inside_or_nowhere_is_a_400(
    api_as, curator, sources, field, reason
) -> None:
    files = [(("Film.mkv",), b"\0" * 100)]
    torrent = b"d4:infod4:name4:packee" if sources is None else torrent_of("Pack", files, **sources)

    response = api_as(curator).post(JOBS, {"torrent": uploaded(torrent)}, format="multipart")

    assert response.status_code == 400
    assert reason in str(response.json()[field])
    assert not IngestJob.objects.exists()


def test_viewers_and_outsiders_cannot_use_ingest(api_as, viewer, outsider, tenant) -> None:
    job = IngestJob.objects.create(tenant=tenant, url="http://93.184.216.34/a.mkv")
    assert api_as(viewer).get(JOBS).status_code == 403
    assert (
        api_as(viewer).post(JOBS, {"url": "http://93.184.216.34/a.mkv"}, format="json").status_code
        == 403
    )
    assert api_as(outsider, "tenant-b.test").get(f"{JOBS}{job.id}/").status_code == 404


def test_jobs_are_listed_and_shown_per_site(
    api_as, curator, outsider, tenant, other_tenant
) -> None:
    mine = IngestJob.objects.create(
        tenant=tenant,
        url="http://93.184.216.34/a.mkv",
        state="fetching",
        progress=42.5,
        bytes_done=425,
        bytes_total=1000,
    )
    IngestJob.objects.create(tenant=other_tenant, url="http://93.184.216.34/b.mkv")

    listed = api_as(curator).get(JOBS).json()
    shown = api_as(curator).get(f"{JOBS}{mine.id}/").json()

    assert [job["id"] for job in listed["results"]] == [mine.id]
    assert (shown["state"], shown["progress"], shown["bytes_total"]) == ("fetching", 42.5, 1000)


def test_cancel_and_retry(api_as, curator, tenant) -> None:
    job = IngestJob.objects.create(
        tenant=tenant, url="http://93.184.216.34/a.mkv", state="fetching"
    )

    cancelled = api_as(curator).post(f"{JOBS}{job.id}/cancel/")
    again = api_as(curator).post(f"{JOBS}{job.id}/cancel/")
    retried = api_as(curator).post(f"{JOBS}{job.id}/retry/")

    assert (cancelled.status_code, cancelled.json()["state"]) == (200, "cancelled")
    assert again.status_code == 409
    assert "cancelled job cannot be cancelled" in again.json()["detail"]
    assert (retried.status_code, retried.json()["state"]) == (200, "queued")


@pytest.mark.parametrize(
    ("sources", "reason"),
    [
        ({"trackers": ("http://X/announce",)}, "the torrent's tracker URLs are not UTF-8"),
        ({"web_seed": "http://X/seed/"}, "the torrent's web seed URLs are not UTF-8"),
    ],
)
def test_a_torrent_whose_sources_are_not_utf8_is_a_400_saying_so(
    api_as, curator, sources, reason
) -> None:
    torrent = torrent_of("Pack", [(("Film.mkv",), b"\0" * 100)], **sources)
    torrent = torrent.replace(b"http://X/", b"http://\xff/")  # one byte for one: still bencode

    response = api_as(curator).post(JOBS, {"torrent": uploaded(torrent)}, format="multipart")

    assert response.status_code == 400  # was {"detail": "'utf-8' codec can't decode byte 0xff…"}
    assert response.json() == {"torrent": reason}
