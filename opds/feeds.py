"""The catalog's feeds, built from the tenant's rows: what each list shows and links to.

Every list costs a fixed number of queries whatever its length (a page of rows, and for
chapters their page counts and first pages), so the A-Z list of 10k series stays fast.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote_plus

from django.db.models import Count, Exists, OuterRef, Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone

from library.models import MediaFile, Tenant, Title
from library.selectors import ready_files, title_detail
from readvault.downloads import CBZ_TYPE
from readvault.models import Chapter, Page, Series
from readvault.selectors import chapters_for_reader

from .atom import (
    ACQUISITION,
    NAVIGATION,
    REL_ACQUISITION,
    REL_IMAGE,
    REL_PSE_STREAM,
    REL_SORT_NEW,
    REL_SUBSECTION,
    REL_THUMBNAIL,
    Entry,
    Feed,
    Link,
    Pagination,
)

PAGE_SIZE = 50
SECTIONS = {
    "recent": "/opds/manga/recent/",
    "manga": "/opds/manga/",
    "followed": "/opds/manga/followed/",
    "movies": "/opds/movies/",
    "series": "/opds/series/",
}
SUMMARY_LENGTH = 600


class PageMissing(Http404):
    """The asked page of a list is past its end."""


@dataclass(frozen=True)
class Listing:
    """Where a list feed lives and what it is called."""

    href: str
    title: str
    key: str  # the last part of the feed's id


def urn(tenant: Tenant, *parts: object) -> str:
    return ":".join(["urn:shadowvault", str(tenant.id), *map(str, parts)])


def paginate(rows: QuerySet | Sequence, number: int) -> tuple[list, Pagination]:
    """Page `number` (from 1) of `rows`; PageMissing past the last page."""
    total = rows.count() if isinstance(rows, QuerySet) else len(rows)
    count = max(1, -(-total // PAGE_SIZE))
    if number > count:
        raise PageMissing(f"page {number} is past the last page ({count})")
    start = (number - 1) * PAGE_SIZE
    return list(rows[start : start + PAGE_SIZE]), Pagination(number, count, PAGE_SIZE, total)


def shorten(text: str) -> str:
    return text if len(text) <= SUMMARY_LENGTH else text[: SUMMARY_LENGTH - 1] + "…"


# --- Navigation ---


def root_feed(tenant: Tenant) -> Feed:
    sections = [
        ("Manga: recently updated", "recent", REL_SORT_NEW, NAVIGATION, "Newest chapters first"),
        ("Manga: A-Z", "manga", REL_SUBSECTION, NAVIGATION, "Every series by title"),
        ("Manga: followed", "followed", REL_SUBSECTION, NAVIGATION, "Series kept up to date"),
        ("Movies", "movies", REL_SUBSECTION, ACQUISITION, "Films to download or stream"),
        ("Series", "series", REL_SUBSECTION, NAVIGATION, "TV series by title"),
    ]
    now = timezone.now()
    entries = [
        Entry(
            id=urn(tenant, "section", key),
            title=title,
            updated=now,
            summary=summary,
            links=[Link(rel, SECTIONS[key], kind)],
        )
        for title, key, rel, kind, summary in sections
    ]
    return Feed(urn(tenant, "root"), tenant.name, now, NAVIGATION, "/opds/", entries)


def series_entry(tenant: Tenant, series: Series) -> Entry:
    cover = f"/opds/manga/{series.slug}/cover"
    return Entry(
        id=urn(tenant, "manga", series.slug),
        title=series.title,
        updated=series.chapters_updated_at or series.created_at,
        summary=shorten(series.description),
        language=series.language,
        links=[
            Link(REL_SUBSECTION, f"/opds/manga/{series.slug}/", ACQUISITION),
            Link(REL_IMAGE, cover, "image/jpeg"),
            Link(REL_THUMBNAIL, cover, "image/jpeg"),
        ],
    )


def series_list_feed(tenant: Tenant, listing: Listing, series: QuerySet[Series], page: int) -> Feed:
    rows, pagination = paginate(series, page)
    return Feed(
        id=urn(tenant, listing.key),
        title=listing.title,
        updated=timezone.now(),
        kind=NAVIGATION,
        href=listing.href,
        entries=[series_entry(tenant, row) for row in rows],
        page=pagination,
    )


# --- A series' chapters ---


def chapter_entry(tenant: Tenant, chapter: Chapter, pages: int, first_mime: str) -> Entry:
    number = format(chapter.number.normalize(), "f")
    first_page = f"/opds/chapters/{chapter.id}/pages/0"
    details = " · ".join(part for part in (chapter.group, chapter.language) if part)
    return Entry(
        id=urn(tenant, "chapter", chapter.id),
        title=f"Chapter {number}" + (f": {chapter.title}" if chapter.title else ""),
        updated=chapter.published_at or chapter.created_at,
        summary=details,
        language=chapter.language,
        issued=chapter.published_at.date().isoformat() if chapter.published_at else "",
        links=[
            Link(REL_ACQUISITION, f"/manga/chapters/{chapter.id}/cbz", CBZ_TYPE),
            Link(REL_IMAGE, first_page, first_mime),
            Link(REL_THUMBNAIL, first_page, first_mime),
            Link(
                REL_PSE_STREAM,
                f"/opds/chapters/{chapter.id}/pages/{{pageNumber}}",
                "image/jpeg",  # what the extension asks for; each page says its own type
                extra={"pse:count": str(pages)},
            ),
        ],
    )


def chapters_feed(tenant: Tenant, series: Series, page: int) -> Feed:
    """The series' chapters in reading order, each number once (as the reader API)."""
    chapters, pagination = paginate(chapters_for_reader(series), page)
    ids = [chapter.id for chapter in chapters]
    counts = dict(
        Page.objects.filter(chapter_id__in=ids)
        .values("chapter_id")
        .annotate(pages=Count("id"))
        .values_list("chapter_id", "pages")
    )
    first_mimes = dict(
        Page.objects.filter(chapter_id__in=ids, index=1).values_list("chapter_id", "mime")
    )
    cover = f"/opds/manga/{series.slug}/cover"
    return Feed(
        id=urn(tenant, "manga", series.slug),
        title=series.title,
        updated=series.chapters_updated_at or series.created_at,
        kind=ACQUISITION,
        href=f"/opds/manga/{series.slug}/",
        entries=[
            chapter_entry(tenant, c, counts.get(c.id, 0), first_mimes.get(c.id, "image/jpeg"))
            for c in chapters
        ],
        page=pagination,
        links=[Link(REL_IMAGE, cover, "image/jpeg"), Link(REL_THUMBNAIL, cover, "image/jpeg")],
    )


