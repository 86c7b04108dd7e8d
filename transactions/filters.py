"""The «Последние платежи» filters: parsed from the query string, applied to payments.

`parse_payment_filters` never raises on bad input: a value it cannot use is dropped and
explained in `errors` (in the active language), so a shared or hand-edited link always
gives a page. `filtered_payments` is the one query every consumer (list, export) starts from.

Query parameters: mode=live|test, period=today|yesterday|7d|month|custom, from/to
(inclusive local dates, YYYY-MM-DD), shop, status, method, currency (each repeatable),
amount_min/amount_max (major units), q (exact order id, payment id or card's last four).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from inecopay.lib.money import MINOR_UNITS, Currency, PaymentMethod
from merchants.models import Merchant
from shops.models import Shop

from .models import MAX_AMOUNT, Payment
from .totals import TotalsFilter

PERIODS = ("today", "yesterday", "7d", "month", "custom")
MODES = ("live", "test")
SEARCH_MAX = 64  # the longest order id a payment can carry
# Dates outside these years are typing mistakes, and far ones overflow date arithmetic.
FIRST_YEAR, LAST_YEAR = 2000, 2099
# Amount bounds beyond the largest payment any currency allows cannot match anything.
AMOUNT_MAX_MINOR = max(MAX_AMOUNT.values())

_AMOUNT = re.compile(r"^(\d{1,15})(?:[.,](\d{1,2}))?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Spaces people type or paste as thousands separators: plain, no-break and thin.
_GROUPING = str.maketrans("", "", " \u00a0\u202f\u2009'")


def parse_major_amount(text: str) -> Decimal:
    """'1 234,50' → Decimal('1234.50'): a non-negative amount in major units with at most
    two decimals. Raises ValueError for anything else (signs, exponents, NaN, letters)."""
    match = _AMOUNT.match(text.strip().translate(_GROUPING))
    if match is None:
        raise ValueError(text)
    whole, fraction = match.groups()
    return Decimal(f"{whole}.{fraction or '0'}")


def to_minor(amount: Decimal, currency: str) -> int:
    """Major units to integer minor units, exactly (Decimal arithmetic only)."""
    minor = amount.scaleb(MINOR_UNITS.get(currency, 2))
    if minor != minor.to_integral_value():
        raise ValueError(amount)
    return int(minor)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


@dataclass(frozen=True)
class PaymentFilters:
    """Cleaned filter values of one request: only what passed validation."""

    merchant: Merchant
    test: bool
    # The merchant's shops, for the form's choices and the rows' shop names.
    shops: tuple[Shop, ...] = ()
    period: str = ""
    date_from: date | None = None
    date_to: date | None = None
    start: datetime | None = None
    end: datetime | None = None
    shop_ids: tuple[int, ...] = ()
    statuses: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()
    currencies: tuple[str, ...] = ()
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    q: str = ""
    # Whether the mode came from the URL (else it is the merchant's default).
    mode_given: bool = False
    errors: list[str] = field(default_factory=list, compare=False)

    @property
    def mode(self) -> str:
        return "test" if self.test else "live"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.merchant.time_zone)

    @property
    def uses_only_totals_fields(self) -> bool:
        """True when the daily totals table can answer the count and sums."""
        return self.amount_min is None and self.amount_max is None and not self.q

    @property
    def is_filtered(self) -> bool:
        """Anything narrower than all of the mode's payments."""
        return bool(
            self.start
            or self.end
            or self.shop_ids
            or self.statuses
            or self.methods
            or self.currencies
            or not self.uses_only_totals_fields
        )

    def totals_filter(self) -> TotalsFilter:
        return TotalsFilter(
            shop_ids=self.shop_ids,
            statuses=self.statuses,
            methods=self.methods,
            currencies=self.currencies,
        )

    def params(self) -> list[tuple[str, str]]:
        """The cleaned filters as query parameters, in a stable order."""
        pairs: list[tuple[str, str]] = [("mode", self.mode)]
        if self.period:
            pairs.append(("period", self.period))
        if self.period == "custom":
            if self.date_from:
                pairs.append(("from", self.date_from.isoformat()))
            if self.date_to:
                pairs.append(("to", self.date_to.isoformat()))
        pairs += [("shop", str(pk)) for pk in self.shop_ids]
        pairs += [("status", value) for value in self.statuses]
        pairs += [("method", value) for value in self.methods]
        pairs += [("currency", value) for value in self.currencies]
        if self.amount_min is not None:
            pairs.append(("amount_min", str(self.amount_min)))
        if self.amount_max is not None:
            pairs.append(("amount_max", str(self.amount_max)))
        if self.q:
            pairs.append(("q", self.q))
        return pairs

    def querystring(self, **overrides: str | list[str] | None) -> str:
        """The filters as a query string (without '?'); an override replaces a parameter
        (a list repeats it, None or '' drops it): `querystring(cursor=token)`."""
        pairs = [(k, v) for k, v in self.params() if k not in overrides]
        for key, value in overrides.items():
            if isinstance(value, list | tuple):
                pairs += [(key, str(v)) for v in value]
            elif value not in (None, ""):
                pairs.append((key, str(value)))
        return urlencode(pairs)


