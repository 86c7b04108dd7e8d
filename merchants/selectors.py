"""Reads of merchant accounts, always from the point of view of the user who asks."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .models import Membership, Merchant, Tariff, TariffAcceptance, User


def membership_for_user(user: User) -> Membership | None:
    """The user's current merchant membership: the oldest one, until switching exists."""
    if not user.is_authenticated:
        return None
    return (
        Membership.objects.select_related("merchant")
        .filter(user=user)
        .order_by("created_at", "pk")
        .first()
    )


_UNSET = object()


def current_membership(request) -> Membership | None:
    """The requesting user's membership, looked up once per request (and again if they sign in)."""
    user = getattr(request, "user", None)
    if user is None:
        return None
    # The middleware asks before the view runs; a view that signs someone in or out
    # changes the user, and the cached answer must not outlive that.
    key = user.pk if user.is_authenticated else None
    cached_key, cached = getattr(request, "_inecopay_membership", (_UNSET, None))
    if cached_key != key:
        cached = membership_for_user(user)
        request._inecopay_membership = (key, cached)
    return cached


# ---------------------------------------------------------------------------
# Activation
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Step:
    key: str
    title: str | Promise
    done: bool
    url_name: str


def company_complete(merchant: Merchant) -> bool:
    from .services import COMPANY_FIELDS

    return all(getattr(merchant, name) for name in COMPANY_FIELDS)


def current_tariff() -> Tariff | None:
    return Tariff.objects.current()


def accepted_current_tariff(merchant: Merchant, tariff: Tariff | None = None) -> bool:
    tariff = tariff if tariff is not None else current_tariff()
    if tariff is None:
        return False
    return TariffAcceptance.objects.filter(merchant=merchant, tariff=tariff).exists()


def activation_steps(merchant: Merchant) -> list[Step]:
    """The wizard's steps in order, each done or not."""
    return [
        Step("company", _("Company"), company_complete(merchant), "merchants:activation_company"),
        Step("website", _("Website"), bool(merchant.website), "merchants:activation_website"),
        Step(
            "contacts",
            _("Contacts confirmation"),
            bool(merchant.phone_confirmed_at and merchant.website_confirmed_at),
            "merchants:activation_contacts",
        ),
        # The tariff in force must be accepted: consent to an older version does not
        # cover a newer one published since.
        Step(
            "tariffs",
            _("Tariffs"),
            accepted_current_tariff(merchant),
            "merchants:activation_tariffs",
        ),
    ]


def activation_complete(merchant: Merchant) -> bool:
    return all(step.done for step in activation_steps(merchant))


def next_activation_step(merchant: Merchant) -> Step | None:
    return next((step for step in activation_steps(merchant) if not step.done), None)


# ---------------------------------------------------------------------------
# Go-live checklist: what is still needed before live payments. Apps above this
# one add their items (documents approved, a shop confirmed) with register_golive_item.
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ChecklistItem:
    key: str
    title: str | Promise
    done: bool
    url_name: str


_golive_items: list = []


def register_golive_item(item_for_merchant) -> None:
    """Add a callable(merchant) -> ChecklistItem | None to the go-live checklist."""
    if item_for_merchant not in _golive_items:
        _golive_items.append(item_for_merchant)


def golive_checklist(merchant: Merchant) -> list[ChecklistItem]:
    items = [
        ChecklistItem(
            "activated",
            _("Account activated"),
            merchant.state == Merchant.State.ACTIVATED,
            "merchants:activation",
        ),
        ChecklistItem(
            "tariff",
            _("Current tariff accepted"),
            accepted_current_tariff(merchant),
            "merchants:activation_tariffs",
        ),
    ]
    for item_for_merchant in _golive_items:
        item = item_for_merchant(merchant)
        if item is not None:
            items.append(item)
    return items
