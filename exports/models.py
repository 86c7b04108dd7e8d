"""Exports too large to download at once: made by a background job, kept for a week."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from merchants.models import Merchant

# How long a finished export's file stays downloadable.
EXPORT_LIFETIME = timedelta(days=7)


def _export_id() -> str:
    return "exp_" + secrets.token_hex(12)


def _expires_at():
    return timezone.now() + EXPORT_LIFETIME


def private_storage():
    from django.core.files.storage import storages

    return storages["private"]


class ExportJob(models.Model):
    """One requested export: what, for whom, how far along, and where its file is."""

    class Kind(models.TextChoices):
        PAYMENTS = "payments", _("Payments")
        # Translators: «Реестр платежей», a report made in the background when long.
        REGISTRY = "registry", _("Payments registry")

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"
        PDF = "pdf", "PDF"

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    public_id = models.CharField(_("export ID"), max_length=32, unique=True, default=_export_id)
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.PAYMENTS)
    format = models.CharField(_("format"), max_length=8, choices=Format.choices)
    # The list's cleaned filters as a query string, with relative periods made absolute
    # (for a registry: its shops, period and mode, see reports.jobs).
    params = models.TextField(_("filters"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    rows_done = models.PositiveIntegerField(_("rows written"), default=0)
    rows_total = models.PositiveIntegerField(_("rows in all"), null=True, blank=True)
    # How many times a worker took the job up; a crashed run is taken up again.
    attempts = models.PositiveSmallIntegerField(default=0)
    # Refreshed while a worker writes; a running job that stops beating is restarted.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    file = models.FileField(_("file"), storage=private_storage, max_length=255, blank=True)
    file_name = models.CharField(_("file name"), max_length=120, blank=True)
    file_size = models.BigIntegerField(_("file size"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), default=_expires_at)
    # Set once the expiry sweep has deleted the file.
    purged_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "heartbeat_at"], name="export_status_heartbeat"),
            models.Index(fields=["expires_at"], name="export_expiry"),
        ]

    def __str__(self) -> str:
        return self.public_id

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_done * 100 // self.rows_total)