# ---------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------
def default_test_mode(shops: tuple[Shop, ...]) -> bool:
    """Live once any of the merchant's shops is live-enabled, else test."""
    return not any(shop.live_mode for shop in shops)


def _values(params: QueryDict, name: str) -> list[str]:
    # Empty values come from blank form fields: they mean "any", not an error.
    return [value.strip() for value in params.getlist(name) if value.strip()]


def _choices(
    params: QueryDict, name: str, allowed: set[str], message: str, errors: list[str]
) -> tuple[str, ...]:
    chosen: list[str] = []
    for value in _values(params, name):
        if value in allowed:
            if value not in chosen:
                chosen.append(value)
        elif message not in errors:
            errors.append(message)
    return tuple(chosen)


def _date(params: QueryDict, name: str, label: str, errors: list[str]) -> date | None:
    text = params.get(name, "").strip()
    if not text:
        return None
    try:
        if not _DATE.match(text):
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError:
        errors.append(
            _("The %(field)s date «%(value)s» is not a date like 2026-01-31; it is ignored.")
            % {"field": label, "value": text[:20]}
        )
        return None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        errors.append(
            _("The %(field)s date must be between %(first)d and %(last)d; it is ignored.")
            % {"field": label, "first": FIRST_YEAR, "last": LAST_YEAR}
        )
        return None
    return day


def _period(
    params: QueryDict, zone: ZoneInfo, errors: list[str]
) -> tuple[str, date | None, date | None, datetime | None, datetime | None]:
    period = params.get("period", "").strip()
    if period and period not in PERIODS:
        errors.append(_("Unknown period; payments of any date are shown."))
        period = ""
    today = timezone.localtime(timezone.now(), zone).date()
    if period == "today":
        return period, None, None, _midnight(today, zone), _midnight(today + timedelta(1), zone)
    if period == "yesterday":
        yesterday = today - timedelta(1)
        return period, None, None, _midnight(yesterday, zone), _midnight(today, zone)
    if period == "7d":
        first = today - timedelta(6)
        return period, None, None, _midnight(first, zone), _midnight(today + timedelta(1), zone)
    if period == "month":
        first = today.replace(day=1)
        following = (first + timedelta(32)).replace(day=1)
        return period, None, None, _midnight(first, zone), _midnight(following, zone)
    # A custom range, also when the dates come without period=custom.
    date_from = _date(params, "from", _("from"), errors)
    date_to = _date(params, "to", _("to"), errors)
    if date_from and date_to and date_from > date_to:
        errors.append(
            _("The period's start %(start)s is after its end %(end)s; the dates are ignored.")
            % {"start": date_from.isoformat(), "end": date_to.isoformat()}
        )
        date_from = date_to = None
    if date_from is None and date_to is None:
        return ("custom" if period == "custom" else ""), None, None, None, None
    start = _midnight(date_from, zone) if date_from else None
    end = _midnight(date_to + timedelta(1), zone) if date_to else None
    return "custom", date_from, date_to, start, end


def _amount(params: QueryDict, name: str, label: str, errors: list[str]) -> Decimal | None:
    text = params.get(name, "").strip()
    if not text:
        return None
    try:
        amount = parse_major_amount(text)
    except ValueError:
        errors.append(
            _(
                "The %(field)s amount «%(value)s» is not an amount like 1500 or 1500.50; "
                "it is ignored."
            )
            % {"field": label, "value": text[:20]}
        )
        return None
    if to_minor(amount, "AMD") > AMOUNT_MAX_MINOR:
        errors.append(
            _("The %(field)s amount is larger than any payment can be; it is ignored.")
            % {"field": label}
        )
        return None
    return amount


