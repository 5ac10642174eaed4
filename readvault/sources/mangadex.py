"""A MangaDex-shaped JSON API: /manga search, /manga/{id}/feed pages, /at-home/server/{id}."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from . import ChapterHit, MangaSource, SeriesHit, SourceError

FEED_PAGE = 100
STATUSES = {"ongoing", "completed", "hiatus", "cancelled"}


def localized(values: dict | None, language: str = "en") -> str:
    if not values:
        return ""
    return values.get(language) or values.get("en") or next(iter(values.values()), "")


class MangaDexSource(MangaSource):
    def search(self, query: str) -> list[SeriesHit]:
        body = self.json(f"{self.base_url}/manga", params={"title": query, "limit": 20})
        return [self.series_hit(item) for item in body.get("data", [])]

    def series(self, source_id: str) -> SeriesHit:
        return self.series_hit(self.json(f"{self.base_url}/manga/{source_id}")["data"])

    def chapters(self, source_id: str, *, language: str) -> list[ChapterHit]:
        hits, offset = [], 0
        while True:
            body = self.json(
                f"{self.base_url}/manga/{source_id}/feed",
                params={
                    "translatedLanguage[]": language,
                    "limit": FEED_PAGE,
                    "offset": offset,
                    "order[chapter]": "asc",
                    "includes[]": "scanlation_group",
                },
            )
            hits += [hit for item in body.get("data", []) if (hit := self.chapter_hit(item))]
            offset += FEED_PAGE
            if offset >= int(body.get("total", 0)):
                return hits

    def page_urls(self, chapter_source_id: str) -> list[str]:
        body = self.json(f"{self.base_url}/at-home/server/{chapter_source_id}")
        chapter = body.get("chapter") or {}
        return [
            f"{body['baseUrl']}/data/{chapter['hash']}/{name}" for name in chapter.get("data", [])
        ]

    def json(self, url: str, params: dict | None = None) -> dict:
        response = self.http.get(url, params=params)
        try:
            body = response.json()
        except ValueError as exc:
            raise SourceError(
                f"{self.source.name}: {url} did not answer JSON", permanent=True
            ) from exc
        if body.get("result") == "error":
            raise SourceError(f"{self.source.name}: {body.get('errors')}", permanent=True)
        return body

    @staticmethod
    def series_hit(item: dict) -> SeriesHit:
        attributes = item.get("attributes", {})
        status = attributes.get("status") or "unknown"
        return SeriesHit(
            source_id=item["id"],
            title=localized(attributes.get("title")),
            alt_titles=[v for alt in attributes.get("altTitles", []) for v in alt.values()],
            description=localized(attributes.get("description")),
            status=status if status in STATUSES else "unknown",
        )

    @staticmethod
    def chapter_hit(item: dict) -> ChapterHit | None:
        attributes = item.get("attributes", {})
        try:
            number = Decimal(attributes.get("chapter") or "")
        except InvalidOperation:
            return None  # a oneshot or an extra without a number: nothing to sort it by
        group = next(
            (
                r.get("attributes", {}).get("name", "")
                for r in item.get("relationships", [])
                if r.get("type") == "scanlation_group"
            ),
            "",
        )
        published = attributes.get("publishAt")
        return ChapterHit(
            source_id=item["id"],
            number=number,
            volume=attributes.get("volume") or "",
            title=attributes.get("title") or "",
            language=attributes.get("translatedLanguage") or "",
            group=group,
            published_at=datetime.fromisoformat(published) if published else None,
        )
