"""Staff admin: the webhook delivery log and failing endpoints, read-only."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .models import WebhookAttempt, WebhookDelivery, WebhookEndpointFlag


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = ["created_at", "url", "status_code", "duration_ms", "response_excerpt", "error"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["public_id", "created_at", "shop", "type", "status", "attempts", "test"]
    list_filter = ["status", "type", "test"]
    search_fields = ["public_id", "shop__name", "payment__public_id"]
    list_select_related = ["shop"]
    inlines = [WebhookAttemptInline]
    show_full_result_count = False

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return [field.name for field in WebhookDelivery._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(WebhookEndpointFlag)
class WebhookEndpointFlagAdmin(admin.ModelAdmin):
    """Result URLs that gave up: staff see which shops' endpoints are failing."""

    list_display = ["shop", "url", "flagged_at", "cleared_at"]
    list_filter = [("cleared_at", admin.EmptyFieldListFilter)]
    search_fields = ["shop__name", "url"]
    list_select_related = ["shop"]

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return [field.name for field in WebhookEndpointFlag._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
