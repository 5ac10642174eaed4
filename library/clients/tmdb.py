"""TMDB v3 API: the one chokepoint for talking to TMDB.

Errors: every failure raises a `TMDBError`; `permanent` says whether trying again can help.
429 and 5xx answers and network failures are retried with backoff (honouring Retry-After)
before `TMDBUnavailable` is raised.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER_SECONDS = 30.0
SEARCH_PATHS = {"movie": "search/movie", "series": "search/tv"}


class TMDBError(Exception):
    """A TMDB call failed. `permanent` is False when a later retry may succeed."""

    permanent = True

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class TMDBNotFound(TMDBError):
    """TMDB has no such movie, series or season (HTTP 404)."""


class TMDBConfigError(TMDBError):
    """TMDB refused our credentials (HTTP 401) or none are configured."""


class TMDBUnavailable(TMDBError):
    """TMDB could not be reached, timed out, or kept answering 429/5xx after retries."""

    permanent = False


def describe(exc: TMDBError) -> str:
    """The sentence a curator or client app is shown for a TMDB failure."""
    if isinstance(exc, TMDBNotFound):
        return str(exc)
    if not exc.permanent:
        return f"TMDB is unavailable: {exc}"
    return f"TMDB refused the request: {exc}"


@dataclass(frozen=True)
class TMDBSearchResult:
    tmdb_id: int
    kind: str  # "movie" | "series"
    title: str
    original_title: str
    year: int | None
    overview: str
    poster_path: str
    popularity: float


def year_of(date: str | None) -> int | None:
    """The year of a TMDB date ("1968-10-04"); TMDB sends "" for unknown dates."""
    return int(date[:4]) if date and date[:4].isascii() and date[:4].isdigit() else None


def search_result(item: dict[str, Any], kind: str) -> TMDBSearchResult:
    is_movie = kind == "movie"
    return TMDBSearchResult(
        tmdb_id=item["id"],
        kind=kind,
        title=item.get("title" if is_movie else "name") or "",
        original_title=item.get("original_title" if is_movie else "original_name") or "",
        year=year_of(item.get("release_date" if is_movie else "first_air_date")),
        overview=item.get("overview") or "",
        poster_path=item.get("poster_path") or "",
        popularity=float(item.get("popularity") or 0),
    )


class TMDBClient:
    def __init__(
        self,
        *,
        base_url: str,
        api_key: str = "",
        bearer_token: str = "",
        timeout: float = 10.0,
        max_retries: int = 3,
        language: str = "en-US",
        sleep: Callable[[float], None] = time.sleep,
        session: requests.Session | None = None,
    ) -> None:
        if not (api_key or bearer_token):
            raise TMDBConfigError("Set TMDB_API_KEY or TMDB_BEARER_TOKEN to use TMDB.")
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.bearer_token = bearer_token
        self.timeout = (min(timeout, 5.0), timeout)  # (connect, read)
        self.max_retries = max_retries
        self.language = language
        self.sleep = sleep
        self.session = session or requests.Session()

    @classmethod
    def from_settings(cls) -> TMDBClient:
        return cls(
            base_url=settings.TMDB_API_BASE_URL,
            api_key=settings.TMDB_API_KEY,
            bearer_token=settings.TMDB_BEARER_TOKEN,
            timeout=settings.TMDB_TIMEOUT_SECONDS,
            max_retries=settings.TMDB_MAX_RETRIES,
            language=settings.TMDB_LANGUAGE,
        )

    # --- API ---

    def search(self, query: str, *, kind: str, page: int = 1) -> list[TMDBSearchResult]:
        if kind not in SEARCH_PATHS:
            raise ValueError(f"kind must be one of {sorted(SEARCH_PATHS)}, not {kind!r}")
        data = self.get(SEARCH_PATHS[kind], query=query, page=page, include_adult="false")
        return [search_result(item, kind) for item in data.get("results", [])]

    def movie(self, tmdb_id: int) -> dict:
        return self.get(f"movie/{int(tmdb_id)}", what=f"movie {tmdb_id}")

    def tv(self, tmdb_id: int) -> dict:
        return self.get(f"tv/{int(tmdb_id)}", what=f"series {tmdb_id}")

    def tv_season(self, tmdb_id: int, season_number: int) -> dict:
        what = f"season {season_number} of series {tmdb_id}"
        return self.get(f"tv/{int(tmdb_id)}/season/{int(season_number)}", what=what)

    def configuration(self) -> dict:
        return self.get("configuration")

    # --- Transport ---

    def get(self, path: str, *, what: str = "", **params: Any) -> dict:
        """GET `path` with retries; the decoded JSON object, or a `TMDBError`."""
        attempt = 0
        while True:
            try:
                response = self.send(path, params)
            except requests.RequestException as exc:
                failure: TMDBError = TMDBUnavailable(f"cannot reach TMDB: {exc}")
                wait = self.backoff(attempt)
            else:
                if response.status_code < 400:
                    return self.decode(response)
                failure = self.error_for(response, what or path)
                wait = self.retry_after(response) or self.backoff(attempt)
            if failure.permanent or attempt >= self.max_retries:
                raise failure
            attempt += 1
            self.sleep(wait)

    def send(self, path: str, params: dict[str, Any]) -> requests.Response:
        headers = {"Accept": "application/json", "User-Agent": "ShadowVault/1.0"}
        query = {"language": self.language, **params}
        if self.bearer_token:
            headers["Authorization"] = f"Bearer {self.bearer_token}"
        else:
            query["api_key"] = self.api_key
        url = f"{self.base_url}/{path}"
        return self.session.get(url, params=query, headers=headers, timeout=self.timeout)

    @staticmethod
    def decode(response: requests.Response) -> dict:
        try:
            data = response.json()
        except ValueError as exc:
            raise TMDBError("TMDB answered with something that is not JSON") from exc
        if not isinstance(data, dict):
            raise TMDBError("TMDB answered with unexpected JSON")
        return data

    @staticmethod
    def error_for(response: requests.Response, what: str) -> TMDBError:
        status = response.status_code
        if status in RETRY_STATUSES:
            return TMDBUnavailable(f"TMDB answered HTTP {status}", status=status)
        if status == 404:
            return TMDBNotFound(f"TMDB has no {what}", status=status)
        if status == 401:
            return TMDBConfigError("TMDB refused the API key or token", status=status)
        return TMDBError(f"TMDB refused the request for {what}: HTTP {status}", status=status)

    @staticmethod
    def retry_after(response: requests.Response) -> float | None:
        value = response.headers.get("Retry-After", "")
        try:
            return min(max(float(value), 0.0), MAX_RETRY_AFTER_SECONDS)
        except ValueError:
            return None

    @staticmethod
    def backoff(attempt: int) -> float:
        return min(0.5 * 2**attempt, MAX_RETRY_AFTER_SECONDS)
