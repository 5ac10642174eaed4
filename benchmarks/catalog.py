"""Catalog API latency at scale, on a fresh SQLite database.

    python benchmarks/catalog.py [--titles 100000] [--requests 200]

Seeds a small catalog (the baseline, 1% of --titles), measures list, search and detail through
Django's full request stack, grows the catalog to --titles and measures again. Prints p50 and
p95 per endpoint at both sizes, the ratio large/small (how the cost grows with the catalog),
and the issue's targets for SQLite at 100k titles.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORDS_A = ["silver", "dark", "last", "red", "silent", "broken", "golden", "hidden", "lost"]
WORDS_B = ["river", "night", "city", "garden", "empire", "shadow", "winter", "ocean", "star"]
TARGETS_MS = {"list": 50.0, "search": 100.0, "detail": 30.0}
HOST = "bench.test"


def configure(workdir: str) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="shadowvault.settings",
        ENV_FILE=os.devnull,
        SECRET_KEY="benchmark-only-" + "b" * 40,
        DATA_DIR=workdir,
        DATABASE_URL=f"sqlite:///{workdir}/bench.sqlite3",
        STATIC_ROOT=workdir,
        CACHE_URL="locmemcache://",
        ALLOWED_HOSTS=HOST,
        SECURE_SSL_REDIRECT="false",
        LOG_LEVEL="WARNING",
    )
    import django
    from django.conf import settings

    django.setup()
    settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = []  # measure the API, not limits
    from rest_framework.settings import api_settings

    api_settings.reload()


def bench_site():
    """Migrate the fresh database; a tenant on HOST and a member of it: (tenant, user)."""
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from library.models import Domain, Membership, Tenant

    call_command("migrate", verbosity=0)
    tenant = Tenant.objects.create(name="Bench")
    Domain.objects.create(tenant=tenant, domain=HOST)
    user = User.objects.create_user("bench")
    Membership.objects.create(tenant=tenant, user=user)
    return tenant, user


def seed(tenant, *, start: int, count: int, rng: random.Random) -> None:
    """Add `count` titles: 10% series (2 seasons of 5 episodes), 2 genres each, files."""
    from django.db import transaction

    from library.models import Episode, Genre, MediaFile, Season, Title

    genres = list(Genre.objects.all())
    batch = 5000
    for offset in range(start, start + count, batch):
        size = min(batch, start + count - offset)
        with transaction.atomic():
            titles = Title.objects.bulk_create(
                Title(
                    tenant=tenant,
                    kind=Title.Kind.SERIES if n % 10 == 0 else Title.Kind.MOVIE,
                    tmdb_id=n + 1,
                    title=f"{rng.choice(WORDS_A).title()} {rng.choice(WORDS_B).title()} {n}",
                    year=rng.randint(1920, 2026),
                    popularity=rng.random() * 100,
                    overview="A title seeded for the benchmark.",
                )
                for n in range(offset, offset + size)
            )
            links = Title.genres.through
            links.objects.bulk_create(
                links(title_id=title.id, genre_id=genre.id)
                for title in titles
                for genre in rng.sample(genres, 2)
            )
            series = [t for t in titles if t.kind == Title.Kind.SERIES]
            seasons = Season.objects.bulk_create(
                Season(title=t, number=number) for t in series for number in (1, 2)
            )
            episodes = Episode.objects.bulk_create(
                Episode(season=s, number=number, name=f"Episode {number}")
                for s in seasons
                for number in range(1, 6)
            )
            title_of_season = {s.id: s.title_id for s in seasons}
            MediaFile.objects.bulk_create(
                [
                    MediaFile(
                        title_id=title_of_season[e.season_id],
                        episode=e,
                        name="e.mkv",
                        storage="filesystem",
                        state=MediaFile.State.READY,
                        height=1080,
                    )
                    for e in episodes
                ]
                + [
                    MediaFile(
                        title=t,
                        name="m.mkv",
                        storage="filesystem",
                        state=MediaFile.State.READY,
                        height=1080,
                    )
                    for t in titles
                    if t.kind == Title.Kind.MOVIE and t.id % 5 == 0
                ]
            )


def measure(client, urls: list[str], **headers: str) -> tuple[float, float]:
    """p50 and p95 in milliseconds over `urls` (asked with `headers`), after a warm-up."""
    for url in urls[:10]:
        client.get(url, **headers)
    timings = []
    for url in urls:
        started = time.perf_counter()
        response = client.get(url, **headers)
        timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}: {response.content[:300]}")
    quantiles = statistics.quantiles(timings, n=100)
    return quantiles[49], quantiles[94]


def scenarios(tenant, requests: int, rng: random.Random) -> dict[str, list[str]]:
    from library.models import Title

    last_page = max(1, min(20, Title.objects.filter(tenant=tenant).count() // 24))
    slugs = list(
        Title.objects.filter(tenant=tenant).order_by("?").values_list("slug", flat=True)[:requests]
    )
    series = list(
        Title.objects.filter(tenant=tenant, kind="series").values_list("slug", flat=True)[
            : requests // 2
        ]
    )
    detail_slugs = (slugs[: requests - len(series)] + series)[:requests]
    orderings = ["", "&ordering=-popularity", "&ordering=year", "&ordering=-created_at"]
    return {
        "list": [
            f"/api/titles/?page={rng.randint(1, last_page)}{rng.choice(orderings)}"
            for _ in range(requests)
        ],
        "search": [f"/api/titles/?search={rng.choice(WORDS_A + WORDS_B)}" for _ in range(requests)],
        "detail": [f"/api/titles/{rng.choice(detail_slugs)}/" for _ in range(requests)],
    }


def run_at_size(tenant, user, requests: int, rng: random.Random) -> dict[str, tuple[float, float]]:
    from django.test import Client

    client = Client(HTTP_HOST=HOST)
    client.force_login(user)
    return {name: measure(client, urls) for name, urls in scenarios(tenant, requests, rng).items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--titles", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(42)
    with tempfile.TemporaryDirectory(prefix="sv-bench-") as workdir:
        configure(workdir)
        from library.models import Genre

        tenant, user = bench_site()
        Genre.objects.bulk_create(Genre(tmdb_id=i, name=f"Genre {i}") for i in range(1, 20))

        small = max(args.titles // 100, 100)
        seed(tenant, start=0, count=small, rng=rng)
        baseline = run_at_size(tenant, user, args.requests, rng)
        started = time.perf_counter()
        seed(tenant, start=small, count=args.titles - small, rng=rng)
        print(f"seeded {args.titles} titles in {time.perf_counter() - started:.0f} s")
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        large = run_at_size(tenant, user, args.requests, rng)

    print(f"\nSQLite, {args.requests} requests per endpoint, times in ms")
    print(
        f"{'endpoint':<8} {small:>7} p50 {small:>7} p95 {args.titles:>7} p50 "
        f"{args.titles:>7} p95  p95 ratio  target p95  met"
    )
    for name in ("list", "search", "detail"):
        (b50, b95), (l50, l95) = baseline[name], large[name]
        met = "yes" if l95 < TARGETS_MS[name] else "NO"
        print(
            f"{name:<8} {b50:>11.1f} {b95:>11.1f} {l50:>11.1f} {l95:>11.1f} "
            f"{l95 / b95:>10.2f}x {TARGETS_MS[name]:>10.0f}  {met}"
        )


if __name__ == "__main__":
    main()
