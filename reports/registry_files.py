"""The payments registry's files, written as streams: XLSX and CSV row by row from the
database, PDF in chunks of CHUNK_ROWS rows merged with pypdf.

WeasyPrint lays a document out whole: 10 000 table rows in one document take ~2 GB and over a
minute. A chunk of a few hundred rows takes a few tens of MB and a second or two, so the
registry is rendered chunk by chunk (the document header on the first chunk only, the table
header repeated on every page, each chunk's first page numbered on from the chunk before)
and the chunks' pages are appended to one PDF. Memory stays flat at any length; the total
page count is not known while the first chunks are rendered, so pages say «стр. N».
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection
from django.template.loader import render_to_string
from django.utils.formats import number_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from pypdf import PdfReader, PdfWriter

from exports.selectors import payment_csv_chunks
from inecopay.lib.money import Currency
from inecopay.lib.tabular import Column, Sheet, csv_decimal_separator, iter_csv, write_xlsx

from .payments_registry import RegistryRows, registry_payments
from .pdf import (
    BUNDLED,
    CURRENCY_SIGNS,
    UA_STYLE,
    css_string,
    format_money,
    html_to_pdf,
    period_label,
)
from .tables import Report, Section

# Rows per WeasyPrint document: about eight landscape pages; memory and time per chunk stay
# small, and few pages end part-empty where one chunk stops and the next begins.
CHUNK_ROWS = 300

OnRow = Callable[[int], None] | None


def _listen(report: Report, on_row: OnRow) -> None:
    """Report rows read across all sections, in order, to `on_row`."""
    if on_row is None:
        return
    done = 0
    for section in report.sections:
        if isinstance(section.rows, RegistryRows):
            base = done

            def hear(n: int, base: int = base) -> None:
                on_row(base + n)

            section.rows.on_row = hear
            done += len(section.rows)


def _tuples(section: Section) -> Iterable[tuple]:
    if isinstance(section.rows, RegistryRows):
        return section.rows.tuples()
    keys = [column.key for column in section.columns]
    return (tuple(row.get(key) for key in keys) for row in section.rows)


def _currency_label(currency: str) -> str:
    try:
        return str(Currency(currency).label)
    except ValueError:
        return currency


def registry_about_rows(report: Report) -> list[tuple[str, str]]:
    """What the registry states besides its rows, with each currency's totals."""
    from .services import about_rows  # services imports this module

    rows = about_rows(report)
    for section in report.sections:
        if section.empty:
            continue
        totals = section.totals or {}
        rows.append(
            (
                _("Total, %(currency)s") % {"currency": section.currency},
                _("%(count)s payments; amount %(amount)s; refunded %(refunded)s")
                % {
                    "count": totals.get("count", 0),
                    "amount": format_money(totals.get("amount", 0), section.currency),
                    "refunded": format_money(totals.get("refunded", 0), section.currency),
                },
            )
        )
    return rows


# ---------------------------------------------------------------------------
# XLSX and CSV
# ---------------------------------------------------------------------------
def registry_xlsx_write(stream: IO[bytes], report: Report, *, on_row: OnRow = None) -> None:
    """The registry's workbook: the report sheet, then a sheet per currency holding the
    transactions export's columns, its typed cells, and a bold totals row."""
    _listen(report, on_row)
    about = Sheet(
        title=str(_("Report")),
        columns=[
            Column("field", str(_("Field")), "text", 22),
            Column("value", str(_("Value")), "text", 70),
        ],
        rows=registry_about_rows(report),
    )
    sheets = [about]
    for section in report.sections:
        if section.empty:
            continue
        columns = [Column(c.key, str(c.title), c.kind, c.width) for c in section.columns]
        totals = section.totals or {}
        label = _("Total: %(count)s payments") % {"count": totals.get("count", 0)}
        sheets.append(
            Sheet(
                title=section.currency,
                columns=columns,
                rows=_tuples(section),
                currency=section.currency,
                totals=[label, *(totals.get(c.key) for c in columns[1:])],
            )
        )
    write_xlsx(stream, sheets)


