"""The stream path end to end: real nginx, the real origin and the web process.

What a viewer sees is tested on both ways nginx finds the bytes (`any_gateway`): through the
origin and the slice cache (Telegram's way) and straight from the vault (filesystem files,
the default). Cache behaviour is tested on the cached way (`gateway`).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
import requests

from library.models import Domain, MediaFile
from shadowvault.storage.filesystem import FilesystemBackend, object_relative_path
from tests.streaming.conftest import MiB, link_path, member_viewer

pytestmark = pytest.mark.integration

SIZE = 3 * MiB + 12345
HOST = {"Host": "tenant-a.test"}
# Every answer names the file, whichever way nginx found its bytes.
NAMED = "inline; filename*=UTF-8''Film%20%282001%29%20%5B1080p%5D.mkv"


@pytest.fixture(params=["cached", "direct"])
def any_gateway(request):
    return request.getfixturevalue("gateway" if request.param == "cached" else "direct_gateway")


@pytest.fixture
def film(store_file):
    data = os.urandom(SIZE)
    return store_file(data), data


def get(gateway, path: str, **headers) -> requests.Response:
    return requests.get(gateway.url + path, headers={**HOST, **headers}, timeout=30)


@pytest.mark.parametrize(
    ("range_header", "start", "end"),
    [
        (None, 0, SIZE - 1),
        ("bytes=0-0", 0, 0),  # first byte
        ("bytes=1500000-2600000", 1500000, 2600000),  # middle, across a slice boundary
        (f"bytes={SIZE - 1}-{SIZE - 1}", SIZE - 1, SIZE - 1),  # last byte
        ("bytes=-500", SIZE - 500, SIZE - 1),  # suffix
        ("bytes=3000000-", 3000000, SIZE - 1),  # open-ended
        (f"bytes=0-{SIZE * 2}", 0, SIZE - 1),  # an end past the file is clipped
    ],
)
def test_ranges_come_back_byte_exact(any_gateway, film, range_header, start, end) -> None:
    media_file, data = film
    headers = {"Range": range_header} if range_header else {}

    response = get(any_gateway, link_path(media_file), **headers)

    assert response.status_code == (206 if range_header else 200), response.text
    assert response.content == data[start : end + 1]
    assert int(response.headers["Content-Length"]) == end - start + 1
    if range_header:
        assert response.headers["Content-Range"] == f"bytes {start}-{end}/{SIZE}"
    assert response.headers["Content-Type"] == "video/x-matroska"
    assert response.headers["Content-Disposition"] == NAMED
    assert response.headers["Cache-Control"] == "private, max-age=3600"
    assert response.headers["ETag"]  # strong, per stored file: If-Range needs it
    if not range_header:  # a player learns from the full answer that it may seek
        assert response.headers["Accept-Ranges"] == "bytes"


def test_a_range_past_the_end_is_416(any_gateway, film) -> None:
    media_file, _ = film
    response = get(any_gateway, link_path(media_file), Range=f"bytes={SIZE}-")
    assert response.status_code == 416
    assert response.headers["Content-Range"] == f"bytes */{SIZE}"


def test_head_answers_headers_only(any_gateway, film) -> None:
    media_file, _ = film
    response = requests.head(any_gateway.url + link_path(media_file), headers=HOST, timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Length"] == str(SIZE)
    assert response.headers["Content-Disposition"] == NAMED
    assert response.content == b""


def test_a_second_read_is_a_cache_hit_and_spares_the_origin(gateway, film) -> None:
    media_file, data = film
    path = link_path(media_file)

    first = get(gateway, path, Range="bytes=100-200")
    reads = gateway.origin_reads(media_file.public_id)
    second = get(
        gateway,
        link_path(media_file, viewer=member_viewer(media_file.title.tenant, "second")),
        Range="bytes=100-200",
    )

    assert first.headers["X-Cache-Status"] == "MISS"
    assert second.headers["X-Cache-Status"] == "HIT"
    assert second.content == data[100:201]
    assert reads == 1
    assert gateway.origin_reads(media_file.public_id) == 1


def test_fifty_cold_readers_of_one_slice_cause_one_origin_read(gateway, film) -> None:
    media_file, data = film
    tenant = media_file.title.tenant
    paths = [link_path(media_file, viewer=member_viewer(tenant, f"v{n}")) for n in range(50)]

    with ThreadPoolExecutor(max_workers=50) as pool:
        responses = list(pool.map(lambda p: get(gateway, p, Range="bytes=0-65535"), paths))

    assert all(r.status_code == 206 and r.content == data[:65536] for r in responses)
    assert gateway.origin_reads(media_file.public_id) == 1


def test_conditional_requests(any_gateway, film) -> None:
    media_file, data = film
    etag = get(any_gateway, link_path(media_file), Range="bytes=0-0").headers["ETag"]

    unchanged = get(any_gateway, link_path(media_file), **{"If-None-Match": etag})
    assert (unchanged.status_code, unchanged.headers["Content-Disposition"]) == (304, NAMED)
    assert (
        get(any_gateway, link_path(media_file), **{"If-Match": '"something-else"'}).status_code
        == 412
    )
    assert get(any_gateway, link_path(media_file), **{"If-Match": etag}).status_code == 200
    resumed = get(any_gateway, link_path(media_file), Range="bytes=10-19", **{"If-Range": etag})
    stale = get(any_gateway, link_path(media_file), Range="bytes=10-19", **{"If-Range": '"old"'})
    assert (resumed.status_code, resumed.content) == (206, data[10:20])
    assert (stale.status_code, stale.content) == (200, data)  # a changed file comes whole
    assert {resumed.headers["Content-Disposition"], stale.headers["Content-Disposition"]} == {NAMED}


def test_the_cached_way_tags_each_file_with_its_content_hash(gateway, film) -> None:
    media_file, _ = film
    response = get(gateway, link_path(media_file), Range="bytes=0-0")
    assert response.headers["ETag"] == f'"{media_file.sha256}"'


def test_forged_and_expired_links_are_refused(any_gateway, film) -> None:
    media_file, _ = film
    good = link_path(media_file)

    forged = re.sub(r"v=u(\d+)", lambda m: f"v=u{int(m[1]) + 1}", good)  # another viewer
    expired = link_path(media_file, now=time.time() - 7 * 24 * 3600)

    assert get(any_gateway, good).status_code == 200
    assert get(any_gateway, forged).status_code == 403
    assert get(any_gateway, expired).status_code == 403
    assert get(any_gateway, good.split("?")[0]).status_code == 403


def test_another_tenants_host_unknown_and_unready_files_are_404(
    any_gateway, film, store_file, other_tenant
) -> None:
    media_file, _ = film
    pending = store_file(b"not yet", state=MediaFile.State.PENDING)

    assert get(any_gateway, link_path(media_file), Host="tenant-b.test").status_code == 404
    assert get(any_gateway, link_path(pending)).status_code == 404
    assert get(any_gateway, "/s/NoSuchFile0000000/x.mkv?exp=1&v=u1&sig=x").status_code == 404


def test_internal_locations_are_unreachable_from_outside(gateway, film) -> None:
    media_file, _ = film

    assert get(gateway, f"/_vault/{media_file.public_id}").status_code == 404
    assert get(gateway, f"/_origin/{media_file.public_id}").status_code == 404
    # and the origin itself answers the gateway only
    direct = requests.get(f"{gateway.origin_url}/_origin/{media_file.public_id}", timeout=10)
    assert direct.status_code == 403


def test_ffmpeg_seeks_into_the_middle_and_ffprobe_reads_the_length(
    any_gateway, store_file, tenant, tmp_path
) -> None:
    Domain.objects.create(tenant=tenant, domain="127.0.0.1")  # the player asks by IP
    video = tmp_path / "clip.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=duration=20:size=320x240:rate=25",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-g",
            "25",
            "-pix_fmt",
            "yuv420p",
            str(video),
        ],
        check=True,
    )
    media_file = store_file(video.read_bytes(), name="Clip (2020).mp4", mime="video/mp4")
    url = any_gateway.url + link_path(media_file)

    decoded = subprocess.run(
        ["ffmpeg", "-v", "error", "-ss", "10", "-i", url, "-frames:v", "1", "-f", "null", "-"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    probed = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", url],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert decoded.returncode == 0, decoded.stderr
    assert probed.returncode == 0, probed.stderr
    assert abs(float(probed.stdout) - 20.0) < 0.5


def test_an_origin_restart_mid_stream_costs_nothing_but_the_open_request(
    gateway, store_file
) -> None:
    data = os.urandom(6 * MiB)
    media_file = store_file(data)
    path = link_path(media_file)
    first = get(gateway, path, Range="bytes=0-1048575")

    gateway.origin_restart()  # the player is between two range requests
    after = get(gateway, path, Range=f"bytes={3 * MiB}-{4 * MiB - 1}")

    assert first.content == data[:MiB]
    assert after.status_code == 206
    assert after.content == data[3 * MiB : 4 * MiB]
    assert after.headers["X-Cache-Status"] == "MISS"  # it really came from the new origin


def test_tmdb_images_come_through_the_gateway_or_a_placeholder(
    gateway, transactional_db, tenant
) -> None:
    (gateway.tmdb_images / "w342").mkdir(exist_ok=True)
    poster = os.urandom(2048)
    (gateway.tmdb_images / "w342" / "poster.jpg").write_bytes(poster)

    first = get(gateway, "/img/tmdb/w342/poster.jpg")
    second = get(gateway, "/img/tmdb/w342/poster.jpg")
    missing = get(gateway, "/img/tmdb/w342/nothing-here.jpg")
    sneaky = get(gateway, "/img/tmdb/w342/../../admin/")

    assert (first.status_code, first.content) == (200, poster)
    assert second.content == poster
    assert (missing.status_code, missing.headers["Content-Type"]) == (200, "image/svg+xml")
    assert b"<svg" in missing.content
    assert sneaky.status_code == 404  # normalised to /img/admin/: not an image path at all


def test_the_direct_way_serves_the_vault_file_without_the_origin(direct_gateway, film) -> None:
    media_file, data = film

    response = get(direct_gateway, link_path(media_file), Range=f"bytes={MiB - 6}-{MiB + 9}")

    assert response.content == data[MiB - 6 : MiB + 10]
    assert direct_gateway.origin_reads(media_file.public_id) == 0
    # nginx consumes the redirect: the vault's layout never reaches the viewer
    assert "X-Accel-Redirect" not in response.headers
    assert media_file.sha256 not in str(response.headers)


def test_vault_files_are_unreachable_from_outside(direct_gateway, film) -> None:
    media_file, _ = film
    relative = object_relative_path(media_file.locator)

    assert get(direct_gateway, f"/_files/{relative}").status_code == 404
    assert get(direct_gateway, f"/_vault/{media_file.public_id}").status_code == 404


def test_a_file_gone_from_the_vault_is_a_404(direct_gateway, store_file, vault_root) -> None:
    media_file = store_file(os.urandom(1000))
    FilesystemBackend(vault_root).delete(media_file.locator)

    assert get(direct_gateway, link_path(media_file)).status_code == 404


def test_storing_identical_content_again_keeps_a_resumed_download_going(
    direct_gateway, film, store_file, vault_root
) -> None:
    media_file, data = film
    an_hour_ago = time.time() - 3600  # nginx's ETag is the file's mtime (seconds) and size
    os.utime(FilesystemBackend(vault_root).path_of(media_file.locator), (an_hour_ago,) * 2)
    started = get(direct_gateway, link_path(media_file), Range="bytes=0-99")

    store_file(data)  # the same content uploaded again
    resumed = get(
        direct_gateway,
        link_path(media_file),
        Range="bytes=100-",
        **{"If-Range": started.headers["ETag"]},
    )

    assert (resumed.status_code, resumed.content) == (206, data[100:])


# A cold file through the slice cache costs storage reads near where its viewer is. nginx's
# slice module asks for the next slice as soon as the last one is handed on; with sendfile,
# handing on was queueing a reference to the cached slice, so a viewer taking the bytes
# slowly (a player whose buffer is full) made nginx fetch the whole file from the origin.
COLD_SIZE = 40 * MiB
# What may lie between a viewer and the furthest slice read for it: the kernel's socket
# buffers (up to 4 MiB on this kind of machine), the gateway's copy buffers and a slice.
AHEAD = 8 * MiB


@contextmanager
def viewer(gateway, path: str, first_byte: int) -> Iterator[socket.socket]:
    """A player's connection asking for everything from `first_byte`, its window small."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)  # before connect: fixed
    sock.connect(("127.0.0.1", int(gateway.url.rsplit(":", 1)[1])))
    request = (
        f"GET {path} HTTP/1.1\r\nHost: tenant-a.test\r\nRange: bytes={first_byte}-\r\n"
        "Connection: close\r\n\r\n"
    )
    sock.sendall(request.encode())
    try:
        yield sock
    finally:
        sock.close()


