"""Queue the web-version step for files stored before it existed (or whose step failed)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ingest.models import WebVersionJob
from ingest.webversion import web_job_enqueue, web_versions_enqueue_missing
from library.models import Tenant


class Command(BaseCommand):
    help = (
        "Prepare web versions (and WebVTT subtitles) of ready files that never had the step; "
        "a media worker does the work. --failed also retries the ones that failed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", help="Only this tenant's files (its name).")
        parser.add_argument("--limit", type=int, help="At most this many files.")
        parser.add_argument("--failed", action="store_true", help="Retry failed ones too.")

    def handle(self, *args, tenant: str | None, limit: int | None, failed: bool, **options):
        site = None
        if tenant:
            site = Tenant.objects.filter(name=tenant).first()
            if site is None:
                raise CommandError(f"no tenant is called {tenant!r}")
        if limit is not None and limit < 1:
            raise CommandError("--limit must be at least 1")
        queued = web_versions_enqueue_missing(tenant=site, limit=limit)
        retried = 0
        if failed:
            jobs = WebVersionJob.objects.filter(state=WebVersionJob.State.FAILED)
            if site is not None:
                jobs = jobs.filter(tenant=site)
            for job in jobs.select_related("media_file__title")[:limit]:
                web_job_enqueue(media_file=job.media_file)
                retried += 1
        self.stdout.write(f"queued {queued} new web version(s), retried {retried} failed one(s)")
