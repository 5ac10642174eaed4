"""`/healthz`: is the database reachable, is Redis reachable. 200 when both are, else 503 with
Retry-After."""

from __future__ import annotations

import time
from collections.abc import Callable

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse

from .database_down import RETRY_AFTER_SECONDS

REDIS_TIMEOUT_SECONDS = 2.0


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_redis() -> None:
    client = redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
    )
    try:
        client.ping()
    finally:
        client.close()


CHECKS: dict[str, Callable[[], None]] = {"database": check_database, "redis": check_redis}


def run_check(check: Callable[[], None]) -> dict:
    started = time.perf_counter()
    try:
        check()
    except Exception as exc:  # noqa: BLE001 - any failure means "down"; the reason is reported
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}


def healthz(request: HttpRequest) -> JsonResponse:
    results = {name: run_check(check) for name, check in CHECKS.items()}
    healthy = all(result["ok"] for result in results.values())
    body = {"status": "ok" if healthy else "unavailable", "checks": results}
    response = JsonResponse(body, status=200 if healthy else 503)
    response["Cache-Control"] = "no-store"
    if not healthy:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
