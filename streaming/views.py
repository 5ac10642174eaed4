"""The gateway's authorize step (`/s/…`), HLS playlists (`/m/…`), the API that hands out
stream links and what a player needs, and playlists for outside players."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import partial
from urllib.parse import quote, urlencode

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from library.basic_auth import basic_auth_required
from library.models import MediaFile
from library.selectors import ready_file
from shadowvault.metrics import metric_increment
from shadowvault.storage import LocatorInvalid
from shadowvault.storage.filesystem import object_relative_path

from .hls import PLAYLIST_TYPE, PlaylistMissing, master_playlist, media_playlist, stream_path
from .objects import StoredObject, stored_object
from .playback import playback_for
from .playlists import playlist_build, playlist_link_viewer, playlist_text
from .recent import Recent
from .services import (
    PoolFull,
    signed_viewer,
    stream_link,
    takes_viewer_slot,
    viewer_key,
    viewer_may_watch,
    viewer_seat,
)
from .signing import LinkInvalid

log = logging.getLogger(__name__)


def viewer_lookup(key: str) -> bool | None:
    """`viewer_may_watch` for a "<tenant id>:<viewer>" key; None (never kept) for no."""
    tenant_id, _, viewer = key.partition(":")
    return viewer_may_watch(viewer=viewer, tenant_id=int(tenant_id)) or None


def recent_viewers() -> Recent[bool]:
    """Who may watch where, kept like files and tenants (FOUND_SECONDS): a user deactivated,
    deleted or removed from a tenant stops getting bytes within that time."""
    return Recent(viewer_lookup)


async def authorize(request: HttpRequest, public_id: str, name: str) -> HttpResponse:
    """Let nginx serve a stored object to the holder of a valid link (X-Accel-Redirect).

    The URL route; the web process's ASGI app answers `/s/…` in `streaming.gate` before
    Django's middleware, with the same `authorize_stored` (and kept lookups).
    """
    stored = await sync_to_async(stored_object)(public_id)
    return await authorize_stored(request, stored, viewer_allowed=sync_to_async(viewer_lookup))


def refused(message: str) -> HttpResponse:
    return HttpResponse(message, status=403, content_type="text/plain")


VIEWER_GONE = "This link's user may no longer watch on this site.\n"


def link_viewer(request: HttpRequest, stored: StoredObject | None) -> str | HttpResponse:
    """Whom a link's query (`exp`, `v`, `sig`) for `stored` was signed for, on
    `request.tenant`'s site; or the refusal: 404 for what this site does not hold, 403 for a
    forged or expired link. Whether that viewer may still watch is the caller's to ask."""
    tenant = getattr(request, "tenant", None)
    if stored is None or tenant is None or stored.tenant_id != tenant.id:
        return HttpResponse("No such file.\n", status=404, content_type="text/plain")
    try:
        return signed_viewer(grant_id=stored.public_id, tenant_id=tenant.id, query=request.GET)
    except (ValueError, LinkInvalid):
        return refused("This link is invalid or has expired.\n")


async def authorize_stored(
    request: HttpRequest,
    stored: StoredObject | None,
    *,
    viewer_allowed: Callable[[str], Awaitable[bool | None]],
) -> HttpResponse:
    """The answer to a link for `stored` on `request.tenant`'s site.

    403 for a forged or expired link or one whose user may no longer watch here, 404 for
    what this site does not hold, then `stored_answer`'s. `viewer_allowed`: `viewer_lookup`,
    perhaps kept (`recent_viewers`).
    """
    viewer = link_viewer(request, stored)
    if isinstance(viewer, HttpResponse):
        return viewer
    if not await viewer_allowed(f"{request.tenant.id}:{viewer}"):
        return refused(VIEWER_GONE)
    return await stored_answer(stored, viewer=viewer)


async def stored_answer(stored: StoredObject, *, viewer: str) -> HttpResponse:
    """Let nginx serve `stored` to `viewer`, whom the caller has checked (a link's, or an
    authenticated member: the WebDAV share).

    Seats the viewer for Telegram files: 503 with Retry-After when every storage session is
    full. The body comes from an internal location (`internal_location`); only headers are
    decided here.
    """
    session = None
    if takes_viewer_slot(stored):  # a Redis round trip: off the event loop
        seat = partial(viewer_seat, stored=stored, viewer=viewer)
        try:
            session = await sync_to_async(seat, thread_sensitive=False)()
        except PoolFull as full:
            await sync_to_async(metric_increment, thread_sensitive=False)("pool_rejections_total")
            response = HttpResponse(
                "Every stream slot is taken; retry shortly.\n",
                status=503,
                content_type="text/plain",
            )
            response["Retry-After"] = str(full.retry_after)
            return response
    try:
        target = internal_location(stored, session)
    except LocatorInvalid:  # a damaged row: nothing to serve, and nothing to guess
        log.error("file %s has an invalid locator", stored.public_id)
        return HttpResponse("No such file.\n", status=404, content_type="text/plain")
    response = HttpResponse(status=200)
    response["X-Accel-Redirect"] = target
    response["Content-Type"] = stored.mime
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(stored.name)}"
    # The link is personal and expiring: browsers may keep the bytes, shared caches may not.
    response["Cache-Control"] = "private, max-age=3600"
    return response


def internal_location(stored: StoredObject, session: str | None) -> str:
    """Where nginx finds the bytes: the vault file itself (`/_files/`, filesystem backend),
    or the origin behind the cache, in slices (`/_vault/`) or whole (`/_whole/`, small files).
    The session rides in the query, which the cache key leaves out."""
    if settings.STREAM_FILESYSTEM_DIRECT and stored.locator.get("backend") == "filesystem":
        return f"/_files/{object_relative_path(stored.locator)}"
    target = f"/_{'whole' if stored.whole else 'vault'}/{stored.public_id}"
    return f"{target}?s={quote(session)}" if session else target


