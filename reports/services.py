"""Reports: build a variant's table model for a member's request and render it as files.

Every renderer has one shape, `render_<format>(report) -> bytes`, and `render_file` wraps
it as a RenderedFile (name, content type, bytes) for a download or a ZIP member.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from inecopay.lib.tabular import Column, Sheet, iter_csv, write_xlsx
from merchants.models import Merchant
from shops.models import Shop

from . import payments_registry, registry_files, statement, variants  # noqa: F401
from .pdf import period_label, render_pdf
from .periods import Period
from .registry import ReportRequest, Variant
from .tables import Report, Section

MIMETYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "zip": "application/zip",
}


class ReportTooLarge(Exception):
    """A file the portal does not make at that length; the message says what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def pdf_inline_rows() -> int:
    """Registry PDFs up to this many rows download at once; longer ones are a background job."""
    return getattr(settings, "REPORT_PDF_INLINE_ROWS", 2_000)


def pdf_max_rows() -> int:
    """Registry PDFs are made up to this many rows; XLSX and CSV serve longer registries."""
    return getattr(settings, "REPORT_PDF_MAX_ROWS", 20_000)


def registry_inline_rows() -> int:
    """Registry XLSX/CSV up to this many rows download at once (the payments export's limit)."""
    from exports.selectors import DIRECT_LIMIT

    return getattr(settings, "REPORT_REGISTRY_INLINE_ROWS", DIRECT_LIMIT)


def too_large_message(rows: int) -> str:
    return _(
        "The payments registry of this period has %(rows)s payments, and a PDF is made for "
        "up to %(max)s. Download it as XLSX or CSV, or choose a shorter period or one shop."
    ) % {
        "rows": number_format(rows, force_grouping=True),
        "max": number_format(pdf_max_rows(), force_grouping=True),
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
        merchant=request.merchant,
        request=request,
    )


def report_filename(report: Report, fmt: str) -> str:
    """`inecopay-by-days-2026-11.pdf`; test reports say so: `…-2026-11-test.pdf`."""
    mode = "-test" if report.test else ""
    return f"inecopay-{report.variant}-{report.period.slug}{mode}.{fmt}"


def about_rows(report: Report) -> list[tuple[str, str]]:
    """What every file states besides its figures: who, which shops, when, by whom."""
    mode = _("Test payments") if report.test else _("Live payments")
    rows = [
        (_("Report"), f"{report.title} · {period_label(report.period)}"),
        (_("Merchant"), report.merchant_name),
        (_("Shops"), report.shops_label),
        (_("Period"), report.period.interval),
        (_("Payments"), mode),
        (_("Generated"), f"{report.generated_at:%Y-%m-%d %H:%M} {report.period.zone}"),
        (_("Issued by"), f"Inecopay · {settings.SITE_URL}"),
    ]
    if report.empty and report.variant == payments_registry.CODE:
        rows.append((_("Note"), _("No payments in this period.")))
    elif report.empty:
        rows.append((_("Note"), _("No payments and no refunds in this period.")))
    return rows


def _values(section: Section, row: dict) -> list:
    return [row.get(column.key) for column in section.columns]


def _totals(section: Section) -> list | None:
    if section.totals is None:
        return None
    return [str(_("Total")), *(section.totals.get(c.key) for c in section.columns[1:])]


def _text_first(columns: list[Column]) -> list[Column]:
    """The columns with the first one as text, so a totals row can say «Итого» in it."""
    first = columns[0]
    return [Column(first.key, str(first.title), "text", first.width), *columns[1:]]


def _sheet_title(section: Section, sheets: list[Sheet]) -> str:
    """The currency, or the section's own title when it has one; never twice the same."""
    title = str(section.title) if section.title else section.currency
    title = "".join(ch for ch in title if ch not in "[]:*?/\\")[:31]
    taken = {sheet.title for sheet in sheets}
    candidate, n = title, 2
    while candidate in taken:
        candidate = f"{title[:28]} {n}"
        n += 1
    return candidate


def _section_values(section: Section):
    for row in section.rows:
        yield _values(section, row)


def render_xlsx(report: Report) -> bytes:
    """A sheet stating the report, then a sheet per currency with typed cells and totals."""
    about = Sheet(
        title=str(_("Report")),
        columns=[
            Column("field", str(_("Field")), "text", 18),
            Column("value", str(_("Value")), "text", 70),
        ],
        rows=about_rows(report),
    )
    if any(s.totals is not None and s.columns[0].kind != "text" for s in report.sections):
        about.rows = [
            *about.rows,
            (_("Totals"), _("The last row of each currency's sheet, in bold.")),
        ]
    sheets = [about]
    for section in report.sections:
        columns = [Column(c.key, str(c.title), c.kind, c.width) for c in section.columns]
        # Each section's own generator (a bare generator expression here would read the
        # loop's last section by the time the workbook is written).
        rows = _section_values(section)
        totals = _totals(section)
        if totals is not None and columns[0].kind != "text":
            # A date column holds only dates: the totals row stays unlabelled there, bold,
            # and the report sheet says what it is.
            totals[0] = None
        sheets.append(
            Sheet(
                title=_sheet_title(section, sheets),
                columns=columns,
                rows=rows,
                currency=section.currency,
                totals=totals,
            )
        )
    buffer = io.BytesIO()
    write_xlsx(buffer, sheets)
    return buffer.getvalue()


