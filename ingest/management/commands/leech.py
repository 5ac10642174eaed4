"""Submit a URL to the leech pipeline and follow it with a progress bar until it ends."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.template.defaultfilters import filesizeformat

from ingest.models import IngestJob
from ingest.services import job_create
from ingest.url_guard import URLRefused
from library.models import Tenant, Title

BAR_WIDTH = 30


class Command(BaseCommand):
    help = "Leech a URL (http(s) or magnet) into the catalog and show its progress until done."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("url")
        parser.add_argument("--title", help="Slug of the catalog title it is (else guessed).")
        parser.add_argument("--season", type=int)
        parser.add_argument("--episode", type=int)
        parser.add_argument("--tenant", help="Tenant name (needed when there are several).")
        parser.add_argument("--no-wait", action="store_true", help="Enqueue and return.")
        parser.add_argument("--timeout", type=float, default=24 * 3600)

    def handle(
        self,
        *args,
        url: str,
        title: str | None,
        season,
        episode,
        tenant: str | None,
        no_wait: bool,
        timeout: float,
        **options,
    ) -> None:
        site = self.tenant(tenant)
        target = None
        if title:
            target = Title.objects.filter(tenant=site, slug=title).first()
            if target is None:
                raise CommandError(f"No title with slug {title!r} in {site}.")
        try:
            job = job_create(tenant=site, url=url, title=target, season=season, episode=episode)
        except URLRefused as refused:
            raise CommandError(f"Refused: {refused.reason}") from refused
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"job {job.id} queued")
        if no_wait:
            return
        job = self.follow(job, timeout)
        if job.state != IngestJob.State.READY:
            raise CommandError(f"job {job.id} ended {job.get_state_display().lower()}: {job.error}")
        for item in job.items.select_related("media_file"):
            self.stdout.write(f"stored {item.clean_name} ({item.media_file.public_id})")

    def tenant(self, name: str | None) -> Tenant:
        tenants = Tenant.objects.filter(name=name) if name else Tenant.objects.all()
        found = list(tenants[:2])
        if len(found) != 1:
            raise CommandError(
                "Name the tenant with --tenant." if found else f"No tenant {name!r}."
            )
        return found[0]

    def follow(self, job: IngestJob, timeout: float) -> IngestJob:
        deadline = time.monotonic() + timeout
        finished = (*IngestJob.FINISHED, IngestJob.State.NEEDS_REVIEW)
        while time.monotonic() < deadline:
            job.refresh_from_db()
            self.stdout.write("\r" + progress_line(job), ending="")
            self.stdout.flush()
            if job.state in finished:
                self.stdout.write("")
                return job
            time.sleep(0.5)
        raise CommandError(
            f"job {job.id} is still {job.state} after {timeout:.0f} s; it goes on in the background"
        )


def progress_line(job: IngestJob) -> str:
    filled = int(job.progress / 100 * BAR_WIDTH) if not job.finished else BAR_WIDTH
    bar = "#" * filled + "." * (BAR_WIDTH - filled)
    line = f"[{bar}] {job.progress:5.1f}%  {job.get_state_display().lower():<12}"
    if job.bytes_total:
        line += f"  {filesizeformat(job.bytes_done)} / {filesizeformat(job.bytes_total)}"
    if job.speed:
        line += f"  {filesizeformat(job.speed)}/s"
    if job.eta:
        line += f"  eta {job.eta // 60}:{job.eta % 60:02d}"
    return line.replace("\xa0", " ").ljust(100)
