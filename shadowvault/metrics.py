"""`/metrics` in Prometheus' text format: what an operator graphs and alerts on.

Gauges are read from the database and the viewer pool when scraped; counters that many
processes bump (pool rejections, refresh outcomes) live in Redis (`metric_increment`).
`METRICS_TOKEN`, when set, must come as `Authorization: Bearer <token>`; unset, only loopback
clients are answered (the counts span every tenant).
"""

from __future__ import annotations

import hmac
import ipaddress
import logging

import redis
from django.conf import settings
from django.db.models import Count, Sum
from django.http import HttpRequest, HttpResponse

log = logging.getLogger(__name__)
COUNTERS_KEY = "sv:metrics:counters"
COUNTERS = {
    "pool_rejections_total": "Viewers turned away because every storage session was full.",
    "readvault_refreshes_total": "Series refreshes by outcome.",
}


def redis_client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)


def metric_increment(name: str, labels: str = "") -> None:
    """Count one event (`labels` like 'outcome="ok"'); metrics never break the caller."""
    try:
        redis_client().hincrby(COUNTERS_KEY, f"{name}{{{labels}}}" if labels else name, 1)
    except redis.RedisError as exc:
        log.warning("metric %s not counted: %s", name, exc)


def gauge_lines() -> list[str]:
    from ingest.models import IngestJob
    from library.models import MediaFile
    from readvault.models import Page
    from shadowvault.storage import session_pool

    lines = [
        "# HELP shadowvault_ingest_jobs Ingest jobs by state.",
        "# TYPE shadowvault_ingest_jobs gauge",
    ]
    by_state = dict(IngestJob.objects.values_list("state").annotate(n=Count("id")))
    lines += [
        f'shadowvault_ingest_jobs{{state="{state}"}} {by_state.get(state, 0)}'
        for state in IngestJob.State.values
    ]
    stored = (
        MediaFile.objects.filter(state=MediaFile.State.READY).aggregate(b=Sum("size"))["b"] or 0
    )
    pages = Page.objects.aggregate(b=Sum("size"))["b"] or 0
    lines += [
        "# HELP shadowvault_stored_bytes Bytes of ready files in storage, by kind.",
        "# TYPE shadowvault_stored_bytes gauge",
        f'shadowvault_stored_bytes{{kind="video"}} {stored}',
        f'shadowvault_stored_bytes{{kind="page"}} {pages}',
    ]
    pool = session_pool()
    if pool is not None:
        lines += [
            "# HELP shadowvault_session_viewers Viewers holding a slot, per session.",
            "# TYPE shadowvault_session_viewers gauge",
        ]
        lines += [
            f'shadowvault_session_viewers{{session="{name}"}} {load}'
            for name, load in pool.session_load().items()
        ]
    return lines


def counter_lines() -> list[str]:
    try:
        values = {k.decode(): int(v) for k, v in redis_client().hgetall(COUNTERS_KEY).items()}
    except redis.RedisError:
        return ["# counters unavailable: Redis does not answer"]
    lines = []
    for name, help_text in COUNTERS.items():
        lines += [f"# HELP shadowvault_{name} {help_text}", f"# TYPE shadowvault_{name} counter"]
        series = {key: value for key, value in values.items() if key.split("{")[0] == name}
        lines += [f"shadowvault_{key} {value}" for key, value in sorted(series.items())] or [
            f"shadowvault_{name} 0"
        ]
    return lines


def from_this_machine(request: HttpRequest) -> bool:
    """Whether the request, and every proxy hop it names, comes from a loopback address. The
    web server sets REMOTE_ADDR from nginx's X-Forwarded-For, whose last hop nginx wrote."""
    hops = [request.META.get("REMOTE_ADDR", "")]
    hops += request.headers.get("X-Forwarded-For", "").split(",")
    try:
        return all(ipaddress.ip_address(hop.strip()).is_loopback for hop in hops if hop.strip())
    except ValueError:  # not an address: not known to be here
        return False


def metrics(request: HttpRequest) -> HttpResponse:
    """Every tenant's counts: with METRICS_TOKEN set, for its bearer only; without it, only
    to this machine itself (a scraper on localhost)."""
    token = settings.METRICS_TOKEN
    # Bytes: compare_digest refuses non-ASCII text, and a header may be any latin-1.
    sent = request.headers.get("Authorization", "").encode("latin-1", "replace")
    if token and not hmac.compare_digest(sent, f"Bearer {token}".encode()):
        return HttpResponse("Bearer token required.\n", status=401, content_type="text/plain")
    if not token and not from_this_machine(request):
        return HttpResponse(
            "Metrics answer only on this machine; set METRICS_TOKEN to scrape from elsewhere.\n",
            status=403,
            content_type="text/plain",
        )
    body = "\n".join([*gauge_lines(), *counter_lines()]) + "\n"
    return HttpResponse(body, content_type="text/plain; version=0.0.4; charset=utf-8")
