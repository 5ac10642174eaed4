"""The WebDAV share, and a playlist, through the real gateway (nginx, web, origin), with the
clients people use: rclone, curl, mpv, ffprobe. (The playlist's test is here to share this
module's gateway: each gateway costs a few seconds to start.)"""

from __future__ import annotations

import base64
import io
import os
import subprocess
import zipfile
from email.utils import parsedate_to_datetime
from urllib.parse import quote, unquote

import pytest
import requests
from defusedxml import ElementTree

from streaming.playlists import playlist_link
from tests.dav.conftest import PASSWORD

pytestmark = pytest.mark.integration
DAV = "{DAV:}"


@pytest.fixture(params=["direct", "cached"])
def any_gateway(request):
    """Filesystem files sent by nginx from the vault, or through the origin and the slice
    cache (the way Telegram's files take)."""
    return request.getfixturevalue("direct_gateway" if request.param == "direct" else "gateway")


def share_url(gateway, path: str = "") -> str:
    return f"{gateway.url}/dav/" + "/".join(quote(part) for part in path.split("/"))


def rclone(gateway, *args: str, user: str = "viewer", password: str = PASSWORD) -> bytes:
    obscured = subprocess.run(
        ["rclone", "obscure", password], capture_output=True, text=True, check=True
    ).stdout.strip()
    env = {
        **os.environ,
        "RCLONE_CONFIG": os.devnull,
        "RCLONE_WEBDAV_URL": share_url(gateway),
        "RCLONE_WEBDAV_USER": user,
        "RCLONE_WEBDAV_PASS": obscured,
    }
    done = subprocess.run(
        ["rclone", *args, "--retries=1", "--low-level-retries=1", "--timeout=20s"],
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


def basic_token(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


def curl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["curl", "-sS", *args], capture_output=True, timeout=30)


def propfind(url: str, depth: str | None, *, user: str = f"viewer:{PASSWORD}"):
    depth_header = ["-H", f"Depth: {depth}"] if depth is not None else []
    done = curl("-X", "PROPFIND", "-u", user, *depth_header, "-w", "\n%{http_code}", url)
    body, _, status = done.stdout.rpartition(b"\n")
    return int(status), body


def test_rclone_lists_the_whole_tree(direct_gateway, library) -> None:
    listed = rclone(direct_gateway, "lsf", "-R", ":webdav:").decode().splitlines()

    folders = {path.rpartition("/")[0] + "/" for path in library.files}
    assert set(listed) == {
        "Movies/",
        "Series/",
        "Series/Show (2019)/",
        *folders,
        *library.files,
        "Manga/",
        "Manga/Meshi/",
        "Manga/Meshi/Chapter 0001.cbz",
        "Manga/Meshi/Chapter 0010.5.cbz",
    }


def test_a_chapter_comes_as_a_cbz_of_its_pages_in_order(direct_gateway, library) -> None:
    cbz = rclone(direct_gateway, "cat", ":webdav:Manga/Meshi/Chapter 0001.cbz")

    status, body = propfind(share_url(direct_gateway, "Manga/Meshi") + "/", "1")

    archive = zipfile.ZipFile(io.BytesIO(cbz))
    pages = [name for name in archive.namelist() if name != "ComicInfo.xml"]
    assert [archive.read(name) for name in pages] == library.pages
    sizes = {
        unquote(r.findtext(f"{DAV}href")): r.findtext(
            f"{DAV}propstat/{DAV}prop/{DAV}getcontentlength"
        )
        for r in ElementTree.fromstring(body)
    }
    assert status == 207
    assert sizes["/dav/Manga/Meshi/Chapter 0001.cbz"] == str(len(cbz))  # said before it is built


def test_rclone_cat_is_byte_exact_at_any_offset(any_gateway, library) -> None:
    film = "Movies/AC-DC - Live (1991)/ACDC.mkv"
    size = len(library.film)
    for offset, count in ((0, 100), (1024 * 1024 - 10, 300_000), (size - 50, 50)):
        read = rclone(
            any_gateway,
            "cat",
            f"--offset={offset}",
            f"--count={count}",
            f":webdav:{film}",
            password=library.app_password,
        )
        assert read == library.film[offset : offset + count], (offset, count)
    subtitle = "Movies/Clip (2020)/Clip (2020) [120p].en.srt"
    assert rclone(any_gateway, "cat", f":webdav:{subtitle}") == library.files[subtitle]


def test_propfind_depth_0_and_1_answer_a_multistatus(direct_gateway, library) -> None:
    folder = share_url(direct_gateway, "Movies/Clip (2020)") + "/"

    status_0, itself = propfind(folder, "0")
    status_1, listing = propfind(folder, "1")

    assert (status_0, status_1) == (207, 207)
    assert [r.findtext(f"{DAV}href") for r in ElementTree.fromstring(itself)] == [
        "/dav/Movies/Clip%20(2020)/"
    ]
    responses = {
        unquote(r.findtext(f"{DAV}href")): r.find(f"{DAV}propstat/{DAV}prop")
        for r in ElementTree.fromstring(listing)
    }
    video = responses["/dav/Movies/Clip (2020)/Clip (2020) [120p].mp4"]
    assert set(responses) == {
        "/dav/Movies/Clip (2020)/",
        "/dav/Movies/Clip (2020)/Clip (2020) [120p].mp4",
        "/dav/Movies/Clip (2020)/Clip (2020) [120p].en.srt",
    }
    assert (
        responses["/dav/Movies/Clip (2020)/"].find(f"{DAV}resourcetype/{DAV}collection") is not None
    )
    assert video.find(f"{DAV}resourcetype/{DAV}collection") is None
    assert int(video.findtext(f"{DAV}getcontentlength")) == len(library.clip)
    assert video.findtext(f"{DAV}getcontenttype") == "video/mp4"
    assert video.findtext(f"{DAV}getetag").startswith('"')
    assert parsedate_to_datetime(video.findtext(f"{DAV}getlastmodified")).year >= 2024


def test_propfind_of_infinite_depth_is_refused(direct_gateway, library) -> None:
    for depth in ("infinity", None):  # no Depth header means infinity
        status, body = propfind(share_url(direct_gateway, "Movies") + "/", depth)
        assert status == 403
        assert ElementTree.fromstring(body).find(f"{DAV}propfind-finite-depth") is not None


def test_get_and_head_are_ranged_with_validators(any_gateway, library) -> None:
    url = share_url(any_gateway, "Movies/AC-DC - Live (1991)/ACDC.mkv")
    auth = ("viewer", library.app_password)

    ranged = requests.get(url, auth=auth, headers={"Range": "bytes=1048570-1048589"}, timeout=30)
    head = requests.head(url, auth=auth, timeout=30)
    resumed = requests.get(
        url, auth=auth, headers={"Range": "bytes=5-9", "If-Range": head.headers["ETag"]}, timeout=30
    )

    assert ranged.status_code == 206
    assert ranged.content == library.film[1048570:1048590]
    assert ranged.headers["Content-Range"] == f"bytes 1048570-1048589/{len(library.film)}"
    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["Content-Length"] == str(len(library.film))
    assert head.headers["Accept-Ranges"] == "bytes"
    assert (resumed.status_code, resumed.content) == (206, library.film[5:10])


def test_mpv_plays_a_file_from_its_share_url(direct_gateway, library) -> None:
    url = share_url(
        direct_gateway, "Series/Show (2019)/Season 01/Show (2019) - S01E01 - Pilot [120p].mp4"
    )
    with_credentials = url.replace("http://", f"http://viewer:{quote(PASSWORD)}@")

    played = subprocess.run(
        ["mpv", "--no-config", "--vo=null", "--ao=null", "--end=2", with_credentials],
        capture_output=True,
        timeout=60,
    )

    assert played.returncode == 0, played.stderr.decode()[-2000:]


def test_ffprobe_reads_the_duration_through_the_share(direct_gateway, library) -> None:
    url = share_url(direct_gateway, "Movies/Clip (2020)/Clip (2020) [120p].mp4")

    probed = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-show_entries",
            "format=duration",
            "-of",
            "csv=p=0",
            "-headers",
            f"Authorization: Basic {basic_token('viewer', library.app_password)}\r\n",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert probed.returncode == 0, probed.stderr
    assert float(probed.stdout) == pytest.approx(3.0, abs=0.1)


def test_bad_credentials_and_paths_are_refused(direct_gateway, library) -> None:
    film = share_url(direct_gateway, "Movies/AC-DC - Live (1991)/ACDC.mkv")
    theirs = share_url(direct_gateway, library.other_tenant_path)

    missing = requests.get(film, timeout=30)
    wrong = requests.get(film, auth=("viewer", "not the password"), timeout=30)
    outsider = requests.get(film, auth=("outsider", PASSWORD), timeout=30)
    other_tenant = requests.get(theirs, auth=("viewer", PASSWORD), timeout=30)
    climbing = curl(
        "--path-as-is",
        "-u",
        f"viewer:{PASSWORD}",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        share_url(direct_gateway, "Movies/../../s/x"),
    )
    writes = {
        method: requests.request(method, film, auth=("viewer", PASSWORD), data=b"x", timeout=30)
        for method in ("PUT", "DELETE", "MKCOL", "MOVE", "COPY", "PROPPATCH", "LOCK")
    }

    assert (missing.status_code, wrong.status_code, outsider.status_code) == (401, 401, 401)
    assert missing.headers["WWW-Authenticate"].startswith("Basic realm=")
    assert other_tenant.status_code == 404
    assert climbing.stdout == b"404"
    assert {method: r.status_code for method, r in writes.items()} == dict.fromkeys(writes, 405)
    # and the other site's own member sees that film on their own host
    assert (
        requests.head(
            theirs, auth=("outsider", PASSWORD), headers={"Host": "tenant-b.test"}, timeout=30
        ).status_code
        == 200
    )


def test_mpv_plays_the_first_entry_of_a_season_playlist(direct_gateway, library) -> None:
    show = library.show
    link = playlist_link(
        tenant_id=show.tenant_id,
        slug=show.slug,
        season=1,
        viewer=f"u{library.viewer_id}",
        host="127.0.0.1",
    )
    url = direct_gateway.url + link.url.split(":8080", 1)[1]  # the gateway the test started

    played = subprocess.run(
        [
            "mpv",
            "--no-config",
            "--vo=null",
            "--ao=null",
            "--end=1",
            "--term-playing-msg=PLAYING ${media-title}",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert played.returncode == 0, played.stderr[-2000:]
    titles = [line for line in played.stdout.splitlines() if line.startswith("PLAYING ")]
    assert titles == ["PLAYING Show - S01E01 - Pilot", "PLAYING Show - S01E02 - Second"]
