"""Staff admin for shops: the confirmation queue of Section 1, and the shops' history.

Staff decide, they do not edit: every field a merchant entered is read-only here, and
confirming or returning a shop goes through shops.services, which records it and emails
the merchant.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.db.models import F, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from merchants.services import ServiceError

from . import services
from .models import Shop, ShopChange
from .views import describe_changes, format_lifetime, logo_response, method_labels

OVERDUE_AFTER = timedelta(days=2)


class ConfirmationQueueFilter(admin.SimpleListFilter):
    """The shops staff have to look at, oldest submission first."""

    title = _("Confirmation queue")
    parameter_name = "queue"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        return [
            ("waiting", _("Waiting for confirmation")),
            ("overdue", _("Waiting for more than 2 days")),
            ("returned", _("Returned, waiting for the merchant")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "waiting":
            return queryset.awaiting_review()
        if self.value() == "overdue":
            return queryset.awaiting_review().filter(
                submitted_at__lt=timezone.now() - OVERDUE_AFTER
            )
        if self.value() == "returned":
            return queryset.filter(review_status=Shop.Review.RETURNED)
        return queryset


class ShopChangeInline(admin.TabularInline):
    """The shop's history, as the merchant sees it; written only by the services."""

    model = ShopChange
    extra = 0
    can_delete = False
    show_change_link = False
    fields = ["created_at", "user", "action", "changed_values", "note"]
    readonly_fields = fields
    ordering = ["-created_at", "-pk"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("user")

    @admin.display(description=_("changed values"))
    def changed_values(self, obj: ShopChange) -> str:
        values = describe_changes(obj)
        if not values:
            return "—"
        return format_html_join(
            "", "<div>{}: {} → {}</div>", ((v.label, v.old, v.new) for v in values)
        )

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for return"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5, "cols": 80}),
        help_text=_(
            "The merchant reads this in the personal account and in the email: say what to change."
        ),
    )


SECTION1_READONLY = (
    "website",
    "mcc",
    "description",
    "display_name",
    "logo_preview",
    "support_email",
    "support_phone",
    "default_currency",
    "payment_methods_display",
    "invoice_lifetime_display",
    "delivery_enabled",
    "success_url",
    "fail_url",
    "webhook_url",
)


