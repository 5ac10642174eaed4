"""Storage housekeeping on beat."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from . import session_pool, storage_backend

log = logging.getLogger(__name__)


@shared_task
def leases_sweep_task() -> int:
    """Drop viewer leases that lapsed (admission does this lazily; this keeps Redis tidy)."""
    pool = session_pool()
    return pool.leases_sweep() if pool is not None else 0


@shared_task
def leftovers_sweep_task() -> int:
    """Remove what stores a crashed worker interrupted left in storage."""
    removed = storage_backend().leftovers_sweep(idle_seconds=settings.STORAGE_LEFTOVER_SECONDS)
    if removed:
        log.warning("removed %d leftover(s) of interrupted stores", removed)
    return removed