# --- Movies and series ---


def poster_links(title: Title) -> list[Link]:
    """TMDB's poster through the gateway's image cache (a placeholder when unreachable)."""
    if not title.poster_path:
        return []
    return [
        Link(REL_IMAGE, f"/img/tmdb/w342{title.poster_path}", "image/jpeg"),
        Link(REL_THUMBNAIL, f"/img/tmdb/w154{title.poster_path}", "image/jpeg"),
    ]


def file_links(files: Sequence[MediaFile]) -> list[Link]:
    return [
        Link(
            REL_ACQUISITION,
            f"/opds/files/{media_file.public_id}",
            media_file.mime,
            title=media_file.name,
            extra={"length": str(media_file.size)},
        )
        for media_file in files
    ]


def title_name(title: Title) -> str:
    return f"{title.title} ({title.year})" if title.year else title.title


def movie_entry(tenant: Tenant, movie: Title, files: Sequence[MediaFile]) -> Entry:
    return Entry(
        id=urn(tenant, "title", movie.slug),
        title=title_name(movie),
        updated=movie.updated_at,
        summary=shorten(movie.overview),
        links=poster_links(movie) + file_links(files),
    )


def movies_feed(tenant: Tenant, page: int) -> Feed:
    """Films with a ready file, by title, each with its files to download or stream."""
    ready = ready_files().filter(title=OuterRef("pk"), episode__isnull=True)
    movies = (
        Title.objects.filter(tenant=tenant, kind=Title.Kind.MOVIE)
        .filter(Exists(ready))
        .order_by("title", "id")
        .prefetch_related(
            Prefetch("files", queryset=ready_files().filter(episode__isnull=True), to_attr="ready")
        )
    )
    rows, pagination = paginate(movies, page)
    entries = [movie_entry(tenant, movie, movie.ready) for movie in rows]
    return Feed(
        urn(tenant, "movies"),
        "Movies",
        timezone.now(),
        ACQUISITION,
        "/opds/movies/",
        entries,
        pagination,
    )


def title_entry(tenant: Tenant, title: Title) -> Entry:
    """A navigation entry to a title's own feed (search results, the series list)."""
    return Entry(
        id=urn(tenant, "title", title.slug),
        title=title_name(title),
        updated=title.updated_at,
        summary=shorten(title.overview),
        links=[
            Link(REL_SUBSECTION, f"/opds/titles/{title.slug}/", ACQUISITION),
            *poster_links(title),
        ],
    )


def tv_feed(tenant: Tenant, page: int) -> Feed:
    series = Title.objects.filter(tenant=tenant, kind=Title.Kind.SERIES).order_by("title", "id")
    rows, pagination = paginate(series, page)
    return Feed(
        urn(tenant, "series"),
        "Series",
        timezone.now(),
        NAVIGATION,
        "/opds/series/",
        [title_entry(tenant, row) for row in rows],
        pagination,
    )


def title_feed(tenant: Tenant, slug: str) -> Feed:
    """A film's files, or a series' episodes that have files. Raises Title.DoesNotExist."""
    title = title_detail(tenant=tenant, slug=slug)
    if title.kind == Title.Kind.MOVIE:
        entries = [movie_entry(tenant, title, title.movie_files)]
    else:
        entries = [
            Entry(
                id=urn(tenant, "episode", episode.id),
                title=f"S{season.number:02d}E{episode.number:02d}"
                + (f" · {episode.name}" if episode.name else ""),
                updated=title.updated_at,
                summary=shorten(episode.overview),
                links=poster_links(title) + file_links(episode.files.all()),
            )
            for season in title.seasons.all()
            for episode in season.episodes.all()
            if episode.files.all()
        ]
    return Feed(
        urn(tenant, "title", title.slug),
        title_name(title),
        title.updated_at,
        ACQUISITION,
        f"/opds/titles/{title.slug}/",
        entries,
    )


# --- Search ---


def search_feed(
    tenant: Tenant, query: str, manga: QuerySet[Series], titles: QuerySet[Title]
) -> Feed:
    """The first PAGE_SIZE matching series and PAGE_SIZE matching titles."""
    entries = [series_entry(tenant, row) for row in manga[:PAGE_SIZE]]
    entries += [title_entry(tenant, row) for row in titles[:PAGE_SIZE]]
    return Feed(
        id=urn(tenant, "search", query),
        title=f"Search: {query}",
        updated=timezone.now(),
        kind=NAVIGATION,
        href=f"/opds/search/?q={quote_plus(query)}",
        entries=entries,
    )
