"""«Реестр платежей»: every payment of the period with its main fields, per currency.

The columns and rows are the transactions export's (exports.selectors), so the registry's
XLSX and CSV read like that export: amounts numeric with their currency's format, free text
never run as a formula, CSV in UTF-8 with a BOM. Payments are those created in the period
(as on the payments list), oldest first, one section per currency with its own totals.

A registry can hold a million rows: its sections never hold them. `Section.rows` is a
RegistryRows, which reads its currency's payments from the database each time it is
iterated, in chunks, so the renderers stream whatever the length.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from exports.selectors import payment_columns, payment_rows
from inecopay.lib.money import Currency
from transactions.models import Payment

from .periods import PeriodKind
from .registry import ReportRequest, Variant, register
from .tables import Section

CODE = "registry"
# The columns summed per currency in the totals row.
SUMMED = ("amount", "refunded")


def registry_payments(request: ReportRequest) -> QuerySet[Payment]:
    """The request's payments: the mode's, created in `[start, end)`, oldest first."""
    payments = Payment.objects.filter(
        merchant=request.merchant,
        test=request.test,
        created_at__gte=request.period.start,
        created_at__lt=request.period.end,
    )
    if request.shop_ids:
        payments = payments.filter(shop_id__in=request.shop_ids)
    return payments.order_by("created_at", "id")


def registry_count(request: ReportRequest, *, cap: int | None = None) -> int:
    """How many rows the registry has, counting no further than `cap` when given."""
    payments = registry_payments(request).order_by()
    return (payments[:cap] if cap is not None else payments).count()


class RegistryRows:
    """The rows of one currency's section, read afresh on every iteration.

    Each row is the export's row as a dict keyed by column. `on_row(n)` hears of every
    row read (progress of a background job).
    """

    def __init__(self, payments: QuerySet[Payment], zone: ZoneInfo, count: int) -> None:
        self.payments = payments
        self.zone = zone
        self.count = count
        self.keys = [column.key for column in payment_columns(zone)]
        self.on_row: Callable[[int], None] | None = None

    def __len__(self) -> int:
        return self.count

    def __bool__(self) -> bool:
        return self.count > 0

    def tuples(self) -> Iterator[tuple[Any, ...]]:
        """The rows as the export's tuples, in column order."""
        return payment_rows(self.payments, self.zone, on_row=self.on_row)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        keys = self.keys
        for row in self.tuples():
            yield dict(zip(keys, row, strict=True))


def _currency_order(currency: str) -> tuple[int, str]:
    order = [c.value for c in Currency]
    return (order.index(currency) if currency in order else len(order), currency)


def build(request: ReportRequest) -> list[Section]:
    """A section per currency the period's payments are in, with totals; none when the
    period has no payment (the renderers then say so)."""
    zone = ZoneInfo(request.period.zone)
    payments = registry_payments(request)
    grouped = (
        payments.order_by()
        .values("currency")
        .annotate(n=Count("id"), amount=Sum("amount"), refunded=Sum("refunded_amount"))
    )
    sections = []
    for group in sorted(grouped, key=lambda g: _currency_order(g["currency"])):
        currency = group["currency"]
        rows = RegistryRows(payments.filter(currency=currency), zone, group["n"])
        sections.append(
            Section(
                currency=currency,
                columns=payment_columns(zone),
                rows=rows,  # type: ignore[arg-type]  (iterable like a list, never one)
                totals={
                    "count": group["n"],
                    "amount": group["amount"] or 0,
                    "refunded": group["refunded"] or 0,
                },
            )
        )
    if not sections:
        currency = request.merchant.default_currency or Currency.AMD.value
        sections.append(
            Section(
                currency=currency,
                columns=payment_columns(zone),
                rows=[],
                totals={"count": 0, "amount": 0, "refunded": 0},
                empty=True,
            )
        )
    return sections


REGISTRY = register(
    Variant(
        code=CODE,
        # Translators: «Реестр платежей».
        title=_("Payments registry"),
        description=_(
            "Every payment of the period with its main fields, per currency, with totals."
        ),
        period_kind=PeriodKind.RANGE,
        formats=("pdf", "xlsx", "csv"),
        build=build,
        pdf_template="reports/pdf/registry.html",
    )
)
