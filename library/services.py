"""Catalog business logic: importing titles from TMDB."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction

from .clients.tmdb import TMDBClient, TMDBNotFound, year_of
from .models import Episode, Genre, Season, Tenant, Title


@dataclass
class TMDBTitle:
    """Everything TMDB says about one title, fetched before anything is written."""

    details: dict[str, Any]
    seasons: list[dict[str, Any]] = field(default_factory=list)


def tmdb_title_fetch(*, client: TMDBClient, tmdb_id: int, kind: str) -> TMDBTitle:
    if kind == Title.Kind.MOVIE:
        return TMDBTitle(details=client.movie(tmdb_id))
    details = client.tv(tmdb_id)
    numbers = [season["season_number"] for season in details.get("seasons", [])]
    return TMDBTitle(details=details, seasons=[client.tv_season(tmdb_id, n) for n in numbers])


def parse_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def title_fields(details: dict[str, Any], kind: str) -> dict[str, Any]:
    is_movie = kind == Title.Kind.MOVIE
    run_times = details.get("episode_run_time") or [None]
    return {
        "title": details.get("title" if is_movie else "name") or "",
        "original_title": details.get("original_title" if is_movie else "original_name") or "",
        "year": year_of(details.get("release_date" if is_movie else "first_air_date")),
        "overview": details.get("overview") or "",
        "runtime": details.get("runtime") if is_movie else run_times[0],
        "poster_path": details.get("poster_path") or "",
        "backdrop_path": details.get("backdrop_path") or "",
        "popularity": float(details.get("popularity") or 0),
    }


def genres_upsert(items: list[dict[str, Any]]) -> list[Genre]:
    genres = []
    for item in items:
        genre, _ = Genre.objects.update_or_create(
            tmdb_id=item["id"], defaults={"name": item["name"]}
        )
        genres.append(genre)
    return genres


def seasons_upsert(*, title: Title, seasons: list[dict[str, Any]]) -> None:
    for data in seasons:
        season, _ = Season.objects.update_or_create(
            title=title,
            number=data["season_number"],
            defaults={
                "name": data.get("name") or "",
                "overview": data.get("overview") or "",
                "air_date": parse_date(data.get("air_date")),
                "poster_path": data.get("poster_path") or "",
                "tmdb_id": data.get("id"),
            },
        )
        for episode in data.get("episodes", []):
            Episode.objects.update_or_create(
                season=season,
                number=episode["episode_number"],
                defaults={
                    "name": episode.get("name") or "",
                    "overview": episode.get("overview") or "",
                    "air_date": parse_date(episode.get("air_date")),
                    "runtime": episode.get("runtime"),
                    "still_path": episode.get("still_path") or "",
                    "tmdb_id": episode.get("id"),
                },
            )


def title_upsert(
    *, tenant: Tenant, tmdb_id: int, kind: str, fetched: TMDBTitle
) -> tuple[Title, bool]:
    """Write one fetched title and its seasons in one transaction; (title, created)."""
    lookup = {"tenant": tenant, "kind": kind, "tmdb_id": tmdb_id}
    fields = title_fields(fetched.details, kind)
    with transaction.atomic():
        title, created = Title.objects.update_or_create(**lookup, defaults=fields)
        title.genres.set(genres_upsert(fetched.details.get("genres", [])))
        seasons_upsert(title=title, seasons=fetched.seasons)
    return title, created


def title_import(
    *, tmdb_id: int, kind: str, tenant: Tenant, client: TMDBClient | None = None
) -> tuple[Title, bool]:
    """Import (or update) a movie or a whole series from TMDB into `tenant`'s catalog.

    - Fetches everything first: a TMDB failure half-way writes nothing.
    - Idempotent: a second run updates the same rows; returns (title, created).
    - Raises `TMDBError` (see library.clients.tmdb) when TMDB fails.
    """
    if kind not in Title.Kind.values:
        raise ValueError(f"kind must be one of {Title.Kind.values}, not {kind!r}")
    fetched = tmdb_title_fetch(
        client=client or TMDBClient.from_settings(), tmdb_id=tmdb_id, kind=kind
    )
    try:
        return title_upsert(tenant=tenant, tmdb_id=tmdb_id, kind=kind, fetched=fetched)
    except IntegrityError:
        # A concurrent import created the same title between our read and write: update it.
        title, _ = title_upsert(tenant=tenant, tmdb_id=tmdb_id, kind=kind, fetched=fetched)
        return title, False


def title_refresh(*, title: Title, client: TMDBClient | None = None) -> Title:
    """Re-import `title` from TMDB; raises TMDBNotFound when it has no TMDB id."""
    if title.tmdb_id is None:
        raise TMDBNotFound(f"{title} has no TMDB id to refresh from")
    refreshed, _ = title_import(
        tmdb_id=title.tmdb_id, kind=title.kind, tenant=title.tenant, client=client
    )
    return refreshed


def title_refresh_enqueue(*, titles: Iterable[Title]) -> int:
    """Queue a TMDB refresh for each title once the current transaction commits."""
    from .tasks import title_refresh_task

    ids = [title.id for title in titles]
    for title_id in ids:
        transaction.on_commit(lambda title_id=title_id: title_refresh_task.delay(title_id))
    return len(ids)
