"""An HTML site read with CSS selectors configured per source in admin (no code per site).

The series' key is its page's path relative to the base URL (or from the site's root); a
chapter's key is its link's path from the site's root. Chapter
numbers come from the link text through the source's pattern.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from urllib.parse import urljoin, urlsplit

import soupsieve
from bs4 import BeautifulSoup

from . import ChapterHit, MangaSource, SeriesHit, SourceError

ATTRIBUTE_NAME = re.compile(r"[A-Za-z_:][-A-Za-z0-9_:.]{0,39}")


def html_settings_problems(
    *, link_selector: str, number_pattern: str, image_selector: str, image_attribute: str
) -> dict[str, str]:
    """What is wrong with an HTML source's settings, by field name (empty: nothing)."""
    problems = {}
    for name, selector in (
        ("chapter_link_selector", link_selector),
        ("page_image_selector", image_selector),
    ):
        if not selector.strip():
            problems[name] = "An HTML source needs this CSS selector."
            continue
        try:
            soupsieve.compile(selector)
        except soupsieve.SelectorSyntaxError as exc:
            problems[name] = f"Not a CSS selector: {str(exc).splitlines()[0]}"
    if number_pattern:
        try:
            if re.compile(number_pattern).groups < 1:
                problems["chapter_number_pattern"] = "The pattern needs a group for the number."
        except re.error as exc:
            problems["chapter_number_pattern"] = f"Not a regular expression: {exc}"
    if image_attribute and not ATTRIBUTE_NAME.fullmatch(image_attribute):
        problems["page_image_attribute"] = "Not an HTML attribute name (src, data-src, …)."
    return problems


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
