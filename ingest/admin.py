"""Ingest in admin: paste a URL (or upload a .torrent), watch progress bars, retry, cancel."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.utils.html import format_html

from library.admin import TENANT_LOOKUPS, CuratorAccess, TenantScopedAdmin
from library.admin import MediaFileAdmin as CatalogMediaFileAdmin
from library.models import MediaFile, Subtitle
from shadowvault.storage import storage_backend

from .clients.ffmpeg import MediaError
from .jobs import job_cancel, job_retry
from .models import IngestItem, IngestJob, LeasedJob, WebVersionJob
from .services import job_check, job_start
from .subtitles import side_subtitle_store, subtitle_to_vtt
from .url_guard import URLRefused
from .webversion import web_job_enqueue

TENANT_LOOKUPS[IngestJob] = "tenant"
TENANT_LOOKUPS[WebVersionJob] = "tenant"


class IngestJobForm(forms.ModelForm):
    torrent_file = forms.FileField(
        required=False, label=".torrent file", help_text="Instead of a URL."
    )

    class Meta:
        model = IngestJob
        fields = ["url", "torrent_file", "target_title", "target_season", "target_episode"]
        widgets = {
            "url": forms.TextInput(attrs={"size": 100, "placeholder": "https://…, magnet:?xt=…"})
        }

    def clean(self) -> dict:
        data = super().clean()
        if self.instance.pk:
            return data
        upload = data.get("torrent_file")
        torrent = upload.read() if upload else None
        try:
            job_check(
                tenant=self.request_tenant,
                url=data.get("url") or "",
                torrent=torrent,
                title=data.get("target_title"),
                season=data.get("target_season"),
                episode=data.get("target_episode"),
            )
        except URLRefused as refused:
            self.add_error("torrent_file" if torrent else "url", refused.reason)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc
        self.instance.torrent = torrent
        return data


class IngestItemInline(CuratorAccess, admin.TabularInline):
    model = IngestItem
    extra = 0
    fields = ["source_path", "state", "title", "episode", "clean_name", "media_file", "error"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class LeasedJobAdmin(TenantScopedAdmin):
    """The columns every job shows: its progress bar and its error."""

    @admin.display(description="progress")
    def progress_bar(self, job: LeasedJob) -> str:
        """A running job's progress bar with bytes, speed and time left; a dash when it ended."""
        if job.finished:
            return "—"
        detail = ""
        if job.bytes_total:
            detail = f"{filesizeformat(job.bytes_done)} of {filesizeformat(job.bytes_total)}"
        if job.speed:
            detail += f", {filesizeformat(job.speed)}/s"
        if job.eta:
            detail += f", {job.eta // 60} min {job.eta % 60} s left"
        return format_html(
            '<progress value="{}" max="100" style="width:10em" aria-label="{}"></progress> {}% {}',
            job.progress,
            f"{job.get_state_display()} progress",
            job.progress,
            detail,
        )

    @admin.display(description="error")
    def problem(self, job: LeasedJob) -> str:
        return job.error[:120]


