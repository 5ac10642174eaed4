"""What an OPDS reader app does over HTTP, for tests through the real gateway."""

from __future__ import annotations

from urllib.parse import urlsplit
from xml.etree import ElementTree

import feedparser
import requests

PSE = "http://vaemendis.net/opds-pse/stream"


class OPDSClient:
    """What a reader app does: Basic on every request, redirects followed by hand (the links
    name the site's host, which the gateway answers for here)."""

    def __init__(self, base: str, username: str, password: str) -> None:
        self.base = base
        self.http = requests.Session()
        self.http.auth = (username, password)
        self.http.headers["Host"] = "tenant-a.test"

    def get(self, href: str) -> requests.Response:
        for _ in range(3):
            target = urlsplit(href)
            path = target.path + (f"?{target.query}" if target.query else "")
            response = self.http.get(self.base + path, allow_redirects=False, timeout=30)
            if response.status_code not in (301, 302):
                return response
            href = response.headers["Location"]
        raise AssertionError("too many redirects")

    def feed(self, href: str) -> tuple[feedparser.FeedParserDict, ElementTree.Element]:
        response = self.get(href)
        assert response.status_code == 200, response.text[:300]
        parsed = feedparser.parse(response.content)
        assert not parsed.bozo
        return parsed, ElementTree.fromstring(response.content)


def entry_link(feed, title: str, rel: str = "subsection") -> str:
    entry = next(entry for entry in feed.entries if entry.title.startswith(title))
    return next(link.href for link in entry.links if link.rel == rel)
