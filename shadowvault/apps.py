from __future__ import annotations

from django.contrib.admin.apps import AdminConfig


class ShadowVaultAdminConfig(AdminConfig):
    """django.contrib.admin with the tenant-aware site (kept apart: no model imports here)."""

    default_site = "shadowvault.admin.ShadowVaultAdminSite"
