"""Manga sources as plugins behind one interface; `source_client` picks one by kind."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from .http import SourceError, SourceHTTP

__all__ = ["ChapterHit", "MangaSource", "SeriesHit", "SourceError", "source_client"]


@dataclass(frozen=True)
class SeriesHit:
    source_id: str
    title: str
    alt_titles: list[str] = field(default_factory=list)
    description: str = ""
    status: str = "unknown"
    cover_url: str = ""


@dataclass(frozen=True)
class ChapterHit:
    source_id: str
    number: Decimal
    volume: str = ""
    title: str = ""
    language: str = ""
    group: str = ""
    published_at: datetime | None = None


class MangaSource(ABC):
    def __init__(self, source, http: SourceHTTP) -> None:
        self.source = source
        self.http = http
        self.base_url = source.base_url.rstrip("/")

    @abstractmethod
    def search(self, query: str) -> list[SeriesHit]: ...

    @abstractmethod
    def series(self, source_id: str) -> SeriesHit: ...

    @abstractmethod
    def chapters(self, source_id: str, *, language: str) -> list[ChapterHit]: ...

    @abstractmethod
    def page_urls(self, chapter_source_id: str) -> list[str]: ...


def source_client(source, http: SourceHTTP) -> MangaSource:
    from .html import HTMLSource
    from .mangadex import MangaDexSource

    plugins = {"mangadex": MangaDexSource, "html": HTMLSource}
    return plugins[source.kind](source, http)
