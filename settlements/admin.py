"""Staff side of settlements: the holiday calendar, payout schedules, due payouts to mark
paid or reject, settlements (read-only) and adjustments with their reasons."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Adjustment, Holiday, Payout, PayoutSchedule, Settlement
from .services import SettlementError, adjustment_create, payout_mark_paid, payout_reject


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ("day", "name")
    date_hierarchy = "day"


@admin.register(PayoutSchedule)
class PayoutScheduleAdmin(admin.ModelAdmin):
    list_display = ("merchant", "delay_days")
    autocomplete_fields = ("merchant",)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Settlement)
class SettlementAdmin(ReadOnlyAdmin):
    list_display = (
        "day",
        "merchant",
        "currency",
        "payments_count",
        "gross",
        "refunds",
        "chargebacks",
        "commission",
        "adjustments",
        "net",
        "payout",
    )
    list_filter = ("currency", "day")
    search_fields = ("merchant__name", "merchant__legal_name")
    date_hierarchy = "day"
    list_select_related = ("merchant", "payout")


class PaidForm(forms.Form):
    reference = forms.CharField(label=_("Bank transfer reference"), max_length=100)
    paid_on = forms.DateField(label=_("Paid on"), widget=forms.DateInput(attrs={"type": "date"}))


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=255)


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    list_display = (
        "due_on",
        "merchant",
        "currency",
        "amount",
        "status",
        "reference",
        "paid_on",
        "decided_by",
    )
    list_filter = ("status", "currency", "due_on")
    search_fields = ("merchant__name", "merchant__legal_name", "reference")
    list_select_related = ("merchant", "decided_by")
    readonly_fields = [f.name for f in Payout._meta.fields]
    change_form_template = "admin/settlements/payout/change_form.html"

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("settlements.view_payout")

    def get_urls(self):
        urls = super().get_urls()
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/paid/", view(self.mark_paid_view), name="settlements_payout_paid"),
            path("<int:pk>/reject/", view(self.reject_view), name="settlements_payout_reject"),
            *urls,
        ]

    def _decide(self, request, pk, form_class, decide, title):
        if not request.user.has_perm("settlements.change_payout"):
            raise PermissionDenied
        payout = get_object_or_404(Payout, pk=pk)
        form = form_class(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                decide(payout, form.cleaned_data, request.user)
            except SettlementError as error:
                form.add_error(None, str(error))
            else:
                self.message_user(request, _("Saved."), messages.SUCCESS)
                return redirect(reverse("admin:settlements_payout_change", args=[payout.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": payout,
            "form": form,
            "title": title,
        }
        return TemplateResponse(request, "admin/settlements/payout/decide.html", context)

    def mark_paid_view(self, request, pk):
        def decide(payout, data, user):
            payout_mark_paid(
                payout=payout, reference=data["reference"], paid_on=data["paid_on"], staff=user
            )

        return self._decide(request, pk, PaidForm, decide, _("Mark the payout paid"))

    def reject_view(self, request, pk):
        def decide(payout, data, user):
            payout_reject(payout=payout, reason=data["reason"], staff=user)

        return self._decide(request, pk, RejectForm, decide, _("Reject the payout"))


class AdjustmentForm(forms.ModelForm):
    class Meta:
        model = Adjustment
        fields = ("merchant", "currency", "amount", "reason")


@admin.register(Adjustment)
class AdjustmentAdmin(admin.ModelAdmin):
    form = AdjustmentForm
    list_display = ("created_at", "merchant", "currency", "amount", "reason", "created_by")
    list_filter = ("currency",)
    search_fields = ("merchant__name", "reason")
    autocomplete_fields = ("merchant",)

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        if change:
            raise PermissionDenied
        try:
            created = adjustment_create(
                merchant=obj.merchant,
                currency=obj.currency,
                amount=obj.amount,
                reason=obj.reason,
                staff=request.user,
            )
        except SettlementError as error:
            raise PermissionDenied(str(error)) from error
        obj.pk = created.pk
        obj.created_by = created.created_by
        obj.created_at = created.created_at or timezone.now()
