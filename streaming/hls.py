"""HLS playlists for web versions with several audio tracks, over byte ranges of one object.

The stored fragmented MP4 (ingest/fragments.py) is the only media object: every segment and
init segment is a byte range (`EXT-X-BYTERANGE`, `EXT-X-MAP … BYTERANGE`) of its ordinary
signed stream link, so each range request goes through the gateway's authorize step and,
for Telegram, the slice cache, like any seek. Django writes the playlists from the index
saved on the MediaFile; the link's own signature (`exp`, `v`, `sig`) is the playlists'
authorisation and is carried into every URI they list, so the links expire together.

- `master`: one video variant whose audio comes from a rendition group, one rendition per
  audio track with its language and name (hls.js switches between them; Safari natively);
- `video`, `audio-<n>`: each track's media playlist.
"""

from __future__ import annotations

import math
from urllib.parse import quote

from shadowvault.digits import ascii_int

PLAYLIST_TYPE = "application/vnd.apple.mpegurl"
HEADER = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS"]


class PlaylistMissing(Exception):
    """No such playlist for this file."""


def tracks_of(hls: dict, kind: str) -> list[dict]:
    return [track for track in hls.get("tracks", []) if track.get("kind") == kind]


def quoted(value: str) -> str:
    return value.replace('"', "'").replace("\n", " ")


def master_playlist(*, hls: dict, audio_tracks: list[dict], query: str, width, height) -> str:
    """The multivariant playlist: the video, and each audio track as a rendition."""
    videos, audios = tracks_of(hls, "video"), tracks_of(hls, "audio")
    if not videos:
        raise PlaylistMissing("no video track")
    lines = list(HEADER)
    for number in range(len(audios)):
        about = audio_tracks[number] if number < len(audio_tracks) else {}
        language = about.get("language", "")
        name = about.get("title") or language or f"Audio {number + 1}"
        attributes = [
            "TYPE=AUDIO",
            'GROUP-ID="audio"',
            f'NAME="{quoted(name)}"',
            f"DEFAULT={'YES' if number == 0 else 'NO'}",
            "AUTOSELECT=YES",
            f'CHANNELS="{about.get("channels", 2)}"',
            f'URI="audio-{number}.m3u8?{query}"',
        ]
        if language:
            attributes.insert(3, f'LANGUAGE="{quoted(language)}"')
        lines.append("#EXT-X-MEDIA:" + ",".join(attributes))
    video = videos[0]
    codecs = [c for c in [video.get("codec"), *(a.get("codec") for a in audios[:1])] if c]
    stream = [f"BANDWIDTH={peak_bandwidth([video, *audios[:1]])}"]
    if codecs:
        stream.append(f'CODECS="{",".join(codecs)}"')
    if width and height:
        stream.append(f"RESOLUTION={width}x{height}")
    if audios:
        stream.append('AUDIO="audio"')
    lines += ["#EXT-X-STREAM-INF:" + ",".join(stream), f"video.m3u8?{query}"]
    return "\n".join(lines) + "\n"


def peak_bandwidth(tracks: list[dict]) -> int:
    """Bits per second of the busiest segment of each track, added up."""
    total = 0
    for track in tracks:
        rates = [length * 8 / seconds for _, length, seconds in track["segments"] if seconds > 0]
        total += int(max(rates, default=0))
    return max(total, 1)


def media_playlist(*, hls: dict, playlist: str, path: str, query: str) -> str:
    """`video` or `audio-<n>`: the track's init segment and fragments as byte ranges."""
    track = playlist_track(hls, playlist)
    url = f"{path}?{query}"
    durations = [seconds for _, _, seconds in track["segments"]]
    offset, length = track["init"]
    lines = [
        *HEADER,
        f"#EXT-X-TARGETDURATION:{math.ceil(max(durations, default=1))}",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        f'#EXT-X-MAP:URI="{url}",BYTERANGE="{length}@{offset}"',
    ]
    for offset, length, seconds in track["segments"]:
        lines += [f"#EXTINF:{seconds:.6f},", f"#EXT-X-BYTERANGE:{length}@{offset}", url]
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def playlist_track(hls: dict, playlist: str) -> dict:
    if playlist == "video":
        found = tracks_of(hls, "video")[:1]
    elif playlist.startswith("audio-") and (number := ascii_int(playlist[6:])) is not None:
        found = tracks_of(hls, "audio")[number : number + 1]
    else:
        found = []
    if not found:
        raise PlaylistMissing(playlist)
    return found[0]


def stream_path(public_id: str, name: str) -> str:
    return f"/s/{public_id}/{quote(name)}"
