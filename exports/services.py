"""Making exports: at once for small ones, by a background job for large ones."""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from typing import IO
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from inecopay.lib.mail import send_templated_mail
from inecopay.lib.tabular import Sheet, write_xlsx
from merchants.models import Merchant, User
from transactions.filters import PaymentFilters, filtered_payments, parse_payment_filters

from .models import EXPORT_LIFETIME, ExportJob, private_storage
from .selectors import payment_columns, payment_csv_chunks, payment_rows

logger = logging.getLogger(__name__)

# A running job whose worker has not reported for this long is taken to have died.
STALE_AFTER = timedelta(minutes=2)
# A job that died this many times is given up as failed.
MAX_ATTEMPTS = 3
# Progress is written every this many rows (about twice a second for XLSX).
PROGRESS_EVERY = 5_000


def export_file_name(*, filters: PaymentFilters, fmt: str) -> str:
    """'payments-live-2026-11-28-1430.xlsx': mode and the local time of the request."""
    stamp = timezone.localtime(timezone.now(), filters.zone).strftime("%Y-%m-%d-%H%M")
    return f"payments-{filters.mode}-{stamp}.{fmt}"


def frozen_params(filters: PaymentFilters) -> str:
    """The filters as a query string whose period no longer moves with the clock: a job
    run later exports what the user saw when asking ('today' becomes its dates)."""
    if filters.period in ("", "custom") or filters.start is None or filters.end is None:
        return filters.querystring(mode=filters.mode)
    first = timezone.localtime(filters.start, filters.zone).date()
    last = timezone.localtime(filters.end, filters.zone).date() - timedelta(days=1)
    return filters.querystring(
        mode=filters.mode, period="custom", **{"from": first.isoformat(), "to": last.isoformat()}
    )


def payments_xlsx_write(stream: IO[bytes] | str, *, filters: PaymentFilters, on_row=None) -> None:
    """The filtered payments as a one-sheet workbook (amounts with their currency column)."""
    zone = filters.zone
    rows = payment_rows(filtered_payments(filters), zone, on_row=on_row)
    write_xlsx(stream, [Sheet(_("Payments"), payment_columns(zone), rows)])


def payments_csv_write(stream: IO[bytes], *, filters: PaymentFilters) -> None:
    for chunk in payment_csv_chunks(filtered_payments(filters), filters.zone):
        stream.write(chunk)


# ---------------------------------------------------------------------------
# Background jobs
# ---------------------------------------------------------------------------
def export_job_create(*, filters: PaymentFilters, user: User, fmt: str) -> ExportJob:
    """Record a payments export of the filters and queue its job on commit."""
    return export_job_enqueue(
        merchant=filters.merchant,
        user=user,
        kind=ExportJob.Kind.PAYMENTS,
        fmt=fmt,
        params=frozen_params(filters),
        file_name=export_file_name(filters=filters, fmt=fmt),
    )


def export_job_enqueue(
    *, merchant: Merchant, user: User, kind: str, fmt: str, params: str, file_name: str
) -> ExportJob:
    """Record a job of any kind (its writer registered with register_job_writer) and queue
    it on commit."""
    from .tasks import run_export_job

    if kind != ExportJob.Kind.PAYMENTS and kind not in _WRITERS:
        raise ValueError(f"no writer is registered for exports of kind {kind!r}")
    job = ExportJob.objects.create(
        merchant=merchant, user=user, kind=kind, format=fmt, params=params, file_name=file_name
    )
    # robust: with the broker down the job waits as a row; the sweep queues it again.
    transaction.on_commit(lambda: run_export_job.delay(job.pk), robust=True)
    return job


# How far a job is: rows done, and rows in all once known.
Progress = Callable[[int, int | None], None]
# Writes a job's file to the stream and returns the rows written.
JobWriter = Callable[[ExportJob, IO[bytes], Progress], int]
_WRITERS: dict[str, JobWriter] = {}


def register_job_writer(kind: str, writer: JobWriter) -> None:
    """Let a higher app (reports: the payments registry) make the files of a job kind; the
    jobs, their progress page, emailed link and expiry stay this app's."""
    _WRITERS[kind] = writer


def _claim(job_id: int) -> ExportJob | None:
    """Take the job for this worker, or None when it is finished or another is on it."""
    now = timezone.now()
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status in (ExportJob.Status.DONE, ExportJob.Status.FAILED):
            return None
        alive = job.heartbeat_at is not None and job.heartbeat_at > now - STALE_AFTER
        if job.status == ExportJob.Status.RUNNING and alive:
            return None
        if job.attempts >= MAX_ATTEMPTS:
            job.status = ExportJob.Status.FAILED
            job.error = _("The export stopped unexpectedly several times.")
            job.finished_at = now
            job.save(update_fields=["status", "error", "finished_at"])
            return None
        job.status = ExportJob.Status.RUNNING
        job.attempts += 1
        job.rows_done = 0
        job.rows_total = None
        job.error = ""
        job.started_at = job.heartbeat_at = now
        job.save(
            update_fields=[
                "status",
                "attempts",
                "rows_done",
                "rows_total",
                "error",
                "started_at",
                "heartbeat_at",
            ]
        )
    return job


