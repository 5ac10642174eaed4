"""The URL guard: what a curator pastes may only lead to public addresses on the internet.

`url_check` runs before anything is fetched. The fetchers (aria2c, yt-dlp, ffmpeg) make their
own connections and follow redirects on their own, so they all go through the guard proxy
(`guard_proxy.py`), which applies `address_check` to every connection they open: a redirect
to an inner address, or a page whose `<video src>` points inside, is refused there.

Refused: schemes other than http, https and magnet; user-info in the URL; hosts that are, or
resolve (any of their IPv4 and IPv6 addresses) to, loopback, private, link-local, multicast,
reserved, unspecified, shared (CGNAT) or IPv4-mapped/translated inner addresses; numeric host
tricks (2130706433, 0177.0.0.1, 0x7f.1, 127.1) are read the way inet_aton reads them, so they
are judged by the address they really are. INGEST_ALLOW_HOSTS lists exact host:port pairs
exempt from the address rule (a seedbox on the LAN, a local test server), nothing more.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from django.conf import settings

from shadowvault.digits import ascii_int

Resolver = Callable[[str, int], list[str]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

SCHEMES = {"http": 80, "https": 443}
BTIH = re.compile(r"urn:btih:([0-9a-fA-F]{40}|[A-Za-z2-7]{32})")
HOST_LABEL = re.compile(r"[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?")
# IPv6 prefixes that carry an IPv4 address: NAT64 (64:ff9b::/96) and 6to4 (2002::/16).
NAT64 = ipaddress.ip_network("64:ff9b::/96")
SIX_TO_FOUR = ipaddress.ip_network("2002::/16")
SHARED = ipaddress.ip_network("100.64.0.0/10")
# Every address `address_problem` refuses lies in one of these, for filters that work on
# ranges (the BitTorrent engine's). IPv6 forms that carry an IPv4 address are blocked whole:
# a range filter cannot look inside them.
INNER_NETWORKS = tuple(
    ipaddress.ip_network(network)
    for network in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/3",  # multicast, reserved, broadcast
        # IPv6: all but global unicast (2000::/3; the rest is reserved, private, link- or
        # site-local, multicast, or carries an IPv4 address), and what is special inside it
        "::/3",
        "4000::/2",
        "8000::/1",
        "2001::/23",
        "2001:db8::/32",
        "2002::/16",
    )
)


class URLRefused(ValueError):
    """The URL may not be fetched; `reason` says why, for the curator."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class HostUnresolved(URLRefused):
    """The host has no address (now)."""


@dataclass(frozen=True)
class CheckedURL:
    url: str
    scheme: str
    host: str  # "" for magnet links
    port: int
    addresses: tuple[str, ...]  # what the host resolved to when checked


def system_resolver(host: str, port: int) -> list[str]:
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise HostUnresolved(f"the host {host!r} does not resolve ({exc.strerror})") from exc
    return sorted({answer[4][0] for answer in answers})


def parse_ipv4_like(host: str) -> ipaddress.IPv4Address | None:
    """`host` read as inet_aton does (1-4 parts, each decimal, 0-octal or 0x-hex), or None."""
    parts = host.split(".")
    if not 1 <= len(parts) <= 4 or not all(parts):
        return None
    values = []
    for part in parts:
        try:
            if part.lower().startswith("0x"):
                values.append(int(part[2:] or "0", 16))
            elif part.startswith("0") and len(part) > 1:
                values.append(int(part, 8))
            else:
                values.append(int(part, 10))
        except ValueError:
            return None
    *leading, last = values
    if any(value > 255 for value in leading) or last >= 256 ** (5 - len(values)):
        raise URLRefused(f"{host!r} is not a valid address")
    number = 0
    for value in leading:
        number = number * 256 + value
    number = number * 256 ** (5 - len(values)) + last
    return ipaddress.IPv4Address(number)


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped:
        return address.ipv4_mapped
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in SIX_TO_FOUR:
        return ipaddress.IPv4Address((int(address) >> 80) & 0xFFFFFFFF)
    # IPv4-compatible (::a.b.c.d, deprecated but still routed by some stacks)
    if int(address) >> 32 == 0 and int(address) > 1:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_problem(address: IPAddress) -> str | None:
    """Why `address` is not a public internet address, or None if it is."""
    inner = embedded_ipv4(address)
    if inner is not None:
        problem = address_problem(inner)
        return f"it embeds {inner}, which {problem}" if problem else None
    checks = [  # the most specific reason first: Python counts loopback as private too
        (address.is_loopback, "is a loopback address"),
        (address.is_link_local, "is a link-local address"),
        (address.is_unspecified, "is the unspecified address"),
        (address.is_multicast, "is a multicast address"),
        (
            isinstance(address, ipaddress.IPv4Address) and address in SHARED,
            "is a shared (CGNAT) address",
        ),
        (
            isinstance(address, ipaddress.IPv6Address) and address.is_site_local,
            "is a site-local address",
        ),
        (address.is_private, "is a private address"),
        (address.is_reserved, "is a reserved address"),
        (not address.is_global, "is not a public address"),
    ]
    return next((reason for failed, reason in checks if failed), None)


def allowed(host: str, port: int, allow_hosts: Iterable[str]) -> bool:
    return f"{host}:{port}".lower() in {entry.strip().lower() for entry in allow_hosts}


