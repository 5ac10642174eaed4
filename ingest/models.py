"""Ingest jobs: a URL a curator pasted, on its way to stored, linked media files.

The job row is the source of truth for what happened (state, progress, error); the Celery
messages only say "look at job N". A step is claimed by moving the job into its running state
with a lease: a second worker (a redelivered message) sees the lease and leaves the job alone
while the first is alive, and takes over once the lease runs out (the first one died).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from library.models import Episode, MediaFile, Tenant, Title


class LeasedJob(models.Model):
    """What every job with leased steps keeps: its lease, its progress, how it ended.

    ingest/jobs.py claims, renews and ends the steps of any such job.
    """

    lease_owner = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    progress = models.FloatField(default=0, help_text="Percent of the current step.")
    bytes_done = models.PositiveBigIntegerField(default=0)
    bytes_total = models.PositiveBigIntegerField(null=True, blank=True)
    speed = models.PositiveBigIntegerField(default=0, help_text="Bytes per second.")
    eta = models.PositiveIntegerField(null=True, blank=True, help_text="Seconds.")
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Steps started.")
    retries = models.PositiveSmallIntegerField(
        default=0,
        help_text="Transient failures of the current step so far (INGEST_RETRIES at most).",
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    FINISHED: tuple[str, ...] = ()

    class Meta:
        abstract = True
        ordering = ["-created_at"]

    @property
    def finished(self) -> bool:
        return self.state in self.FINISHED


class IngestJob(LeasedJob):
    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        FETCHING = "fetching", "Fetching"
        IDENTIFYING = "identifying", "Identifying"
        SANITISING = "sanitising", "Sanitising"
        STORING = "storing", "Storing"
        READY = "ready", "Ready"
        NEEDS_REVIEW = "needs_review", "Needs review"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    RUNNING = (State.FETCHING, State.IDENTIFYING, State.SANITISING, State.STORING)
    FINISHED = (State.READY, State.FAILED, State.CANCELLED)

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="ingest_jobs")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    url = models.TextField(blank=True, help_text="http(s) or magnet URL.")
    torrent = models.BinaryField(null=True, blank=True, help_text="An uploaded .torrent file.")
    target_title = models.ForeignKey(
        Title, on_delete=models.SET_NULL, null=True, blank=True, related_name="ingest_jobs"
    )
    target_season = models.PositiveSmallIntegerField(null=True, blank=True)
    target_episode = models.PositiveSmallIntegerField(null=True, blank=True)

    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    aria2_gid = models.CharField(max_length=32, blank=True)

    class Meta(LeasedJob.Meta):
        indexes = [models.Index(fields=["tenant", "state"], name="ingestjob_tenant_state")]

    def __str__(self) -> str:
        return f"job {self.pk}: {self.source_label}"

    @property
    def source_label(self) -> str:
        return "uploaded .torrent" if self.torrent else self.url[:120]


class IngestItem(models.Model):
    """One video file a job brought in (a season pack brings one per episode)."""

    class State(models.TextChoices):
        FETCHED = "fetched", "Fetched"
        IDENTIFIED = "identified", "Identified"
        NEEDS_REVIEW = "needs_review", "Needs review"
        SANITISED = "sanitised", "Sanitised"
        STORED = "stored", "Stored"
        FAILED = "failed", "Failed"

    job = models.ForeignKey(IngestJob, on_delete=models.CASCADE, related_name="items")
    source_path = models.CharField(max_length=1000, help_text="Inside the job's work directory.")
    subtitles = models.JSONField(default=list, blank=True)  # [{"path": ..., "language": ...}]
    guess = models.JSONField(default=dict, blank=True)
    title = models.ForeignKey(Title, on_delete=models.SET_NULL, null=True, blank=True)
    episode = models.ForeignKey(Episode, on_delete=models.SET_NULL, null=True, blank=True)
    clean_name = models.CharField(max_length=300, blank=True)
    sanitised_path = models.CharField(max_length=1000, blank=True)
    media_file = models.OneToOneField(
        MediaFile, on_delete=models.SET_NULL, null=True, blank=True, related_name="ingest_item"
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.FETCHED)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["job", "source_path"], name="item_unique_per_job")
        ]

    def __str__(self) -> str:
        return self.clean_name or self.source_path


class WebVersionJob(LeasedJob):
    """Preparing what a browser plays for one stored original (ingest/playback.py).

    Its own step after the ingest job: leased like the ingest steps (ingest/jobs.py), with
    its own progress and error. Failing leaves the original ready and playable by link.
    """

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        PREPARING = "preparing", "Preparing"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    RUNNING = (State.PREPARING,)
    FINISHED = (State.READY, State.FAILED, State.CANCELLED)

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="web_jobs")
    media_file = models.OneToOneField(MediaFile, on_delete=models.CASCADE, related_name="web_job")
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    profile = models.CharField(max_length=8, blank=True, choices=MediaFile.Profile.choices)

    class Meta(LeasedJob.Meta):
        indexes = [models.Index(fields=["tenant", "state"], name="webjob_tenant_state")]

    def __str__(self) -> str:
        return f"web version of {self.media_file}"