@admin.register(IngestJob)
class IngestJobAdmin(LeasedJobAdmin):
    form = IngestJobForm
    list_display = [
        "id",
        "source",
        "state",
        "progress_bar",
        "target_title",
        "created_at",
        "problem",
    ]
    list_filter = ["state"]
    search_fields = ["url", "error"]
    list_select_related = ["target_title"]
    actions = ["retry_jobs", "cancel_jobs"]
    inlines = [IngestItemInline]
    raw_id_fields = ["target_title"]
    readonly_progress = [
        "state",
        "progress_bar",
        "error",
        "attempts",
        "created_by",
        "created_at",
        "started_at",
        "finished_at",
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).defer("torrent")

    def get_fields(self, request: HttpRequest, obj: IngestJob | None = None) -> list[str]:
        if obj is None:
            return ["url", "torrent_file", "target_title", "target_season", "target_episode"]
        # A job that waits for review can be pointed at the right title, then retried.
        return ["url", "target_title", "target_season", "target_episode", *self.readonly_progress]

    def get_readonly_fields(self, request: HttpRequest, obj: IngestJob | None = None) -> list[str]:
        if obj is None:
            return []
        fixed = ["url", *self.readonly_progress]
        if obj.state != IngestJob.State.NEEDS_REVIEW:
            fixed += ["target_title", "target_season", "target_episode"]
        return fixed

    def get_inline_instances(self, request: HttpRequest, obj: Any = None) -> list:
        return super().get_inline_instances(request, obj) if obj is not None else []

    def get_form(self, request: HttpRequest, obj: Any = None, **kwargs: Any):
        form = super().get_form(request, obj, **kwargs)
        form.request_tenant = request.tenant
        return form

    def save_model(self, request: HttpRequest, obj: IngestJob, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        obj.tenant, obj.created_by = request.tenant, request.user
        job_start(obj)

    @admin.display(description="source")
    def source(self, job: IngestJob) -> str:
        return job.source_label[:80]

    @admin.action(description="Retry selected jobs")
    def retry_jobs(self, request: HttpRequest, queryset: QuerySet) -> None:
        retried = sum(job_retry(job) for job in queryset)
        self.message_user(request, f"{retried} job(s) queued again.", messages.SUCCESS)
        skipped = queryset.count() - retried
        if skipped:
            self.message_user(
                request,
                f"{skipped} job(s) were running or ready and were left alone.",
                messages.WARNING,
            )

    @admin.action(description="Cancel selected jobs")
    def cancel_jobs(self, request: HttpRequest, queryset: QuerySet) -> None:
        cancelled = sum(job_cancel(job) for job in queryset)
        self.message_user(request, f"{cancelled} job(s) cancelled.", messages.SUCCESS)


# --- Web versions ---


@admin.register(WebVersionJob)
class WebVersionJobAdmin(LeasedJobAdmin):
    """Web versions being made, made, or failed with the reason; a failed one can be retried
    (the original stays ready and playable meanwhile)."""

    list_display = ["id", "media_file", "state", "profile", "progress_bar", "updated_at", "problem"]
    list_filter = ["state", "profile"]
    search_fields = ["media_file__name", "error"]
    list_select_related = ["media_file"]
    actions = ["retry_jobs"]
    fields = readonly_fields = [
        "media_file",
        "state",
        "profile",
        "progress_bar",
        "error",
        "attempts",
        "created_at",
        "started_at",
        "finished_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Prepare the web version again")
    def retry_jobs(self, request: HttpRequest, queryset: QuerySet) -> None:
        running = queryset.exclude(state__in=WebVersionJob.FINISHED).count()
        for job in queryset.filter(state__in=WebVersionJob.FINISHED).select_related("media_file"):
            web_job_enqueue(media_file=job.media_file)
        self.message_user(request, f"{queryset.count() - running} job(s) queued again.")
        if running:
            self.message_user(request, f"{running} job(s) were running.", messages.WARNING)


class SubtitleInline(CuratorAccess, admin.TabularInline):
    model = Subtitle
    extra = 0
    fields = ["language", "title", "codec", "origin", "image", "size"]
    readonly_fields = ["codec", "origin", "image", "size"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # added through the upload field, converted to WebVTT


class MediaFileForm(forms.ModelForm):
    subtitle_upload = forms.FileField(
        required=False,
        label="Add subtitles",
        help_text="A .srt, .ass, .ssa or .vtt file; it is converted to WebVTT.",
    )
    subtitle_language = forms.CharField(
        required=False, max_length=16, help_text="Its language (ISO 639), e.g. en or fre."
    )

    class Meta:
        model = MediaFile
        fields = ["name", "title", "episode", "state"]

    def clean_subtitle_upload(self) -> Path | None:
        upload = self.cleaned_data.get("subtitle_upload")
        if not upload:
            return None
        suffix = Path(upload.name).suffix.lower()
        if suffix not in (".srt", ".ass", ".ssa", ".vtt"):
            raise forms.ValidationError("Upload a .srt, .ass, .ssa or .vtt file.")
        directory = Path(tempfile.mkdtemp(prefix="sv-subtitle-"))
        path = directory / f"upload{suffix}"
        with open(path, "wb") as handle:
            for chunk in upload.chunks():
                handle.write(chunk)
        try:
            subtitle_to_vtt(path, directory / "check.vtt")  # refuse what is not subtitles
        except MediaError as exc:
            raise forms.ValidationError(f"Not a subtitle file: {exc}") from exc
        return path


admin.site.unregister(MediaFile)


@admin.register(MediaFile)
class MediaFileAdmin(CatalogMediaFileAdmin):
    """The catalog's file admin, with web versions and subtitles."""

    form = MediaFileForm
    list_display = [*CatalogMediaFileAdmin.list_display[:3], "version", "profile", "web_state"]
    list_filter = [*CatalogMediaFileAdmin.list_filter, "version", "profile"]
    list_select_related = ["title", "web_job"]
    readonly_fields = [*CatalogMediaFileAdmin.readonly_fields, "version", "source", "profile"]
    inlines = [SubtitleInline]
    actions = ["prepare_web_versions"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = [f for f in super().get_fields(request, obj) if f not in ("hls", "audio_tracks")]
        return [*fields, "audio_tracks", "subtitle_upload", "subtitle_language"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [*super().get_readonly_fields(request, obj), "audio_tracks"]

    @admin.display(description="web version")
    def web_state(self, media_file: MediaFile) -> str:
        job = getattr(media_file, "web_job", None)
        return job.get_state_display() if job else "—"

    def save_model(self, request: HttpRequest, obj: MediaFile, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        path = form.cleaned_data.get("subtitle_upload")
        if path:
            try:
                side_subtitle_store(
                    path,
                    media_file=obj,
                    backend=storage_backend(),
                    language=form.cleaned_data.get("subtitle_language", "").strip(),
                    origin=Subtitle.Origin.UPLOAD,
                )
            finally:
                shutil.rmtree(path.parent, ignore_errors=True)

    @admin.action(description="Prepare web versions")
    def prepare_web_versions(self, request: HttpRequest, queryset: QuerySet) -> None:
        originals = queryset.filter(version=MediaFile.Version.ORIGINAL, state=MediaFile.State.READY)
        for media_file in originals.select_related("title"):
            web_job_enqueue(media_file=media_file)
        self.message_user(request, f"Queued {originals.count()} web version(s).")