def watch(sock: socket.socket, *, take: int, then_pause: float) -> int:
    """Take about `take` bytes at a player's pace, then stop taking for `then_pause` s (its
    buffer is full); the bytes taken, headers included."""
    taken = 0
    while taken < take:
        chunk = sock.recv(64 * 1024)
        assert chunk, "the gateway closed the stream"
        taken += len(chunk)
        time.sleep(0.01)
    time.sleep(then_pause)
    return taken


def test_a_slow_viewer_costs_reads_near_its_position_not_the_whole_file(
    gateway, store_file
) -> None:
    media_file = store_file(os.urandom(COLD_SIZE))
    seek = 24 * MiB

    # a viewer plays the start, pauses, then seeks into the middle and pauses again
    with viewer(gateway, link_path(media_file), 0) as sock:
        from_start = watch(sock, take=2 * MiB, then_pause=1.0)
        start_ranges = gateway.origin_ranges(media_file.public_id)
    with viewer(gateway, link_path(media_file), seek) as sock:
        from_seek = watch(sock, take=2 * MiB, then_pause=1.0)
    seek_ranges = gateway.origin_ranges(media_file.public_id)[len(start_ranges) :]

    assert max(last for _, last in start_ranges) < from_start + AHEAD
    assert seek_ranges, "the seek was served without the origin: read ahead before it"
    assert min(first for first, _ in seek_ranges) == seek  # nothing before the new position
    assert max(last for _, last in seek_ranges) < seek + from_seek + AHEAD
    assert gateway.origin_reads(media_file.public_id) <= (4 + 2 * AHEAD) // MiB < COLD_SIZE // MiB


def test_a_webvtt_subtitle_comes_through_either_way_as_text_vtt(
    any_gateway, store_file, vault_root, tmp_path
) -> None:
    from library.models import Subtitle
    from streaming.objects import subtitle_object
    from streaming.services import stream_link

    media_file = store_file(os.urandom(1000))
    text = b"WEBVTT\n\n00:01.000 --> 00:02.000\nHello\n"
    (tmp_path / "sub.vtt").write_bytes(text)
    locator = FilesystemBackend(vault_root).put(tmp_path / "sub.vtt", name="sub.vtt")
    subtitle = Subtitle.objects.create(
        media_file=media_file,
        language="en",
        name="Film.en.vtt",
        storage="filesystem",
        locator=locator,
        size=len(text),
        sha256=locator["sha256"],
        mime="text/vtt",
    )
    viewer = member_viewer(media_file.title.tenant)
    link = stream_link(stored=subtitle_object(subtitle.public_id), viewer=viewer, host="x")

    response = get(any_gateway, link.url.split(":8080", 1)[1])

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/vtt")  # browsers insist on it
    assert response.content == text
    forged = link.url.split(":8080", 1)[1].replace("sig=", "sig=x")
    assert get(any_gateway, forged).status_code == 403
