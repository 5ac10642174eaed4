"""The URL guard's decisions: a corpus of inner addresses in every disguise, and what passes."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from ingest.clients.bittorrent import address_filter
from ingest.url_guard import (
    HostUnresolved,
    URLRefused,
    address_problem,
    system_resolver,
    url_check,
)

# Names the tests resolve without DNS: what an attacker's domain could answer.
ZONE = {
    "public.example": ["93.184.216.34"],
    "dual.example": ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"],
    "rebind.example": ["93.184.216.34", "10.0.0.5"],  # one inner answer is enough
    "inner.example": ["192.168.1.10"],
    "metadata.example": ["169.254.169.254"],
    "v6inner.example": ["fd00::1"],
    "mapped.example": ["::ffff:127.0.0.1"],
}


def resolver(host: str, port: int) -> list[str]:
    if host not in ZONE:
        raise HostUnresolved(f"the host {host!r} does not resolve")
    return ZONE[host]


def check(url: str, allow: tuple[str, ...] = ()):
    return url_check(url, allow_hosts=allow, resolver=resolver)


SSRF_CORPUS = [
    "http://127.0.0.1/",
    "http://127.1/",
    "http://2130706433/",  # decimal
    "http://0177.0.0.1/",  # octal
    "http://0x7f.1/",  # hex, short form
    "http://0x7f000001/",
    "http://017700000001/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",  # IPv4-mapped
    "http://[::ffff:7f00:1]/",
    "http://[64:ff9b::a00:1]/",  # NAT64 of 10.0.0.1
    "http://[2002:c0a8:101::1]/",  # 6to4 of 192.168.1.1
    "http://[::]/",
    "http://0.0.0.0/",
    "http://0/",
    "http://10.0.0.1/",
    "http://172.16.5.4:8080/",
    "http://192.168.0.1/",
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata
    "http://100.64.0.1/",  # CGNAT
    "http://224.0.0.1/",  # multicast
    "http://240.0.0.1/",  # reserved
    "http://255.255.255.255/",
    "http://[fe80::1]/",
    "http://[fd00::1]/",
    "http://[ff02::1]/",
    "http://inner.example/",  # a name that resolves inside
    "http://metadata.example/",
    "http://v6inner.example/",
    "http://mapped.example/",
    "http://rebind.example/",  # one public and one private answer
    "http://localhost:8000/",  # resolved for real (/etc/hosts)
    "https://127.0.0.1:443/",
    "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&tr=http://10.0.0.1/announce",
    "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&ws=http://127.0.0.1/seed",
    "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&tr=udp://127.0.0.1:6969",
    "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&x.pe=127.0.0.1:6881",
    "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&x.pe=[::1]:6881",
]


@pytest.mark.parametrize("url", SSRF_CORPUS)
def test_it_refuses_inner_addresses_in_every_form(url) -> None:
    resolve = system_resolver if "localhost" in url else resolver
    with pytest.raises(URLRefused) as refused:
        url_check(url, allow_hosts=(), resolver=resolve)
    assert "address" in refused.value.reason or "embeds" in refused.value.reason


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("file:///etc/passwd", "scheme 'file' is not allowed"),
        ("ftp://public.example/x", "scheme 'ftp' is not allowed"),
        ("gopher://public.example/", "scheme 'gopher'"),
        ("javascript:alert(1)", "scheme 'javascript'"),
        ("public.example/video.mp4", "scheme '(none)'"),
        ("http://user:pass@public.example/", "user names and passwords"),
        ("http://public.example@127.0.0.1/", "user names and passwords"),
        ("http:///nohost", "no host"),
        ("http://public.example:99999/", "port"),
        ("http://public.example:0/", "port 0"),
        # urlsplit's ValueError: a 400 under "detail" that did not say it was the URL
        ("http://[::1/", "the URL is malformed: Invalid IPv6 URL"),
        ("http://[zz::1]/", "the URL is malformed: 'zz::1' does not appear"),
        (
            "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&tr=http://[::1/",
            "is malformed: Invalid IPv6 URL",
        ),
        ("http://public.example:\u00b2/", "port"),  # "²" passed isdigit(); int() raised
        ("http://256.1.1.1/", "not a valid address"),
        ("http://exa mple.com/", "spaces or control characters"),
        ("http://bad_host!.example/", "not a valid host name"),
        ("http://nxdomain.example/", "does not resolve"),
        ("magnet:?dn=film", "needs xt=urn:btih"),
        ("magnet:?xt=urn:btih:short", "needs xt=urn:btih"),
        ("magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&tr=file:///x", "scheme"),
        ("magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&dn=x", "no tracker"),
        ("magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&x.pe=host", "host:port"),
        (
            "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&x.pe=93.184.216.34:%C2%B2",
            "host:port",
        ),
        ("", "empty"),
    ],
)
def test_it_refuses_malformed_urls_with_the_reason(url, reason) -> None:
    with pytest.raises(URLRefused, match=reason.replace("(", r"\(").replace(")", r"\)")):
        check(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://public.example/film.mkv",
        "https://dual.example:8443/watch?v=1",
        "http://93.184.216.34/x",
        "http://[2606:2800:220:1:248:1893:25c8:1946]/x",
        # a dead tracker passes: nothing can reach it, and the engine's filter covers a revival
        "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&dn=Film"
        "&tr=http://nxdomain.example/announce&tr=udp://public.example:6969",
        "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&x.pe=93.184.216.34:6881",
        "magnet:?xt=urn:btih:MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U&tr=udp://public.example:6969",
    ],
)
def test_it_accepts_public_urls(url) -> None:
    checked = check(url)
    assert checked.url == url


def test_the_allow_list_exempts_exactly_one_host_and_port() -> None:
    allow = ("127.0.0.1:8765",)

    assert check("http://127.0.0.1:8765/clip.mp4", allow).addresses == ("127.0.0.1",)
    with pytest.raises(URLRefused):
        check("http://127.0.0.1:8766/clip.mp4", allow)
    with pytest.raises(URLRefused):
        check("http://127.0.0.2:8765/clip.mp4", allow)


inner_networks = st.sampled_from(
    [
        ipaddress.ip_network(n)
        for n in ("127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16")
    ]
)


@given(
    network=inner_networks,
    offset=st.integers(0, 2**24),
    form=st.sampled_from(["dotted", "decimal", "hex", "octal", "short"]),
)
def test_any_inner_ipv4_in_any_numeric_form_is_refused(network, offset, form) -> None:
    address = network[offset % network.num_addresses]
    number = int(address)
    a, b, c, d = address.packed
    host = {
        "dotted": str(address),
        "decimal": str(number),
        "hex": hex(number),
        "octal": ".".join(f"0{part:o}" for part in address.packed),
        "short": f"{a}.{(b << 16) | (c << 8) | d}",
    }[form]
    with pytest.raises(URLRefused):
        check(f"http://{host}/")


BLOCK_ALL_INNER = address_filter([])


@hypothesis_settings(max_examples=300)
@given(st.one_of(st.ip_addresses(v=4), st.ip_addresses(v=6)))
def test_the_bittorrent_filter_blocks_every_address_the_guard_refuses(address) -> None:
    if address_problem(address) is not None:
        assert BLOCK_ALL_INNER.access(str(address)) == 1, str(address)


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "::1", "::ffff:127.0.0.1", "fe80::1", "fd00::2", "169.254.169.254"],
)
def test_the_bittorrent_filter_opens_only_the_allowed_address(address) -> None:
    assert address_filter([]).access(address) == 1
    assert address_filter([f"{address}:6881"]).access(address) == 0
    assert address_filter([f"{address}:6881"]).access("93.184.216.34") == 0
