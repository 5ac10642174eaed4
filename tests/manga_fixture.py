"""A local stand-in for manga sources: a MangaDex-shaped API, an HTML site, generated pages.

Answers like MangaDex's public API (`/manga`, `/manga/{id}`, `/manga/{id}/feed`,
`/at-home/server/{chapter id}` and the image server's `/data/{hash}/{file}`) with the same
shapes, and serves a small HTML site. Faults: `throttle_next(n)` answers the next n requests
with 429 and Retry-After: 1; a page named `broken.png` is not an image.
"""

from __future__ import annotations

import io
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from PIL import Image

MANGA_ID = "a1b2c3d4-0000-4000-8000-000000000001"


def image_bytes(kind: str, width: int, height: int, shade: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (shade, 255 - shade, 128)).save(buffer, format=kind)
    return buffer.getvalue()


class MangaFixtureServer:
    def __init__(self) -> None:
        self.chapters: list[dict] = []
        self.throttled = 0
        self.requests: list[tuple[float, str]] = []
        self.lock = threading.Lock()
        self.images: dict[str, bytes] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                server.answer(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.host = f"127.0.0.1:{self.httpd.server_address[1]}"
        self.base_url = f"http://{self.host}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.reset()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def reset(self) -> None:
        self.chapters = []
        self.throttled = 0
        self.requests = []
        self.images = {}
        self.add_chapter("ch-1", "1", pages=["1.png", "2.jpg"])
        self.add_chapter("ch-2", "2", pages=["1.png"])
        self.add_chapter("ch-2-fr", "2", language="fr", pages=["1.png"])

    def add_chapter(
        self,
        chapter_id: str,
        number: str,
        *,
        language: str = "en",
        group: str = "Alpha",
        pages: list[str],
    ) -> None:
        self.chapters.append(
            {
                "id": chapter_id,
                "chapter": number,
                "language": language,
                "group": group,
                "pages": pages,
            }
        )
        for index, name in enumerate(pages):
            kind = "PNG" if name.endswith(".png") else "JPEG"
            data = (
                b"\x89PNG\r\n\x1a\n not really"
                if name == "broken.png"
                else image_bytes(kind, 60 + index, 90, len(self.images) * 20 % 255)
            )
            self.images[f"/data/{chapter_id}/{name}"] = data

    def throttle_next(self, count: int) -> None:
        self.throttled = count

    # --- answers ---

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        url = urlsplit(handler.path)
        query = parse_qs(url.query)
        with self.lock:
            self.requests.append((time.monotonic(), url.path))
            if self.throttled > 0:
                self.throttled -= 1
                return self.send(
                    handler, 429, b'{"result":"error"}', "application/json", {"Retry-After": "1"}
                )
        if url.path in self.images:
            data = self.images[url.path]
            return self.send(
                handler, 200, data, "image/png" if url.path.endswith(".png") else "image/jpeg"
            )
        routes = {
            "/api/manga": lambda: self.search(query),
            f"/api/manga/{MANGA_ID}": lambda: {"result": "ok", "data": self.manga()},
            f"/api/manga/{MANGA_ID}/feed": lambda: self.feed(query),
            "/site/series/dungeon-meshi": lambda: self.series_page(),
        }
        if url.path.startswith("/api/at-home/server/"):
            return self.json(handler, self.at_home(url.path.rsplit("/", 1)[1]))
        if url.path.startswith("/site/chapter/"):
            return self.html(handler, self.chapter_page(url.path.rsplit("/", 1)[1]))
        if url.path not in routes:
            return self.send(
                handler, 404, b'{"result":"error","errors":[{"status":404}]}', "application/json"
            )
        body = routes[url.path]()
        return self.html(handler, body) if isinstance(body, str) else self.json(handler, body)

    def manga(self) -> dict:
        return {
            "id": MANGA_ID,
            "type": "manga",
            "attributes": {
                "title": {"en": "Dungeon Meshi"},
                "altTitles": [{"ja": "ダンジョン飯"}, {"en": "Delicious in Dungeon"}],
                "description": {"en": "Adventurers cook the monsters they defeat."},
                "status": "completed",
            },
        }

    def search(self, query: dict) -> dict:
        text = query.get("title", [""])[0].lower()
        found = [self.manga()] if text and text in "dungeon meshi delicious in dungeon" else []
        return {"result": "ok", "data": found, "total": len(found)}

    def feed(self, query: dict) -> dict:
        languages = query.get("translatedLanguage[]", [])
        limit, offset = int(query.get("limit", ["100"])[0]), int(query.get("offset", ["0"])[0])
        chapters = [c for c in self.chapters if not languages or c["language"] in languages]
        data = [
            {
                "id": c["id"],
                "type": "chapter",
                "attributes": {
                    "chapter": c["chapter"],
                    "volume": "1",
                    "title": f"Chapter {c['chapter']}",
                    "translatedLanguage": c["language"],
                    "publishAt": "2024-01-01T00:00:00+00:00",
                    "pages": len(c["pages"]),
                },
                "relationships": [{"type": "scanlation_group", "attributes": {"name": c["group"]}}],
            }
            for c in chapters[offset : offset + limit]
        ]
        return {
            "result": "ok",
            "data": data,
            "limit": limit,
            "offset": offset,
            "total": len(chapters),
        }

    def at_home(self, chapter_id: str) -> dict:
        chapter = next(c for c in self.chapters if c["id"] == chapter_id)
        return {
            "result": "ok",
            "baseUrl": self.base_url,
            "chapter": {"hash": chapter_id, "data": chapter["pages"], "dataSaver": []},
        }

    def series_page(self) -> str:
        links = "".join(
            f'<li><a href="/site/chapter/{c["id"]}">Chapter {c["chapter"]}</a></li>'
            for c in self.chapters
            if c["language"] == "en"
        )
        return f"<html><body><h1>Dungeon Meshi</h1><ul class='chapters'>{links}</ul></body></html>"

    def chapter_page(self, chapter_id: str) -> str:
        chapter = next(c for c in self.chapters if c["id"] == chapter_id)
        images = "".join(f'<img data-src="/data/{chapter_id}/{name}">' for name in chapter["pages"])
        return f"<html><body><div class='reader'>{images}</div></body></html>"

    def json(self, handler, body: dict) -> None:
        self.send(handler, 200, json.dumps(body).encode(), "application/json")

    def html(self, handler, body: str) -> None:
        self.send(handler, 200, body.encode(), "text/html; charset=utf-8")

    @staticmethod
    def send(
        handler, status: int, data: bytes, content_type: str, headers: dict | None = None
    ) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)
