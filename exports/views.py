"""Exports of the payments list: small ones download at once, large ones become a job
with a progress page, a JSON status for its progress bar and a download for a week."""

from __future__ import annotations

import tempfile
from zoneinfo import ZoneInfo

from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from merchants.access import require_perm
from merchants.roles import Perm
from transactions.filters import filtered_payments, parse_payment_filters

from . import services
from .models import ExportJob
from .selectors import DIRECT_LIMIT, count_capped, get_job_for_member, payment_csv_chunks

CONTENT_TYPES = {
    ExportJob.Format.CSV: "text/csv; charset=utf-8",
    ExportJob.Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ExportJob.Format.PDF: "application/pdf",
}


@require_perm(Perm.VIEW_PAYMENTS)
@require_POST
def payments_export(request: HttpRequest) -> HttpResponse:
    fmt = request.POST.get("format", "")
    # PDF is the payments registry's (reports), not the list's.
    if fmt not in (ExportJob.Format.CSV, ExportJob.Format.XLSX):
        return render(
            request,
            "exports/refused.html",
            {"message": _("Choose CSV or XLSX to export the payments.")},
            status=400,
        )
    params = QueryDict(request.POST.get("filters", "")[:2000])
    filters = parse_payment_filters(merchant=request.membership.merchant, params=params)
    payments = filtered_payments(filters)
    if count_capped(payments, DIRECT_LIMIT + 1) > DIRECT_LIMIT:
        job = services.export_job_create(filters=filters, user=request.user, fmt=fmt)
        return redirect("exports:job", public_id=job.public_id)
    name = services.export_file_name(filters=filters, fmt=fmt)
    if fmt == ExportJob.Format.CSV:
        response = StreamingHttpResponse(
            payment_csv_chunks(payments, filters.zone), content_type=CONTENT_TYPES[fmt]
        )
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    # openpyxl finishes the zip only at the end, so the file is built before it is sent;
    # a temporary file keeps it out of memory.
    scratch = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it)
    services.payments_xlsx_write(scratch, filters=filters)
    scratch.seek(0)
    return FileResponse(scratch, as_attachment=True, filename=name, content_type=CONTENT_TYPES[fmt])


def _status(job: ExportJob) -> dict:
    ready = job.status == ExportJob.Status.DONE and not job.is_expired and bool(job.file)
    return {
        "id": job.public_id,
        "status": job.status,
        "status_label": job.get_status_display(),
        "rows_done": job.rows_done,
        "rows_total": job.rows_total,
        "percent": job.percent,
        "expired": job.is_expired,
        "download_url": reverse("exports:download", args=[job.public_id]) if ready else None,
        "error": job.error,
    }


@require_perm(Perm.VIEW_PAYMENTS)
@require_safe
def job_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    job = get_job_for_member(request.membership, public_id)
    return render(
        request,
        "exports/job.html",
        {
            "job": job,
            "state": _status(job),
            "zone": ZoneInfo(job.merchant.time_zone),
        },
        status=410 if job.is_expired else 200,
    )


@require_perm(Perm.VIEW_PAYMENTS)
@require_safe
def job_status(request: HttpRequest, public_id: str) -> JsonResponse:
    job = get_job_for_member(request.membership, public_id)
    response = JsonResponse(_status(job))
    response["Cache-Control"] = "no-store"
    return response


@require_perm(Perm.VIEW_PAYMENTS)
@require_safe
def job_download(request: HttpRequest, public_id: str) -> HttpResponse:
    job = get_job_for_member(request.membership, public_id)
    if job.is_expired or not job.file:
        # The page says why: expired, failed or not ready yet.
        return job_detail(request, public_id)
    return FileResponse(
        job.file.open("rb"),
        as_attachment=True,
        filename=job.file_name,
        content_type=CONTENT_TYPES.get(job.format, "application/octet-stream"),
    )
