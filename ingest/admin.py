"""Ingest in admin: paste a URL (or upload a .torrent), watch progress bars, retry, cancel."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.utils.html import format_html

from library.admin import TENANT_LOOKUPS, CuratorAccess, TenantScopedAdmin

from .jobs import job_cancel, job_retry
from .models import IngestItem, IngestJob
from .services import job_check, job_start
from .url_guard import URLRefused

TENANT_LOOKUPS[IngestJob] = "tenant"


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


@admin.register(IngestJob)
class IngestJobAdmin(TenantScopedAdmin):
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

    @admin.display(description="progress")
    def progress_bar(self, job: IngestJob) -> str:
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
    def problem(self, job: IngestJob) -> str:
        return job.error[:120]

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
