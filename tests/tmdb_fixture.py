"""A local HTTP server answering like TMDB's v3 API, with recorded-shape data and faults.

`TMDBFixtureServer().start()` serves `/3/...` on a free loopback port. Tests change
`server.movies` / `server.series` between calls, script faults with `fail_next`, and read
`server.requests` (the paths asked for).
"""

from __future__ import annotations

import copy
import json
import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

API_KEY = "fixture-api-key"
BEARER_TOKEN = "fixture-bearer-token"

MOVIES = {
    10331: {
        "id": 10331,
        "title": "Night of the Living Dead",
        "original_title": "Night of the Living Dead",
        "release_date": "1968-10-04",
        "overview": "A group of people hide from bloodthirsty zombies in a farmhouse.",
        "runtime": 96,
        "genres": [{"id": 27, "name": "Horror"}, {"id": 53, "name": "Thriller"}],
        "poster_path": "/inNUOa9WZGdyRXQlt7eqmHtCttl.jpg",
        "backdrop_path": "/cK8ukpwkx6mBMtV0Xt0ODxyaQgz.jpg",
        "popularity": 21.4,
        "imdb_id": "tt0063350",
        "status": "Released",
    },
    19: {
        "id": 19,
        "title": "Metropolis",
        "original_title": "Metropolis",
        "release_date": "1927-02-06",
        "overview": "In a futuristic city sharply divided between the working class and planners.",
        "runtime": 153,
        "genres": [{"id": 18, "name": "Drama"}, {"id": 878, "name": "Science Fiction"}],
        "poster_path": "/vZIJxGnjcswPCAa52jhbl01FQkV.jpg",
        "backdrop_path": "",
        "popularity": 14.2,
    },
}


def episode(season: int, number: int, name: str) -> dict:
    return {
        "id": 90000 + season * 100 + number,
        "episode_number": number,
        "season_number": season,
        "name": name,
        "overview": f"{name}: an episode.",
        "air_date": f"{1959 + season}-10-{number + 1:02d}",
        "runtime": 25,
        "still_path": f"/still-{season}-{number}.jpg",
    }


SERIES = {
    6357: {
        "id": 6357,
        "name": "The Twilight Zone",
        "original_name": "The Twilight Zone",
        "first_air_date": "1959-10-02",
        "overview": "A series of unrelated stories containing drama, suspense and the paranormal.",
        "episode_run_time": [25],
        "genres": [{"id": 10765, "name": "Sci-Fi & Fantasy"}, {"id": 18, "name": "Drama"}],
        "poster_path": "/aFcLzq3IadpyJwo8y9rhJOw4Jtq.jpg",
        "backdrop_path": "/u0yLkVX1B5ijDM2tL2v3RVHJn2M.jpg",
        "popularity": 48.9,
        "seasons": [
            {"id": 8300, "season_number": 0, "name": "Specials", "episode_count": 1},
            {"id": 8301, "season_number": 1, "name": "Season 1", "episode_count": 2},
            {"id": 8302, "season_number": 2, "name": "Season 2", "episode_count": 2},
        ],
    },
}

SEASONS = {
    (6357, 0): [episode(0, 1, "The Unaired Pilot")],
    (6357, 1): [episode(1, 1, "Where Is Everybody?"), episode(1, 2, "One for the Angels")],
    (6357, 2): [episode(2, 1, "King Nine Will Not Return"), episode(2, 2, "The Man in the Bottle")],
}

CONFIGURATION = {
    "images": {
        "base_url": "http://image.tmdb.org/t/p/",
        "secure_base_url": "https://image.tmdb.org/t/p/",
        "backdrop_sizes": ["w300", "w780", "w1280", "original"],
        "poster_sizes": ["w92", "w154", "w185", "w342", "w500", "w780", "original"],
        "still_sizes": ["w92", "w185", "w300", "original"],
    },
    "change_keys": ["title", "overview"],
}

