"""PDF reports: WeasyPrint from templates/reports/pdf/, with nothing fetched from outside.

Fonts, the logo and styles come from the project's own static files through
BundledFilesFetcher; every other URL (http, https, file, data, a relative path) is refused,
so a shop name or a template mistake can never make the renderer reach the network or read
the server's disk.
"""

from __future__ import annotations

import logging
import mimetypes
import posixpath
import re
import threading
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils.formats import date_format, number_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from inecopay.lib.money import MINOR_UNITS, Currency

from .periods import Period, PeriodKind
from .registry import get_variant
from .tables import Column, Report, Section

logger = logging.getLogger(__name__)

# The only URL scheme the renderer serves: `inecopay-static:vendor/fonts/…` is the static
# file `vendor/fonts/…` of this project.
BUNDLED = "inecopay-static:"

CURRENCY_SIGNS = {"AMD": "֏", "USD": "$", "EUR": "€", "RUB": "₽"}


def bundled_file(name: str) -> Path | None:
    """The project's static file `name` (a plain relative path), or None."""
    name = unquote(name.split("?", 1)[0].split("#", 1)[0])
    clean = posixpath.normpath(name)
    if not name or clean != name or clean.startswith(("/", "..")) or "\\" in name:
        return None
    found = finders.find(clean)
    if found:
        return Path(found)
    collected = Path(settings.STATIC_ROOT) / clean
    return collected if collected.is_file() else None


class BundledFilesFetcher(URLFetcher):
    """Serves `inecopay-static:` URLs from the static files and refuses everything else."""

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        path = bundled_file(url[len(BUNDLED) :]) if url.startswith(BUNDLED) else None
        if path is None:
            logger.warning("PDF report: refused to fetch %s", url[:200])
            raise ValueError(f"only bundled static files are served, not {url[:200]}")
        mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": mimetype})


class _OwnUserAgentHTML(HTML):
    """A document styled by its own user-agent sheet instead of WeasyPrint's HTML5 one."""

    def __init__(self, *args, user_agent: CSS, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._user_agent = user_agent

    # WeasyPrint's hook for the user-agent sheets (weasyprint 70's HTML._ua_stylesheets).
    def _ua_stylesheets(self, forms: bool = False) -> list[CSS]:
        return [self._user_agent]


# Parsed style templates with their fonts loaded, per thread: WeasyPrint's font
# configuration wraps fontconfig and Pango objects that are not shared across threads.
_styles = threading.local()


def stylesheet(template: str) -> tuple[CSS, FontConfiguration]:
    """The style template parsed once per process (and thread) with its fonts loaded: each
    chunk of a long registry, and each report a worker renders, would otherwise parse
    the CSS and load the four font files anew."""
    parsed = _styles.__dict__.setdefault("parsed", {})
    if template not in parsed:
        font_config = FontConfiguration()
        css = CSS(
            string=render_to_string(template, {"bundled": BUNDLED}),
            base_url=BUNDLED,
            url_fetcher=BundledFilesFetcher(),
            font_config=font_config,
        )
        parsed[template] = (css, font_config)
    return parsed[template]


def html_to_pdf(html: str, *, style: str | None = None, user_agent: str | None = None) -> bytes:
    """A PDF of `html`, its resources fetched only from the bundled static files. `style`
    names a CSS template applied besides the document's own (see stylesheet());
    `user_agent` one that replaces WeasyPrint's HTML5 user-agent sheet."""
    options = {"string": html, "base_url": BUNDLED, "url_fetcher": BundledFilesFetcher()}
    if user_agent is not None:
        document = _OwnUserAgentHTML(**options, user_agent=stylesheet(user_agent)[0])
    else:
        document = HTML(**options)
    if style is None:
        return document.write_pdf()
    css, font_config = stylesheet(style)
    return document.write_pdf(stylesheets=[css], font_config=font_config)


# ---------------------------------------------------------------------------
# What the template shows
# ---------------------------------------------------------------------------
def css_string(text: str) -> str:
    """`text` as a quoted CSS string: safe inside a <style> element whatever it holds."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = escaped.replace("\n", "\\a ").replace("<", "\\3c ").replace(">", "\\3e ")
    return f'"{escaped}"'


def page_counter_css() -> str:
    """The page footer as CSS `content`: `"стр. " counter(page) " из " counter(pages)`."""
    # Translators: footer of every page of a PDF report, e.g. «стр. 2 из 3».
    text = _("page %(page)s of %(pages)s")
    parts = []
    for part in re.split(r"(%\(pages?\)s)", text):
        if part == "%(page)s":
            parts.append("counter(page)")
        elif part == "%(pages)s":
            parts.append("counter(pages)")
        elif part:
            parts.append(css_string(part))
    return " ".join(parts)


def format_money(minor: int, currency: str) -> str:
    exponent = MINOR_UNITS.get(currency, 2)
    return number_format(
        Decimal(minor).scaleb(-exponent), decimal_pos=exponent, use_l10n=True, force_grouping=True
    )


def _cell(value: object, column: Column, currency: str) -> str:
    if value is None:
        return ""
    if column.kind == "money":
        return format_money(value, currency)
    if column.kind == "int":
        return number_format(value, use_l10n=True, force_grouping=True)
    if column.kind == "date":
        return date_format(value, "SHORT_DATE_FORMAT")
    if column.kind == "datetime":
        return date_format(value, "SHORT_DATETIME_FORMAT")
    return str(value)


# The chart's drawing area, in SVG user units (the SVG scales to the page width).
CHART_WIDTH, CHART_HEIGHT, CHART_LEFT, CHART_BOTTOM = 720, 96, 8, 16


def chart(section: Section) -> dict | None:
    """Bars of the section's chart column, one per row, as geometry for the inline SVG."""
    if not section.chart_key or not section.rows:
        return None
    values = [row.get(section.chart_key) or 0 for row in section.rows]
    top, bottom = max(max(values), 0), min(min(values), 0)
    span = (top - bottom) or 1
    plot = CHART_HEIGHT - CHART_BOTTOM - 8
    zero = 8 + plot * top / span
    step = (CHART_WIDTH - CHART_LEFT) / len(values)
    width = max(step * 0.7, 1)
    first = section.columns[0]
    bars = []
    for n, (row, value) in enumerate(zip(section.rows, values, strict=True)):
        height = plot * abs(value) / span
        label = row.get(first.key)
        if first.kind == "date":
            label = label.day
        bars.append(
            {
                "x": round(CHART_LEFT + n * step + (step - width) / 2, 2),
                "y": round(zero - height if value >= 0 else zero, 2),
                "width": round(width, 2),
                "height": round(height, 2),
                "negative": value < 0,
                "label": str(label)[:3] if first.kind != "date" else str(label),
                "label_x": round(CHART_LEFT + n * step + step / 2, 2),
            }
        )
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "zero": round(zero, 2),
        "label_y": CHART_HEIGHT - 5,
        "bars": bars,
        "top": format_money(top, section.currency),
        "bottom": format_money(bottom, section.currency) if bottom else "",
        "column": next(c.title for c in section.columns if c.key == section.chart_key),
    }


