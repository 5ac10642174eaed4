"""ReadVault in admin: sources, series (follow, unfollow, refresh now), chapters and errors."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db import models, transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from library.admin import TENANT_LOOKUPS, CuratorAccess, TenantScopedAdmin

from .models import Chapter, Page, Series, Source
from .tasks import series_refresh_task

TENANT_LOOKUPS.update({Source: "tenant", Series: "tenant", Chapter: "series__tenant"})
# A URL typed without a scheme means https (Django 6's default, chosen now).
HTTPS_URLS = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Source)
class SourceAdmin(TenantScopedAdmin):
    formfield_overrides = HTTPS_URLS
    list_display = ["name", "kind", "base_url", "requests_per_minute", "enabled"]
    list_filter = ["kind", "enabled"]
    fieldsets = [
        (None, {"fields": ["name", "kind", "base_url", "requests_per_minute", "enabled"]}),
        (
            "HTML sources",
            {
                "fields": [
                    "chapter_link_selector",
                    "chapter_number_pattern",
                    "page_image_selector",
                    "page_image_attribute",
                ]
            },
        ),
    ]

    def save_model(self, request: HttpRequest, obj: Source, form: Any, change: bool) -> None:
        if not change:
            obj.tenant = request.tenant
        super().save_model(request, obj, form, change)


@admin.register(Series)
class SeriesAdmin(TenantScopedAdmin):
    formfield_overrides = HTTPS_URLS
    list_display = [
        "title",
        "source",
        "followed",
        "refresh_minutes",
        "last_refreshed_at",
        "refresh_error",
    ]
    list_filter = ["followed", "source", "status"]
    search_fields = ["title", "source_key"]
    list_select_related = ["source"]
    fields = [
        "source",
        "source_key",
        "title",
        "alt_titles",
        "description",
        "status",
        "cover_url",
        "followed",
        "refresh_minutes",
        "language",
        "group_order",
        "last_refreshed_at",
        "refresh_error",
    ]
    readonly_fields = ["last_refreshed_at", "refresh_error"]
    actions = ["follow", "unfollow", "refresh_now"]

    def save_model(self, request: HttpRequest, obj: Series, form: Any, change: bool) -> None:
        if not change:
            obj.tenant = request.tenant
        super().save_model(request, obj, form, change)

    @admin.action(description="Follow (refresh on schedule)")
    def follow(self, request: HttpRequest, queryset: QuerySet) -> None:
        self.message_user(request, f"{queryset.update(followed=True)} series followed.")

    @admin.action(description="Unfollow")
    def unfollow(self, request: HttpRequest, queryset: QuerySet) -> None:
        self.message_user(request, f"{queryset.update(followed=False)} series unfollowed.")

    @admin.action(description="Refresh now")
    def refresh_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        ids = list(queryset.values_list("id", flat=True))
        transaction.on_commit(lambda: [series_refresh_task.delay(series_id) for series_id in ids])
        self.message_user(
            request,
            f"Refreshing {len(ids)} series; new chapters appear as they are stored.",
            messages.SUCCESS,
        )


class PageInline(CuratorAccess, admin.TabularInline):
    model = Page
    extra = 0
    fields = ["index", "width", "height", "size", "mime", "public_id"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Chapter)
class ChapterAdmin(TenantScopedAdmin):
    list_display = ["series", "number", "title", "language", "group", "state", "error"]
    list_filter = ["state", "language"]
    search_fields = ["series__title", "title", "group"]
    list_select_related = ["series"]
    readonly_fields = ["series", "source_key", "state", "error", "published_at"]
    inlines = [PageInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # chapters come from refreshes
