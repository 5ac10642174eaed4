from __future__ import annotations

from django.contrib import admin

from shadowvault.admin import SuperuserOnlyAdmin

from .models import StorageChannel


@admin.register(StorageChannel)
class StorageChannelAdmin(SuperuserOnlyAdmin):
    list_display = ["title", "chat_id", "tenant", "enabled", "created_at"]
    list_filter = ["enabled", "tenant"]
    search_fields = ["title", "chat_id"]
