"""The admin site: one per request host, open to that tenant's curators only."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from library.api.permissions import is_tenant_curator


class ShadowVaultAdminSite(admin.AdminSite):
    site_header = "ShadowVault"
    site_title = "ShadowVault admin"
    index_title = "Catalog administration"

    def has_permission(self, request: HttpRequest) -> bool:
        """Active staff who curate the host's tenant (superusers curate every tenant)."""
        user = request.user
        if not (user.is_active and user.is_staff):
            return False
        return is_tenant_curator(user, getattr(request, "tenant", None))
