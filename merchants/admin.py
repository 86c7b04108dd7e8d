"""Staff admin for merchant accounts, tariffs and the team.

Records of consent (contact confirmations, tariff acceptances) are shown, never
added, changed or deleted here; changes with rules go through merchants.services.
"""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Count, Exists, OuterRef, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .models import (
    ContactConfirmation,
    Invitation,
    Membership,
    Merchant,
    Tariff,
    TariffAcceptance,
    TariffRate,
    User,
)
from .selectors import current_tariff


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active", "date_joined"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "language", "time_zone")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "usable_password", "password1", "password2"),
            },
        ),
    )


class ReadOnlyInline(admin.TabularInline):
    """Shown for the record; nothing added, changed or deleted from the admin."""

    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ContactConfirmationInline(ReadOnlyInline):
    model = ContactConfirmation
    fields = ["kind", "value", "method", "confirmed_by", "ip", "created_at"]
    readonly_fields = fields
    ordering = ["-created_at"]


class TariffAcceptanceInline(ReadOnlyInline):
    model = TariffAcceptance
    fields = ["tariff", "accepted_by", "accepted_at", "ip", "user_agent"]
    readonly_fields = fields
    ordering = ["-accepted_at"]


class MembershipInline(ReadOnlyInline):
    # Team changes keep their rules (the last owner stays) only through the portal's services.
    model = Membership
    fields = ["user", "role", "created_at"]
    readonly_fields = fields
    ordering = ["created_at"]


class InvitationInline(ReadOnlyInline):
    model = Invitation
    fields = [
        "email",
        "role",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "revoked_at",
    ]
    readonly_fields = fields
    ordering = ["-created_at"]


def _live_enabled_q() -> Exists | None:
    tariff = current_tariff()
    if tariff is None:
        return None
    return Exists(TariffAcceptance.objects.filter(merchant=OuterRef("pk"), tariff=tariff))


class LiveEnabledFilter(admin.SimpleListFilter):
    """Activated and agreed to the tariff in force; later work adds documents and shops."""

    title = _("live payments enabled")
    parameter_name = "live"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() not in ("yes", "no"):
            return queryset
        accepted = _live_enabled_q()
        if accepted is None:
            live = queryset.none()
        else:
            live = queryset.filter(accepted, state=Merchant.State.ACTIVATED)
        if self.value() == "yes":
            return live
        return queryset.exclude(pk__in=live.values("pk"))


@admin.register(Merchant)
class MerchantAdmin(admin.ModelAdmin):
    list_display = ["__str__", "tax_id", "state", "website_confirmed", "created_at", "activated_at"]
    list_filter = ["state", LiveEnabledFilter, "created_at"]
    search_fields = ["name", "legal_name", "tax_id", "memberships__user__email"]
    date_hierarchy = "created_at"
    actions = ["confirm_website"]
    inlines = [
        MembershipInline,
        InvitationInline,
        ContactConfirmationInline,
        TariffAcceptanceInline,
    ]
    # Contacts and status change through the wizard and its services, which keep the
    # confirmation records; staff correct company data and settings here.
    readonly_fields = [
        "website",
        "website_token",
        "website_confirmed_at",
        "phone",
        "phone_confirmed_at",
        "state",
        "activated_at",
        "created_at",
    ]
    fieldsets = (
        (None, {"fields": ("name", "state", "activated_at", "created_at")}),
        (_("Company"), {"fields": services.COMPANY_FIELDS}),
        (
            _("Contacts"),
            {
                "fields": (
                    "website",
                    "website_token",
                    "website_confirmed_at",
                    "phone",
                    "phone_confirmed_at",
                )
            },
        ),
        (_("Settings"), {"fields": ("time_zone", "default_currency")}),
    )

    @admin.display(description=_("website confirmed"), boolean=True)
    def website_confirmed(self, obj: Merchant) -> bool:
        return obj.website_confirmed_at is not None

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A merchant account starts with its owner's signup.
        return False

    @admin.action(description=_("Confirm website manually"))
    def confirm_website(self, request: HttpRequest, queryset: QuerySet) -> None:
        confirmed = 0
        for merchant in queryset:
            if merchant.website_confirmed_at is not None:
                self.message_user(
                    request,
                    _("%(merchant)s: the website is already confirmed.") % {"merchant": merchant},
                    messages.INFO,
                )
                continue
            try:
                services.website_confirm_by_staff(merchant=merchant, staff=request.user)
            except services.ServiceError as error:
                self.message_user(request, f"{merchant}: {error.message}", messages.WARNING)
                continue
            confirmed += 1
            # The website may have been the last step of the activation.
            services.merchant_activate_if_complete(merchant=merchant, by=request.user)
        if confirmed:
            self.message_user(
                request,
                ngettext("%(count)d website confirmed.", "%(count)d websites confirmed.", confirmed)
                % {"count": confirmed},
                messages.SUCCESS,
            )


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(ContactConfirmation)
class ContactConfirmationAdmin(ReadOnlyAdmin):
    list_display = ["merchant", "kind", "value", "method", "confirmed_by", "created_at"]
    list_filter = ["kind", "method"]
    search_fields = ["merchant__name", "merchant__legal_name", "value"]
    list_select_related = ["merchant", "confirmed_by"]
    date_hierarchy = "created_at"


