"""«По дням» and «По месяцам»: a month by day, a year by month, per currency."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from inecopay.lib.money import Currency

from .periods import PeriodKind
from .registry import FORMATS, ReportRequest, Variant, register
from .selectors import Figures, daily_figures
from .tables import Column, Section

# Currencies in this order, then any other alphabetically.
_ORDER = [c.value for c in Currency]


def _currency_order(currency: str) -> tuple[int, str]:
    return (_ORDER.index(currency) if currency in _ORDER else len(_ORDER), currency)


def _figure_columns() -> list[Column]:
    return [
        Column("count", _("Successful payments"), "int", 12),
        Column("gross", _("Gross"), "money", 16),
        Column("refunds", _("Refunds"), "money", 16),
        Column("commission", _("Commission"), "money", 16),
        Column("net", _("Net"), "money", 16),
    ]


def _row(figures: Figures) -> dict:
    return {
        "count": figures.count,
        "gross": figures.gross,
        "refunds": figures.refunds,
        "commission": figures.commission,
        "net": figures.net,
    }


def _sections(
    request: ReportRequest,
    columns: list[Column],
    buckets: list[date],
    bucket_of: Callable[[date], date],
    label: Callable[[date], object],
) -> list[Section]:
    """One section per currency with a row for every bucket, empty ones as zeros."""
    by_currency = daily_figures(request)
    empty = not by_currency
    if empty:
        # Nothing happened: still a table, of zeros, in the home currency.
        by_currency = {Currency.AMD.value: {}}
    sections = []
    for currency in sorted(by_currency, key=_currency_order):
        folded = {bucket: Figures() for bucket in buckets}
        for day, figures in by_currency[currency].items():
            folded[bucket_of(day)].add(figures)
        total = Figures()
        rows = []
        for bucket in buckets:
            total.add(folded[bucket])
            rows.append({columns[0].key: label(bucket), **_row(folded[bucket])})
        sections.append(
            Section(
                currency=currency,
                columns=columns,
                rows=rows,
                totals=_row(total),
                chart_key="net",
                empty=empty,
            )
        )
    return sections


def by_days_columns() -> list[Column]:
    return [Column("day", _("Date"), "date", 12), *_figure_columns()]


def build_by_days(request: ReportRequest) -> list[Section]:
    return _sections(
        request, by_days_columns(), request.period.days(), lambda day: day, lambda day: day
    )


def by_months_columns() -> list[Column]:
    return [Column("month", _("Month"), "text", 16), *_figure_columns()]


def build_by_months(request: ReportRequest) -> list[Section]:
    return _sections(
        request,
        by_months_columns(),
        request.period.months(),
        lambda day: day.replace(day=1),
        lambda month: date_format(month, "F Y"),
    )


BY_DAYS = register(
    Variant(
        code="by-days",
        # Translators: «По дням» in the merchant guide.
        title=_("By days"),
        description=_("A month broken down by day."),
        period_kind=PeriodKind.MONTH,
        formats=FORMATS,
        build=build_by_days,
    )
)

BY_MONTHS = register(
    Variant(
        code="by-months",
        # Translators: «По месяцам».
        title=_("By months"),
        description=_("A year broken down by month."),
        period_kind=PeriodKind.YEAR,
        formats=FORMATS,
        build=build_by_months,
    )
)