def _is_zero(row: dict, section: Section) -> bool:
    return not any(row.get(c.key) for c in section.columns[1:] if c.kind in ("int", "money"))


def _section_context(section: Section) -> dict:
    try:
        currency_name = Currency(section.currency).label
    except ValueError:
        currency_name = ""
    return {
        "title": section.title,
        "empty": section.empty,
        "currency": section.currency,
        "currency_name": currency_name,
        "sign": CURRENCY_SIGNS.get(section.currency, ""),
        "columns": section.columns,
        "rows": [
            {
                "cells": [
                    (_cell(row.get(column.key), column, section.currency), column.kind)
                    for column in section.columns
                ],
                "zero": _is_zero(row, section),
            }
            for row in section.rows
        ],
        "totals": [
            (_cell(section.totals.get(column.key), column, section.currency), column.kind)
            for column in section.columns[1:]
        ]
        if section.totals
        else None,
        "chart": chart(section),
    }


def period_label(period: Period) -> str:
    if period.kind == PeriodKind.MONTH:
        return date_format(period.first, "F Y")
    if period.kind == PeriodKind.YEAR:
        return str(period.first.year)
    last = period.after - timedelta(days=1)
    return f"{date_format(period.first, 'SHORT_DATE_FORMAT')} – {date_format(last, 'SHORT_DATE_FORMAT')}"


# The templates whose fixed style is a separate CSS template (see stylesheet()).
STYLES = {"reports/pdf/report.html": "reports/pdf/report.css"}
# The user-agent sheet of the layouts made for it (all but the statement's).
UA_STYLE = "reports/pdf/ua.css"
OWN_USER_AGENT = {"reports/pdf/report.html"}


def render_pdf(report: Report) -> bytes:
    """The report as an A4 PDF in the active language."""
    label = period_label(report.period)
    header = f"{report.merchant_name} · {report.title} · {label}"
    variant = get_variant(report.variant)
    template = variant.pdf_template if variant else "reports/pdf/report.html"
    html = render_to_string(
        template,
        {
            "report": report,
            "bundled": BUNDLED,
            "period_label": label,
            "generated_at": report.generated_at,
            "page_counter": page_counter_css(),
            "running_header": css_string(header),
            "running_footer": css_string(f"Inecopay · {urlsplit(settings.SITE_URL).netloc}"),
            "sections": [_section_context(section) for section in report.sections],
            "site_url": settings.SITE_URL,
            "LANGUAGE_CODE": get_language(),
        },
    )
    user_agent = UA_STYLE if template in OWN_USER_AGENT else None
    return html_to_pdf(html, style=STYLES.get(template), user_agent=user_agent)
