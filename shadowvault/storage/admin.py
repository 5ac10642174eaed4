from __future__ import annotations

from django.contrib import admin

from shadowvault.admin import SuperuserOnlyAdmin

from .models import ChannelAccess, StorageChannel


@admin.register(StorageChannel)
class StorageChannelAdmin(SuperuserOnlyAdmin):
    list_display = ["title", "chat_id", "tenant", "link", "enabled", "created_at"]
    list_filter = ["enabled", "tenant"]
    search_fields = ["title", "chat_id"]


@admin.register(ChannelAccess)
class ChannelAccessAdmin(SuperuserOnlyAdmin):
    """What each session found; delete a row to make that session look for the channel again."""

    list_display = ["session", "chat_id", "found_by", "updated_at"]
    list_filter = ["found_by", "session"]
    search_fields = ["session", "chat_id"]
    readonly_fields = ["session", "chat_id", "access_hash", "found_by", "updated_at"]

    def has_add_permission(self, request) -> bool:
        return False
