"""Staff admin for payments: read-only records with their events and refunds.

Staff change a payment only through transactions.services; the one change they make
here is recording a chargeback.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .models import Payment, PaymentEvent, Refund


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class PaymentEventInline(ReadOnlyInline):
    model = PaymentEvent
    fields = ["created_at", "from_status", "to_status", "actor", "user", "reason", "data"]
    readonly_fields = fields
    ordering = ["created_at", "id"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("user")


class RefundInline(ReadOnlyInline):
    model = Refund
    fields = ["public_id", "created_at", "amount", "reason", "status", "created_by", "user"]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("user")


class ChargebackForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=255,
        help_text=_("As the card's bank gave it, e.g. the dispute reference."),
    )


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = [
        "public_id",
        "created_at",
        "shop",
        "order_id",
        "amount",
        "currency",
        "status",
        "test",
    ]
    list_filter = ["status", "test", "currency", "created_at"]
    search_fields = ["public_id", "order_id", "shop__name", "merchant__name"]
    list_select_related = ["shop"]
    date_hierarchy = "created_at"
    inlines = [PaymentEventInline, RefundInline]
    actions = ["record_chargeback"]
    show_full_result_count = False

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return [field.name for field in Payment._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_chargeback_permission(self, request: HttpRequest) -> bool:
        return request.user.is_staff and request.user.has_perm("transactions.change_payment")

    @admin.action(description=_("Record a chargeback"), permissions=["chargeback"])
    def record_chargeback(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        payments = list(queryset.select_related("shop"))
        form = ChargebackForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            done = 0
            for payment in payments:
                try:
                    services.payment_chargeback(
                        payment=payment, staff=request.user, reason=form.cleaned_data["reason"]
                    )
                except services.PaymentError as error:
                    self.message_user(request, f"{payment}: {error.message}", messages.WARNING)
                else:
                    done += 1
            if done:
                self.message_user(
                    request,
                    ngettext(
                        "%(count)d chargeback recorded.", "%(count)d chargebacks recorded.", done
                    )
                    % {"count": done},
                    messages.SUCCESS,
                )
            return None
        return TemplateResponse(
            request,
            "admin/transactions/payment/chargeback.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": _("Record a chargeback"),
                "payments": payments,
                "form": form,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            },
        )
