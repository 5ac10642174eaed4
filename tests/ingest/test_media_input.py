"""`media_input`: the containers releases come in are read with their own demuxer; the rest is
refused before ffmpeg sees it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from ingest.clients.ffmpeg import MediaError, media_input, media_probe


def tiny(path: Path, *codec: str) -> Path:
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc=duration=0.4:size=64x48:rate=10",
            *codec,
            str(path),
        ],
        check=True,
    )
    return path


@pytest.mark.parametrize(
    ("name", "codec", "demuxer"),
    [
        ("film.mkv", ["-c:v", "libx264", "-preset", "ultrafast"], "matroska"),
        ("film.webm", ["-c:v", "libvpx", "-b:v", "50k"], "matroska"),
        ("film.mp4", ["-c:v", "libx264", "-preset", "ultrafast"], "mov"),
        ("film.avi", ["-c:v", "mpeg4"], "avi"),
        ("film.ts", ["-c:v", "mpeg2video"], "mpegts"),
        ("film.m2ts", ["-c:v", "mpeg2video", "-mpegts_m2ts_mode", "1", "-f", "mpegts"], "mpegts"),
        ("film.flv", ["-c:v", "flv1"], "flv"),
        ("film.mpg", ["-c:v", "mpeg2video"], "mpeg"),
        ("film.wmv", ["-c:v", "wmv2"], "asf"),
    ],
)
def test_each_release_container_is_read_by_its_own_demuxer(tmp_path, name, codec, demuxer) -> None:
    path = tiny(tmp_path / name, *codec)

    options = media_input(path)

    assert options[options.index("-f") + 1] == demuxer
    assert options[options.index("-protocol_whitelist") + 1] == "file"
    assert media_probe(path).width == 64


@pytest.mark.parametrize(
    ("body", "looks"),
    [
        (b"#EXTM3U\n#EXTINF:1,\n/etc/hostname\n", "an HLS playlist"),
        (b"\xef\xbb\xbf#EXTM3U\n", "an HLS playlist"),
        (b"ffconcat version 1.0\nfile /etc/hostname\n", "an ffmpeg concat list"),
        (b"file '/etc/hostname'\n", "an ffmpeg concat list"),
        (b'<?xml version="1.0"?><MPD/>', "an XML document"),
        (b"<html><body>Not found</body></html>", "a web page"),
        (b"\x00" * 64, "no container ShadowVault reads"),
        (b"", "nothing (the file is empty)"),
    ],
)
def test_anything_else_is_refused_naming_what_it_looks_like(tmp_path, body, looks) -> None:
    path = tmp_path / "Film.2001.mkv"
    path.write_bytes(body)

    with pytest.raises(MediaError) as refused:
        media_probe(path)

    assert str(refused.value).startswith("Film.2001.mkv is not a media file")
    assert looks in str(refused.value)
    assert refused.value.permanent
