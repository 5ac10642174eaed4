"""A loopback HTTP proxy that lets fetchers reach public addresses only.

aria2c, yt-dlp and ffmpeg open their own connections and follow redirects by themselves, so
checking the first URL is not enough. Every fetch of a job runs with this proxy set
(aria2's all-proxy, yt-dlp's proxy, ffmpeg's http_proxy): each connection they open, first
or after a redirect, names its host, which is resolved and checked here (`address_check`)
and then reached at the address that was checked, so a DNS answer cannot change in between.
A refused connection gets a 403 whose body gives the reason, and the reason is kept for the
job's error message.

Plain http requests come in absolute form (`GET http://host/path`); https comes as CONNECT
and is tunnelled without being read. One plain request per connection: the origin is asked to
close after its answer, and the client is told `Connection: close` too, so it opens a new
connection (checked again) for the next hop of a redirect chain rather than writing into one
the proxy is closing.
"""

from __future__ import annotations

import contextlib
import logging
import select
import socket
import socketserver
import threading
from collections.abc import Iterable
from urllib.parse import urlsplit

from shadowvault.digits import ascii_int

from .url_guard import URLRefused, address_check

log = logging.getLogger(__name__)
IDLE_SECONDS = 120
HEADER_LIMIT = 64 * 1024
HOP_HEADERS = (b"connection:", b"keep-alive:", b"proxy-connection:")


class GuardProxy:
    """Serve on a free loopback port until `close()`; `url` is what fetchers are given."""

    def __init__(self, *, allow_hosts: Iterable[str] | None = None) -> None:
        self.allow_hosts = allow_hosts
        self.refusals: list[str] = []
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                proxy.handle(self.request)

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        # A short poll: close() waits for the loop to notice, and a job waits for close().
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> GuardProxy:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def handle(self, client: socket.socket) -> None:
        client.settimeout(IDLE_SECONDS)
        head = read_head(client)
        if head is None:
            return
        request_line, _, rest = head.partition(b"\r\n")
        try:
            method, target, version = request_line.decode("latin-1").split(" ", 2)
        except ValueError:
            return reply(client, 400, "a malformed request line")
        try:
            if method.upper() == "CONNECT":
                host, port = split_host_port(target, 443)
                upstream = self.connect(host, port)
                client.sendall(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            else:
                url = urlsplit(target)
                if url.scheme != "http" or not url.hostname:
                    return reply(client, 400, "only absolute http:// targets are proxied")
                upstream = self.connect(url.hostname, url.port or 80)
                path = (url.path or "/") + (f"?{url.query}" if url.query else "")
                upstream.sendall(
                    f"{method} {path} {version}\r\n".encode("latin-1") + forwarded_headers(rest)
                )
        except URLRefused as refused:
            self.refusals.append(refused.reason)
            log.warning("guard proxy refused %s: %s", target, refused.reason)
            return reply(client, 403, refused.reason)
        except OSError as exc:
            return reply(client, 502, f"cannot reach {target}: {exc}")
        with upstream:
            try:
                if method.upper() != "CONNECT" and not relay_response_head(upstream, client):
                    return reply(client, 502, f"{target} closed the connection without an answer")
            except OSError:
                return  # either side left before the answer's head got through
            relay(client, upstream)

    def connect(self, host: str, port: int) -> socket.socket:
        addresses = address_check(host, port, allow_hosts=self.allow_hosts)
        last_error: OSError | None = None
        for address in addresses:  # only the addresses that were checked
            try:
                return socket.create_connection((address, port), timeout=30)
            except OSError as exc:
                last_error = exc
        raise last_error or OSError(f"no address for {host}")


def read_head(peer: socket.socket, data: bytes = b"") -> bytes | None:
    while b"\r\n\r\n" not in data:
        chunk = peer.recv(4096)
        if not chunk or len(data) > HEADER_LIMIT:
            return None
        data += chunk
    return data  # with whatever followed the head (a body's first bytes)


def forwarded_headers(rest: bytes) -> bytes:
    """The client's headers for the origin: no proxy headers, one request per connection."""
    head, _, body = rest.partition(b"\r\n\r\n")
    kept = [
        line
        for line in head.split(b"\r\n")
        if line and not line.lower().startswith((b"proxy-", *HOP_HEADERS))
    ]
    return b"\r\n".join([*kept, b"Connection: close", b"", b""]) + body


def relay_response_head(upstream: socket.socket, client: socket.socket) -> bool:
    """Pass the origin's answer head on, saying `Connection: close`; False if none came."""
    data = b""
    while True:
        received = read_head(upstream, data)
        if received is None:
            return False
        head, _, data = received.partition(b"\r\n\r\n")
        status_line, *lines = head.split(b"\r\n")
        if status_line[9:10] == b"1":  # "HTTP/1.1 100 Continue": the answer follows
            client.sendall(head + b"\r\n\r\n")
            continue
        lines = [line for line in lines if not line.lower().startswith(HOP_HEADERS)]
        client.sendall(b"\r\n".join([status_line, *lines, b"Connection: close", b"", data]))
        return True


def split_host_port(target: str, default: int) -> tuple[str, int]:
    host, _, port_text = target.rpartition(":")
    port = ascii_int(port_text)
    if not host or port is None:
        return target.strip("[]"), default
    return host.strip("[]"), port


def reply(client: socket.socket, status: int, reason: str) -> None:
    body = f"refused by the ShadowVault URL guard: {reason}\n".encode()
    titles = {400: "Bad Request", 403: "Forbidden", 502: "Bad Gateway"}
    head = f"HTTP/1.1 {status} {titles[status]}\r\nContent-Type: text/plain\r\n"
    head += f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    with contextlib.suppress(OSError):  # the client already left
        client.sendall(head.encode() + body)


def relay(client: socket.socket, upstream: socket.socket) -> None:
    """Copy bytes both ways until either side closes or nothing moves for a while."""
    sockets = [client, upstream]
    while True:
        readable, _, _ = select.select(sockets, [], [], IDLE_SECONDS)
        if not readable:
            return
        for source in readable:
            target = upstream if source is client else client
            try:
                data = source.recv(256 * 1024)
                if not data:
                    return
                target.sendall(data)
            except OSError:
                return
