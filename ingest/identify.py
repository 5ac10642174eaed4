"""What a downloaded file is (guessit), which catalog entry it belongs to, and its clean name.

A file is matched to the job's requested title when there is one; else to the catalog (title
and year); else imported from TMDB when exactly one search result fits. Anything less certain
is reported as a reason for review: a wrong link is worse than a wait.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath

from guessit import guessit

from library.clients.tmdb import TMDBClient, TMDBError
from library.models import Episode, Tenant, Title
from library.services import title_import

UNSAFE_IN_NAMES = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


@dataclass(frozen=True)
class Match:
    title: Title | None = None
    episode: Episode | None = None
    problem: str = ""  # why a curator must look, when nothing certain was found


def file_guess(path: str) -> dict:
    """guessit's reading of a file name, helped by its folder (season packs name the show)."""
    name = PurePath(path).name
    guess = dict(guessit(name))
    if "title" not in guess and len(PurePath(path).parts) > 1:
        guess = {**dict(guessit(f"{PurePath(path).parent.name} {name}")), **guess}
    keep = ("title", "year", "season", "episode", "screen_size", "type", "episode_title")
    return {
        key: value if isinstance(value, str | int) else str(value)
        for key, value in guess.items()
        if key in keep and not isinstance(value, list)
    }


def match_target(title: Title, guess: dict, *, season: int | None, episode: int | None) -> Match:
    if title.kind == Title.Kind.MOVIE:
        return Match(title=title)
    season = season if season is not None else guess.get("season")
    episode = episode if episode is not None else guess.get("episode")
    if season is None or episode is None:
        return Match(
            problem=f"cannot tell which episode of {title} this is; give season and episode"
        )
    found = Episode.objects.filter(
        season__title=title, season__number=season, number=episode
    ).first()
    if found is None:
        return Match(
            problem=f"{title} has no S{season:02d}E{episode:02d} in the catalog; refresh it"
        )
    return Match(title=title, episode=found)


def match_catalog(tenant: Tenant, guess: dict, client: TMDBClient | None = None) -> Match:
    name = guess.get("title")
    if not name:
        return Match(problem="the file name does not say what this is")
    kind = Title.Kind.SERIES if "episode" in guess else Title.Kind.MOVIE
    candidates = Title.objects.filter(tenant=tenant, kind=kind, title__iexact=name)
    if "year" in guess:
        candidates = candidates.filter(year=guess["year"])
    found = list(candidates[:2])
    if len(found) == 1:
        title = found[0]
    elif len(found) > 1:
        return Match(problem=f"several titles in the catalog are called {name!r}; choose one")
    else:
        title, problem = tmdb_match(tenant, kind, name, guess.get("year"), client)
        if title is None:
            return Match(problem=problem)
    if kind == Title.Kind.MOVIE:
        return Match(title=title)
    return match_target(title, guess, season=None, episode=None)


def tmdb_match(
    tenant: Tenant, kind: str, name: str, year: int | None, client: TMDBClient | None
) -> tuple[Title | None, str]:
    client = client or TMDBClient.from_settings()
    try:
        results = client.search(name, kind=kind)
    except TMDBError as exc:
        return None, f"TMDB search for {name!r} failed: {exc}"
    fitting = [
        r for r in results if r.title.lower() == name.lower() and (year is None or r.year == year)
    ]
    if len(fitting) != 1:
        found = ", ".join(f"{r.title} ({r.year})" for r in results[:5]) or "nothing"
        return None, f"TMDB has no single match for {name!r}{f' ({year})' if year else ''}: {found}"
    try:
        title, _ = title_import(tmdb_id=fitting[0].tmdb_id, kind=kind, tenant=tenant, client=client)
    except TMDBError as exc:
        return None, f"TMDB import of {name!r} failed: {exc}"
    return title, ""


def resolution_label(height: int | None) -> str:
    """The usual name of a video's resolution: 1080p for 1080 (or a cropped 800) lines."""
    if not height:
        return ""
    for label, minimum in (
        ("2160p", 1600),
        ("1080p", 800),
        ("720p", 600),
        ("576p", 500),
        ("480p", 400),
    ):
        if height >= minimum:
            return label
    return f"{height}p"


def clean_name(*, title: Title, episode: Episode | None, height: int | None, extension: str) -> str:
    """`Title (Year) [1080p].mkv` or `Title (Year) - S01E02 - Episode Title [1080p].mkv`."""
    name = title.title + (f" ({title.year})" if title.year else "")
    if episode is not None:
        name += f" - S{episode.season.number:02d}E{episode.number:02d}"
        if episode.name:
            name += f" - {episode.name}"
    label = resolution_label(height)
    if label:
        name += f" [{label}]"
    name = UNSAFE_IN_NAMES.sub(" ", name).strip(" .")[:200]
    return name + extension
