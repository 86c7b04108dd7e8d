"""Reads for exports: the payments export's columns and rows, counted and streamed.

Rows never pass through a list: the Python path iterates `values_list` tuples from a
server-side cursor (PostgreSQL) in chunks; CSV on PostgreSQL goes further and lets the
database format the rows in a `COPY … TO STDOUT`, which only has to be relayed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    F,
    Func,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Concat, NullIf
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from inecopay.lib.money import PaymentMethod
from inecopay.lib.tabular import Column, csv_decimal_separator, csv_header, iter_csv
from merchants.models import Membership
from transactions.models import Payment

from .models import ExportJob

# Up to this many rows an export downloads at once; above it a background job makes it.
DIRECT_LIMIT = 10_000
CHUNK_ROWS = 2_000
# COPY hands over one row per message; relayed in blocks of about this many bytes.
COPY_BLOCK = 64 * 1024

FIELDS = (
    "public_id",
    "created_at",
    "shop__name",
    "order_id",
    "description",
    "status",
    "method",
    "card_brand",
    "card_last4",
    "amount",
    "currency",
    "refunded_amount",
    "test",
    "succeeded_at",
)
# Text the buyer or the shop's code chose: a spreadsheet must never run it.
FREE_TEXT = {"shop__name", "order_id", "description", "card_brand"}


def get_job_for_member(membership: Membership, public_id: str) -> ExportJob:
    """An export of the member's merchant, or 404 (another merchant's is not found)."""
    return get_object_or_404(
        ExportJob.objects.select_related("merchant", "user"),
        public_id=public_id,
        merchant=membership.merchant_id,
    )


def count_capped(payments: QuerySet, cap: int) -> int:
    """How many rows, counting no further than `cap` (a LIMIT inside the COUNT)."""
    return payments[:cap].count()


def payment_columns(zone: ZoneInfo) -> list[Column]:
    """The payments export's columns, titled in the active language."""
    return [
        Column("public_id", _("Payment ID"), "text", 30),
        Column("created_at", _("Created (%(zone)s)") % {"zone": zone.key}, "datetime", 20),
        Column("shop", _("Shop"), "text", 20),
        Column("order_id", _("Order ID"), "text", 18),
        Column("description", _("Description"), "text", 32),
        Column("status", _("Status"), "text", 18),
        Column("method", _("Method"), "text", 18),
        Column("card_brand", _("Card brand"), "text", 12),
        Column("card_last4", _("Card last four"), "text", 10),
        Column("amount", _("Amount"), "money", 14),
        Column("currency", _("Currency"), "text", 9),
        Column("refunded", _("Refunded"), "money", 14),
        Column("test", _("Test"), "text", 7),
        Column("succeeded_at", _("Paid at (%(zone)s)") % {"zone": zone.key}, "datetime", 20),
    ]


def _labels() -> tuple[dict[str, str], dict[str, str], dict[bool, str]]:
    statuses = {value: str(label) for value, label in Payment.Status.choices}
    methods = {value: str(label) for value, label in PaymentMethod.choices}
    return statuses, methods, {True: _("yes"), False: _("no")}


def payment_rows(
    payments: QuerySet, zone: ZoneInfo, *, on_row: Callable[[int], None] | None = None
) -> Iterator[Sequence[Any]]:
    """Export rows of the queryset, in its order: local wall-clock times, human labels,
    amounts in minor units (the writers scale them). `on_row(n)` hears of every row."""
    statuses, methods, flags = _labels()
    rows = payments.values_list(*FIELDS).iterator(chunk_size=CHUNK_ROWS)
    for n, (
        public_id,
        created_at,
        shop,
        order_id,
        description,
        status,
        method,
        brand,
        last4,
        amount,
        currency,
        refunded,
        test,
        paid_at,
    ) in enumerate(rows, 1):
        if on_row is not None:
            on_row(n)
        yield (
            public_id,
            _local(created_at, zone),
            shop,
            order_id,
            description,
            statuses.get(status, status),
            methods.get(method, method),
            brand,
            last4,
            amount,
            currency,
            refunded,
            flags[test],
            _local(paid_at, zone) if paid_at is not None else None,
        )


def _local(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None)


