"""Report files for sendings: each distinct report rendered once, kept in private storage.

Every recipient of the same report (merchant, shops, variant, period, format, test,
language) gets the same RenderedReport. The first worker to need it inserts its row and
renders while holding the row's lock; a concurrent worker blocks on that row (or on the
unique key) and, once the first commits, finds the file made.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from reports.registry import ReportRequest
from reports.services import render_file
from reports.tables import Report

from .models import DOWNLOAD_LIFETIME, RenderedReport, private_storage


def report_key(*, request: ReportRequest, variant: str, fmt: str, language: str) -> str:
    """A hash of everything that makes the file what it is."""
    period = request.period
    parts = {
        "merchant": request.merchant.pk,
        "shops": sorted(request.shop_ids),
        "variant": variant,
        "period": [period.kind.value, period.first.isoformat(), period.after.isoformat()],
        "zone": period.zone,
        "format": fmt,
        "test": request.test,
        "language": language,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _ready(report: RenderedReport) -> bool:
    return bool(report.file) and report.purged_at is None


def rendered_report_get(
    *,
    request: ReportRequest,
    variant: str,
    fmt: str,
    language: str,
    build: Callable[[], Report],
    known: dict[str, RenderedReport] | None = None,
) -> RenderedReport:
    """The stored file of this report, rendered now (by `build` and the format's renderer)
    only if no worker has rendered it before. `known` holds the reports this worker has
    found or made lately (a delivery chunk's), by key, and saves looking them up again."""
    key = report_key(request=request, variant=variant, fmt=fmt, language=language)
    if known is not None and key in known:
        return known[key]
    report = _rendered_report_get(key, request, variant, fmt, language, build)
    if known is not None:
        known[key] = report
    return report


def _rendered_report_get(
    key: str,
    request: ReportRequest,
    variant: str,
    fmt: str,
    language: str,
    build: Callable[[], Report],
) -> RenderedReport:
    found = RenderedReport.objects.filter(key=key).first()
    if found is not None and _ready(found):
        return found
    with transaction.atomic():
        report, _created = RenderedReport.objects.select_for_update().get_or_create(
            key=key,
            defaults={
                "merchant": request.merchant,
                "variant": variant,
                "format": fmt,
                "period_start": request.period.start,
                "period_end": request.period.end,
                "test": request.test,
                "language": language,
            },
        )
        if _ready(report):
            return report  # another worker rendered it while this one waited for the lock
        rendered = render_file(build(), fmt)
        name = private_storage().save(
            f"subscriptions/reports/{key[:2]}/{key}/{rendered.filename}",
            ContentFile(rendered.content),
        )
        report.file = name
        report.filename = rendered.filename
        report.mimetype = rendered.mimetype
        report.size = len(rendered.content)
        report.created_at = timezone.now()
        report.purged_at = None
        report.save()
    return report


def rendered_reports_purge(*, now: datetime | None = None) -> int:
    """Delete the files of reports older than the download lifetime; their rows stay,
    so a late need renders them anew and an old link says it expired."""
    now = now or timezone.now()
    # A day more than the links' lifetime: a link made a little after its render lives on.
    old = RenderedReport.objects.filter(
        created_at__lt=now - DOWNLOAD_LIFETIME - timedelta(days=1), purged_at__isnull=True
    )
    storage = private_storage()
    purged = 0
    for report in old.iterator():
        if report.file:
            storage.delete(report.file.name)
        RenderedReport.objects.filter(pk=report.pk).update(file="", purged_at=now)
        purged += 1
    return purged
