"""An HTML site read with CSS selectors configured per source in admin (no code per site).

The series' key is its page's path relative to the base URL (or from the site's root); a
chapter's key is its link's path from the site's root. Chapter
numbers come from the link text through the source's pattern.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup

from . import ChapterHit, MangaSource, SeriesHit, SourceError


class HTMLSource(MangaSource):
    def search(self, query: str) -> list[SeriesHit]:
        return []  # sites differ too much; curators follow a series by its page

    def series(self, source_id: str) -> SeriesHit:
        page = self.page(source_id)
        heading = page.select_one("h1") or page.select_one("title")
        return SeriesHit(
            source_id=source_id, title=heading.get_text(strip=True) if heading else source_id
        )

    def chapters(self, source_id: str, *, language: str) -> list[ChapterHit]:
        if not self.source.chapter_link_selector:
            raise SourceError(
                f"{self.source.name}: set a chapter link selector in admin", permanent=True
            )
        pattern = re.compile(self.source.chapter_number_pattern or r"([\d.]+)")
        hits = {}
        for link in self.page(source_id).select(self.source.chapter_link_selector):
            match = pattern.search(link.get_text(" ", strip=True))
            href = link.get("href")
            if not (match and href):
                continue
            try:
                number = Decimal(match.group(1))
            except InvalidOperation:
                continue
            path = (
                urlsplit(urljoin(self.url(source_id), href))._replace(scheme="", netloc="").geturl()
            )
            hits[path] = ChapterHit(
                source_id=path,
                number=number,
                title=link.get_text(" ", strip=True),
                language=language,
            )
        return sorted(hits.values(), key=lambda hit: hit.number)

    def page_urls(self, chapter_source_id: str) -> list[str]:
        if not self.source.page_image_selector:
            raise SourceError(
                f"{self.source.name}: set a page image selector in admin", permanent=True
            )
        attribute = self.source.page_image_attribute or "src"
        base = self.url(chapter_source_id)
        images = self.page(chapter_source_id).select(self.source.page_image_selector)
        return [urljoin(base, image[attribute]) for image in images if image.get(attribute)]

    def url(self, path: str) -> str:
        """A key as a URL: relative to the base URL, or a path from the site's root."""
        return urljoin(self.base_url + "/", path)

    def page(self, path: str) -> BeautifulSoup:
        return BeautifulSoup(self.http.get(self.url(path)).text, "html.parser")
