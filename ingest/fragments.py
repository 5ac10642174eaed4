"""HLS over byte ranges of one fragmented MP4: where each track's pieces lie in the file.

A web version with several audio tracks is written by ffmpeg as a fragmented MP4 in which
every fragment holds one track (`separate_moof`): `ftyp moov [moof mdat]… mfra`. An HLS
player wants, per track, an init segment that names that track alone and the list of its
fragments. `fragments_index` finds the fragments (reading only box headers and the small
moof boxes) and builds each track's init segment (the moov cut down to that track), and
`init_segments_append` writes those init segments into a `free` box inside the same file,
before its `mfra`. So the store keeps one object per version, playable as a plain MP4 by
any player, and HLS playlists point into it with EXT-X-MAP and EXT-X-BYTERANGE (built by
streaming/hls.py from the index saved on the MediaFile).

Moving nothing that lies before `mfra` keeps every offset ffmpeg wrote valid: fragments use
default-base-is-moof, and `mfra` only points at moof boxes.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"mvex", b"moof", b"traf", b"edts"}


class FragmentsError(Exception):
    """The file is not the fragmented MP4 ffmpeg was asked to write."""


@dataclass
class Track:
    id: int
    kind: str  # "video" or "audio"
    timescale: int
    sample_entry: str  # avc1, mp4a, ...
    codec: str  # an RFC 6381 codecs value, when known
    trak: bytes
    trex: bytes
    default_duration: int = 0
    segments: list[list[float]] = field(default_factory=list)  # [offset, length, seconds]


def boxes(data: bytes, start: int = 0, end: int | None = None) -> Iterator[tuple[bytes, int, int]]:
    """(type, offset, size) of each box in data[start:end]."""
    end = len(data) if end is None else end
    offset = start
    while offset + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, offset)
        header = 8
        if size == 1:
            size, header = struct.unpack_from(">Q", data, offset + 8)[0], 16
        elif size == 0:
            size = end - offset
        if size < header or offset + size > end:
            raise FragmentsError(f"a {kind!r} box runs past its parent")
        yield kind, offset, size
        offset += size


def child(data: bytes, offset: int, size: int, kind: bytes) -> tuple[int, int] | None:
    """(offset, size) of the first `kind` box inside the container box at `offset`."""
    for found, at, length in boxes(data, offset + 8, offset + size):
        if found == kind:
            return at, length
    return None


def top_level_boxes(handle: BinaryIO) -> Iterator[tuple[bytes, int, int]]:
    """(type, offset, size) of each top-level box of an open file, reading headers only."""
    handle.seek(0, 2)
    total = handle.tell()
    offset = 0
    while offset + 8 <= total:
        handle.seek(offset)
        head = handle.read(16)
        size, kind = struct.unpack_from(">I4s", head)
        if size == 1:
            size = struct.unpack_from(">Q", head, 8)[0]
        elif size == 0:
            size = total - offset
        if size < 8 or offset + size > total:
            raise FragmentsError(f"the {kind!r} box at {offset} runs past the end of the file")
        yield kind, offset, size
        offset += size


def full_box(data: bytes, offset: int) -> tuple[int, int, int]:
    """(version, flags, offset of the payload) of the full box at `offset`."""
    version_flags = struct.unpack_from(">I", data, offset + 8)[0]
    return version_flags >> 24, version_flags & 0xFFFFFF, offset + 12


def tracks_read(moov: bytes) -> dict[int, Track]:
    """The video and audio tracks of a moov box (given whole, from its header on)."""
    trexes = {}
    mvex = child(moov, 0, len(moov), b"mvex")
    if mvex:
        for kind, at, size in boxes(moov, mvex[0] + 8, mvex[0] + mvex[1]):
            if kind == b"trex":
                track_id, _, duration = struct.unpack_from(">III", moov, at + 12)
                trexes[track_id] = (moov[at : at + size], duration)
    tracks = {}
    for kind, at, size in boxes(moov, 8, len(moov)):
        if kind != b"trak":
            continue
        trak = moov[at : at + size]
        track = track_read(trak, trexes)
        if track is not None:
            tracks[track.id] = track
    return tracks


def track_read(trak: bytes, trexes: dict[int, tuple[bytes, int]]) -> Track | None:
    tkhd = child(trak, 0, len(trak), b"tkhd")
    mdia = child(trak, 0, len(trak), b"mdia")
    if tkhd is None or mdia is None:
        raise FragmentsError("a track has no tkhd or mdia box")
    version, _, payload = full_box(trak, tkhd[0])
    track_id = struct.unpack_from(">I", trak, payload + (16 if version else 8))[0]
    mdhd = child(trak, *mdia, b"mdhd")
    hdlr = child(trak, *mdia, b"hdlr")
    if mdhd is None or hdlr is None:
        raise FragmentsError(f"track {track_id} has no mdhd or hdlr box")
    version, _, payload = full_box(trak, mdhd[0])
    timescale = struct.unpack_from(">I", trak, payload + (16 if version else 8))[0]
    handler = trak[hdlr[0] + 16 : hdlr[0] + 20]
    kind = {b"vide": "video", b"soun": "audio"}.get(handler)
    if kind is None or track_id not in trexes:
        return None  # subtitles and other tracks are not played through HLS
    entry, codec = sample_entry(trak, mdia)
    return Track(
        id=track_id,
        kind=kind,
        timescale=timescale,
        sample_entry=entry,
        codec=codec,
        trak=trak,
        trex=trexes[track_id][0],
        default_duration=trexes[track_id][1],
    )


def sample_entry(trak: bytes, mdia: tuple[int, int]) -> tuple[str, str]:
    """The first sample entry's type and, for H.264 and AAC, its codecs value."""
    minf = child(trak, *mdia, b"minf")
    stbl = child(trak, *minf, b"stbl") if minf else None
    stsd = child(trak, *stbl, b"stsd") if stbl else None
    if stsd is None:
        return "", ""
    entry_at = stsd[0] + 16  # full box header (12) and the entry count (4)
    entry = trak[entry_at + 4 : entry_at + 8].decode("latin-1")
    if entry == "avc1" or entry == "avc3":
        avcc = trak.find(b"avcC", entry_at, stsd[0] + stsd[1])
        if avcc > 0:
            profile, compatibility, level = trak[avcc + 5 : avcc + 8]
            return entry, f"{entry}.{profile:02x}{compatibility:02x}{level:02x}"
    if entry == "mp4a":
        return entry, "mp4a.40.2"  # web versions' audio is AAC-LC (ingest/playback.py)
    return entry, ""


