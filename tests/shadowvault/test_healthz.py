from __future__ import annotations

import pytest


@pytest.mark.django_db
def test_it_reports_ok_when_database_and_redis_answer(client, redis_url) -> None:
    response = client.get("/healthz", HTTP_HOST="10.0.0.5")  # any host: probes use IPs

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["redis"]["ok"] is True
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_it_answers_503_naming_redis_when_redis_is_down(client, settings) -> None:
    from tests.processes import free_port

    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["redis"]["ok"] is False
    assert "ConnectionError" in body["checks"]["redis"]["error"]
