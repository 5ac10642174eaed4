"""The one place that runs BitTorrent: libtorrent, in the worker, one session per download.

BitTorrent opens its own connections (HTTP and UDP trackers, peers a tracker hands out, web
seeds and their redirects), which no HTTP proxy covers. aria2c has no way to keep them off
inner addresses short of a network namespace or firewall rules, which need root (`make run`
usually is not). libtorrent applies an address filter to every one of them: peers (whatever
their source), web seeds (after each name lookup and redirect) and trackers
(`apply_ip_filter_to_trackers`). The filter blocks every non-public range the URL guard knows
(`url_guard.INNER_NETWORKS`); the addresses of INGEST_ALLOW_HOSTS entries stay open (on every
port: the filter knows addresses, not ports). Off: the DHT (libtorrent does not filter its
traffic, and its nodes name any address), local peer discovery, UPnP and NAT-PMP (they talk to
the local network by design). So a magnet needs a tracker or a peer address (the URL guard
says so at submission).

Only the video and subtitle files of a torrent are downloaded; the rest keep priority 0.
`TorrentDownload.status` asks libtorrent for the torrent's counters only, never its per-file
or per-piece lists, so polling costs the same for one file or 20,000.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import libtorrent as lt
from django.conf import settings

from ..url_guard import INNER_NETWORKS, URLRefused, address_check, source_url_check

MAX_TORRENT_BYTES = 10 * 1024 * 1024
PARSE_LIMITS = {"max_buffer_size": MAX_TORRENT_BYTES, "max_decode_tokens": 20_000_000}
SESSION_SETTINGS = {
    "listen_interfaces": "0.0.0.0:0,[::]:0",
    "enable_dht": False,
    "dht_bootstrap_nodes": "",
    "enable_lsd": False,
    "enable_upnp": False,
    "enable_natpmp": False,
    "apply_ip_filter_to_trackers": True,
    "ssrf_mitigation": True,
    "allow_idna": False,
    "validate_https_trackers": True,
    "announce_to_all_tiers": True,
    "announce_to_all_trackers": True,
    "stop_tracker_timeout": 1,  # closing waits this long for trackers to hear we left
    "alert_mask": lt.alert.category_t.error_notification
    | lt.alert.category_t.ip_block_notification
    | lt.alert.category_t.tracker_notification,
}


class TorrentError(Exception):
    def __init__(self, message: str, *, permanent: bool = True) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class TorrentStatus:
    has_metadata: bool
    finished: bool  # every wanted file is here
    done: int  # wanted bytes received and checked
    received: int  # payload bytes received in this session, checked or not (still moving?)
    wanted: int
    speed: int
    peers: int
    error: str


def torrent_parse(data: bytes) -> lt.torrent_info:
    """The torrent in `data`; ValueError saying why it is not one."""
    if len(data) > MAX_TORRENT_BYTES:
        raise ValueError(f"that .torrent is over {MAX_TORRENT_BYTES // 2**20} MiB")
    try:
        return lt.torrent_info(data, PARSE_LIMITS)
    except RuntimeError as exc:
        raise ValueError(f"that is not a .torrent file ({exc})") from exc


def torrent_check(data: bytes, *, allow_hosts: Iterable[str] | None = None) -> lt.torrent_info:
    """Refuse a .torrent that cannot run or leads inside: ValueError or URLRefused."""
    info = torrent_parse(data)
    try:  # libtorrent's binding decodes each URL as UTF-8 when asked for it
        trackers = [entry.url for entry in info.trackers()]
    except UnicodeDecodeError as exc:
        raise URLRefused("the torrent's tracker URLs are not UTF-8") from exc
    try:
        seeds = [seed["url"] for seed in info.web_seeds()]
    except UnicodeDecodeError as exc:
        raise URLRefused("the torrent's web seed URLs are not UTF-8") from exc
    for url in trackers:
        source_url_check(url, what="the torrent's tracker", allow_hosts=allow_hosts)
    for url in seeds:
        source_url_check(url, what="the torrent's web seed", allow_hosts=allow_hosts)
    if not trackers and not seeds:
        raise URLRefused(
            "the torrent names no tracker or web seed to get its files from; ShadowVault does"
            " not search the DHT, whose traffic no guard covers"
        )
    return info


def address_filter(allow_hosts: Iterable[str]) -> lt.ip_filter:
    """Every inner network blocked, but the addresses of the allowed host:port pairs."""
    rules = lt.ip_filter()
    for network in INNER_NETWORKS:
        rules.add_rule(str(network[0]), str(network[-1]), 1)
    for entry in allow_hosts:
        host, _, port = entry.strip().rpartition(":")
        if not host or not (port.isascii() and port.isdigit()):
            continue
        try:
            addresses = address_check(host, int(port), allow_hosts=[entry])
        except URLRefused:
            continue  # a name that does not resolve opens nothing
        for address in addresses:
            plain = str(ipaddress.ip_address(address.split("%")[0]))
            rules.add_rule(plain, plain, 0)
    return rules


class TorrentDownload:
    """One torrent (a .torrent's bytes, a magnet, or both) downloading into `directory`."""

    def __init__(
        self,
        *,
        directory: Path,
        torrent: bytes | None = None,
        magnet: str = "",
        allow_hosts: Iterable[str] | None = None,
    ) -> None:
        allow_hosts = settings.INGEST_ALLOW_HOSTS if allow_hosts is None else allow_hosts
        self.session = lt.session(SESSION_SETTINGS)
        self.session.set_ip_filter(address_filter(allow_hosts))
        # a magnet's trackers and peers, with its metadata when an earlier run kept it
        params = lt.parse_magnet_uri(magnet) if magnet else lt.add_torrent_params()
        if torrent is not None:
            params.ti = torrent_parse(torrent)
        params.save_path = str(directory)
        params.flags &= ~lt.torrent_flags.auto_managed & ~lt.torrent_flags.paused
        params.flags |= lt.torrent_flags.apply_ip_filter
        self.handle = self.session.add_torrent(params)
        self.refusals: list[str] = []
        self.selected = False

    def status(self) -> TorrentStatus:
        """The torrent's counters (no per-file or per-piece lists: cheap for any size)."""
        self.note_refusals()
        status = self.handle.status(0)
        error = status.errc.message() if status.errc.value() else ""
        return TorrentStatus(
            has_metadata=status.has_metadata,
            finished=self.selected and status.is_finished,
            done=status.total_wanted_done,
            received=status.total_payload_download,
            wanted=status.total_wanted,
            speed=status.download_payload_rate,
            peers=status.num_peers,
            error=error,
        )

    def select(self, wanted: Callable[[str], bool]) -> tuple[int, list[str]]:
        """Download only the files `wanted(path)` takes; (their bytes, their paths)."""
        files = self.handle.torrent_file().files()
        priorities, total, names = [], 0, []
        for index in range(files.num_files()):
            path = files.file_path(index)
            keep = wanted(path)
            priorities.append(4 if keep else 0)
            if keep:
                total += files.file_size(index)
                names.append(path)
        self.handle.prioritize_files(priorities)
        self.selected = True
        return total, names

    def metadata(self) -> bytes:
        """The torrent as a .torrent file (a magnet's, once its metadata came)."""
        return lt.bencode(lt.create_torrent(self.handle.torrent_file()).generate())

    def note_refusals(self) -> None:
        """Keep what the address filter turned away, for the job's error."""
        for alert in self.session.pop_alerts():
            if isinstance(alert, lt.peer_blocked_alert):
                address, port = alert.ip
                self.refusals.append(f"peer {address}:{port}")
            elif isinstance(alert, lt.tracker_error_alert | lt.url_seed_alert):
                message = alert.message()
                if any(word in message for word in ("IP filter", "SSRF", "blocked")):
                    url = alert.tracker_url() if hasattr(alert, "tracker_url") else ""
                    what = f"tracker {url}" if url else f"web seed {alert.server_url()}"
                    self.refusals.append(what)

    def close(self) -> None:
        """Stop the download and the session; its files stay for the job."""
        self.session.remove_torrent(self.handle)
        self.session.pause()
        del self.handle
        del self.session

    def __enter__(self) -> TorrentDownload:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
