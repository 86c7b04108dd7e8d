"""Reports: build a variant's table model for a member's request and render it as files.

Every renderer has one shape, `render_<format>(report) -> bytes`, and `render_file` wraps
it as a RenderedFile (name, content type, bytes) for a download or a ZIP member.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext as _

from . import variants  # noqa: F401  (registers «По дням» and «По месяцам»)
from .pdf import render_pdf
from .registry import ReportRequest, Variant
from .tables import Report

MIMETYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "zip": "application/zip",
}


@dataclass(frozen=True)
class RenderedFile:
    filename: str
    mimetype: str
    content: bytes


def shops_label(request: ReportRequest) -> str:
    if not request.shops:
        return _("All shops")
    return ", ".join(shop.name for shop in request.shops)


def report_build(
    *, variant: Variant, request: ReportRequest, now: datetime | None = None
) -> Report:
    """The variant's table model for the request, stamped with the time it was made."""
    now = now or timezone.now()
    return Report(
        variant=variant.code,
        title=variant.title,
        merchant_name=request.merchant.display_name,
        shops_label=shops_label(request),
        period=request.period,
        test=request.test,
        generated_at=now.astimezone(ZoneInfo(request.period.zone)),
        sections=variant.build(request),
    )


def report_filename(report: Report, fmt: str) -> str:
    """`inecopay-by-days-2026-11.pdf`; test reports say so: `…-2026-11-test.pdf`."""
    mode = "-test" if report.test else ""
    return f"inecopay-{report.variant}-{report.period.slug}{mode}.{fmt}"


RENDERERS = {"pdf": render_pdf}


def render_file(report: Report, fmt: str) -> RenderedFile:
    return RenderedFile(report_filename(report, fmt), MIMETYPES[fmt], RENDERERS[fmt](report))


def render_zip(files: list[RenderedFile], *, filename: str) -> RenderedFile:
    """Several rendered files as one ZIP (names kept, each once)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for file in files:
            archive.writestr(file.filename, file.content)
    return RenderedFile(filename, MIMETYPES["zip"], buffer.getvalue())
