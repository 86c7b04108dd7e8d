"""Reads of report subscriptions: a member's list, one subscription, a link's token, and the
words that describe a subscription on its pages and in its emails."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.formats import time_format
from django.utils.translation import gettext as _

from merchants.models import Membership, Merchant
from reports import services as _reports  # noqa: F401  (it registers the report variants)
from reports.registry import get_variant

from .models import Frequency, ReportSubscription


def subscriptions_for_member(membership: Membership) -> QuerySet[ReportSubscription]:
    """The member's merchant's subscriptions, with their shops, for the list page."""
    return (
        ReportSubscription.objects.for_merchant(membership.merchant)
        .prefetch_related("shops")
        .order_by("email", "frequency", "pk")
    )


def get_subscription_for_member(membership: Membership, public_id: str) -> ReportSubscription:
    """The member's merchant's subscription, or 404: another merchant's is not found."""
    return get_object_or_404(
        ReportSubscription.objects.select_related("merchant"),
        public_id=public_id,
        merchant=membership.merchant_id,
    )


def subscription_for_confirm_token(token: str) -> ReportSubscription | None:
    return ReportSubscription.objects.select_related("merchant").filter(confirm_token=token).first()


def subscription_for_unsubscribe_token(token: str) -> ReportSubscription | None:
    return (
        ReportSubscription.objects.select_related("merchant")
        .filter(unsubscribe_token=token)
        .first()
    )


def duplicate_exists(
    *, merchant: Merchant, email: str, frequency: str, exclude_pk: int | None = None
) -> bool:
    """Whether the merchant already sends this frequency to this address."""
    found = ReportSubscription.objects.filter(
        merchant=merchant, email__iexact=email, frequency=frequency
    )
    if exclude_pk is not None:
        found = found.exclude(pk=exclude_pk)
    return found.exists()


def recipient_membership(merchant: Merchant, email: str) -> Membership | None:
    """The merchant's team member whose sign-in email is `email`, if there is one."""
    return (
        Membership.objects.select_related("user")
        .filter(merchant=merchant, user__email__iexact=email)
        .first()
    )


# ---------------------------------------------------------------------------
# Words for a subscription, in the active language
# ---------------------------------------------------------------------------
def schedule_text(frequency: str, send_time) -> str:
    """When the emails come: «Daily at 09:00, for the day before», and so on."""
    at = time_format(send_time, "H:i")
    if frequency == Frequency.DAILY:
        return _("Daily at %(time)s, for the day before") % {"time": at}
    if frequency == Frequency.WEEKLY:
        return _("Every Monday at %(time)s, for the last Monday to Sunday") % {"time": at}
    if frequency == Frequency.MONTHLY:
        return _("On the 1st of every month at %(time)s, for the last month") % {"time": at}
    return _("Within a minute of each payment")


def duplicate_message(email: str, frequency: str) -> str:
    return _(
        "%(email)s already gets reports with the frequency “%(frequency)s”. "
        "Edit that subscription instead."
    ) % {"email": email, "frequency": Frequency(frequency).label}


def variant_titles(codes: list[str]) -> list[str]:
    """The reports' titles; a code the registry no longer knows is shown as it is."""
    titles = []
    for code in codes:
        variant = get_variant(code)
        titles.append(str(variant.title) if variant else code)
    return titles


def format_names(formats: list[str]) -> list[str]:
    return [fmt.upper() for fmt in formats]


@dataclass(frozen=True)
class SubscriptionRow:
    """A subscription with the words its card shows."""

    subscription: ReportSubscription
    schedule: str
    reports: list[str]
    formats: list[str]
    shops: list[str]  # empty: all shops

    @property
    def is_pending(self) -> bool:
        return self.subscription.status == ReportSubscription.Status.PENDING


def describe(subscription: ReportSubscription) -> SubscriptionRow:
    return SubscriptionRow(
        subscription=subscription,
        schedule=schedule_text(subscription.frequency, subscription.send_time),
        reports=variant_titles(subscription.variants),
        formats=format_names(subscription.formats),
        # .all() reads the prefetched shops when the list prefetched them.
        shops=sorted(shop.name for shop in subscription.shops.all()),
    )


def subscription_rows(membership: Membership) -> list[SubscriptionRow]:
    return [describe(subscription) for subscription in subscriptions_for_member(membership)]