def registry_csv_write(
    stream: IO[bytes], report: Report, *, on_row: OnRow = None, delimiter: str = ";"
) -> None:
    """The transactions export's CSV of the registry's payments (all currencies, each row
    naming its own), then after an empty line what the file is and each currency's totals."""
    payments = registry_payments(report.request)
    lines = 0
    for chunk in payment_csv_chunks(payments, _zone(report), delimiter=delimiter):
        stream.write(chunk)
        if on_row is not None:
            # COPY relays blocks of rows: progress is counted in line ends (less the header).
            lines += chunk.count(b"\n")
            on_row(max(lines - 1, 0))
    # The line ends of the rows above: COPY's on PostgreSQL, the csv module's elsewhere.
    newline = "\n" if connection.vendor == "postgresql" else "\r\n"
    stream.write(newline.encode())
    about = [Column("field", "", "text"), Column("value", "", "text")]
    rows = registry_about_rows(report)
    for chunk in iter_csv(
        about, rows, delimiter=delimiter, header=False, bom=False, newline=newline
    ):
        stream.write(chunk)


def _zone(report: Report):
    from zoneinfo import ZoneInfo

    return ZoneInfo(report.period.zone)


def render_registry_xlsx(report: Report) -> bytes:
    buffer = io.BytesIO()
    registry_xlsx_write(buffer, report)
    return buffer.getvalue()


def render_registry_csv(report: Report) -> bytes:
    buffer = io.BytesIO()
    registry_csv_write(buffer, report)
    return buffer.getvalue()


# ---------------------------------------------------------------------------
# PDF
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class PdfColumn:
    key: str
    title: str
    kind: str
    css: str


def _pdf_columns() -> list[PdfColumn]:
    """The export's main fields; the currency is the section's and the mode the header's."""
    return [
        PdfColumn("public_id", _("Payment ID"), "text", "id"),
        PdfColumn("created_at", _("Created"), "datetime", "created"),
        PdfColumn("shop", _("Shop"), "text", "shop"),
        PdfColumn("order_id", _("Order ID"), "text", "order"),
        PdfColumn("description", _("Description"), "text", "description"),
        PdfColumn("status", _("Status"), "text", "status"),
        PdfColumn("method", _("Method"), "text", "method"),
        PdfColumn("card", _("Card"), "text", "card"),
        PdfColumn("amount", _("Amount"), "money", "amount"),
        PdfColumn("refunded", _("Refunded"), "money", "refunded"),
        PdfColumn("succeeded_at", _("Paid at"), "datetime", "paid"),
    ]


def _moment(value: datetime | None) -> str:
    return "" if value is None else f"{value:%Y-%m-%d %H:%M:%S}"


# Longest text a PDF cell shows (its column's width at 7 pt); longer text ends in «…». Cells
# never wrap, so every row is one line and pages hold the same number of rows.
CLIP = {"shop": 18, "order": 16, "description": 22, "status": 19, "method": 19, "card": 15}


def _clip(text: str | None, limit: int) -> str:
    if not text:
        return ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _pdf_rows(rows: Iterable[tuple], currency: str) -> Iterator[list[tuple[str, bool]]]:
    """Cells as (text, right-aligned). The export's tuple: id, created, shop, order,
    description, status, method, brand, last four, amount, currency, refunded, test, paid."""
    for (
        public_id,
        created,
        shop,
        order_id,
        description,
        status,
        method,
        brand,
        last4,
        amount,
        _currency,
        refunded,
        _test,
        paid,
    ) in rows:
        card = " ".join(part for part in (brand, f"•{last4}" if last4 else "") if part)
        yield [
            (public_id, False),
            (_moment(created), False),
            (_clip(shop, CLIP["shop"]), False),
            (_clip(order_id, CLIP["order"]), False),
            (_clip(description, CLIP["description"]), False),
            (_clip(status, CLIP["status"]), False),
            (_clip(method, CLIP["method"]), False),
            (_clip(card, CLIP["card"]), False),
            (format_money(amount, currency), True),
            (format_money(refunded, currency) if refunded else "", True),
            (_moment(paid), False),
        ]


