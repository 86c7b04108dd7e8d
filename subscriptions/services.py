"""Writes of report subscriptions: every change of state is one atomic function here.

Members add, edit, pause, resume and delete; the recipient confirms and unsubscribes
through the links in the emails. A subscription sends nothing until it is confirmed, and
nothing for the time before it was confirmed or resumed: starting to send always begins
at «now» (subscription_start_sending).
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from inecopay.lib.mail import send_templated_mail
from merchants.models import Membership

from . import schedule
from .models import PERIODIC, ReportSubscription
from .selectors import describe, duplicate_message, recipient_membership

logger = logging.getLogger(__name__)

Status = ReportSubscription.Status

# A member may send the confirmation email again, but not flood the recipient with it.
RESEND_INTERVAL = timedelta(minutes=1)
DEFAULT_SEND_TIME = ReportSubscription._meta.get_field("send_time").default
SCHEDULE_FIELDS = ["next_period_after", "next_run_at", "covered_until"]


class ServiceError(Exception):
    """A rule said no; the message is for the person who asked, in their language."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def _new_token() -> str:
    return secrets.token_urlsafe(32)


# ---------------------------------------------------------------------------
# Schedule
# ---------------------------------------------------------------------------
def subscription_start_sending(
    subscription: ReportSubscription, now: datetime, *, save: bool = True
) -> ReportSubscription:
    """Send from `now` on: the first period due after `now`, or the payments after `now`."""
    if subscription.frequency in PERIODIC:
        after, run_at = schedule.next_due(
            subscription.frequency,
            subscription.send_time,
            subscription.merchant.time_zone,
            now,
        )
        subscription.next_period_after, subscription.next_run_at = after, run_at
        subscription.covered_until = None
    else:
        subscription.next_period_after = subscription.next_run_at = None
        subscription.covered_until = now
    if save:
        subscription.save(update_fields=[*SCHEDULE_FIELDS, "updated_at"])
    return subscription


def _stop_sending(subscription: ReportSubscription) -> None:
    subscription.next_period_after = subscription.next_run_at = None
    subscription.covered_until = None


def _locked(subscription: ReportSubscription) -> ReportSubscription:
    return (
        ReportSubscription.objects.select_for_update()
        .select_related("merchant")
        .get(pk=subscription.pk)
    )


# ---------------------------------------------------------------------------
# Confirmation email
# ---------------------------------------------------------------------------
def confirm_url(subscription: ReportSubscription) -> str:
    return settings.SITE_URL + reverse("subscriptions:confirm", args=[subscription.confirm_token])


def _send_confirmation(subscription: ReportSubscription, *, added_by: str) -> None:
    """Queue the confirmation email (sent on commit) in the subscription's language."""
    with translation.override(subscription.language):
        # The words are made here, in the recipient's language, not the member's.
        row = describe(subscription)
        context = {
            "subscription": subscription,
            "merchant": subscription.merchant,
            "added_by": added_by,
            "schedule": row.schedule,
            "reports": row.reports,
            "formats": row.formats,
            "shops": row.shops,
            "confirm_url": confirm_url(subscription),
        }
    send_templated_mail(
        template="subscription_confirm",
        to=[subscription.email],
        context=context,
        language=subscription.language,
    )
    subscription.confirmation_sent_at = timezone.now()
    subscription.save(update_fields=["confirmation_sent_at", "updated_at"])


# ---------------------------------------------------------------------------
# Members' actions
# ---------------------------------------------------------------------------
def _apply(subscription: ReportSubscription, data: dict) -> None:
    """Copy the form's choices; «on each payment» keeps no reports or formats (it sends none)."""
    subscription.frequency = data["frequency"]
    subscription.test = bool(data.get("test"))
    subscription.send_time = data.get("send_time") or DEFAULT_SEND_TIME
    if subscription.frequency in PERIODIC:
        subscription.variants = list(dict.fromkeys(data.get("variants") or []))
        subscription.formats = list(dict.fromkeys(data.get("formats") or []))
    else:
        subscription.variants, subscription.formats = [], []


def _check_shops(membership: Membership, shops) -> list:
    shops = list(shops or [])
    if any(shop.merchant_id != membership.merchant_id for shop in shops):
        raise ServiceError(_("Choose shops from the list."), field="shops")
    return shops


def _save_unique(subscription: ReportSubscription) -> None:
    """Save; the unique constraint answers a duplicate the form did not see (a race)."""
    try:
        with transaction.atomic():
            subscription.save()
    except IntegrityError as error:
        raise ServiceError(
            duplicate_message(subscription.email, subscription.frequency), field="email"
        ) from error


@transaction.atomic
def subscription_create(*, membership: Membership, data: dict) -> ReportSubscription:
    """Add a subscription awaiting confirmation and email the recipient the link."""
    merchant = membership.merchant
    shops = _check_shops(membership, data.get("shops"))
    email = data["email"].strip().lower()
    recipient = recipient_membership(merchant, email)
    subscription = ReportSubscription(
        merchant=merchant,
        # The reports go by the recipient's own access when they are in the team.
        membership=recipient or membership,
        created_by=membership.user,
        email=email,
        language=translation.get_language() or settings.LANGUAGE_CODE,
        status=Status.PENDING,
    )
    _apply(subscription, data)
    _save_unique(subscription)
    subscription.shops.set(shops)
    _send_confirmation(subscription, added_by=membership.user.email)
    logger.info("subscription %s added by %s", subscription.public_id, membership.user.email)
    return subscription


