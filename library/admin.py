"""Curator admin: every page scoped to the tenant of the request's host."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from shadowvault.admin import SuperuserOnlyAdmin
from shadowvault.digits import ascii_int

from .app_passwords import app_password_secret
from .clients.tmdb import TMDBClient, TMDBError, TMDBSearchResult, describe
from .models import (
    AppPassword,
    Domain,
    Episode,
    Genre,
    MediaFile,
    Membership,
    Season,
    Tenant,
    Title,
)
from .services import title_import, title_refresh_enqueue

# --- Tenant scoping and access, once for every catalog admin ---

# How each catalog model reaches its tenant: admin querysets filter on it, and foreign keys
# to these models only offer the tenant's rows.
TENANT_LOOKUPS = {
    Title: "tenant",
    Season: "title__tenant",
    Episode: "season__title__tenant",
    MediaFile: "title__tenant",
    AppPassword: "tenant",
}


class CuratorAccess:
    """Curators of the host's tenant may do everything here: the role is the permission.

    (Django's per-model permissions would have to be granted to every curator by hand.)
    """

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.admin_site.has_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.admin_site.has_permission(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self.admin_site.has_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.admin_site.has_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.admin_site.has_permission(request)


class TenantChoices:
    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs: Any):
        lookup = TENANT_LOOKUPS.get(db_field.related_model)
        if lookup:
            manager = db_field.related_model._default_manager
            kwargs["queryset"] = manager.filter(**{lookup: request.tenant})
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class TenantScopedAdmin(CuratorAccess, TenantChoices, admin.ModelAdmin):
    """Rows limited to `request.tenant` through the model's TENANT_LOOKUPS entry.

    Another tenant's row is simply not in the queryset, so its change page is a 404 that
    reveals nothing.
    """

    show_full_result_count = False  # a second COUNT(*) over a large catalog, for nothing

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        lookup = TENANT_LOOKUPS[self.model]
        return super().get_queryset(request).filter(**{lookup: request.tenant})


# --- Inlines ---


class MediaFileInline(CuratorAccess, TenantChoices, admin.TabularInline):
    """Files come from the ingest pipeline; curators see them and may mark or remove them."""

    model = MediaFile
    extra = 0
    fields = ["name", "state", "episode", "size", "mime", "height", "public_id"]
    readonly_fields = ["size", "mime", "height", "public_id"]
    raw_id_fields = ["episode"]
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class SeasonInline(CuratorAccess, admin.TabularInline):
    model = Season
    extra = 0
    fields = ["number", "name", "air_date", "episode_count"]
    readonly_fields = ["episode_count"]
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(episodes_total=Count("episodes"))

    @admin.display(description="episodes")
    def episode_count(self, season: Season) -> int:
        return getattr(season, "episodes_total", 0)


class EpisodeInline(CuratorAccess, admin.TabularInline):
    model = Episode
    extra = 0
    fields = ["number", "name", "air_date", "runtime"]
    show_change_link = True


# --- Catalog ---


@admin.register(Title)
class TitleAdmin(TenantScopedAdmin):
    list_display = ["title", "kind", "year", "tmdb_id", "ready_files", "updated_at"]
    list_filter = ["kind", "year", "genres"]
    search_fields = ["title", "original_title", "=tmdb_id"]
    readonly_fields = ["slug", "created_at", "updated_at"]
    autocomplete_fields = ["genres"]
    exclude = ["tenant"]
    inlines = [SeasonInline, MediaFileInline]
    actions = ["refresh_from_tmdb"]
    list_per_page = 50

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        ready = Count("files", filter=Q(files__state=MediaFile.State.READY))
        return super().get_queryset(request).annotate(ready_files_total=ready)

    @admin.display(description="ready files", ordering="ready_files_total")
    def ready_files(self, title: Title) -> int:
        return title.ready_files_total

    def save_model(self, request: HttpRequest, obj: Title, form: Any, change: bool) -> None:
        if not change:
            obj.tenant = request.tenant
        super().save_model(request, obj, form, change)

    @admin.action(description="Refresh selected titles from TMDB")
    def refresh_from_tmdb(self, request: HttpRequest, queryset: QuerySet[Title]) -> None:
        queued = title_refresh_enqueue(titles=queryset.exclude(tmdb_id=None))
        self.message_user(request, f"Queued a TMDB refresh for {queued} title(s).")

    def get_urls(self) -> list:
        view = self.admin_site.admin_view(self.tmdb_import_view)
        urls = [path("tmdb-import/", view, name="library_title_tmdb_import")]
        return urls + super().get_urls()

    def tmdb_import_view(self, request: HttpRequest) -> HttpResponse:
        """Search TMDB (GET) and import a result into this tenant's catalog (POST)."""
        if not self.has_add_permission(request):
            return HttpResponseRedirect(reverse("admin:index"))
        if request.method == "POST":
            return self.tmdb_import(request)
        query = request.GET.get("q", "").strip()
        kind = request.GET.get("kind", Title.Kind.MOVIE)
        results: list[TMDBSearchResult] = []
        if query and kind in Title.Kind.values:
            try:
                results = TMDBClient.from_settings().search(query, kind=kind)
            except TMDBError as exc:
                self.message_user(request, describe(exc), messages.ERROR)
        known = set(
            Title.objects.filter(
                tenant=request.tenant, kind=kind, tmdb_id__in=[r.tmdb_id for r in results]
            ).values_list("tmdb_id", flat=True)
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Search TMDB and import",
            "query": query,
            "kind": kind,
            "kinds": Title.Kind.choices,
            "results": [(result, result.tmdb_id in known) for result in results],
        }
        return TemplateResponse(request, "admin/library/title/tmdb_import.html", context)

    def tmdb_import(self, request: HttpRequest) -> HttpResponse:
        back = request.get_full_path()
        kind = request.POST.get("kind", "")
        tmdb_id = ascii_int(request.POST.get("tmdb_id", ""))
        if kind not in Title.Kind.values or tmdb_id is None:
            self.message_user(request, "Choose a TMDB result to import.", messages.ERROR)
            return HttpResponseRedirect(back)
        try:
            title, created = title_import(tmdb_id=tmdb_id, kind=kind, tenant=request.tenant)
        except TMDBError as exc:
            self.message_user(request, describe(exc), messages.ERROR)
            return HttpResponseRedirect(back)
        self.message_user(request, f"{'Imported' if created else 'Updated'} {title}.")
        return HttpResponseRedirect(reverse("admin:library_title_change", args=[title.pk]))


@admin.register(Season)
class SeasonAdmin(TenantScopedAdmin):
    list_display = ["__str__", "name", "air_date"]
    list_select_related = ["title"]
    search_fields = ["title__title", "name"]
    raw_id_fields = ["title"]
    inlines = [EpisodeInline]


@admin.register(Episode)
class EpisodeAdmin(TenantScopedAdmin):
    list_display = ["__str__", "name", "air_date"]
    list_select_related = ["season__title"]
    search_fields = ["season__title__title", "name"]
    raw_id_fields = ["season"]
    inlines = [MediaFileInline]


@admin.register(MediaFile)
class MediaFileAdmin(TenantScopedAdmin):
    list_display = ["name", "title", "state", "size", "height", "storage", "created_at"]
    list_filter = ["state", "storage"]
    list_select_related = ["title"]
    search_fields = ["name", "=public_id", "=sha256"]
    raw_id_fields = ["title", "episode"]
    # Storage facts come from the pipeline; a hand-edited locator would point at nothing.
    readonly_fields = [
        "public_id",
        "storage",
        "locator",
        "size",
        "mime",
        "sha256",
        "duration",
        "width",
        "height",
        "video_codec",
        "audio_codec",
        "created_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Genre)
class GenreAdmin(CuratorAccess, admin.ModelAdmin):
    """TMDB's genre list, shared by every tenant: curators see it, superusers edit it."""

    list_display = ["name", "tmdb_id"]
    search_fields = ["name"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser


@admin.register(AppPassword)
class AppPasswordAdmin(TenantScopedAdmin):
    """Members' app passwords on this site: curators may make one for a member (its secret
    is shown once, in the message) or revoke any (delete)."""

    list_display = ["label", "user", "created_at", "last_used_at"]
    list_select_related = ["user"]
    search_fields = ["label", "user__username"]
    fields = ["user", "label", "created_at", "last_used_at"]
    readonly_fields = ["created_at", "last_used_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [*self.readonly_fields, "user"] if obj else self.readonly_fields

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs: Any):
        if db_field.name == "user":
            kwargs["queryset"] = db_field.related_model._default_manager.filter(
                memberships__tenant=request.tenant
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: AppPassword, form: Any, change: bool) -> None:
        if change:
            return super().save_model(request, obj, form, change)
        obj.tenant = request.tenant
        secret = app_password_secret(obj)
        super().save_model(request, obj, form, change)
        self.message_user(
            request,
            f"App password for {obj.user}: {secret} (copy it now: it is not shown again).",
            messages.WARNING,
        )


# --- Tenants (superusers only) ---


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 1


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    raw_id_fields = ["user"]


@admin.register(Tenant)
class TenantAdmin(SuperuserOnlyAdmin):
    list_display = ["name", "domain_list", "created_at"]
    search_fields = ["name", "domains__domain"]
    inlines = [DomainInline, MembershipInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).prefetch_related("domains")

    @admin.display(description="domains")
    def domain_list(self, tenant: Tenant) -> str:
        return ", ".join(domain.domain for domain in tenant.domains.all())
