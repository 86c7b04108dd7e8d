"""Payments registries too long to make during a request: an exports.ExportJob each.

The exports app keeps the jobs (queue, progress page, emailed link, a week's expiry); this
module turns a report request into a job's parameters and back, and writes the file.
"""

from __future__ import annotations

from datetime import date
from typing import IO

from django.http import QueryDict
from django.utils import timezone

from exports.models import ExportJob
from exports.services import Progress, export_job_enqueue
from merchants.models import User
from shops.models import Shop

from .payments_registry import CODE
from .periods import Period, PeriodKind
from .registry import ReportRequest, get_variant


def registry_params(request: ReportRequest) -> str:
    params = QueryDict(mutable=True)
    params.setlist("shop", [str(pk) for pk in request.shop_ids])
    params["kind"] = request.period.kind.value
    params["first"] = request.period.first.isoformat()
    params["after"] = request.period.after.isoformat()
    params["zone"] = request.period.zone
    params["mode"] = "test" if request.test else "live"
    return params.urlencode()


def registry_request(job: ExportJob) -> ReportRequest:
    """The request a job was made for; shops no longer the merchant's are left out."""
    params = QueryDict(job.params)
    ids = [int(pk) for pk in params.getlist("shop") if pk.isdigit()]
    shops = tuple(Shop.objects.filter(merchant=job.merchant, pk__in=ids).order_by("name", "pk"))
    period = Period(
        PeriodKind(params["kind"]),
        date.fromisoformat(params["first"]),
        date.fromisoformat(params["after"]),
        params["zone"],
    )
    return ReportRequest(
        merchant=job.merchant, shops=shops, period=period, test=params.get("mode") == "test"
    )


def registry_job_create(*, request: ReportRequest, user: User, fmt: str) -> ExportJob:
    """Queue the registry of the request as a background job of the format."""
    mode = "-test" if request.test else ""
    return export_job_enqueue(
        merchant=request.merchant,
        user=user,
        kind=ExportJob.Kind.REGISTRY,
        fmt=fmt,
        params=registry_params(request),
        file_name=f"inecopay-{CODE}-{request.period.slug}{mode}.{fmt}",
    )


def registry_job_write(job: ExportJob, stream: IO[bytes], progress: Progress) -> int:
    """Write the job's registry file, reporting rows as they are read; returns the rows."""
    from . import registry_files
    from .services import ReportTooLarge, pdf_max_rows, report_build, too_large_message

    report = report_build(
        variant=get_variant(CODE), request=registry_request(job), now=timezone.now()
    )
    total = sum(len(section.rows) for section in report.sections)
    progress(0, total)

    def on_row(n: int) -> None:
        progress(n, None)

    if job.format == ExportJob.Format.PDF:
        if total > pdf_max_rows():
            # The payments grew past the limit between the request and the job.
            raise ReportTooLarge(too_large_message(total))
        registry_files.registry_pdf_write(stream, report, on_row=on_row)
    elif job.format == ExportJob.Format.XLSX:
        registry_files.registry_xlsx_write(stream, report, on_row=on_row)
    else:
        registry_files.registry_csv_write(stream, report, on_row=on_row)
    return total
