"""TMDB v3 API: the one chokepoint for talking to TMDB.

Errors: every failure raises a `TMDBError`; `permanent` says whether trying again can help.
"""

from __future__ import annotations


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
