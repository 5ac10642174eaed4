"""The admin site: one per request host, open to that tenant's curators only."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.http import HttpRequest, HttpResponse

from library.api.permissions import is_tenant_curator

from .login_throttle import ThrottledLoginMixin, locked_status


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    pass


class ShadowVaultAdminSite(admin.AdminSite):
    site_header = "ShadowVault"
    site_title = "ShadowVault admin"
    index_title = "Catalog administration"
    login_form = AdminLoginForm

    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        return locked_status(super().login(request, extra_context))

    def has_permission(self, request: HttpRequest) -> bool:
        """Active staff who curate the host's tenant (superusers curate every tenant)."""
        user = request.user
        if not (user.is_active and user.is_staff):
            return False
        return is_tenant_curator(user, getattr(request, "tenant", None))


class SuperuserOnlyAdmin(admin.ModelAdmin):
    """For what spans tenants (tenants themselves, storage channels): superusers only."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser
