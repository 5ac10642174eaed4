"""OPDS A-Z latency with many series, beside the reader API's list of the same series.

    python benchmarks/opds.py [--series 10000] [--requests 200]

A fresh SQLite database (benchmarks/catalog.py's set-up) seeded with --series manga series
(descriptions of a few hundred characters, a "chapters updated" time each). Random pages of
`/opds/manga/` (A-Z, 50 a page) and `/opds/manga/recent/` go through Django's whole request
stack signed in the way reader apps are, HTTP Basic with an app password; the baseline is
`/api/manga/?page=N` (24 a page, session auth), the reader API's list of the same series.
Prints p50 and p95 of each and the ratio to the baseline. Target (issue 16): OPDS A-Z p95 <
150 ms at 10k series.
"""

from __future__ import annotations

import argparse
import base64
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.catalog import HOST, WORDS_A, WORDS_B, bench_site, configure, measure

TARGET_P95_MS = 150.0


def seed(tenant, count: int, rng: random.Random) -> None:
    from django.db import transaction

    from readvault.models import Series, Source

    source = Source.objects.create(
        tenant=tenant, name="bench", kind="mangadex", base_url="https://x"
    )
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for offset in range(0, count, 5000):
        with transaction.atomic():
            Series.objects.bulk_create(
                Series(
                    tenant=tenant,
                    source=source,
                    source_key=f"s{n}",
                    title=f"{rng.choice(WORDS_A).title()} {rng.choice(WORDS_B).title()} {n}",
                    description="A series seeded for the benchmark. " * 8,
                    chapters_updated_at=start + timedelta(minutes=rng.randint(0, 500_000)),
                    followed=n % 3 == 0,
                )
                for n in range(offset, min(count, offset + 5000))
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(16)
    with tempfile.TemporaryDirectory(prefix="sv-bench-opds-") as workdir:
        configure(workdir)
        from django.db import connection
        from django.test import Client

        from library.app_passwords import app_password_create

        tenant, user = bench_site()
        _, secret = app_password_create(user=user, tenant=tenant, label="bench")
        started = time.perf_counter()
        seed(tenant, args.series, rng)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"seeded {args.series} series in {time.perf_counter() - started:.1f} s")

        basic = "Basic " + base64.b64encode(f"bench:{secret}".encode()).decode()
        opds_pages = -(-args.series // 50)
        api_pages = -(-args.series // 24)
        session = Client(HTTP_HOST=HOST)
        session.force_login(user)
        app = Client(HTTP_HOST=HOST)

        def pages(prefix: str, last: int) -> list[str]:
            return [f"{prefix}?page={rng.randint(1, last)}" for _ in range(args.requests)]

        results = {
            "reader API list (baseline)": measure(session, pages("/api/manga/", api_pages)),
            "OPDS A-Z, Basic app password": measure(
                app, pages("/opds/manga/", opds_pages), HTTP_AUTHORIZATION=basic
            ),
            "OPDS A-Z, session": measure(session, pages("/opds/manga/", opds_pages)),
            "OPDS recently updated, Basic": measure(
                app, pages("/opds/manga/recent/", opds_pages), HTTP_AUTHORIZATION=basic
            ),
        }

    base_p50, base_p95 = results["reader API list (baseline)"]
    print(f"\nSQLite, {args.series} series, {args.requests} random pages each, times in ms")
    print(f"{'':<32} {'p50':>7} {'p95':>7} {'p50 x':>7} {'p95 x':>7}")
    for name, (p50, p95) in results.items():
        print(f"{name:<32} {p50:7.1f} {p95:7.1f} {p50 / base_p50:7.2f} {p95 / base_p95:7.2f}")
    p95 = results["OPDS A-Z, Basic app password"][1]
    verdict = "met" if p95 < TARGET_P95_MS else "MISSED"
    print(f"\nOPDS A-Z p95 {p95:.1f} ms; target < {TARGET_P95_MS:.0f} ms: {verdict}")


if __name__ == "__main__":
    main()