def _chunks(items: Iterator[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def page_label_css() -> str:
    """The footer «стр. N» as CSS content (the total is not known while chunks render)."""
    # Translators: footer of every page of a long PDF report, e.g. «стр. 2».
    text = _("page %(page)s")
    before, _sep, after = text.partition("%(page)s")
    parts = [css_string(before)] if before else []
    parts.append("counter(page)")
    if after:
        parts.append(css_string(after))
    return " ".join(parts)


def _summary(report: Report) -> list[dict]:
    return [
        {
            "currency": section.currency,
            "count": number_format(
                (section.totals or {}).get("count", 0), use_l10n=True, force_grouping=True
            ),
            "amount": format_money((section.totals or {}).get("amount", 0), section.currency),
            "refunded": format_money((section.totals or {}).get("refunded", 0), section.currency),
        }
        for section in report.sections
        if not section.empty
    ]


def _pieces(report: Report) -> Iterator[dict]:
    """The chunks' own context: which section, its rows, whether it starts or ends it."""
    if report.empty:
        yield {"columns": None}
        return
    columns = _pdf_columns()
    money_at = next(n for n, c in enumerate(columns) if c.kind == "money")
    for section in report.sections:
        rows = _pdf_rows(_tuples(section), section.currency)
        chunks = list_lookahead(_chunks(rows, CHUNK_ROWS))
        for n, (chunk, last) in enumerate(chunks):
            totals = None
            if last:
                t = section.totals or {}
                totals = {
                    "span": money_at,
                    "label": _("Total: %(count)s payments")
                    % {"count": number_format(t.get("count", 0), force_grouping=True)},
                    "cells": [
                        (format_money(t.get("amount", 0), section.currency), True),
                        (format_money(t.get("refunded", 0), section.currency), True),
                        ("", False),
                    ],
                }
            yield {
                "columns": columns,
                "currency": section.currency,
                "currency_name": _currency_label(section.currency),
                "sign": CURRENCY_SIGNS.get(section.currency, ""),
                "section_start": n == 0,
                "rows": chunk,
                "totals": totals,
            }


def list_lookahead(items: Iterator[Any]) -> Iterator[tuple[Any, bool]]:
    """Each item with whether it is the last."""
    previous = sentinel = object()
    for item in items:
        if previous is not sentinel:
            yield previous, False
        previous = item
    if previous is not sentinel:
        yield previous, True


def registry_pdf_write(
    stream: IO[bytes],
    report: Report,
    *,
    on_row: OnRow = None,
    on_chunk: Callable[[int], None] | None = None,
) -> int:
    """Render the registry chunk by chunk and write the merged PDF; returns its pages."""
    _listen(report, on_row)
    label = period_label(report.period)
    common = {
        "report": report,
        "bundled": BUNDLED,
        "period_label": label,
        "generated_at": report.generated_at,
        "page_counter": page_label_css(),
        "running_header": css_string(f"{report.merchant_name} · {report.title} · {label}"),
        "running_footer": css_string(f"Inecopay · {urlsplit(settings.SITE_URL).netloc}"),
        "site_url": settings.SITE_URL,
        "summary": _summary(report),
        "LANGUAGE_CODE": get_language(),
    }
    writer = PdfWriter()
    pages = 0
    for n, piece in enumerate(_pieces(report)):
        html = render_to_string(
            "reports/pdf/registry.html",
            {**common, **piece, "first_chunk": n == 0, "first_page": pages + 1},
        )
        pdf = html_to_pdf(html, style="reports/pdf/registry.css", user_agent=UA_STYLE)
        reader = PdfReader(io.BytesIO(pdf))
        for page in reader.pages:
            writer.add_page(page)
        pages += len(reader.pages)
        if on_chunk is not None:
            on_chunk(pages)
    writer.add_metadata({"/Title": f"Inecopay · {report.title} · {label}", "/Creator": "Inecopay"})
    writer.write(stream)
    return pages


def render_registry_pdf(report: Report) -> bytes:
    buffer = io.BytesIO()
    registry_pdf_write(buffer, report)
    return buffer.getvalue()


__all__ = [
    "CHUNK_ROWS",
    "csv_decimal_separator",
    "registry_csv_write",
    "registry_pdf_write",
    "registry_xlsx_write",
    "render_registry_csv",
    "render_registry_pdf",
    "render_registry_xlsx",
]
