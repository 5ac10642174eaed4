"""BitTorrent never reaches inside: trackers, peers and web seeds on loopback are refused.

A submitted .torrent or magnet naming them is refused at once. And when a name passed that
check but leads inside later (a tracker handing out loopback peers, a tracker redirecting to
loopback, a name that now resolves inside: the job row here names them directly), the engine's
address filter turns every one away: real sockets on 127.0.0.1 count what reaches them.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from ingest.clients.bittorrent import TorrentDownload
from ingest.services import job_create
from ingest.url_guard import URLRefused
from tests import processes
from tests.media_fixture import MediaServer
from tests.torrent_fixture import torrent_of, tracker_answer

pytestmark = [pytest.mark.integration]
HASH = "0123456789abcdef0123456789abcdef01234567"


class Listener:
    """A socket on 127.0.0.1 that counts TCP connections or UDP datagrams reaching it."""

    def __init__(self, kind: int) -> None:
        self.sock = socket.socket(socket.AF_INET, kind)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.hits = 0
        if kind == socket.SOCK_STREAM:
            self.sock.listen(16)
        threading.Thread(target=self.count, args=(kind,), daemon=True).start()

    def count(self, kind: int) -> None:
        while True:
            try:
                if kind == socket.SOCK_STREAM:
                    self.sock.accept()[0].close()
                else:
                    self.sock.recvfrom(2048)
            except OSError:
                return
            self.hits += 1

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def inside() -> Iterator[dict[str, Listener]]:
    listeners = {
        "udp tracker": Listener(socket.SOCK_DGRAM),
        "http tracker": Listener(socket.SOCK_STREAM),
        "peer": Listener(socket.SOCK_STREAM),
        "web seed": Listener(socket.SOCK_STREAM),
    }
    yield listeners
    for listener in listeners.values():
        listener.close()


@pytest.fixture
def public_tracker(media_server, inside) -> str:
    """An allowed tracker that hands out a loopback peer."""
    media_server.pages["/announce"] = tracker_answer([("127.0.0.1", inside["peer"].port)])
    return f"{media_server.base_url}/announce"


@pytest.fixture
def moved_tracker(media_root, inside) -> Iterator[MediaServer]:
    """An allowed tracker that redirects to the loopback one (on a server of its own: a tracker
    on a local address must answer at /announce, libtorrent's SSRF rule)."""
    server = MediaServer(media_root, address="127.0.0.2")
    server.redirects["/announce"] = f"http://127.0.0.1:{inside['http tracker'].port}/announce"
    yield server
    server.stop()


def inner_sources(inside) -> tuple[str, ...]:
    return (
        f"udp://127.0.0.1:{inside['udp tracker'].port}/announce",
        f"http://127.0.0.1:{inside['http tracker'].port}/announce",
    )


def run_until_refused(
    download: TorrentDownload, media_server, what: tuple[str, ...], *, asked: tuple[str, ...]
) -> None:
    """Let the engine work until it has refused each of `what` and asked `asked` outside."""

    def refused_all() -> bool:
        download.status()  # collects the filter's refusals
        said = " ".join(download.refusals)
        return set(asked) <= set(media_server.requests) and all(w in said for w in what)

    processes.wait_until(refused_all, timeout=20, what=f"the engine refusing {what}")


def test_a_torrent_that_leads_inside_reaches_nothing_there(
    media_server, public_tracker, moved_tracker, inside, tmp_path
) -> None:
    # given a torrent whose sources are a public tracker (handing out a loopback peer), a tracker
    # redirecting to loopback, UDP and HTTP trackers on loopback, and a loopback web seed
    torrent = torrent_of(
        "Film.1999",
        [(("Film.1999.mp4",), b"\0" * 1000)],
        trackers=(
            public_tracker,
            f"{moved_tracker.base_url}/announce",
            *inner_sources(inside),
        ),
        web_seed=f"http://127.0.0.1:{inside['web seed'].port}/",
    )

    # when the engine runs it
    with TorrentDownload(
        directory=tmp_path, torrent=torrent, allow_hosts=[media_server.host]
    ) as download:
        run_until_refused(
            download,
            media_server,
            (
                f"peer 127.0.0.1:{inside['peer'].port}",
                f"127.0.0.1:{inside['udp tracker'].port}",
                f"127.0.0.1:{inside['http tracker'].port}",
            ),
            asked=("/announce",),
        )
        processes.wait_until(
            lambda: "/announce" in moved_tracker.requests, timeout=10, what="the moved tracker"
        )

    # then nothing on loopback was reached
    assert {name: listener.hits for name, listener in inside.items()} == dict.fromkeys(inside, 0)


def test_a_magnet_that_leads_inside_reaches_nothing_there(
    media_server, public_tracker, inside, tmp_path
) -> None:
    trackers = (public_tracker, *inner_sources(inside))
    magnet = (
        f"magnet:?xt=urn:btih:{HASH}&dn=Film"
        + "".join(f"&tr={tracker}" for tracker in trackers)
        + f"&x.pe=127.0.0.1:{inside['peer'].port}"
        + f"&ws=http://127.0.0.1:{inside['web seed'].port}/"
    )

    with TorrentDownload(
        directory=tmp_path, magnet=magnet, allow_hosts=[media_server.host]
    ) as download:
        run_until_refused(
            download,
            media_server,
            (f"peer 127.0.0.1:{inside['peer'].port}", f"127.0.0.1:{inside['udp tracker'].port}"),
            asked=("/announce",),
        )

    assert {name: listener.hits for name, listener in inside.items()} == dict.fromkeys(inside, 0)


@pytest.mark.django_db
def test_a_torrent_naming_an_inner_tracker_is_refused_at_submission(
    settings, tenant, inside
) -> None:
    settings.INGEST_ALLOW_HOSTS = []
    for tracker in inner_sources(inside):
        torrent = torrent_of("Film", [(("Film.mkv",), b"\0" * 10)], trackers=(tracker,))

        with pytest.raises(URLRefused) as refused:
            job_create(tenant=tenant, torrent=torrent)

        assert "the torrent's tracker" in refused.value.reason
        assert "loopback" in refused.value.reason
    assert {name: listener.hits for name, listener in inside.items()} == dict.fromkeys(inside, 0)
