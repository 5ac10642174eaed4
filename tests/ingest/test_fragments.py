"""Per-track HLS pieces inside one fragmented MP4 (ingest/fragments.py)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from ingest.fragments import FragmentsError, fragments_index, top_level_boxes


def ffprobe(path: Path) -> dict:
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_streams", "-show_format", path],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def fragmented(tmp_path_factory) -> tuple[Path, dict]:
    """4 s of video and two audio tracks, one track per fragment, as the web step writes."""
    path = tmp_path_factory.mktemp("fragments") / "two.mp4"
    subprocess.run(
        [
            *("ffmpeg", "-v", "error", "-y"),
            *("-f", "lavfi", "-i", "testsrc=duration=4:size=160x120:rate=25"),
            *("-f", "lavfi", "-i", "sine=frequency=440:duration=4"),
            *("-f", "lavfi", "-i", "sine=frequency=1320:duration=4"),
            *("-map", "0", "-map", "1", "-map", "2"),
            *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "25"),
            *("-c:a", "aac", "-movflags"),
            "+frag_keyframe+empty_moov+default_base_moof+separate_moof",
            *("-min_frag_duration", "1000000", str(path)),
        ],
        check=True,
    )
    return path, fragments_index(path)


def test_each_track_gets_its_fragments_and_an_init_segment_of_its_own(fragmented, tmp_path) -> None:
    path, index = fragmented

    data = path.read_bytes()
    assert [t["kind"] for t in index["tracks"]] == ["video", "audio", "audio"]
    assert re.fullmatch(r"avc1\.42c0[0-9a-f]{2}", index["tracks"][0]["codec"])  # from avcC
    assert [t["codec"] for t in index["tracks"][1:]] == ["mp4a.40.2", "mp4a.40.2"]
    for track in index["tracks"]:
        assert sum(seconds for _, _, seconds in track["segments"]) == pytest.approx(4, abs=0.1)
        for offset, _, _ in track["segments"]:
            assert data[offset + 4 : offset + 8] == b"moof"
        # init + fragments alone are a file of that one track, as an HLS player assembles it
        offset, length = track["init"]
        alone = tmp_path / f"track-{track['id']}.mp4"
        alone.write_bytes(
            data[offset : offset + length]
            + b"".join(data[o : o + n] for o, n, _ in track["segments"])
        )
        streams = ffprobe(alone)["streams"]
        assert [s["codec_type"] for s in streams] == [track["kind"]]
        assert float(ffprobe(alone)["format"]["duration"]) == pytest.approx(4, abs=0.1)


def test_the_file_stays_one_playable_mp4(fragmented) -> None:
    path, _ = fragmented
    info = ffprobe(path)

    with open(path, "rb") as handle:
        kinds = [kind for kind, _, _ in top_level_boxes(handle)]
    assert [s["codec_type"] for s in info["streams"]] == ["video", "audio", "audio"]
    assert kinds[:2] == [b"ftyp", b"moov"]
    assert kinds[-2:] == [b"free", b"mfra"]  # the index stays last, where players look


def test_a_file_that_is_not_fragmented_is_refused(tmp_path) -> None:
    path = tmp_path / "plain.mp4"
    path.write_bytes(b"\x00\x00\x00\x10ftypisom\x00\x00\x00\x00" + b"\x00\x00\x00\x08mdat")

    with pytest.raises(FragmentsError, match="not a fragmented MP4"):
        fragments_index(path)