@admin.register(TariffAcceptance)
class TariffAcceptanceAdmin(ReadOnlyAdmin):
    list_display = ["merchant", "tariff", "accepted_by", "accepted_at", "ip"]
    list_filter = ["tariff"]
    search_fields = ["merchant__name", "merchant__legal_name", "accepted_by__email"]
    list_select_related = ["merchant", "tariff", "accepted_by"]
    date_hierarchy = "accepted_at"


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ["email", "merchant", "role", "invited_by", "created_at", "expires_at", "status"]
    list_filter = ["role"]
    search_fields = ["email", "merchant__name", "merchant__legal_name"]
    list_select_related = ["merchant", "invited_by"]
    # The token's hash is useless to staff and stays out of sight.
    exclude = ["token_hash"]

    @admin.display(description=_("status"))
    def status(self, obj: Invitation) -> str:
        if obj.accepted_at:
            return _("accepted")
        if obj.revoked_at:
            return _("revoked")
        if obj.expires_at <= timezone.now():
            return _("expired")
        return _("pending")


class TariffRateInline(admin.TabularInline):
    model = TariffRate
    extra = 0
    fields = ["method", "percent", "fixed_fee", "min_fee", "currency"]

    # A published tariff is what merchants agreed to: its rates are fixed for good.
    def has_add_permission(self, request: HttpRequest, obj: Tariff | None = None) -> bool:
        return obj is None or not obj.is_published

    def has_change_permission(self, request: HttpRequest, obj: Tariff | None = None) -> bool:
        return obj is None or not obj.is_published

    def has_delete_permission(self, request: HttpRequest, obj: Tariff | None = None) -> bool:
        return obj is None or not obj.is_published


@admin.register(Tariff)
class TariffAdmin(admin.ModelAdmin):
    list_display = ["__str__", "version", "published_at", "in_force", "acceptances_count"]
    inlines = [TariffRateInline]
    fields = ["name", "version", "published_at", "refund_returns_commission", "notes"]

    @admin.display(description=_("in force"), boolean=True)
    def in_force(self, obj: Tariff) -> bool:
        current = current_tariff()
        return current is not None and current.pk == obj.pk

    @admin.display(description=_("acceptances"))
    def acceptances_count(self, obj: Tariff) -> str:
        url = (
            reverse("admin:merchants_tariffacceptance_changelist") + f"?tariff__id__exact={obj.pk}"
        )
        return format_html('<a href="{}">{}</a>', url, obj.acceptance_count)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(acceptance_count=Count("acceptances"))

    def get_readonly_fields(self, request: HttpRequest, obj: Tariff | None = None) -> list[str]:
        if obj is not None and obj.is_published:
            # Only the notes for merchants may still be reworded.
            return ["name", "version", "published_at", "refund_returns_commission"]
        return []

    def has_delete_permission(self, request: HttpRequest, obj: Tariff | None = None) -> bool:
        if obj is not None and obj.is_published:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request: HttpRequest) -> dict:
        # Bulk deletion would skip the per-object check above.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


# ---------------------------------------------------------------------------
# allauth's own admins, made safe for staff: they showed the TOTP secret and the
# session key (enough to take over a session), and searched a username we do not have.
# ---------------------------------------------------------------------------
admin.site.unregister(Authenticator)
admin.site.unregister(UserSession)


@admin.register(Authenticator)
class AuthenticatorAdmin(admin.ModelAdmin):
    list_display = ["user", "type", "created_at", "last_used_at"]
    list_filter = ["type"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    fields = ["user", "type", "created_at", "last_used_at"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    # Deleting stays: it is how support resets two-factor for someone locked out.


@admin.register(UserSession)
class UserSessionAdmin(ReadOnlyAdmin):
    list_display = ["user", "created_at", "last_seen_at", "ip", "user_agent"]
    search_fields = ["user__email", "ip"]
    list_select_related = ["user"]
    fields = ["user", "created_at", "last_seen_at", "ip", "user_agent"]
    readonly_fields = fields
    actions = ["end_sessions"]

    @admin.action(description=_("Sign out the selected sessions"))
    def end_sessions(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = 0
        for session in queryset:
            session.end()
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d session ended.", "%(count)d sessions ended.", count)
            % {"count": count},
            messages.SUCCESS,
        )
