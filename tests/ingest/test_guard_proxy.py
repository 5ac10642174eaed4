"""The guard proxy answers each request once and says so: clients that keep connections open
(aria2, yt-dlp, http.client) follow a CDN-style chain of redirects every time."""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

import pytest

from ingest.clients.aria2 import Aria2
from ingest.clients.ytdlp import ytdlp_fetch
from ingest.guard_proxy import GuardProxy
from tests import processes

CLIP = "/Night.of.the.Living.Dead.1968.mp4"
RUNS = 3


def redirect_chain(media_server, name: str, *, hops: int, to: str) -> str:
    """`hops` redirects, /name/1 → /name/2 → … → `to`; the chain's first URL."""
    for hop in range(1, hops + 1):
        target = f"/{name}/{hop + 1}" if hop < hops else to
        media_server.redirects[f"/{name}/{hop}"] = f"{media_server.base_url}{target}"
    return f"{media_server.base_url}/{name}/1"


@pytest.fixture
def proxy(media_server):
    with GuardProxy(allow_hosts=[media_server.host]) as started:
        yield started


def test_a_client_that_keeps_its_connection_open_gets_every_answer(
    proxy, media_server, media_root
) -> None:
    address = urlsplit(proxy.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    size = (media_root / CLIP.lstrip("/")).stat().st_size

    for _ in range(5):  # http.client reuses the socket unless the answer says close
        connection.request("HEAD", f"{media_server.base_url}{CLIP}")
        response = connection.getresponse()
        response.read()
        assert response.status == 200
        assert response.getheader("Connection") == "close"
        assert int(response.getheader("Content-Length")) == size

    connection.close()


def test_a_five_hop_chain_downloads_every_time_through_aria2(
    settings, aria2, proxy, media_server, media_root, tmp_path
) -> None:
    rpc_url, secret = aria2
    client = Aria2(rpc_url, secret)
    expected = (media_root / CLIP.lstrip("/")).read_bytes()

    for run in range(RUNS):
        url = redirect_chain(media_server, f"aria2-{run}", hops=5, to=CLIP)
        gid = client.add(directory=tmp_path / str(run), proxy=proxy.url, url=url)
        processes.wait_until(
            lambda gid=gid: client.status(gid).state in ("complete", "error"),
            timeout=20,
            what="the download ending",
        )
        status = client.status(gid)
        assert status.state == "complete", f"run {run}: {status.error}"
        assert status.files[0].read_bytes() == expected
        client.remove(gid)
    assert not proxy.refusals


def test_a_five_hop_chain_downloads_every_time_through_ytdlp(
    proxy, media_server, media_root, tmp_path
) -> None:
    expected = (media_root / CLIP.lstrip("/")).read_bytes()

    for run in range(RUNS):
        video = redirect_chain(media_server, f"video-{run}", hops=5, to=CLIP)
        media_server.pages[f"/watch-{run}.html"] = (
            f'<html><head><title>Chain {run}</title></head><body><video src="{video}"></video>'
        )
        page = redirect_chain(media_server, f"page-{run}", hops=5, to=f"/watch-{run}.html")

        path = ytdlp_fetch(
            page,
            directory=tmp_path / str(run),
            proxy=proxy.url,
            max_height=1080,
            max_bytes=10**9,
            progress=lambda *_: None,
        )

        assert path.read_bytes() == expected
    assert not proxy.refusals
