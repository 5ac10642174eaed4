"""Extended M3U playlists (`.m3u8`) for outside players: a film, a season, a whole series.

- An entry per film or episode, in order (a series: every season but the specials), its best
  ready file (the tallest picture): `#EXTINF:<seconds>,<name>` and a signed stream link.
- A link is checked on every range request, and a player reaches entry k only after playing
  the ones before it: so entry k's link lasts the running time to the end of k plus
  STREAM_LINK_TTL_SECONDS (pauses, a late start), and never longer than
  PLAYLIST_LINK_MAX_SECONDS from when the playlist was fetched.
- Players fetch a playlist without the site's cookies, so the page hands out the playlist's
  own URL signed like a stream link (same keys and checks: it names the playlist, the viewer,
  the tenant and an expiry). Apps that keep a playlist fetch the unsigned URL with Basic
  credentials (an app password) instead; see streaming.views.playlist.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.http import QueryDict

from library.models import MediaFile, Tenant, Title

from .objects import StoredObject, media_file_rows, stored_from_row
from .services import StreamLink, link_expiry, signed_link, signed_viewer, stream_link
from .signing import LinkGrant

CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


@dataclass(frozen=True)
class PlaylistEntry:
    name: str
    duration: float | None  # seconds
    stored: StoredObject


@dataclass(frozen=True)
class Playlist:
    name: str  # "Show (2019) - Season 01": the download's name
    entries: list[PlaylistEntry]


def playlist_build(*, tenant: Tenant, slug: str, season: int | None = None) -> Playlist | None:
    """The playlist of the tenant's title `slug` (or one season of it), or None when there is
    no such title or season, or nothing ready in it."""
    title = Title.objects.filter(tenant=tenant, slug=slug).first()
    if title is None or (season is not None and title.kind == Title.Kind.MOVIE):
        return None
    files = MediaFile.objects.filter(title=title)
    if title.kind == Title.Kind.MOVIE:
        files = files.filter(episode__isnull=True)
    elif season is None:
        files = files.filter(episode__season__number__gte=1)
    else:
        files = files.filter(episode__season__number=season)
    rows = media_file_rows(
        files.order_by("episode__season__number", "episode__number", "-height", "id"),
        "duration",
        "episode_id",
        "episode__season__number",
        "episode__number",
        "episode__name",
    )
    entries, seen = [], set()
    for row in rows:
        if row["episode_id"] in seen:  # a lower-resolution copy of an episode listed already
            continue
        seen.add(row["episode_id"])
        entries.append(PlaylistEntry(entry_name(title, row), row["duration"], stored_from_row(row)))
        if title.kind == Title.Kind.MOVIE:
            break
    if not entries:
        return None
    return Playlist(playlist_name(title, season), entries)


def playlist_name(title: Title, season: int | None = None) -> str:
    return str(title) if season is None else f"{title} - Season {season:02d}"


def entry_name(title: Title, row: dict) -> str:
    if row["episode_id"] is None:
        return str(title)
    name = f"{title.title} - S{row['episode__season__number']:02d}E{row['episode__number']:02d}"
    return f"{name} - {row['episode__name']}" if row["episode__name"] else name


def playlist_text(playlist: Playlist, *, viewer: str, host: str, now: float | None = None) -> str:
    """The playlist as extended M3U, each entry a link for `viewer` (see the module's notes)."""
    now = int(now if now is not None else time.time())
    lines = ["#EXTM3U", f"#PLAYLIST:{one_line(playlist.name)}"]
    elapsed = 0.0
    for entry in playlist.entries:
        elapsed += entry.duration or 0
        lifetime = min(
            settings.STREAM_LINK_TTL_SECONDS + math.ceil(elapsed),
            settings.PLAYLIST_LINK_MAX_SECONDS,
        )
        link = stream_link(stored=entry.stored, viewer=viewer, host=host, expires=now + lifetime)
        seconds = math.ceil(entry.duration) if entry.duration else -1
        lines += [f"#EXTINF:{seconds},{one_line(entry.name)}", link.url]
    return "\n".join(lines) + "\n"


def one_line(text: str) -> str:
    return CONTROL.sub(" ", text).strip()


# --- The playlist's own signed URL ---


def playlist_path(slug: str, season: int | None = None) -> str:
    if season is None:
        return f"/playlists/{slug}.m3u8"
    return f"/playlists/{slug}/season-{season}.m3u8"


def playlist_link(
    *, tenant_id: int, slug: str, season: int | None = None, viewer: str, host: str
) -> StreamLink:
    """The signed URL of a playlist for `viewer`, valid for STREAM_LINK_TTL_SECONDS."""
    path = playlist_path(slug, season)
    # The grant names the path, not a public id (those are alphanumeric): no playlist's
    # signature opens a file.
    return signed_link(LinkGrant(path, tenant_id, viewer, link_expiry()), path=path, host=host)


def playlist_link_viewer(*, tenant_id: int, slug: str, season: int | None, query: QueryDict) -> str:
    """The viewer a signed playlist URL was made for. Raises LinkInvalid or ValueError."""
    return signed_viewer(grant_id=playlist_path(slug, season), tenant_id=tenant_id, query=query)
