"""Catalog reads that need care: tenant scoping and a constant number of queries."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from shadowvault.search_text import search_fold

from .models import Episode, MediaFile, Season, Tenant, Title


def title_list(*, tenant: Tenant) -> QuerySet[Title]:
    """The tenant's titles with their genres: two queries whatever the page size."""
    return Title.objects.filter(tenant=tenant).prefetch_related("genres")


def title_search(titles: QuerySet[Title], query: str) -> QuerySet[Title]:
    """The titles whose name or original name contains `query`, whatever the case and
    accents (both sides folded: shadowvault/search_text.py)."""
    folded = search_fold(query.strip())
    return titles.filter(search_text__contains=folded) if folded else titles


def ready_files() -> QuerySet[MediaFile]:
    """Ready files, each version on its own (a web version names its original)."""
    return MediaFile.objects.filter(state=MediaFile.State.READY).select_related("source")


def ready_file(*, tenant: Tenant, public_id: str) -> MediaFile | None:
    """The tenant's ready file with this public id, with its title and episode; else None."""
    return (
        ready_files()
        .select_related("title", "episode__season")
        .filter(public_id=public_id, title__tenant=tenant)
        .first()
    )


def title_detail(*, tenant: Tenant, slug: str) -> Title:
    """One title with genres, seasons, episodes and ready files, in a fixed number of queries.

    Raises Title.DoesNotExist for an unknown slug or another tenant's title.
    """
    episodes = Episode.objects.prefetch_related(Prefetch("files", queryset=ready_files()))
    seasons = Season.objects.prefetch_related(Prefetch("episodes", queryset=episodes))
    movie_files = ready_files().filter(episode__isnull=True)
    return Title.objects.prefetch_related(
        "genres",
        Prefetch("seasons", queryset=seasons),
        Prefetch("files", queryset=movie_files, to_attr="movie_files"),
    ).get(tenant=tenant, slug=slug)