@transaction.atomic
def subscription_update(
    *, subscription: ReportSubscription, membership: Membership, data: dict
) -> ReportSubscription:
    """Save the member's changes; a new address must be confirmed again."""
    shops = _check_shops(membership, data.get("shops"))
    subscription = _locked(subscription)
    before = (subscription.frequency, subscription.send_time)
    email = data["email"].strip().lower()
    email_changed = email != subscription.email
    subscription.email = email
    _apply(subscription, data)
    now = timezone.now()
    if email_changed:
        # Another person: their own consent, and links the old address can no longer use.
        recipient = recipient_membership(subscription.merchant, email)
        subscription.membership = recipient or membership
        subscription.language = translation.get_language() or settings.LANGUAGE_CODE
        subscription.status = Status.PENDING
        subscription.confirm_token = _new_token()
        subscription.unsubscribe_token = _new_token()
        subscription.confirmed_at = None
        subscription.paused_reason = ""
        subscription.consecutive_failures = 0
        _stop_sending(subscription)
    elif subscription.status == Status.ACTIVE and before != (
        subscription.frequency,
        subscription.send_time,
    ):
        subscription_start_sending(subscription, now, save=False)
    _save_unique(subscription)
    subscription.shops.set(shops)
    if email_changed:
        _send_confirmation(subscription, added_by=membership.user.email)
    logger.info("subscription %s changed by %s", subscription.public_id, membership.user.email)
    return subscription


@transaction.atomic
def subscription_pause(*, subscription: ReportSubscription, by: Membership) -> ReportSubscription:
    """Stop sending until resumed; the periods in between are never sent."""
    subscription = _locked(subscription)
    if subscription.status != Status.ACTIVE:
        raise ServiceError(_("Only an active subscription can be paused."))
    subscription.status = Status.PAUSED
    # Empty: paused by the team. The sending side writes its reason when it pauses.
    subscription.paused_reason = ""
    _stop_sending(subscription)
    subscription.save()
    logger.info("subscription %s paused by %s", subscription.public_id, by.user.email)
    return subscription


@transaction.atomic
def subscription_resume(*, subscription: ReportSubscription, by: Membership) -> ReportSubscription:
    """Send again from now on, with a clean slate of failures."""
    subscription = _locked(subscription)
    if subscription.status != Status.PAUSED:
        raise ServiceError(_("Only a paused subscription can be resumed."))
    subscription.status = Status.ACTIVE
    subscription.paused_reason = ""
    subscription.consecutive_failures = 0
    subscription_start_sending(subscription, timezone.now(), save=False)
    subscription.save()
    logger.info("subscription %s resumed by %s", subscription.public_id, by.user.email)
    return subscription


@transaction.atomic
def subscription_delete(*, subscription: ReportSubscription, by: Membership) -> None:
    """Delete the subscription and its sendings' records."""
    public_id, email = subscription.public_id, subscription.email
    subscription.delete()
    logger.info("subscription %s (%s) deleted by %s", public_id, email, by.user.email)


@transaction.atomic
def subscription_resend_confirmation(
    *, subscription: ReportSubscription, by: Membership
) -> ReportSubscription:
    """Email the confirmation link again (the same link) to a subscription awaiting it."""
    subscription = _locked(subscription)
    if subscription.status != Status.PENDING:
        raise ServiceError(_("This subscription is not awaiting confirmation."))
    sent = subscription.confirmation_sent_at
    if sent is not None and timezone.now() - sent < RESEND_INTERVAL:
        raise ServiceError(
            _("The confirmation email was sent less than a minute ago. Please wait a little.")
        )
    added_by = subscription.created_by.email if subscription.created_by else by.user.email
    _send_confirmation(subscription, added_by=added_by)
    return subscription


# ---------------------------------------------------------------------------
# The recipient's links
# ---------------------------------------------------------------------------
@transaction.atomic
def subscription_confirm(token: str) -> tuple[ReportSubscription, bool]:
    """The recipient agrees: start sending. Returns the subscription and whether it changed.

    Raises ReportSubscription.DoesNotExist for an unknown token. An unsubscribed recipient
    who confirms again is subscribed again: the link is theirs, and this is their consent.
    """
    subscription = (
        ReportSubscription.objects.select_for_update()
        .select_related("merchant")
        .get(confirm_token=token)
    )
    if subscription.status not in (Status.PENDING, Status.UNSUBSCRIBED):
        return subscription, False
    now = timezone.now()
    subscription.status = Status.ACTIVE
    subscription.confirmed_at = now
    subscription.paused_reason = ""
    subscription.consecutive_failures = 0
    subscription_start_sending(subscription, now, save=False)
    subscription.save()
    logger.info("subscription %s confirmed by its recipient", subscription.public_id)
    return subscription, True


@transaction.atomic
def subscription_unsubscribe(token: str) -> tuple[ReportSubscription, bool]:
    """The recipient wants no more emails. Idempotent; returns whether it changed.

    Raises ReportSubscription.DoesNotExist for an unknown token.
    """
    subscription = (
        ReportSubscription.objects.select_for_update()
        .select_related("merchant")
        .get(unsubscribe_token=token)
    )
    if subscription.status == Status.UNSUBSCRIBED:
        return subscription, False
    subscription.status = Status.UNSUBSCRIBED
    subscription.paused_reason = ""
    _stop_sending(subscription)
    subscription.save()
    logger.info("subscription %s unsubscribed by its recipient", subscription.public_id)
    return subscription, True
