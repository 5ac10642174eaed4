"""The one place that talks to the aria2c daemon (through aria2p, over JSON-RPC).

Downloads run in the daemon, not in the worker: a worker that dies leaves its download going,
and the job's retry finds it again by GID. Every download goes through the job's guard proxy.
aria2c fetches http(s) files only: its BitTorrent would open connections no proxy covers, so
torrents and magnets go to ingest/clients/bittorrent.py, and a downloaded .torrent or
metalink is never followed.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import aria2p
import requests
from django.conf import settings


class Aria2Error(Exception):
    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Aria2Status:
    gid: str
    state: str  # active, waiting, paused, error, complete, removed
    completed: int
    total: int
    speed: int
    files: tuple[Path, ...]
    error: str


class Aria2:
    def __init__(self, rpc_url: str | None = None, secret: str | None = None) -> None:
        url = urlsplit(rpc_url or settings.ARIA2_RPC_URL)
        client = aria2p.Client(
            host=f"{url.scheme}://{url.hostname}",
            port=url.port or 6800,
            secret=settings.ARIA2_RPC_SECRET if secret is None else secret,
            timeout=30,
        )
        self.api = aria2p.API(client)

    def add(self, *, directory: Path, proxy: str, url: str) -> str:
        """Start downloading the http(s) `url` into `directory` through `proxy`; its GID."""
        options = {
            "dir": str(directory),
            "all-proxy": proxy,
            "continue": "true",
            "file-allocation": "none",  # no up-front write of the whole size
            "follow-torrent": "false",  # a .torrent is a file here; BitTorrent runs elsewhere
            "follow-metalink": "false",  # a metalink could name anything, anywhere
            "max-connection-per-server": "4",
            "split": "4",
        }
        if urlsplit(url).scheme not in ("http", "https"):
            raise Aria2Error(f"aria2 fetches http(s) URLs only, not {url[:60]!r}", permanent=True)
        try:
            return self.api.add_uris([url], options=options).gid
        except aria2p.ClientException as exc:
            raise Aria2Error(f"aria2 refused the download: {exc.message}", permanent=True) from exc
        except requests.RequestException as exc:
            raise Aria2Error(f"aria2c does not answer: {exc}", permanent=False) from exc

    def status(self, gid: str) -> Aria2Status | None:
        """The download's state, or None when aria2c no longer knows it."""
        try:
            download = self.api.get_download(gid)
        except aria2p.ClientException:
            return None
        except requests.RequestException as exc:
            raise Aria2Error(f"aria2c does not answer: {exc}", permanent=False) from exc
        return Aria2Status(
            gid=gid,
            state=download.status,
            completed=download.completed_length,
            total=download.total_length,
            speed=download.download_speed,
            files=tuple(f.path for f in download.files if f.selected and str(f.path)),
            error=download.error_message or "",
        )

    def remove(self, gid: str) -> None:
        """Stop and forget a download; what it wrote stays for the job's clean-up."""
        try:
            with contextlib.suppress(aria2p.ClientException):  # already finished or gone
                self.api.client.force_remove(gid)
            with contextlib.suppress(aria2p.ClientException):
                self.api.client.remove_download_result(gid)
        except requests.RequestException as exc:
            raise Aria2Error(f"aria2c does not answer: {exc}", permanent=False) from exc
