"""«Акт сверки»: the reconciliation statement of a period, per currency, as a report
variant (so it can be downloaded and subscribed to like the others).

Its figures are the «Сверка расчетов» page's: settlements.selectors.reconciliation, which
reads the ledger. Test payments never enter the ledger, so a test statement is empty.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from inecopay.lib.money import Currency
from settlements.selectors import ledger_currencies, reconciliation, settlements_in_period

from .periods import PeriodKind
from .registry import ReportRequest, Variant, register
from .tables import Column, Section


def _movement_columns() -> list[Column]:
    return [Column("line", _("Line"), "text", 44), Column("amount", _("Amount"), "money", 18)]


def _day_columns() -> list[Column]:
    return [
        Column("day", _("Day"), "date", 12),
        Column("payments", _("Payments"), "int", 10),
        Column("gross", _("Gross"), "money", 16),
        Column("refunds", _("Refunds"), "money", 16),
        Column("chargebacks", _("Chargebacks"), "money", 16),
        Column("commission", _("Commission"), "money", 16),
        Column("net", _("Net payable"), "money", 16),
    ]


def build(request: ReportRequest) -> list[Section]:
    merchant = request.merchant
    first, last = request.period.first, request.period.after - timedelta(days=1)
    currencies = [] if request.test else ledger_currencies(merchant)
    if not currencies:
        currencies = [merchant.default_currency or Currency.AMD.value]
    sections = []
    for currency in currencies:
        rec = reconciliation(merchant=merchant, currency=currency, first=first, last=last)
        moved = rec.period
        lines = [
            (_("Opening balance"), rec.opening),
            (_("+ Payments received"), moved.gross),
            (_("− Refunds"), moved.refunds),
            (_("− Chargebacks"), moved.chargebacks),
            (_("− Inecopay commission"), moved.commission),
            (_("± Adjustments"), moved.adjustments),
            (_("− Paid out to the merchant's account"), moved.payouts),
            (_("Closing balance"), rec.closing),
        ]
        empty = request.test or (not rec.opening and not moved.change and not moved.gross)
        sections.append(
            Section(
                currency=currency,
                columns=_movement_columns(),
                rows=[{"line": str(label), "amount": amount} for label, amount in lines],
                title=_("Balance and movements"),
                empty=empty,
            )
        )
        days = list(
            settlements_in_period(merchant=merchant, currency=currency, first=first, last=last)
        )
        total = {key: sum(getattr(s, key) for s in days) for key in _SUMS}
        sections.append(
            Section(
                currency=currency,
                columns=_day_columns(),
                rows=[
                    {
                        "day": s.day,
                        "payments": s.payments_count,
                        **{k: getattr(s, k) for k in _SUMS},
                    }
                    for s in days
                ],
                totals={"payments": sum(s.payments_count for s in days), **total},
                title=_("Daily settlements"),
                empty=not days,
            )
        )
    return sections


_SUMS = ("gross", "refunds", "chargebacks", "commission", "net")

STATEMENT = register(
    Variant(
        code="statement",
        title=_("Reconciliation statement"),
        description=_(
            "Opening and closing balance of what Inecopay owes you, the period's payments, "
            "refunds, chargebacks, commission and payouts, and the daily settlements: "
            "a statement to sign."
        ),
        period_kind=PeriodKind.RANGE,
        formats=("pdf", "xlsx"),
        build=build,
        pdf_template="reports/pdf/statement.html",
    )
)
