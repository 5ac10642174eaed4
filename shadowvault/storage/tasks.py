"""Storage housekeeping on beat."""

from __future__ import annotations

from celery import shared_task

from . import session_pool


@shared_task
def leases_sweep_task() -> int:
    """Drop viewer leases that lapsed (admission does this lazily; this keeps Redis tidy)."""
    pool = session_pool()
    return pool.leases_sweep() if pool is not None else 0
