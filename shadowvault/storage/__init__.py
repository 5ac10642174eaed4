"""Storage backends behind one interface; `storage_backend()` returns the configured one."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .base import Locator, LocatorInvalid, RangeInvalid, StorageBackend, StorageError

__all__ = [
    "Locator",
    "LocatorInvalid",
    "RangeInvalid",
    "StorageBackend",
    "StorageError",
    "session_pool",
    "storage_backend",
]


@cache
def storage_backend() -> StorageBackend:
    """The backend named by STORAGE_BACKEND, built once per process."""
    if settings.STORAGE_BACKEND == "filesystem":
        from .filesystem import FilesystemBackend

        return FilesystemBackend(settings.VAULT_ROOT)
    if settings.STORAGE_BACKEND == "telegram":
        from .telegram.setup import telegram_backend

        return telegram_backend()
    raise ImproperlyConfigured(
        f"STORAGE_BACKEND={settings.STORAGE_BACKEND!r} is not available; "
        "use 'filesystem' or 'telegram'."
    )


@cache
def session_pool():
    """The viewer pool over the configured Telegram sessions (None for other backends)."""
    if settings.STORAGE_BACKEND != "telegram":
        return None
    from .telegram.setup import telegram_pool

    return telegram_pool()