def address_check(
    host: str,
    port: int,
    *,
    allow_hosts: Iterable[str] | None = None,
    resolver: Resolver = system_resolver,
) -> tuple[str, ...]:
    """The addresses `host` resolves to, if every one is public (or host:port is allowed).

    Raises URLRefused naming the host, the address and what is wrong with it.
    """
    allow_hosts = settings.INGEST_ALLOW_HOSTS if allow_hosts is None else allow_hosts
    host = host.strip("[]").rstrip(".").lower()
    literal = literal_address(host)
    addresses = [str(literal)] if literal is not None else resolver(host, port)
    if not addresses:
        raise HostUnresolved(f"the host {host!r} does not resolve")
    if allowed(host, port, allow_hosts):
        return tuple(addresses)
    for text in addresses:
        problem = address_problem(ipaddress.ip_address(text.split("%")[0]))
        if problem:
            shown = host if host == text else f"{host} ({text})"
            raise URLRefused(f"{shown} {problem}; only public internet addresses may be fetched")
    return tuple(addresses)


def literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        pass
    if re.fullmatch(r"[0-9a-fA-FxX.]+", host) and not re.search(r"[g-wyzG-WYZ]", host):
        if host.replace(".", "").isalpha():  # e.g. "cafe.be" is a name, not hex
            return None
        return parse_ipv4_like(host)
    return None


def url_check(
    url: str, *, allow_hosts: Iterable[str] | None = None, resolver: Resolver = system_resolver
) -> CheckedURL:
    """Check a URL a curator submitted; raises URLRefused with the reason."""
    url = url.strip()
    if not url:
        raise URLRefused("the URL is empty")
    if len(url) > 8192:
        raise URLRefused("the URL is longer than 8192 characters")
    if any(ord(c) < 33 for c in url):
        raise URLRefused("the URL contains spaces or control characters")
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # a bracketed host that is no IPv6 address
        raise URLRefused(f"the URL is malformed: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme == "magnet":
        return magnet_check(url, parts.query, allow_hosts=allow_hosts, resolver=resolver)
    if scheme not in SCHEMES:
        raise URLRefused(
            f"the scheme {scheme or '(none)'!r} is not allowed; use http, https or magnet"
        )
    if "@" in parts.netloc:
        raise URLRefused("user names and passwords in URLs are not allowed")
    host = parts.hostname or ""
    if not host:
        raise URLRefused("the URL has no host")
    try:
        port = SCHEMES[scheme] if parts.port is None else parts.port
    except ValueError as exc:
        raise URLRefused(f"the port in {parts.netloc!r} is not a number from 1 to 65535") from exc
    if port == 0:
        raise URLRefused("port 0 is not allowed")
    if literal_address(host) is None and not all(
        HOST_LABEL.fullmatch(label) for label in host.rstrip(".").split(".")
    ):
        raise URLRefused(f"{host!r} is not a valid host name")
    addresses = address_check(host, port, allow_hosts=allow_hosts, resolver=resolver)
    return CheckedURL(url, scheme, host, port, addresses)


def magnet_check(url: str, query: str, *, allow_hosts, resolver) -> CheckedURL:
    """A magnet link needs a BitTorrent info hash and a tracker or peer to ask (the DHT is
    not used: see ingest/clients/bittorrent.py); its trackers, web seeds and peers are checked.
    """
    params = parse_qs(query)
    if not any(BTIH.fullmatch(xt) for xt in params.get("xt", [])):
        raise URLRefused("a magnet link needs xt=urn:btih:<40 hex or 32 base32 characters>")
    for key in ("tr", "ws", "as", "xs"):
        for inner_url in params.get(key, []):
            source_url_check(
                inner_url,
                what=f"the magnet's {key}= URL",
                allow_hosts=allow_hosts,
                resolver=resolver,
            )
    for peer in params.get("x.pe", []):
        host, _, port_text = peer.rpartition(":")
        port = ascii_int(port_text)
        if not host or port is None:
            raise URLRefused(f"the magnet's x.pe= peer {peer!r} is not host:port")
        source_host_check(
            host,
            port,
            what=f"the magnet's x.pe= peer {peer}",
            allow_hosts=allow_hosts,
            resolver=resolver,
        )
    if not params.get("tr") and not params.get("x.pe"):
        raise URLRefused(
            "the magnet names no tracker (tr=) or peer (x.pe=) to ask for its files; ShadowVault"
            " does not search the DHT, whose traffic no guard covers"
        )
    return CheckedURL(url, "magnet", "", 0, ())


def source_url_check(
    url: str, *, what: str, allow_hosts: Iterable[str] | None = None, resolver=system_resolver
) -> None:
    """Check a BitTorrent tracker or web seed URL (in a magnet or a .torrent).

    Its scheme must be http, https or udp and its host must not be an inner address; a host
    that does not resolve passes (many torrents name dead trackers, and nothing can reach
    them; if one resolves inside later, the BitTorrent engine's address filter refuses it).
    """
    try:
        inner = urlsplit(url)
    except ValueError as exc:
        raise URLRefused(f"{what} {url!r} is malformed: {exc}") from exc
    if inner.scheme.lower() not in ("http", "https", "udp"):
        raise URLRefused(f"{what} {url!r} has a scheme that is not allowed")
    try:
        host, port = inner.hostname, inner.port
    except ValueError as exc:
        raise URLRefused(f"{what} {url!r} has a port that is not a number") from exc
    if not host:
        raise URLRefused(f"{what} {url!r} has no host")
    default = 443 if inner.scheme.lower() == "https" else 80
    source_host_check(
        host, port or default, what=f"{what} {url}", allow_hosts=allow_hosts, resolver=resolver
    )


def source_host_check(
    host: str, port: int, *, what: str, allow_hosts: Iterable[str] | None, resolver: Resolver
) -> None:
    """Refuse (naming `what`) a BitTorrent source at an inner address; let pass one that does
    not resolve."""
    try:
        address_check(host, port, allow_hosts=allow_hosts, resolver=resolver)
    except HostUnresolved:
        pass
    except URLRefused as refused:
        raise URLRefused(f"{what}: {refused.reason}") from refused