def hls_playlist(request: HttpRequest, public_id: str, playlist: str) -> HttpResponse:
    """An HLS playlist of a web version with several audio tracks (streaming/hls.py).

    Authorised by the file's signed link query (`exp`, `v`, `sig`), which every URI in the
    playlist carries on: 403 when it is forged or expired, 404 for what this site does not
    hold or a file without HLS.
    """
    stored = stored_object(public_id)
    viewer = link_viewer(request, stored)
    if isinstance(viewer, HttpResponse):
        return viewer
    if not viewer_may_watch(viewer=viewer, tenant_id=request.tenant.id):
        return refused(VIEWER_GONE)
    row = MediaFile.objects.values("hls", "audio_tracks", "width", "height").get(
        public_id=public_id
    )
    query = urlencode({key: request.GET.get(key, "") for key in ("exp", "v", "sig")})
    try:
        if playlist == "master":
            text = master_playlist(
                hls=row["hls"],
                audio_tracks=row["audio_tracks"],
                query=query,
                width=row["width"],
                height=row["height"],
            )
        else:
            path = stream_path(stored.public_id, stored.name)
            text = media_playlist(hls=row["hls"], playlist=playlist, path=path, query=query)
    except PlaylistMissing:
        return HttpResponse("No such playlist.\n", status=404, content_type="text/plain")
    response = HttpResponse(text, content_type=PLAYLIST_TYPE)
    response["Cache-Control"] = "private, max-age=3600"
    return response


class StreamLinkView(APIView):
    """POST /api/files/{public_id}/link/ — a signed gateway URL for the calling viewer."""

    @extend_schema(
        request=None,
        responses=inline_serializer(
            "StreamLink", {"url": serializers.URLField(), "expires_at": serializers.DateTimeField()}
        ),
    )
    def post(self, request: Request, public_id: str) -> Response:
        stored = stored_object(public_id)
        if stored is None or stored.tenant_id != request.tenant.id:
            raise NotFound("No such file.")
        link = stream_link(
            stored=stored, viewer=viewer_key(request.user.id), host=request.get_host()
        )
        return Response({"url": link.url, "expires_at": link.expires_at})


class PlaybackSerializer(serializers.Serializer):
    public_id = serializers.CharField(help_text="The version played.")
    version = serializers.ChoiceField(choices=MediaFile.Version.choices)
    delivery = serializers.ChoiceField(choices=["progressive", "hls"])
    url = serializers.URLField(help_text="Signed stream link of the version played.")
    hls_url = serializers.CharField(help_text="Its HLS master playlist (delivery hls), else empty.")
    mime = serializers.CharField()
    audio_only = serializers.BooleanField()
    duration = serializers.FloatField(allow_null=True)
    audio = serializers.ListField(child=serializers.DictField(), help_text="Audio tracks.")
    subtitles = serializers.ListField(
        child=serializers.DictField(), help_text="WebVTT tracks: language, title, label, url."
    )
    image_subtitles = serializers.ListField(
        child=serializers.DictField(), help_text="Kept only in the original file."
    )
    versions = serializers.ListField(child=serializers.DictField())


class PlaybackView(APIView):
    """GET /api/files/{public_id}/playback/ — how the calling viewer plays a file: its web
    version when there is one (`?as_is=1`: this very file), with signed links."""

    @extend_schema(responses=PlaybackSerializer)
    def get(self, request: Request, public_id: str) -> Response:
        media_file = ready_file(tenant=request.tenant, public_id=public_id)
        if media_file is None:
            raise NotFound("No such file.")
        playback = playback_for(
            media_file,
            viewer=viewer_key(request.user.id),
            host=request.get_host(),
            as_is=request.query_params.get("as_is") == "1",
        )
        return Response(PlaybackSerializer(playback.as_dict()).data)


def playlist(request: HttpRequest, slug: str, season: int | None = None) -> HttpResponse:
    """GET /playlists/<slug>.m3u8 and /playlists/<slug>/season-<n>.m3u8: a signed URL (from the
    title page) or, unsigned, a member's Basic credentials or session."""
    if "sig" not in request.GET:
        return member_playlist(request, slug, season)
    try:
        viewer = playlist_link_viewer(
            tenant_id=request.tenant.id, slug=slug, season=season, query=request.GET
        )
    except (ValueError, LinkInvalid):
        return refused("This link is invalid or has expired.\n")
    if not viewer_may_watch(viewer=viewer, tenant_id=request.tenant.id):
        return refused("This link's user may no longer watch on this site.\n")
    return playlist_answer(request, slug=slug, season=season, viewer=viewer)


@basic_auth_required
def member_playlist(request: HttpRequest, slug: str, season: int | None) -> HttpResponse:
    return playlist_answer(request, slug=slug, season=season, viewer=viewer_key(request.user.id))


def playlist_answer(
    request: HttpRequest, *, slug: str, season: int | None, viewer: str
) -> HttpResponse:
    found = playlist_build(tenant=request.tenant, slug=slug, season=season)
    if found is None:
        return HttpResponse("Nothing to play here.\n", status=404, content_type="text/plain")
    text = playlist_text(found, viewer=viewer, host=request.get_host())
    response = HttpResponse(text, content_type="audio/x-mpegurl; charset=utf-8")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(found.name)}.m3u8"
    response["Cache-Control"] = "private, no-store"  # personal, expiring links
    return response