@admin.register(Shop)
class ShopAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "public_id",
        "merchant_legal_name",
        "review_status",
        "submitted_at",
        "live_mode",
        "is_open",
        "created_at",
    ]
    list_filter = [ConfirmationQueueFilter, "review_status", "live_mode", "is_open"]
    search_fields = ["name", "public_id", "merchant__legal_name", "merchant__name"]
    list_select_related = ["merchant"]
    # The queue: the longest-waiting submission first; shops never submitted last.
    ordering = [F("submitted_at").asc(nulls_last=True), "pk"]
    actions = ["confirm_shops", "return_shops"]
    inlines = [ShopChangeInline]
    change_form_template = "admin/shops/shop/change_form.html"
    fieldsets = (
        (None, {"fields": ("name", "public_id", "created_at", "updated_at")}),
        (
            _("Company"),
            {
                "fields": (
                    "merchant_link",
                    "merchant_tax_id",
                    "merchant_state",
                    "merchant_website",
                )
            },
        ),
        (
            _("Confirmation"),
            {
                "fields": (
                    "review_status",
                    "review_reason",
                    "submitted_at",
                    "reviewed_at",
                    "reviewed_by",
                    "is_open",
                    "live_mode",
                )
            },
        ),
        (_("Section 1"), {"fields": SECTION1_READONLY}),
    )
    readonly_fields = [
        "name",
        "public_id",
        "created_at",
        "updated_at",
        "merchant_link",
        "merchant_tax_id",
        "merchant_state",
        "merchant_website",
        "review_status",
        "review_reason",
        "submitted_at",
        "reviewed_at",
        "reviewed_by",
        "is_open",
        "live_mode",
        *SECTION1_READONLY,
    ]

    # ---- permissions: staff look and decide; merchants' data changes only in the portal.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_review_permission(self, request: HttpRequest) -> bool:
        return request.user.is_staff and request.user.has_perm("shops.change_shop")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("merchant", "reviewed_by")

    # ---- read-only displays
    @admin.display(description=_("company (legal name)"), ordering="merchant__legal_name")
    def merchant_legal_name(self, obj: Shop) -> str:
        return obj.merchant.display_name

    @admin.display(description=_("company"))
    def merchant_link(self, obj: Shop) -> str:
        url = reverse("admin:merchants_merchant_change", args=[obj.merchant_id])
        return format_html('<a href="{}">{}</a>', url, obj.merchant.display_name)

    @admin.display(description=_("tax ID (TIN)"))
    def merchant_tax_id(self, obj: Shop) -> str:
        return obj.merchant.tax_id or "—"

    @admin.display(description=_("account state"))
    def merchant_state(self, obj: Shop) -> str:
        return obj.merchant.get_state_display()

    @admin.display(description=_("company website"))
    def merchant_website(self, obj: Shop) -> str:
        return obj.merchant.website or "—"

    @admin.display(description=_("logo"))
    def logo_preview(self, obj: Shop) -> str:
        if not obj.logo:
            return "—"
        url = reverse("admin:shops_shop_logo", args=[obj.pk])
        return format_html(
            '<a href="{}"><img src="{}" alt="" width="160" class="shop-admin-logo"></a>', url, url
        )

    @admin.display(description=_("payment methods"))
    def payment_methods_display(self, obj: Shop) -> str:
        return method_labels(obj.payment_methods) or "—"

    @admin.display(description=_("invoice lifetime"))
    def invoice_lifetime_display(self, obj: Shop) -> str:
        return format_lifetime(obj.invoice_lifetime)

    # ---- the review pages
    def get_urls(self) -> list:
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/confirm/", wrap(self.confirm_view), name="shops_shop_confirm"),
            path("<int:pk>/return/", wrap(self.return_view), name="shops_shop_return"),
            path("<int:pk>/logo/", wrap(self.logo_view), name="shops_shop_logo"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_review": self.has_review_permission(request),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def _change_url(self, shop: Shop) -> str:
        return reverse("admin:shops_shop_change", args=[shop.pk])

    def _confirm(self, request: HttpRequest, shops) -> int:
        confirmed = 0
        for shop in shops:
            try:
                services.shop_confirm(shop=shop, staff=request.user)
            except ServiceError as error:
                self.message_user(request, f"{shop}: {error.message}", messages.WARNING)
            else:
                confirmed += 1
        if confirmed:
            self.message_user(
                request,
                ngettext("%(count)d shop confirmed.", "%(count)d shops confirmed.", confirmed)
                % {"count": confirmed},
                messages.SUCCESS,
            )
        return confirmed

    def _return(self, request: HttpRequest, shops, reason: str) -> int:
        returned = 0
        for shop in shops:
            try:
                services.shop_return(shop=shop, staff=request.user, reason=reason)
            except ServiceError as error:
                self.message_user(request, f"{shop}: {error.message}", messages.WARNING)
            else:
                returned += 1
        if returned:
            self.message_user(
                request,
                ngettext(
                    "%(count)d shop returned for changes.",
                    "%(count)d shops returned for changes.",
                    returned,
                )
                % {"count": returned},
                messages.SUCCESS,
            )
        return returned

    def _render_review_page(
        self, request: HttpRequest, template: str, shops: list[Shop], context: dict
    ) -> TemplateResponse:
        return TemplateResponse(
            request,
            template,
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "shops": shops,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
                **context,
            },
        )

    @admin.action(description=_("Confirm"), permissions=["review"])
    def confirm_shops(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._confirm(request, queryset)

    @admin.action(description=_("Return with reason"), permissions=["review"])
    def return_shops(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        shops = list(queryset)
        form = ReturnForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            self._return(request, shops, form.cleaned_data["reason"])
            return None  # back to the changelist, with the messages
        return self._render_review_page(
            request,
            "admin/shops/shop/return.html",
            shops,
            {"title": _("Return with reason"), "form": form, "bulk": True},
        )

    def confirm_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        shop = get_object_or_404(Shop.objects.select_related("merchant"), pk=pk)
        if not self.has_review_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            self._confirm(request, [shop])
            return HttpResponseRedirect(self._change_url(shop))
        return self._render_review_page(
            request,
            "admin/shops/shop/confirm.html",
            [shop],
            {"title": _("Confirm shop"), "shop": shop},
        )

    def return_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        shop = get_object_or_404(Shop.objects.select_related("merchant"), pk=pk)
        if not self.has_review_permission(request):
            raise PermissionDenied
        form = ReturnForm(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            self._return(request, [shop], form.cleaned_data["reason"])
            return HttpResponseRedirect(self._change_url(shop))
        return self._render_review_page(
            request,
            "admin/shops/shop/return.html",
            [shop],
            {"title": _("Return with reason"), "form": form, "bulk": False, "shop": shop},
        )

    def logo_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return logo_response(get_object_or_404(Shop, pk=pk))
