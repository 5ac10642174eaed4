"""What uploads to Telegram have posted while they run, so that a dead worker's are found.

An upload posts one message per part. A worker killed between two parts, or before it hands
the locator over, leaves messages nobody refers to. Each upload keeps a row (TelegramUpload)
listing what it posted and touched while it makes progress; the row goes when the upload
returns its locator. Beat's leftovers sweep deletes the messages of rows left untouched for
STORAGE_LEFTOVER_SECONDS. Whoever deletes a row first wins: an upload that finds its row
taken by the sweep removes what it posted and fails (a retry uploads again), so a locator
whose messages were swept is never handed out.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from ..models import TelegramUpload

Part = dict[str, int]


class UploadJournal:
    def begin(self) -> int:
        return TelegramUpload.objects.create().id

    def posted(self, upload: int, part: Part) -> None:
        row = TelegramUpload.objects.filter(id=upload).first()
        if row is not None:  # else the sweep took it: `finish` will say so
            row.parts = [*row.parts, part]
            row.save(update_fields=["parts", "touched_at"])

    def touch(self, upload: int) -> None:
        TelegramUpload.objects.filter(id=upload).update(touched_at=timezone.now())

    def finish(self, upload: int) -> bool:
        """The upload is over: False when the sweep took its row first."""
        deleted, _ = TelegramUpload.objects.filter(id=upload).delete()
        return bool(deleted)

    def abandoned(self, *, idle_seconds: float) -> list[list[Part]]:
        """Take the rows untouched for `idle_seconds`; the parts each had posted."""
        idle_since = timezone.now() - timedelta(seconds=idle_seconds)
        taken = []
        for row in TelegramUpload.objects.filter(touched_at__lt=idle_since):
            untouched = TelegramUpload.objects.filter(id=row.id, touched_at=row.touched_at)
            deleted, _ = untouched.delete()
            if deleted and row.parts:  # else touched meanwhile (alive), or nothing posted
                taken.append(row.parts)
        return taken

    def keep(self, parts: list[Part]) -> None:
        """Parts the sweep could not delete: for the next sweep."""
        row = TelegramUpload.objects.create(parts=parts)
        long_ago = timezone.now() - timedelta(days=1)
        TelegramUpload.objects.filter(id=row.id).update(touched_at=long_ago)
