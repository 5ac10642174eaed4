"""Reads for the reader: search, and each chapter number once, from the preferred release."""

from __future__ import annotations

from itertools import groupby

from django.db.models import QuerySet

from library.models import Tenant
from shadowvault.search_text import search_fold

from .models import Chapter, Series


def series_search(*, tenant: Tenant, query: str = "") -> QuerySet[Series]:
    """The tenant's series whose title or an alternative title contains `query`, whatever
    the case and accents (both sides folded: shadowvault/search_text.py)."""
    series = Series.objects.filter(tenant=tenant).order_by("title", "id")
    folded = search_fold(query.strip())
    return series.filter(search_text__contains=folded) if folded else series


def chapters_for_reader(series: Series) -> list[Chapter]:
    """Available chapters in reading order, one per number.

    When several groups released a number, the series' language wins, then the group that
    comes first in the series' group order (groups not listed come after), then the
    earliest release.
    """
    order = {group.lower(): rank for rank, group in enumerate(series.group_order)}

    def preference(chapter: Chapter) -> tuple:
        return (
            chapter.language != series.language,
            order.get(chapter.group.lower(), len(order)),
            chapter.published_at or chapter.created_at,
            chapter.id,
        )

    available = series.chapters.filter(state=Chapter.State.AVAILABLE).order_by("number")
    return [
        min(releases, key=preference) for _, releases in groupby(available, key=lambda c: c.number)
    ]


def chapter_for_reader(*, tenant: Tenant, chapter_id: int) -> Chapter | None:
    """An available chapter of the tenant's, with its series, or None."""
    return (
        Chapter.objects.select_related("series")
        .filter(id=chapter_id, series__tenant=tenant, state=Chapter.State.AVAILABLE)
        .first()
    )