def _mine(job: ExportJob):
    # Writes of a run touch the job only while the run still owns it.
    return ExportJob.objects.filter(
        pk=job.pk, attempts=job.attempts, status=ExportJob.Status.RUNNING
    )


def export_job_run(*, job_id: int) -> ExportJob | None:
    """Make the job's file, store it privately, and email the user a link. Idempotent: a
    finished job is left alone, a running one is left to its worker unless that died."""
    job = _claim(job_id)
    if job is None:
        return None
    language = (job.user.language if job.user else "") or settings.LANGUAGE_CODE
    with translation.override(language):
        try:
            name = _write_and_store(job)
        except Exception:
            logger.exception("export %s failed", job.public_id)
            _mine(job).update(
                status=ExportJob.Status.FAILED,
                error=_("The export could not be made. Please try again."),
                finished_at=timezone.now(),
            )
            return ExportJob.objects.get(pk=job.pk)
    job.refresh_from_db()
    if job.file.name != name:
        # A newer run took the job over while this one wrote; its file wins.
        private_storage().delete(name)
        return job
    if job.user is not None and job.user.is_active:
        _notify(job, language)
    return job


def _progress(job: ExportJob) -> Progress:
    """Progress written at most about once a second, and whenever the total is learnt."""
    last = [0.0]

    def report(done: int, total: int | None) -> None:
        now = time.monotonic()
        if total is None and now - last[0] < 1:
            return
        last[0] = now
        fields = {"rows_done": done, "heartbeat_at": timezone.now()}
        if total is not None:
            fields["rows_total"] = total
        _mine(job).update(**fields)

    return report


def _write_and_store(job: ExportJob) -> str:
    if job.kind != ExportJob.Kind.PAYMENTS:
        return _write_with(job, _WRITERS[job.kind])
    filters = parse_payment_filters(merchant=job.merchant, params=QueryDict(job.params))
    payments = filtered_payments(filters)
    total = payments.count()
    _mine(job).update(rows_total=total, heartbeat_at=timezone.now())

    def on_row(n: int) -> None:
        if n % PROGRESS_EVERY == 0:
            _mine(job).update(rows_done=n, heartbeat_at=timezone.now())

    storage = private_storage()
    with tempfile.TemporaryFile() as scratch:
        if job.format == ExportJob.Format.XLSX:
            payments_xlsx_write(scratch, filters=filters, on_row=on_row)
        else:
            payments_csv_write(scratch, filters=filters)
        size = scratch.tell()
        scratch.seek(0)
        name = storage.save(f"exports/{job.public_id}/{job.file_name}", File(scratch))
    now = timezone.now()
    _mine(job).update(
        status=ExportJob.Status.DONE,
        file=name,
        file_size=size,
        rows_done=total,
        finished_at=now,
        expires_at=now + EXPORT_LIFETIME,
        heartbeat_at=now,
    )
    return name


def _write_with(job: ExportJob, writer: JobWriter) -> str:
    storage = private_storage()
    with tempfile.TemporaryFile() as scratch:
        total = writer(job, scratch, _progress(job))
        size = scratch.tell()
        scratch.seek(0)
        name = storage.save(f"exports/{job.public_id}/{job.file_name}", File(scratch))
    now = timezone.now()
    _mine(job).update(
        status=ExportJob.Status.DONE,
        file=name,
        file_size=size,
        rows_done=total,
        rows_total=total,
        finished_at=now,
        expires_at=now + EXPORT_LIFETIME,
        heartbeat_at=now,
    )
    return name


def _notify(job: ExportJob, language: str) -> None:
    zone = ZoneInfo(job.merchant.time_zone)
    send_templated_mail(
        template="export_ready",
        to=[job.user.email],
        context={
            "job": job,
            "job_url": settings.SITE_URL + reverse("exports:job", args=[job.public_id]),
            # Naive wall-clock time of the merchant's zone, which the text names.
            "expires_at": timezone.localtime(job.expires_at, zone).replace(tzinfo=None),
            "zone": zone.key,
        },
        language=language,
    )


def export_jobs_purge_expired() -> int:
    """Delete the files of exports past their lifetime; the rows stay to say so."""
    now = timezone.now()
    storage = private_storage()
    purged = 0
    for job in ExportJob.objects.filter(expires_at__lte=now, purged_at__isnull=True).iterator():
        # The whole folder: a run that died after storing its file left it there too.
        folder = f"exports/{job.public_id}"
        try:
            names = storage.listdir(folder)[1]
        except FileNotFoundError:
            names = []
        for name in names:
            storage.delete(f"{folder}/{name}")
        if job.file and job.file.name not in {f"{folder}/{name}" for name in names}:
            storage.delete(job.file.name)
        ExportJob.objects.filter(pk=job.pk).update(file="", purged_at=now)
        purged += 1
    return purged


def export_jobs_requeue_stale() -> int:
    """Queue again the jobs whose worker died or whose message was lost."""
    from .tasks import run_export_job

    now = timezone.now()
    stale = ExportJob.objects.filter(
        status__in=[ExportJob.Status.QUEUED, ExportJob.Status.RUNNING],
        created_at__lt=now - STALE_AFTER,
    ).exclude(heartbeat_at__gt=now - STALE_AFTER)
    ids = list(stale.values_list("pk", flat=True)[:100])
    for pk in ids:
        run_export_job.delay(pk)
    return len(ids)
