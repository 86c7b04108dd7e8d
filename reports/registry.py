"""The report variants the portal offers, each one entry: «По дням», «По месяцам», and
later the payments registry and the settlement statement.

A variant names its period kind and formats, and builds its sections from a
ReportRequest; the same renderers (PDF, XLSX, CSV) turn any variant's sections into files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise

from merchants.models import Merchant
from shops.models import Shop

from .periods import Period, PeriodKind
from .tables import Section

FORMATS = ("pdf", "xlsx", "csv")


@dataclass(frozen=True)
class ReportRequest:
    """What a member asked for: shops (empty for all the merchant's shops), period, mode."""

    merchant: Merchant
    shops: tuple[Shop, ...]
    period: Period
    test: bool = False

    @property
    def shop_ids(self) -> tuple[int, ...]:
        return tuple(shop.pk for shop in self.shops)


@dataclass(frozen=True)
class Variant:
    code: str  # in requests and file names: "by-days"
    title: str | Promise
    description: str | Promise
    period_kind: PeriodKind
    formats: tuple[str, ...]
    build: Callable[[ReportRequest], list[Section]]
    # The PDF layout; the statement has a formal one of its own.
    pdf_template: str = "reports/pdf/report.html"


_VARIANTS: dict[str, Variant] = {}


def register(variant: Variant) -> Variant:
    if variant.code in _VARIANTS:
        raise ValueError(f"report variant {variant.code!r} is registered twice")
    _VARIANTS[variant.code] = variant
    return variant


def get_variant(code: str) -> Variant | None:
    return _VARIANTS.get(code)


def variants() -> list[Variant]:
    return list(_VARIANTS.values())