SEARCH_KEYS = {
    "movie": ("title", "original_title", "release_date"),
    "tv": ("name", "original_name", "first_air_date"),
}


@dataclass
class Fault:
    path_pattern: str
    status: int
    retry_after: int | None
    times: int


class TMDBFixtureServer:
    def __init__(self) -> None:
        self.reset()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self.handler_class())
        self.httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/3"
        self.lock = threading.Lock()

    def reset(self) -> None:
        self.movies = copy.deepcopy(MOVIES)
        self.series = copy.deepcopy(SERIES)
        self.seasons = copy.deepcopy(SEASONS)
        self.faults: list[Fault] = []
        self.requests: list[str] = []

    def start(self) -> TMDBFixtureServer:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def fail_next(
        self, path_pattern: str, *, status: int, retry_after: int | None = None, times: int = 1
    ) -> None:
        """Answer the next `times` requests whose path matches the regex with `status`."""
        self.faults.append(Fault(path_pattern, status, retry_after, times))

    def count(self, path: str) -> int:
        return sum(1 for seen in self.requests if seen == path)

    # --- request handling ---

    def take_fault(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.times > 0 and re.fullmatch(fault.path_pattern, path):
                    fault.times -= 1
                    return fault
        return None

    def answer(self, path: str, query: dict[str, list[str]]) -> tuple[int, dict]:
        not_found = {"success": False, "status_code": 34, "status_message": "Not found."}
        if path == "/3/configuration":
            return 200, CONFIGURATION
        if match := re.fullmatch(r"/3/search/(movie|tv)", path):
            return 200, self.search(match[1], query.get("query", [""])[0])
        if match := re.fullmatch(r"/3/movie/(\d+)", path):
            movie = self.movies.get(int(match[1]))
            return (200, movie) if movie else (404, not_found)
        if match := re.fullmatch(r"/3/tv/(\d+)", path):
            series = self.series.get(int(match[1]))
            return (200, series) if series else (404, not_found)
        if match := re.fullmatch(r"/3/tv/(\d+)/season/(\d+)", path):
            key = (int(match[1]), int(match[2]))
            if key not in self.seasons:
                return 404, not_found
            info = next(s for s in self.series[key[0]]["seasons"] if s["season_number"] == key[1])
            return 200, {**info, "air_date": "1959-10-02", "episodes": self.seasons[key]}
        return 404, not_found

    def search(self, kind: str, text: str) -> dict:
        title_key, original_key, date_key = SEARCH_KEYS[kind]
        items = self.movies.values() if kind == "movie" else self.series.values()
        results = [
            {
                "id": item["id"],
                title_key: item[title_key],
                original_key: item[original_key],
                date_key: item[date_key],
                "overview": item["overview"],
                "poster_path": item["poster_path"],
                "popularity": item["popularity"],
                "genre_ids": [genre["id"] for genre in item["genres"]],
            }
            for item in items
            if text.lower() in item[title_key].lower()
        ]
        return {"page": 1, "results": results, "total_pages": 1, "total_results": len(results)}

    def authorised(self, headers, query: dict[str, list[str]]) -> bool:
        return (
            query.get("api_key") == [API_KEY]
            or headers.get("Authorization") == f"Bearer {BEARER_TOKEN}"
        )

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlparse(self.path)
                query = parse_qs(url.query)
                server.requests.append(url.path)
                if fault := server.take_fault(url.path):
                    headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
                    body = {"status_code": 25, "status_message": f"Fixture fault {fault.status}"}
                    return self.reply(fault.status, body, headers)
                if not server.authorised(self.headers, query):
                    body = {
                        "status_code": 7,
                        "status_message": "Invalid API key: You must be granted a valid key.",
                        "success": False,
                    }
                    return self.reply(401, body)
                return self.reply(*server.answer(url.path, query))

            def reply(self, status: int, body: dict, headers: dict | None = None) -> None:
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json;charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args) -> None:
                pass

        return Handler