def moof_read(moof: bytes, tracks: dict[int, Track]) -> tuple[int, int]:
    """(track id, total sample duration in its timescale) of a one-track moof box."""
    traf = child(moof, 0, len(moof), b"traf")
    if traf is None:
        raise FragmentsError("a moof box has no traf")
    tfhd = child(moof, *traf, b"tfhd")
    if tfhd is None:
        raise FragmentsError("a traf box has no tfhd")
    _, flags, payload = full_box(moof, tfhd[0])
    track_id = struct.unpack_from(">I", moof, payload)[0]
    track = tracks.get(track_id)
    if track is None:
        return track_id, 0
    default = track.default_duration
    at = payload + 4 + (8 if flags & 0x1 else 0) + (4 if flags & 0x2 else 0)
    if flags & 0x8:
        default = struct.unpack_from(">I", moof, at)[0]
    duration = 0
    for kind, box_at, _ in boxes(moof, traf[0] + 8, traf[0] + traf[1]):
        if kind == b"trun":
            duration += trun_duration(moof, box_at, default)
    return track_id, duration


def trun_duration(moof: bytes, offset: int, default: int) -> int:
    _, flags, payload = full_box(moof, offset)
    count = struct.unpack_from(">I", moof, payload)[0]
    if not flags & 0x100:
        return count * default
    at = payload + 4 + (4 if flags & 0x1 else 0) + (4 if flags & 0x4 else 0)
    stride = 4 * sum(1 for bit in (0x100, 0x200, 0x400, 0x800) if flags & bit)
    return sum(struct.unpack_from(">I", moof, at + i * stride)[0] for i in range(count))


def init_segment(ftyp: bytes, moov: bytes, track: Track) -> bytes:
    """ftyp and a moov that holds only `track` (its mvhd, trak and trex)."""
    mvhd = child(moov, 0, len(moov), b"mvhd")
    mvex = child(moov, 0, len(moov), b"mvex")
    mehd = child(moov, *mvex, b"mehd") if mvex else None
    extends = (moov[mehd[0] : mehd[0] + mehd[1]] if mehd else b"") + track.trex
    parts = [
        moov[mvhd[0] : mvhd[0] + mvhd[1]] if mvhd else b"",
        track.trak,
        box(b"mvex", extends),
    ]
    return ftyp + box(b"moov", b"".join(parts))


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def fragments_index(path: Path) -> dict:
    """Index the fragmented MP4 at `path` and add its per-track init segments to it.

    Returns {"tracks": [{"id", "kind", "codec", "init": [offset, length],
    "segments": [[offset, length, seconds], …]}, …]} in the file's track order. Raises
    FragmentsError when the file is not a one-track-per-fragment MP4.
    """
    with open(path, "r+b") as handle:
        ftyp = moov = b""
        tracks: dict[int, Track] = {}
        mfra: tuple[int, int] | None = None
        pending: tuple[int, int, int] | None = None  # a moof waiting for its mdat
        for kind, offset, size in list(top_level_boxes(handle)):
            if kind in (b"ftyp", b"moov", b"moof", b"mfra"):
                handle.seek(offset)
                data = handle.read(size)
            if kind == b"ftyp":
                ftyp = data
            elif kind == b"moov":
                moov, tracks = data, tracks_read(data)
            elif kind == b"moof":
                track_id, duration = moof_read(data, tracks)
                pending = (offset, track_id, duration)
            elif kind == b"mdat" and pending is not None:
                start, track_id, duration = pending
                track = tracks.get(track_id)
                if track is not None:
                    seconds = duration / track.timescale
                    track.segments.append([start, offset + size - start, round(seconds, 6)])
                pending = None
            elif kind == b"mfra":
                mfra = (offset, size)
                mfra_bytes = data
        if not ftyp or not moov or not tracks:
            raise FragmentsError("no ftyp, moov or playable track: not a fragmented MP4")
        ordered = sorted(tracks.values(), key=lambda t: t.id)
        inits = [init_segment(ftyp, moov, track) for track in ordered]
        end = mfra[0] if mfra else handle.seek(0, 2)
        handle.seek(end)
        handle.truncate()
        handle.write(box(b"free", b"".join(inits)))
        if mfra:
            handle.write(mfra_bytes)
    position = end + 8
    index = []
    for track, init in zip(ordered, inits, strict=True):
        index.append(
            {
                "id": track.id,
                "kind": track.kind,
                "codec": track.codec,
                "init": [position, len(init)],
                "segments": track.segments,
            }
        )
        position += len(init)
    return {"tracks": index}
