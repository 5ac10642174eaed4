"""Recent answers of a database lookup, for the hot paths of the authorize call and the origin."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from asgiref.sync import sync_to_async
from django.db import close_old_connections

# How long a found answer stands: a file taken down is still served this long.
FOUND_SECONDS = 30.0

T = TypeVar("T")
R = TypeVar("R")


def on_thread(function: Callable[..., R]) -> Callable[..., Awaitable[R]]:
    """`function` run on a worker thread, after `close_old_connections` (what Django's request
    signals would do there: drop a connection that broke or outlived its age), for code that
    answers outside Django's request cycle (streaming.gate, the origin)."""

    def run(*args, **kwargs) -> R:
        close_old_connections()
        return function(*args, **kwargs)

    return sync_to_async(run, thread_sensitive=False)


class Recent(Generic[T]):
    """A lookup's recent answers by key, so the hot path seldom waits for the database.

    Only found answers are kept (for FOUND_SECONDS): a file that has just become ready is
    found at once. A lookup runs `on_thread`.
    """

    def __init__(self, lookup: Callable[..., T | None], *, limit: int = 10_000) -> None:
        self.lookup = on_thread(lookup)
        self.limit = limit
        self.answers: dict[str, tuple[float, T]] = {}

    async def get(self, key: str, *arguments: object) -> T | None:
        """The kept answer for `key`, or the lookup's for `arguments` (default: the key)."""
        now = time.monotonic()
        kept = self.answers.get(key)
        if kept and kept[0] > now:
            return kept[1]
        value = await self.lookup(*(arguments or (key,)))
        if value is not None:
            if len(self.answers) >= self.limit:
                self.answers.clear()
            self.answers[key] = (now + FOUND_SECONDS, value)
        return value

    def forget(self, key: str) -> bool:
        """Drop a kept answer; whether there was one."""
        return self.answers.pop(key, None) is not None