def _search(params: QueryDict, errors: list[str]) -> str:
    q = params.get("q", "").strip()
    if not q:
        return ""
    if len(q) > SEARCH_MAX or any(ord(char) < 32 or ord(char) == 127 for char in q):
        errors.append(
            _(
                "Search for an exact order number, payment ID (pay_…) or a card's last four "
                "digits, up to %(max)d characters; the search is ignored."
            )
            % {"max": SEARCH_MAX}
        )
        return ""
    return q


def parse_payment_filters(*, merchant: Merchant, params: QueryDict) -> PaymentFilters:
    """The filters of a request's query string, with a message for each value ignored."""
    errors: list[str] = []
    shops = tuple(Shop.objects.filter(merchant=merchant).order_by("name", "pk"))
    zone = ZoneInfo(merchant.time_zone)

    mode = params.get("mode", "").strip()
    if mode and mode not in MODES:
        errors.append(_("Unknown mode; the default mode is shown."))
        mode = ""
    test = (mode == "test") if mode else default_test_mode(shops)

    period, date_from, date_to, start, end = _period(params, zone, errors)

    shop_ids: list[int] = []
    known = {shop.pk for shop in shops}
    for value in _values(params, "shop"):
        pk = int(value) if value.isdigit() and len(value) < 12 else None
        if pk in known:
            if pk not in shop_ids:
                shop_ids.append(pk)
        elif _("Unknown shop; the shop filter is partly ignored.") not in errors:
            errors.append(_("Unknown shop; the shop filter is partly ignored."))

    statuses = _choices(
        params,
        "status",
        set(Payment.Status.values),
        _("Unknown status; it is ignored."),
        errors,
    )
    methods = _choices(
        params,
        "method",
        set(PaymentMethod.values),
        _("Unknown payment method; it is ignored."),
        errors,
    )
    currencies = _choices(
        params,
        "currency",
        set(Currency.values),
        _("Unknown currency; it is ignored."),
        errors,
    )

    amount_min = _amount(params, "amount_min", _("minimum"), errors)
    amount_max = _amount(params, "amount_max", _("maximum"), errors)
    if amount_min is not None and amount_max is not None and amount_min > amount_max:
        errors.append(
            _("The minimum amount is larger than the maximum; the amount range is ignored.")
        )
        amount_min = amount_max = None

    return PaymentFilters(
        merchant=merchant,
        test=test,
        shops=shops,
        period=period,
        date_from=date_from,
        date_to=date_to,
        start=start,
        end=end,
        shop_ids=tuple(shop_ids),
        statuses=statuses,
        methods=methods,
        currencies=currencies,
        amount_min=amount_min,
        amount_max=amount_max,
        q=_search(params, errors),
        mode_given=bool(mode),
        errors=errors,
    )


# ---------------------------------------------------------------------------
# Applying
# ---------------------------------------------------------------------------
def _amount_q(filters: PaymentFilters) -> Q:
    # One bound per currency exponent: the same major amount is a different number of
    # minor units where exponents differ (today all four currencies have two).
    q = Q()
    if filters.amount_min is None and filters.amount_max is None:
        return q
    by_exponent: dict[int, list[str]] = {}
    for currency in Currency.values:
        by_exponent.setdefault(MINOR_UNITS.get(currency, 2), []).append(currency)
    alternatives = Q()
    for currencies in by_exponent.values():
        bounds = Q()
        if filters.amount_min is not None:
            bounds &= Q(amount__gte=to_minor(filters.amount_min, currencies[0]))
        if filters.amount_max is not None:
            bounds &= Q(amount__lte=to_minor(filters.amount_max, currencies[0]))
        if len(by_exponent) > 1:
            bounds &= Q(currency__in=currencies)
        alternatives |= bounds
    return alternatives


def search_q(q: str) -> Q:
    """Exact matches only (each has an index): order id, payment id, card's last four."""
    match = Q(order_id=q)
    if q.startswith("pay_"):
        match |= Q(public_id=q)
    if len(q) == 4 and q.isdigit():
        match |= Q(card_last4=q)
    return match


def filtered_payments(filters: PaymentFilters) -> QuerySet[Payment]:
    """The merchant's payments of the mode that match every filter, newest first."""
    payments = Payment.objects.filter(merchant=filters.merchant, test=filters.test)
    if filters.start is not None:
        payments = payments.filter(created_at__gte=filters.start)
    if filters.end is not None:
        payments = payments.filter(created_at__lt=filters.end)
    payments = payments.filter(filters.totals_filter().q())
    payments = payments.filter(_amount_q(filters))
    if filters.q:
        payments = payments.filter(search_q(filters.q))
    return payments.order_by("-created_at", "-id")
