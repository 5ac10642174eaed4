"""/metrics: Prometheus text with jobs, bytes, pool load and counted events."""

from __future__ import annotations

import pytest
from django.test import Client

from ingest.models import IngestJob
from shadowvault import storage
from shadowvault.metrics import metric_increment
from tests.factories import MediaFileFactory, TitleFactory

pytestmark = pytest.mark.django_db


def scrape(**headers) -> tuple[int, str]:
    response = Client(HTTP_HOST="10.0.0.7", **headers).get("/metrics")  # a scraper, by IP
    return response.status_code, response.content.decode()


def test_it_reports_jobs_bytes_and_counters(tenant, redis_client) -> None:
    IngestJob.objects.create(tenant=tenant, url="http://93.184.216.34/a", state="fetching")
    IngestJob.objects.create(tenant=tenant, url="http://93.184.216.34/b", state="failed")
    MediaFileFactory(title=TitleFactory(tenant=tenant), size=1000)
    MediaFileFactory(title=TitleFactory(tenant=tenant), size=500, state="pending")
    metric_increment("pool_rejections_total")
    metric_increment("pool_rejections_total")
    metric_increment("readvault_refreshes_total", 'outcome="ok"')

    status, text = scrape()

    assert status == 200
    assert 'shadowvault_ingest_jobs{state="fetching"} 1' in text
    assert 'shadowvault_ingest_jobs{state="ready"} 0' in text
    assert 'shadowvault_stored_bytes{kind="video"} 1000' in text
    assert "shadowvault_pool_rejections_total 2" in text
    assert 'shadowvault_readvault_refreshes_total{outcome="ok"} 1' in text
    assert "# TYPE shadowvault_ingest_jobs gauge" in text


def test_it_shows_viewers_per_session_with_the_telegram_backend(settings, redis_client) -> None:
    settings.STORAGE_BACKEND = "telegram"
    settings.TELEGRAM_API_ID, settings.TELEGRAM_API_HASH = 1, "h"
    settings.TELEGRAM_BOT_TOKENS, settings.TELEGRAM_SESSIONS = ["111:a", "222:b"], []
    storage.session_pool.cache_clear()
    try:
        storage.session_pool().viewer_admit("u1")
        _, text = scrape()
    finally:
        storage.session_pool.cache_clear()
    assert 'shadowvault_session_viewers{session="bot-111"} 1' in text
    assert 'shadowvault_session_viewers{session="bot-222"} 0' in text


def test_a_token_guards_it_when_set(settings, redis_client) -> None:
    settings.METRICS_TOKEN = "s3cret"
    assert scrape()[0] == 401
    assert scrape(HTTP_AUTHORIZATION="Bearer wrong")[0] == 401
    assert scrape(HTTP_AUTHORIZATION="Bearer s3cret")[0] == 200
    # a header is latin-1 text: compare_digest raised TypeError for non-ASCII, a 500
    assert scrape(HTTP_AUTHORIZATION="Bearer s3cr\xe9t")[0] == 401


@pytest.mark.parametrize(
    "origin",
    [
        {"REMOTE_ADDR": "203.0.113.5"},  # another machine, straight to web
        {"HTTP_X_FORWARDED_FOR": "203.0.113.5"},  # another machine, through the gateway
        {"HTTP_X_FORWARDED_FOR": "127.0.0.1, 203.0.113.5"},  # ... claiming to be local
        {"REMOTE_ADDR": "10.0.0.9", "HTTP_X_FORWARDED_FOR": "127.0.0.1"},
    ],
)
def test_without_a_token_only_this_machine_may_scrape(tenant, redis_client, origin) -> None:
    MediaFileFactory(title=TitleFactory(tenant=tenant), size=1000)

    status, text = scrape(**origin)

    assert status == 403
    assert "shadowvault_" not in text
    assert scrape(HTTP_X_FORWARDED_FOR="127.0.0.1")[0] == 200  # a scraper on this machine


def test_with_a_token_any_machine_may_scrape(settings, redis_client) -> None:
    settings.METRICS_TOKEN = "s3cret"
    assert scrape(REMOTE_ADDR="203.0.113.5", HTTP_AUTHORIZATION="Bearer s3cret")[0] == 200
    assert scrape(REMOTE_ADDR="127.0.0.1")[0] == 401  # the token holds on this machine too
