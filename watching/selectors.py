"""Reads of viewers' progress (a file's, a title's marks, the continue-watching row) and
preferences."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import F, OuterRef, Q, QuerySet, Subquery

from library.models import Episode, MediaFile, Tenant, Title
from library.selectors import ready_files

from .models import RESUME_MIN_SECONDS, WATCHED_FRACTION, ViewerPreferences, WatchProgress


def progress_list(*, user: AbstractBaseUser, tenant: Tenant) -> QuerySet[WatchProgress]:
    """The user's progress on this tenant's titles, the most recent first."""
    return (
        WatchProgress.objects.filter(user=user, title__tenant=tenant)
        .select_related("title", "episode__season", "media_file")
        .order_by("-updated_at", "-id")
    )


def preferences_of(*, user: AbstractBaseUser, tenant: Tenant) -> ViewerPreferences:
    """The user's preferences on this tenant; the defaults (unsaved) when they set none."""
    found = ViewerPreferences.objects.filter(user=user, tenant=tenant).first()
    return found or ViewerPreferences(user=user, tenant=tenant)


def progress_of_file(*, user: AbstractBaseUser, media_file: MediaFile) -> WatchProgress | None:
    """The user's progress in the film or episode `media_file` holds (any of its versions)."""
    return WatchProgress.objects.filter(
        user=user, title_id=media_file.title_id, episode_id=media_file.episode_id
    ).first()


def next_episode_files(episodes: Iterable[Episode]) -> dict[int, MediaFile]:
    """For each episode, a ready file of the next episode of its series that has one.

    The next one is later in the same season, else in a later season; episodes without a
    ready file are passed over. One query for any number of episodes.
    """
    episodes = list(episodes)
    title_ids = {episode.season.title_id for episode in episodes}
    if not title_ids:
        return {}
    files = (
        ready_files()
        .filter(title_id__in=title_ids, episode__isnull=False)
        .select_related("episode__season")
        .order_by("title_id", "episode__season__number", "episode__number", "-height", "id")
    )
    by_title: dict[int, list[MediaFile]] = {}
    for media_file in files:
        in_order = by_title.setdefault(media_file.title_id, [])
        if not in_order or in_order[-1].episode_id != media_file.episode_id:
            in_order.append(media_file)  # the first (highest) file of each episode
    found = {}
    for episode in episodes:
        place = (episode.season.number, episode.number)
        for media_file in by_title.get(episode.season.title_id, []):
            if (media_file.episode.season.number, media_file.episode.number) > place:
                found[episode.id] = media_file
                break
    return found


@dataclass(frozen=True)
class ContinueItem:
    """A card of the continue-watching row: what to play, and from where."""

    title: Title
    episode: Episode | None
    media_file: MediaFile
    position: float  # where the player starts
    fraction: float  # how much of it is behind the viewer
    next_up: bool  # the episode after a finished one


def continue_watching(
    *, user: AbstractBaseUser, tenant: Tenant, limit: int = 12
) -> list[ContinueItem]:
    """What the user may want to go on with, one card per title, the most recent first.

    A title's latest progress decides its card: a film or episode left part-way resumes
    there; a finished episode offers the next episode that has a file; a finished film, or a
    series with nothing after, drops out. A fixed number of queries.
    """
    latest = WatchProgress.objects.filter(user=user, title=OuterRef("title")).order_by(
        "-updated_at", "-id"
    )
    finished = Q(position__gte=F("duration") * WATCHED_FRACTION)
    candidates = list(
        progress_list(user=user, tenant=tenant)
        .filter(id=Subquery(latest.values("id")[:1]))
        .filter(
            (~finished & Q(position__gte=RESUME_MIN_SECONDS))
            | (finished & Q(episode__isnull=False))
        )[: limit * 2]
    )
    next_files = next_episode_files(p.episode for p in candidates if p.finished)
    fallback = _fallback_files(p for p in candidates if not p.finished)
    items = []
    for progress in candidates:
        if progress.finished:
            media_file = next_files.get(progress.episode_id)
            if media_file is not None:
                items.append(
                    ContinueItem(progress.title, media_file.episode, media_file, 0.0, 0.0, True)
                )
            continue
        media_file = _still_ready(progress.media_file) or fallback.get(_key(progress))
        if media_file is not None:
            items.append(
                ContinueItem(
                    progress.title,
                    progress.episode,
                    media_file,
                    progress.position,
                    progress.fraction,
                    False,
                )
            )
    return items[:limit]


def _key(progress: WatchProgress) -> tuple[int, int | None]:
    return progress.title_id, progress.episode_id


def _still_ready(media_file: MediaFile | None) -> MediaFile | None:
    if media_file is None or media_file.state != MediaFile.State.READY:
        return None
    return media_file


def _fallback_files(progresses: Iterable[WatchProgress]) -> dict[tuple[int, int | None], MediaFile]:
    """A ready file of each film or episode whose last played file is gone or not ready."""
    wanted = [p for p in progresses if _still_ready(p.media_file) is None]
    if not wanted:
        return {}
    files = (
        ready_files()
        .filter(title_id__in={p.title_id for p in wanted})
        .select_related("episode__season")
    )
    found: dict[tuple[int, int | None], MediaFile] = {}
    for media_file in files:
        found.setdefault((media_file.title_id, media_file.episode_id), media_file)
    return found


def title_with_progress(*, title: Title, user: AbstractBaseUser) -> Title:
    """Mark `title` (as title_detail prefetched it) with the user's progress, in one query.

    Sets `progress` (a WatchProgress or None) on the title (films) and on each episode,
    `watched_count` and `watched` on each season, and `watched` on the title.
    """
    by_episode = {p.episode_id: p for p in WatchProgress.objects.filter(user=user, title=title)}
    title.progress = by_episode.get(None)
    if title.kind == Title.Kind.MOVIE:
        title.watched = title.progress is not None and title.progress.watched
        return title
    seasons = list(title.seasons.all())
    for season in seasons:
        episodes = list(season.episodes.all())
        for episode in episodes:
            episode.progress = by_episode.get(episode.id)
        season.watched_count = sum(1 for e in episodes if e.progress and e.progress.watched)
        season.watched = bool(episodes) and season.watched_count == len(episodes)
    title.watched = bool(seasons) and all(season.watched for season in seasons)
    return title
