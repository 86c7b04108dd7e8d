"""«Подписка на отчеты»: who gets which reports by email, how often, and each sending.

A subscription is one recipient's email with the report variants, formats and shops they
want and a frequency. A periodic one (daily, weekly, monthly) is due at its local send time
on the first day after each period; an «on each payment» one notifies every minute that had
succeeded payments or refunds. Every sending is a ReportRun, unique on (subscription,
period), so no period is ever sent twice.
"""

from __future__ import annotations

import secrets
from datetime import time, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from merchants.models import Membership, Merchant
from shops.models import Shop


def _subscription_id() -> str:
    return "sub_" + secrets.token_hex(12)


def _token() -> str:
    return secrets.token_urlsafe(32)


class Frequency(models.TextChoices):
    EACH_PAYMENT = "each_payment", _("On each payment")
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")


PERIODIC = (Frequency.DAILY, Frequency.WEEKLY, Frequency.MONTHLY)


class SubscriptionQuerySet(models.QuerySet):
    def for_merchant(self, merchant: Merchant) -> SubscriptionQuerySet:
        return self.filter(merchant=merchant)

    def sending(self) -> SubscriptionQuerySet:
        """Confirmed and not paused: the ones the sweeper looks at."""
        return self.filter(status=ReportSubscription.Status.ACTIVE)


class ReportSubscription(models.Model):
    class Status(models.TextChoices):
        # Created; the recipient has not yet followed the confirmation link.
        PENDING = "pending", _("Awaiting confirmation")
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        # The recipient unsubscribed; only a new confirmation starts it again.
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")

    public_id = models.CharField(max_length=32, unique=True, default=_subscription_id)
    merchant = models.ForeignKey(
        Merchant, on_delete=models.CASCADE, related_name="report_subscriptions"
    )
    # Whose access the reports go by: the team member who is the recipient, else the member
    # who added it. Re-checked at every sending; a removed member's subscription stops.
    membership = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    email = models.EmailField(_("email"))
    # The language of the emails and the files: the adding member's at the time.
    language = models.CharField(_("language"), max_length=8, default=settings.LANGUAGE_CODE)
    # Report variant codes (reports.registry) and formats ("pdf", "xlsx", "csv").
    variants = models.JSONField(_("reports"), default=list)
    formats = models.JSONField(_("formats"), default=list)
    # None chosen: all the merchant's shops, including shops added later.
    shops = models.ManyToManyField(Shop, blank=True, related_name="+", verbose_name=_("shops"))
    test = models.BooleanField(_("test payments"), default=False)
    frequency = models.CharField(_("frequency"), max_length=16, choices=Frequency.choices)
    # The local time of the merchant's zone a periodic report is sent at.
    send_time = models.TimeField(_("send time"), default=time(9, 0))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    paused_reason = models.CharField(_("why paused"), max_length=255, blank=True)
    confirm_token = models.CharField(max_length=64, unique=True, default=_token, editable=False)
    unsubscribe_token = models.CharField(max_length=64, unique=True, default=_token, editable=False)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    # Periodic: the next period's first local day after it (its `after`) and when that
    # period is due, in UTC. Set when the subscription starts sending; moved on by the
    # sweeper as it queues each period.
    next_period_after = models.DateField(null=True, blank=True)
    next_run_at = models.DateTimeField(_("next send"), null=True, blank=True)
    # On each payment: events up to this instant have been notified (or were before it).
    covered_until = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveSmallIntegerField(default=0)
    last_sent_at = models.DateTimeField(_("last sent"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        verbose_name = _("report subscription")
        verbose_name_plural = _("report subscriptions")
        ordering = ["email", "pk"]
        constraints = [
            # One email gets a frequency once per merchant: a second one is a duplicate.
            models.UniqueConstraint(
                fields=["merchant", "email", "frequency"], name="subscription_unique_email"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_run_at"], name="subscription_due"),
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.get_frequency_display()})"

    @property
    def is_periodic(self) -> bool:
        return self.frequency in PERIODIC


class ReportRun(models.Model):
    """One sending of one subscription's period: queued → rendering → sent | failed.

    Unique on (subscription, period_start): a second sweep, a duplicate task message, a
    restarted worker or two workers find the row and never send the period again.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RENDERING = "rendering", _("Rendering")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    subscription = models.ForeignKey(
        ReportSubscription, on_delete=models.CASCADE, related_name="runs"
    )
    # The period in UTC, half-open [start, end): local whole days for periodic runs, a
    # stretch of minutes for «on each payment».
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    # A failed attempt is retried at this time (backoff); empty once sent or given up.
    retry_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # The merchant's zone when the run was queued: the local days of its period.
    time_zone = models.CharField(max_length=64, blank=True)
    # Set just before the message goes to the mail server: a run found in rendering with
    # this set died while sending and may have been delivered, so it is never sent again.
    sending_at = models.DateTimeField(null=True, blank=True)
    # When a task message for the run was last queued; a run whose message was lost is
    # queued again by the sweeper after a while.
    enqueued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("report sending")
        verbose_name_plural = _("report sendings")
        ordering = ["-period_start", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "period_start"], name="report_run_unique_period"
            ),
        ]
        indexes = [models.Index(fields=["status", "retry_at"], name="report_run_retry")]

    def __str__(self) -> str:
        return f"{self.subscription_id} {self.period_start:%Y-%m-%d %H:%M} {self.status}"


# A report too large to attach is downloadable through its email's link this long.
DOWNLOAD_LIFETIME = timedelta(days=7)


def private_storage():
    from django.core.files.storage import storages

    return storages["private"]


class RenderedReport(models.Model):
    """One report file, rendered once and attached to every sending that asks for it.

    Keyed by a hash of what makes the file: merchant, shops, variant, period, format, test
    and language. Ten thousand subscriptions to the same report make one file.
    """

    key = models.CharField(max_length=64, unique=True)
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    variant = models.CharField(max_length=32)
    format = models.CharField(max_length=8)
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    test = models.BooleanField(default=False)
    language = models.CharField(max_length=8)
    file = models.FileField(storage=private_storage, max_length=255, blank=True)
    filename = models.CharField(max_length=120, blank=True)
    mimetype = models.CharField(max_length=100, blank=True)
    size = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    # Set once the purge has deleted the file after DOWNLOAD_LIFETIME.
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("rendered report")
        verbose_name_plural = _("rendered reports")
        indexes = [models.Index(fields=["created_at"], name="rendered_report_created")]

    def __str__(self) -> str:
        return self.filename or self.key


def _download_expires_at():
    return timezone.now() + DOWNLOAD_LIFETIME


class ReportDownload(models.Model):
    """The public, expiring link to one file of a sending that was too large to attach."""

    token = models.CharField(max_length=64, unique=True, default=_token, editable=False)
    run = models.ForeignKey(ReportRun, on_delete=models.CASCADE, related_name="downloads")
    report = models.ForeignKey(RenderedReport, on_delete=models.CASCADE, related_name="+")
    expires_at = models.DateTimeField(default=_download_expires_at)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("report download")
        verbose_name_plural = _("report downloads")
        constraints = [
            models.UniqueConstraint(fields=["run", "report"], name="report_download_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id} {self.report_id}"

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at or not self.report.file
