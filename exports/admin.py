"""Staff see exports read-only: who asked for what, and how it went."""

from __future__ import annotations

from django.contrib import admin

from .models import ExportJob


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    list_display = ["public_id", "merchant", "user", "format", "status", "rows_done", "created_at"]
    list_filter = ["status", "format"]
    search_fields = ["public_id", "merchant__name", "user__email"]
    list_select_related = ["merchant", "user"]
    readonly_fields = [field.name for field in ExportJob._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    # The sweep deletes files past their week; a deleted row would leave its file behind.
    def has_delete_permission(self, request, obj=None) -> bool:
        return False