# ---------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------
def payment_csv_chunks(
    payments: QuerySet, zone: ZoneInfo, *, delimiter: str = ";"
) -> Iterator[bytes]:
    """The payments CSV (BOM, header, rows) in chunks: COPY on PostgreSQL, else Python."""
    columns = payment_columns(zone)
    if connection.vendor == "postgresql":
        yield csv_header(columns, delimiter=delimiter, newline="\n")
        yield from _copy_chunks(payments, zone, delimiter)
    else:
        yield from iter_csv(columns, payment_rows(payments, zone), delimiter=delimiter)


class _LocalText(Func):
    """A timestamp as local wall-clock text: to_char(ts AT TIME ZONE zone, …)."""

    arg_joiner = " AT TIME ZONE "
    template = "to_char(%(expressions)s, 'YYYY-MM-DD HH24:MI:SS')"
    output_field = TextField()


class _MoneyText(Func):
    """Minor units as major-unit text with two decimals (every currency handled has two),
    in integer arithmetic: amounts are never negative (the table's constraints)."""

    output_field = TextField()

    def __init__(self, expression, decimal: str) -> None:
        if decimal not in (".", ","):
            raise ValueError(decimal)
        super().__init__(expression)
        self.template = (
            "(%(expressions)s / 100)::text || '"
            + decimal
            + "' || lpad(mod(%(expressions)s, 100)::text, 2, '0')"
        )


class _FormulaStart(Func):
    """Whether text begins like a formula: the SQL twin of tabular.FORMULA_STARTS."""

    template = "left(%(expressions)s, 1) IN ('=', '+', '-', '@', chr(9), chr(13))"
    output_field = BooleanField()
    conditional = True


def _safe(field: str) -> Case:
    # The SQL twin of tabular.safe_text; empty text becomes NULL, which COPY writes as
    # nothing, as Python's writer does.
    return Case(
        When(
            _FormulaStart(F(field)),
            then=Concat(Value("'"), F(field), output_field=TextField()),
        ),
        default=NullIf(F(field), Value(""), output_field=TextField()),
        output_field=TextField(),
    )


def _label(field: str, labels: dict) -> Case:
    return Case(
        *[When(**{field: value}, then=Value(label)) for value, label in labels.items()],
        default=NullIf(F(field), Value(""), output_field=CharField()),
        output_field=CharField(),
    )


def _money(field: str, decimal: str) -> Func:
    return _MoneyText(F(field), decimal)


def copy_sql(payments: QuerySet, zone: ZoneInfo, *, delimiter: str = ";") -> str:
    """The COPY statement whose output is the CSV's rows, with every value in place."""
    statuses, methods, flags = _labels()
    decimal = csv_decimal_separator(delimiter)
    zone_name = Value(zone.key)
    formatted = payments.annotate(
        x_created=_LocalText(F("created_at"), zone_name),
        x_shop=_safe("shop__name"),
        x_order=_safe("order_id"),
        x_description=_safe("description"),
        x_status=_label("status", statuses),
        x_method=_label("method", methods),
        x_brand=_safe("card_brand"),
        x_last4=NullIf(F("card_last4"), Value("")),
        x_amount=_money("amount", decimal),
        x_refunded=_money("refunded_amount", decimal),
        x_test=Case(When(test=True, then=Value(flags[True])), default=Value(flags[False])),
        x_paid=_LocalText(F("succeeded_at"), zone_name),
    ).values_list(
        "public_id",
        "x_created",
        "x_shop",
        "x_order",
        "x_description",
        "x_status",
        "x_method",
        "x_brand",
        "x_last4",
        "x_amount",
        "currency",
        "x_refunded",
        "x_test",
        "x_paid",
    )
    sql, params = formatted.query.sql_with_params()
    select = connection.ops.compose_sql(sql, params)
    options = connection.ops.compose_sql("FORMAT csv, DELIMITER %s", [delimiter])
    return f"COPY ({select}) TO STDOUT ({options})"


def _copy_chunks(payments: QuerySet, zone: ZoneInfo, delimiter: str) -> Iterator[bytes]:
    statement = copy_sql(payments, zone, delimiter=delimiter)
    block = bytearray()
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for data in copy:
            block += data
            if len(block) >= COPY_BLOCK:
                yield bytes(block)
                block.clear()
    if block:
        yield bytes(block)
