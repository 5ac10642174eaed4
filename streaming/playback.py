"""What a player needs to play a file: which version, how, and its tracks, with signed links.

Browsers get the web version when there is one (the original otherwise): as a progressive
MP4 (one link, Range requests), or as HLS when it has several audio tracks. Subtitles are
the original's WebVTT tracks, each with its own signed link; image subtitles are listed as
kept only in the original. The web page (web/views.py) and the API (`/api/files/<id>/
playback/`) hand out the same description.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from library.models import MediaFile

from .objects import media_file_object, subtitle_object
from .services import stream_link


@dataclass(frozen=True)
class Playback:
    public_id: str  # the version played
    version: str  # "original" or "web"
    delivery: str  # "progressive" or "hls"
    url: str  # the version's signed stream link (progressive players, downloads)
    hls_url: str  # its master playlist, when delivery is "hls"
    mime: str
    audio_only: bool
    duration: float | None
    audio: list[dict] = field(default_factory=list)
    subtitles: list[dict] = field(default_factory=list)
    image_subtitles: list[dict] = field(default_factory=list)
    versions: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def version_describe(media_file: MediaFile) -> dict:
    return {
        "public_id": media_file.public_id,
        "version": media_file.version,
        "profile": media_file.profile,
        "name": media_file.name,
        "size": media_file.size,
        "height": media_file.height,
        "video_codec": media_file.video_codec,
        "audio_codec": media_file.audio_codec,
        "audio_tracks": media_file.audio_tracks,
    }


def played_version(media_file: MediaFile, *, as_is: bool = False) -> tuple[MediaFile, MediaFile]:
    """(the version to play, its original): the web version of an original when there is
    one and `as_is` is not asked for."""
    original = media_file.source if media_file.version == MediaFile.Version.WEB else media_file
    if as_is or media_file.version == MediaFile.Version.WEB:
        return media_file, original
    web = original.derived.filter(
        version=MediaFile.Version.WEB, state=MediaFile.State.READY
    ).first()
    return (web or original), original


def playback_for(media_file: MediaFile, *, viewer: str, host: str, as_is: bool = False) -> Playback:
    """How `viewer` plays `media_file` (a ready file), with links signed for them."""
    played, original = played_version(media_file, as_is=as_is)
    link = stream_link(stored=media_file_object(played.public_id), viewer=viewer, host=host)
    hls_url = ""
    if played.hls:
        hls_url = stream_link(
            stored=media_file_object(played.public_id),
            viewer=viewer,
            host=host,
            path=f"/m/{played.public_id}/master.m3u8",
        ).url
    subtitles, images = [], []
    for subtitle in original.subtitles.all():
        about = {"language": subtitle.language, "title": subtitle.title, "codec": subtitle.codec}
        if subtitle.image:
            images.append(about)
            continue
        stored = subtitle_object(subtitle.public_id)
        if stored is not None:
            url = stream_link(stored=stored, viewer=viewer, host=host).url
            label = subtitle.title or subtitle.language or f"Track {len(subtitles) + 1}"
            subtitles.append({**about, "label": label, "url": url})
    versions = [original, *original.derived.filter(state=MediaFile.State.READY)]
    return Playback(
        public_id=played.public_id,
        version=played.version,
        delivery="hls" if hls_url else "progressive",
        url=link.url,
        hls_url=hls_url,
        mime=played.mime,
        audio_only=not played.video_codec,
        duration=played.duration,
        audio=played.audio_tracks,
        subtitles=subtitles,
        image_subtitles=images,
        versions=[version_describe(version) for version in versions],
    )
