"""Staff see subscriptions and their sendings read-only."""

from __future__ import annotations

from django.contrib import admin

from .models import ReportRun, ReportSubscription


class ReportRunInline(admin.TabularInline):
    model = ReportRun
    extra = 0
    fields = ["period_start", "period_end", "status", "attempts", "sent_at", "error"]
    readonly_fields = fields
    ordering = ["-period_start"]
    max_num = 0
    can_delete = False


@admin.register(ReportSubscription)
class ReportSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["email", "merchant", "frequency", "status", "last_sent_at", "next_run_at"]
    list_filter = ["status", "frequency"]
    search_fields = ["email", "public_id", "merchant__name", "merchant__legal_name"]
    list_select_related = ["merchant"]
    exclude = ["confirm_token", "unsubscribe_token"]
    readonly_fields = [
        f.name
        for f in ReportSubscription._meta.fields
        if f.name not in ("confirm_token", "unsubscribe_token")
    ]
    inlines = [ReportRunInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