def render_csv(report: Report, *, delimiter: str = ";") -> bytes:
    """One table for all currencies, a currency column first and a totals row per currency;
    after an empty line, what the report is."""
    sections = report.sections
    columns = [Column("currency", str(_("Currency")), "text", 8)]
    if sections:
        columns += _text_first(sections[0].columns)

    def rows():
        for section in sections:
            for row in section.rows:
                values = _values(section, row)
                first = section.columns[0]
                if first.kind == "date":
                    values[0] = values[0].isoformat()
                yield [section.currency, *values]
            if section.totals is not None:
                yield [section.currency, *_totals(section)]

    chunks = list(iter_csv(columns, rows(), delimiter=delimiter))
    about = [Column("field", "", "text"), Column("value", "", "text")]
    chunks.append(b"\r\n")
    chunks.extend(iter_csv(about, about_rows(report), delimiter=delimiter, header=False, bom=False))
    return b"".join(chunks)


RENDERERS = {"pdf": render_pdf, "xlsx": render_xlsx, "csv": render_csv}
# Variants whose files are written otherwise: the registry streams its rows.
VARIANT_RENDERERS: dict[str, dict[str, Callable[[Report], bytes]]] = {
    payments_registry.CODE: {
        "pdf": registry_files.render_registry_pdf,
        "xlsx": registry_files.render_registry_xlsx,
        "csv": registry_files.render_registry_csv,
    }
}


def render_file(report: Report, fmt: str) -> RenderedFile:
    """The report as a file of the format. A payments registry PDF longer than
    REPORT_PDF_MAX_ROWS raises ReportTooLarge (its XLSX and CSV have no limit)."""
    if report.variant == payments_registry.CODE and fmt == "pdf":
        rows = sum(len(section.rows) for section in report.sections)
        if rows > pdf_max_rows():
            raise ReportTooLarge(too_large_message(rows))
    render = VARIANT_RENDERERS.get(report.variant, RENDERERS)[fmt]
    return RenderedFile(report_filename(report, fmt), MIMETYPES[fmt], render(report))


def render_zip(files: list[RenderedFile], *, filename: str) -> RenderedFile:
    """Several rendered files as one ZIP (names kept, each once)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for file in files:
            archive.writestr(file.filename, file.content)
    return RenderedFile(filename, MIMETYPES["zip"], buffer.getvalue())


def reports_render(
    *,
    merchant: Merchant,
    shops: tuple[Shop, ...],
    chosen: list[tuple[Variant, str]],
    period_for: Callable[[Variant], Period],
    test: bool,
    now: datetime | None = None,
) -> RenderedFile:
    """The chosen (variant, format) files: one as itself, several as one ZIP. Each variant
    is built once, whatever the number of its formats."""
    now = now or timezone.now()
    reports: dict[str, Report] = {}
    files = []
    for variant, fmt in chosen:
        if variant.code not in reports:
            request = ReportRequest(
                merchant=merchant, shops=shops, period=period_for(variant), test=test
            )
            reports[variant.code] = report_build(variant=variant, request=request, now=now)
        files.append(render_file(reports[variant.code], fmt))
    if len(files) == 1:
        return files[0]
    slugs = "_".join(dict.fromkeys(report.period.slug for report in reports.values()))
    mode = "-test" if test else ""
    return render_zip(files, filename=f"inecopay-reports-{slugs}{mode}.zip")


def reports_download(
    *,
    merchant: Merchant,
    shops: tuple[Shop, ...],
    chosen: list[tuple[Variant, str]],
    period_for: Callable[[Variant], Period],
    test: bool,
    user: Any,
    now: datetime | None = None,
) -> RenderedFile | Any:
    """What the «Отчеты» page hands out: the file(s) at once, or, for a payments registry
    too long to make during a request, its background job (an exports.ExportJob). Raises
    ReportTooLarge for a registry PDF over REPORT_PDF_MAX_ROWS, or a long registry asked
    for together with other files; nothing is queued then."""
    registry = [(v, fmt) for v, fmt in chosen if v.code == payments_registry.CODE]
    if registry:
        variant = registry[0][0]
        request = ReportRequest(
            merchant=merchant, shops=shops, period=period_for(variant), test=test
        )
        cap = max(pdf_max_rows(), pdf_inline_rows(), registry_inline_rows()) + 1
        rows = payments_registry.registry_count(request, cap=cap)
        if any(fmt == "pdf" for _v, fmt in registry) and rows > pdf_max_rows():
            raise ReportTooLarge(too_large_message(rows))
        long = [
            fmt
            for _v, fmt in registry
            if rows > (pdf_inline_rows() if fmt == "pdf" else registry_inline_rows())
        ]
        if long and len(chosen) > 1:
            raise ReportTooLarge(
                _(
                    "The payments registry of this period has %(rows)s payments: it is made "
                    "in the background, one format at a time. Download it on its own."
                )
                % {"rows": number_format(rows, force_grouping=True)}
            )
        if long:
            from .jobs import registry_job_create

            return registry_job_create(request=request, user=user, fmt=long[0])
    return reports_render(
        merchant=merchant, shops=shops, chosen=chosen, period_for=period_for, test=test, now=now
    )
