"""A local web server for ingest tests: files with Range support, redirects, pages, throttling.

It stands in for the internet: ingest tests add its <address>:<port> to INGEST_ALLOW_HOSTS,
which exempts exactly that host and port from the URL guard's public-address rule. Ingest
tests bind it to 127.0.0.2, so that 127.0.0.1 stays an inner address on every port: the
BitTorrent engine's filter exempts an allowed host's address on all its ports.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

CHUNK = 64 * 1024
UNSIZED_PACE = 16 * 1024 * 1024  # bytes per second: a fast server, slower than a poll


class MediaServer:
    def __init__(self, root: Path, *, address: str = "127.0.0.1") -> None:
        self.root = root
        self.redirects: dict[str, str] = {}
        self.pages: dict[str, str | bytes] = {}  # str: an HTML page; bytes: as they are
        self.unsized: dict[str, int] = {}  # path -> bytes of video sent without a length
        self.unsized_sent: dict[str, int] = {}
        self.throttle: float | None = None  # bytes per second, when set
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keeps connections open, as most servers do

            def log_message(self, *args) -> None:
                pass

            def do_HEAD(self) -> None:
                server.answer(self, body=False)

            def do_GET(self) -> None:
                server.answer(self, body=True)

        self.httpd = ThreadingHTTPServer((address, 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base_url = f"http://{address}:{self.port}"
        self.host = f"{address}:{self.port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def answer(self, handler: BaseHTTPRequestHandler, *, body: bool) -> None:
        path = handler.path.split("?")[0]
        self.requests.append(path)
        if path in self.redirects:
            handler.send_response(302)
            handler.send_header("Location", self.redirects[path])
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        if path in self.pages:
            page = self.pages[path]
            data = page if isinstance(page, bytes) else page.encode()
            handler.send_response(200)
            kind = "text/plain" if isinstance(page, bytes) else "text/html; charset=utf-8"
            handler.send_header("Content-Type", kind)
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            if body:
                with contextlib.suppress(OSError):  # the client left
                    handler.wfile.write(data)
            return
        if path in self.unsized:
            self.send_unsized(handler, path, body=body)
            return
        file = (self.root / path.lstrip("/")).resolve()
        if not file.is_relative_to(self.root.resolve()) or not file.is_file():
            handler.send_error(404)
            return
        self.send_file(handler, file, body=body)

    def send_unsized(self, handler: BaseHTTPRequestHandler, path: str, *, body: bool) -> None:
        """A video of `unsized[path]` bytes with no Content-Length: its end is the close."""
        handler.close_connection = True
        handler.send_response(200)
        handler.send_header("Content-Type", "video/mp4")
        handler.send_header("Connection", "close")
        handler.end_headers()
        left = self.unsized[path] if body else 0
        self.unsized_sent[path] = 0
        while left > 0:
            chunk = b"\x00" * min(CHUNK, left)
            try:
                handler.wfile.write(chunk)
            except OSError:
                return
            left -= len(chunk)
            self.unsized_sent[path] += len(chunk)
            time.sleep(len(chunk) / (self.throttle or UNSIZED_PACE))

    def send_file(self, handler: BaseHTTPRequestHandler, file: Path, *, body: bool) -> None:
        size = file.stat().st_size
        start, end, status = 0, size - 1, 200
        match = re.fullmatch(r"bytes=(\d+)-(\d*)", handler.headers.get("Range", ""))
        if match:
            start = int(match.group(1))
            end = min(int(match.group(2) or size - 1), size - 1)
            status = 206
        handler.send_response(status)
        types = {
            ".mp4": "video/mp4",
            ".mkv": "video/x-matroska",
            ".torrent": "application/x-bittorrent",
        }
        handler.send_header("Content-Type", types.get(file.suffix, "application/octet-stream"))
        handler.send_header("Accept-Ranges", "bytes")
        handler.send_header("Content-Length", str(end - start + 1))
        if status == 206:
            handler.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        handler.end_headers()
        if not body:
            return
        with open(file, "rb") as source:
            source.seek(start)
            left = end - start + 1
            while left > 0:
                chunk = source.read(min(CHUNK, left))
                try:
                    handler.wfile.write(chunk)
                except OSError:
                    return
                left -= len(chunk)
                if self.throttle:
                    time.sleep(len(chunk) / self.throttle)
