"""Saving and forgetting where a viewer is."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from library.models import MediaFile, Tenant

from .models import ViewerPreferences, WatchProgress, is_finished


def progress_save(
    *,
    user: AbstractBaseUser,
    media_file: MediaFile,
    position: float,
    duration: float,
    now: datetime | None = None,
) -> WatchProgress:
    """Record that `user` is at `position` seconds of what `media_file` holds.

    - The file's own duration (ffprobe's, at ingest) wins over the player's when known; the
      position is kept within it.
    - Getting past WATCHED_FRACTION marks the film or episode watched, once and for good.
    - Two saves at once (two tabs, two devices) both land: the last one wins.
    """
    now = now or timezone.now()
    duration = media_file.duration or duration
    position = min(position, duration)
    key = {"user": user, "title_id": media_file.title_id, "episode_id": media_file.episode_id}
    fields = {"media_file": media_file, "position": position, "duration": duration}
    finished = is_finished(position, duration)
    for _ in range(2):
        with transaction.atomic():
            marked = {"watched_at": Coalesce("watched_at", Value(now))} if finished else {}
            if WatchProgress.objects.filter(**key).update(**fields, **marked, updated_at=now):
                return WatchProgress.objects.get(**key)
            try:
                with transaction.atomic():
                    return WatchProgress.objects.create(
                        **key, **fields, updated_at=now, watched_at=now if finished else None
                    )
            except IntegrityError:
                continue  # the other save created it first: update it
    raise RuntimeError("progress could neither be created nor updated")


def progress_forget(*, user: AbstractBaseUser, media_file: MediaFile) -> None:
    """Forget `user`'s progress in what `media_file` holds (marks it unwatched)."""
    WatchProgress.objects.filter(
        user=user, title_id=media_file.title_id, episode_id=media_file.episode_id
    ).delete()


def preferences_save(
    *, user: AbstractBaseUser, tenant: Tenant, **changes: str
) -> ViewerPreferences:
    """Set the given fields of `user`'s preferences on `tenant` (subtitle_language,
    audio_language; validated by the caller), making the row on the first save."""
    preferences, _ = ViewerPreferences.objects.update_or_create(
        user=user, tenant=tenant, defaults=changes
    )
    return preferences
