"""The WebDAV tree of one tenant, read from the catalog (nothing is stored for it).

```
Movies/Title (Year)/<file>                  ready movie files, subtitles beside their video
Series/Name (Year)/Season 01/<file>         ready episode files, subtitles beside their video
Manga/<Series>/Chapter 0001.cbz             readable chapters, each number once, as CBZ
```
Folders list only what holds a ready file. Every name goes through `dav.names` (clean, unique
in its folder); a path is found by the same naming, so what a listing shows is what a request
finds, and nothing else: another tenant's titles are never queried.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import groupby
from operator import itemgetter
from typing import NamedTuple

from django.db.models import Aggregate, CharField, Max, Q, QuerySet
from django.db.models.functions import Cast

from library.models import MediaFile, Season, Subtitle, Title
from readvault.cbz import CbzTooLarge, cbz_plan
from readvault.downloads import CBZ_TYPE, chapter_padded
from readvault.models import Chapter, Page, Series
from readvault.selectors import chapters_for_reader
from streaming.objects import StoredObject, media_file_rows, stored_from_row, subtitle_rows

from .names import TAG, name_clean, name_key, names_unique

SECTIONS = {"Movies": Title.Kind.MOVIE, "Series": Title.Kind.SERIES}
MANGA = "Manga"
YEAR_SUFFIX = re.compile(r"\((\d{4})\)$")
SEASON = re.compile(r"season (\d{1,4})")


class Entry(NamedTuple):
    """A folder or a file of the tree, as PROPFIND and GET see it. A file is either a stored
    object (its bytes sent by the gateway) or a chapter's CBZ (built as it is sent). (A named
    tuple: a folder of 10k titles makes 10k of them per PROPFIND.)"""

    name: str
    modified: str | None = None  # UTC, as the database writes it: see `db_time`
    size: int | None = None  # None: a folder
    mime: str = ""
    etag: str = ""
    stored: StoredObject | None = None
    chapter_id: int | None = None

    @property
    def is_folder(self) -> bool:
        return self.size is None


def stored_entry(name: str, modified: str, stored: StoredObject) -> Entry:
    return Entry(name, modified, stored.size, stored.mime, stored.etag, stored=stored)


@dataclass(frozen=True)
class Node:
    entry: Entry
    children: Callable[[], Iterable[Entry]] | None = None  # a folder's contents, on demand


def dav_node(tenant_id: int, segments: list[str]) -> Node | None:
    """The folder or file at `segments` (path components below /dav/), or None."""
    folder = folder_node(tenant_id, segments)
    if folder is not None or not segments:
        return folder
    parent = folder_node(tenant_id, segments[:-1])
    if parent is None or parent.children is None:
        return None
    wanted = name_key(segments[-1])
    for entry in parent.children():
        if not entry.is_folder and name_key(entry.name) == wanted:
            return Node(entry)
    return None


def folder_node(tenant_id: int, segments: list[str]) -> Node | None:
    if not segments:
        return Node(Entry(""), lambda: [Entry(name) for name in [*SECTIONS, MANGA]])
    if name_key(segments[0]) == name_key(MANGA):
        return manga_node(tenant_id, segments)
    section = next((s for s in SECTIONS if name_key(s) == name_key(segments[0])), None)
    kind = SECTIONS.get(section or "")
    depth = 2 if kind == Title.Kind.MOVIE else 3  # how deep this section's folders go
    if kind is None or len(segments) > depth:
        return None
    if len(segments) == 1:
        return Node(Entry(section), lambda: title_folders(tenant_id, kind))
    title = title_for_folder(tenant_id, kind, segments[1])
    if title is None:
        return None
    title_id, entry = title
    if kind == Title.Kind.MOVIE:
        files = MediaFile.objects.filter(title_id=title_id, episode__isnull=True)
        return Node(entry, lambda: file_entries(files))
    if len(segments) == 2:
        return Node(entry, lambda: season_folders(title_id))
    return season_node(title_id, segments[2])


# --- Title folders: "Title (Year)"; titles of one name after the first get " [slug]" ---


def title_files(tenant_id: int, kind: str) -> QuerySet[MediaFile]:
    """The ready files that put the tenant's titles of `kind` in the tree (a movie's own,
    a series' episodes')."""
    return MediaFile.objects.filter(
        title__tenant_id=tenant_id,
        title__kind=kind,
        state=MediaFile.State.READY,
        episode__isnull=kind == Title.Kind.MOVIE,
    )


def folder_base(title: str, year: int | None) -> str:
    return name_clean(f"{title} ({year})" if year else title)


def title_entries(files: QuerySet[MediaFile]) -> Iterator[tuple[int, Entry]]:
    """(title id, folder entry) of each title with one of `files`, its newest file's time
    as the folder's.

    A row per file, in title order, reduced here (at 10k titles faster than SQL's GROUP BY),
    and everything one at a time: a PROPFIND writes each entry out as it comes, so the rows
    and entries of 10k titles are never all alive at once (fewer objects for the garbage
    collector to walk: it cost a third of the time).
    """
    rows = files.order_by("title_id").values_list(
        "title_id", "title__slug", "title__title", "title__year", db_time("created_at")
    )
    newest = (
        max(title_rows, key=itemgetter(4))
        for _, title_rows in groupby(rows.iterator(chunk_size=2000), key=itemgetter(0))
    )
    named = names_unique(((folder_base(r[2], r[3]), r[1], r) for r in newest), is_file=False)
    return ((row[0], Entry(name, row[4])) for name, row in named)


def db_time(expression: str | Aggregate) -> Cast:
    """A time column (or an aggregate of one) as the database's own text, UTC on both
    databases ('2026-11-30 17:40:11.771533', '...+00'). Folders of 10k titles carry 10k
    times: building a datetime for each, then formatting it twice, cost more than the query;
    dav.multistatus formats the text itself."""
    return Cast(expression, CharField())


def utc_text(moment: datetime) -> str:
    """A datetime as `db_time` gives one."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def title_folders(tenant_id: int, kind: str) -> Iterator[Entry]:
    return (entry for _, entry in title_entries(title_files(tenant_id, kind)))


def title_for_folder(tenant_id: int, kind: str, name: str) -> tuple[int, Entry] | None:
    """The title whose folder is called `name`, and its folder's entry.

    A folder's name depends only on the titles that share its base name ("Title (Year)"),
    and those share its year or have none: so only they are read and named, not the whole
    section.
    """
    bases = [name]
    if tagged := TAG.fullmatch(name):
        bases.append(tagged["base"])
    years = [int(found[1]) for base in bases if (found := YEAR_SUFFIX.search(base))]
    candidates = title_files(tenant_id, kind).filter(
        Q(title__year__isnull=True) | Q(title__year__in=years)
    )
    wanted = name_key(name)
    return next(
        (
            (id_, entry)
            for id_, entry in title_entries(candidates)
            if name_key(entry.name) == wanted
        ),
        None,
    )


# --- Seasons: "Season 01" ---


def season_folders(title_id: int) -> list[Entry]:
    seasons = (
        Season.objects.filter(title_id=title_id, episodes__files__state=MediaFile.State.READY)
        .annotate(modified=db_time(Max("episodes__files__created_at")))
        .values_list("number", "modified")
        .order_by("number")
    )
    return [Entry(season_name(number), modified) for number, modified in seasons]


def season_name(number: int) -> str:
    return f"Season {number:02d}"


def season_node(title_id: int, name: str) -> Node | None:
    found = SEASON.fullmatch(name_key(name))
    if found is None:
        return None
    number = int(found[1])
    files = MediaFile.objects.filter(episode__season__title_id=title_id).filter(
        episode__season__number=number
    )
    ready = files.filter(state=MediaFile.State.READY)
    modified = ready.aggregate(newest=db_time(Max("created_at")))["newest"]
    if modified is None:
        return None
    return Node(Entry(season_name(number), modified), lambda: file_entries(files))


# --- Files: the videos, then each one's subtitles named after it ---


def file_entries(files: QuerySet[MediaFile]) -> list[Entry]:
    """Ready video files and their subtitles, each subtitle renamed after its video's name in
    the folder (players pair them by name)."""
    videos = media_file_rows(files.order_by("id"), "id", created=db_time("created_at"))
    named = list(
        names_unique(((name_clean(v["name"]), v["public_id"], v) for v in videos), is_file=True)
    )
    video_of = {video["id"]: (video, name) for name, video in named}
    subtitles = subtitle_rows(
        Subtitle.objects.filter(media_file_id__in=video_of).order_by("id"), "media_file_id"
    )
    subtitles_named = names_unique(
        (
            (subtitle_name(row, *video_of[row["media_file_id"]]), row["public_id"], row)
            for row in subtitles
        ),
        is_file=True,
        taken=[name for name, _ in named],
    )
    return [
        *(stored_entry(name, video["created"], stored_from_row(video)) for name, video in named),
        *(
            stored_entry(
                name, video_of[row["media_file_id"]][0]["created"], stored_from_row(row, whole=True)
            )
            for name, row in subtitles_named
        ),
    ]


def subtitle_name(row: dict, video: dict, video_name: str) -> str:
    """`Film (2001).en.srt` beside `Film (2001).mkv`, whatever the video is called here."""
    stem = video["name"].rpartition(".")[0] or video["name"]
    suffix = row["name"][len(stem) :] if row["name"].startswith(stem) else ""
    if not suffix.startswith("."):
        return name_clean(row["name"])
    return name_clean(video_name.rpartition(".")[0] + suffix)


# --- Manga: a folder per series with a readable chapter, a CBZ per chapter number ---


def manga_node(tenant_id: int, segments: list[str]) -> Node | None:
    if len(segments) == 1:
        return Node(Entry(MANGA), lambda: [entry for _, entry in manga_folders(tenant_id)])
    if len(segments) > 2:
        return None
    wanted = name_key(segments[1])
    found = next(
        ((id_, entry) for id_, entry in manga_folders(tenant_id) if name_key(entry.name) == wanted),
        None,
    )
    if found is None:
        return None
    series_id, entry = found
    return Node(entry, lambda: chapter_files(series_id))


def manga_folders(tenant_id: int) -> list[tuple[int, Entry]]:
    """Every series of the tenant with a readable chapter: few enough per site to name them
    all when one is asked for (they have no year to narrow the search by)."""
    rows = (
        Series.objects.filter(tenant_id=tenant_id, chapters__state=Chapter.State.AVAILABLE)
        .annotate(modified=db_time(Max("chapters__created_at")))
        .order_by("id")
        .values_list("id", "slug", "title", "modified")
    )
    named = names_unique(((name_clean(row[2]), row[1], row) for row in rows), is_file=False)
    return [(row[0], Entry(name, row[3])) for name, row in named]


def chapter_files(series_id: int) -> list[Entry]:
    """Each chapter number once (as the reader shows them), as `Chapter 0001.cbz` with the
    size its CBZ will have."""
    series = Series.objects.get(id=series_id)
    chapters = chapters_for_reader(series)
    pages = Page.objects.filter(chapter__in=chapters).order_by("chapter_id", "index")
    by_chapter = {chapter.id: [] for chapter in chapters}
    for page in pages:
        by_chapter[page.chapter_id].append(page)
    entries = []
    for chapter in chapters:
        chapter.series = series
        try:
            size = cbz_plan(chapter, by_chapter[chapter.id]).size
        except CbzTooLarge:
            continue
        name = f"Chapter {chapter_padded(chapter)}.cbz"
        modified = utc_text(chapter.created_at)
        entries.append(Entry(name, modified, size, CBZ_TYPE, chapter_id=chapter.id))
    return entries
