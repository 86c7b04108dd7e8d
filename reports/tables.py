"""The neutral table model every report variant builds and every renderer reads.

A report is a header (who, what, when) and one section per currency: amounts are never
summed across currencies. Amounts are integers in the currency's minor units. Columns are
those of inecopay.lib.tabular, which writes the XLSX and CSV files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.functional import Promise

from inecopay.lib.tabular import Column

from .periods import Period


@dataclass
class Section:
    """The rows of one currency, their totals and the column the PDF charts.

    `rows` is a list, or for the payments registry an iterable read from the database on
    each pass (reports.payments_registry.RegistryRows), never held whole.
    """

    currency: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    totals: dict[str, Any] | None = None
    chart_key: str | None = None
    # A heading of its own, when a currency has more than one table (the statement).
    title: str | Promise | None = None
    # Nothing happened in the period (the rows are there, as zeros).
    empty: bool = False


@dataclass
class Report:
    variant: str
    title: str | Promise
    merchant_name: str
    shops_label: str
    period: Period
    test: bool
    generated_at: datetime
    sections: list[Section] = field(default_factory=list)
    # The merchant itself, for layouts that name both parties (the statement).
    merchant: Any = None
    # What was asked (a ReportRequest), for renderers that read rows as they write them
    # (the payments registry).
    request: Any = None

    @property
    def empty(self) -> bool:
        """No payment and no refund in the period: the file still renders, and says so."""
        return all(section.empty for section in self.sections)
