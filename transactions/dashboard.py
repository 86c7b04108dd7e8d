"""The dashboard's payment figures, read from the daily totals in one query.

Definitions (the page states them too):
- turnover counts payments that were paid and not charged back: succeeded, partially
  refunded and refunded. Gross is their amount, refunds what has been given back of them,
  net the difference. Chargebacks are left out of turnover.
- success rate of a shop is paid / (paid + declined), where paid also counts payments later
  refunded or charged back (the buyer's payment went through). Pending, processing, expired
  and cancelled payments are left out: the buyer never got to a decision.
- every figure belongs to the merchant-local day the payment was created on, refunds
  included, and currencies are never added together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.formats import number_format

from merchants.models import Merchant
from shops.models import Shop

from .models import Payment
from .totals import daily_rows

Status = Payment.Status

TURNOVER = (Status.SUCCEEDED, Status.PARTIALLY_REFUNDED, Status.REFUNDED)
SUCCESSFUL = (*TURNOVER, Status.CHARGEBACK)
CHART_DAYS = 30


@dataclass
class Turnover:
    """Paid payments in one currency: how many, gross, refunded and net, in minor units."""

    currency: str
    count: int = 0
    gross: int = 0
    refunded: int = 0

    @property
    def net(self) -> int:
        return self.gross - self.refunded


@dataclass
class ShopFigures:
    shop: Shop
    today: int = 0  # payments created today, any status
    period: int = 0  # payments created in the chart's 30 days, any status
    successful: int = 0
    declined: int = 0

    @property
    def success_rate(self) -> Decimal | None:
        """Percent with one decimal, or None when nothing was decided yet."""
        decided = self.successful + self.declined
        if not decided:
            return None
        return (Decimal(100 * self.successful) / decided).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )


@dataclass
class ChartDay:
    day: date
    count: int = 0
    gross: int = 0


@dataclass
class DashboardFigures:
    test: bool
    today: date
    month_first: date
    period_first: date  # the first of the chart's 30 days; the last is today
    today_turnover: list[Turnover]
    month_turnover: list[Turnover]
    shops: list[ShopFigures]
    # currency -> one entry per day of the chart, oldest first
    days: dict[str, list[ChartDay]] = field(default_factory=dict)

    @property
    def currencies(self) -> list[str]:
        """Currencies with turnover in the chart's days, busiest first."""
        return sorted(self.days, key=lambda c: -sum(d.count for d in self.days[c]))


def local_today(merchant: Merchant) -> date:
    return timezone.now().astimezone(ZoneInfo(merchant.time_zone)).date()


def default_test_mode(shops: list[Shop]) -> bool:
    """Live figures once any shop may take live payments, test figures before."""
    return not any(shop.live_mode for shop in shops)


def _turnover(rows: list[dict]) -> list[Turnover]:
    by_currency: dict[str, Turnover] = {}
    for row in rows:
        entry = by_currency.setdefault(row["currency"], Turnover(row["currency"]))
        entry.count += row["count"]
        entry.gross += row["amount"]
        entry.refunded += row["refunded"]
    return sorted(by_currency.values(), key=lambda t: (-t.count, t.currency))


def dashboard_figures(
    *, merchant: Merchant, shops: list[Shop], test: bool, today: date | None = None
) -> DashboardFigures:
    """Today's and this month's turnover, per-shop counts and success rates over the last
    30 local days, and turnover per day of those days: one query whatever the volume."""
    today = today or local_today(merchant)
    month_first = today.replace(day=1)
    period_first = today - timedelta(days=CHART_DAYS - 1)
    rows = daily_rows(
        merchant=merchant,
        test=test,
        first=min(month_first, period_first),
        after=today + timedelta(days=1),
        by=("day", "shop_id", "status", "currency"),
    )
    paid = [row for row in rows if row["status"] in TURNOVER]
    figures = {shop.pk: ShopFigures(shop) for shop in shops}
    for row in rows:
        shop = figures.get(row["shop_id"])
        if shop is None or row["day"] < period_first:
            continue
        shop.period += row["count"]
        if row["day"] == today:
            shop.today += row["count"]
        if row["status"] in SUCCESSFUL:
            shop.successful += row["count"]
        elif row["status"] == Status.DECLINED:
            shop.declined += row["count"]
    chart_days = [period_first + timedelta(days=n) for n in range(CHART_DAYS)]
    days: dict[str, dict[date, ChartDay]] = {}
    for row in paid:
        if row["day"] < period_first:
            continue
        currency_days = days.get(row["currency"])
        if currency_days is None:
            currency_days = days[row["currency"]] = {day: ChartDay(day) for day in chart_days}
        day = currency_days[row["day"]]
        day.count += row["count"]
        day.gross += row["amount"]
    return DashboardFigures(
        test=test,
        today=today,
        month_first=month_first,
        period_first=period_first,
        today_turnover=_turnover([row for row in paid if row["day"] == today]),
        month_turnover=_turnover([row for row in paid if row["day"] >= month_first]),
        shops=list(figures.values()),
        days={currency: list(by_day.values()) for currency, by_day in days.items()},
    )


# ---------------------------------------------------------------------------
# The chart: bar geometry for a server-rendered SVG
# ---------------------------------------------------------------------------
CHART_WIDTH = 720
CHART_HEIGHT = 240
CHART_LEFT = 4  # the scale's labels sit above their gridlines, inside the plot
CHART_RIGHT = 16  # room for the last day's label
CHART_BOTTOM = 24  # room for the day labels
CHART_TOP = 24  # room for the top label


@dataclass(frozen=True)
class Bar:
    day: ChartDay
    x: float
    y: float
    width: float
    height: float
    label_x: float
    labelled: bool  # every few days carry a date under the axis


@dataclass(frozen=True)
class Gridline:
    y: float
    value: int  # minor units
    label: str  # whole major units, grouped in the page's language


@dataclass(frozen=True)
class Chart:
    currency: str
    bars: list[Bar]
    gridlines: list[Gridline]
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    left: int = CHART_LEFT
    baseline: float = CHART_HEIGHT - CHART_BOTTOM
    total: int = 0


def _nice_ceiling(value: int) -> int:
    """The smallest 1, 2, 2.5 or 5 × 10ⁿ at or above value (in major units' steps)."""
    if value <= 0:
        return 1
    magnitude = 1
    while magnitude * 10 <= value:
        magnitude *= 10
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return int(step * magnitude)
    return 10 * magnitude


def bar_chart(currency: str, days: list[ChartDay], *, exponent: int = 2) -> Chart:
    """Bars of each day's gross on a scale rounded up to a round number of major units."""
    unit = 10**exponent
    peak = max((day.gross for day in days), default=0)
    top = _nice_ceiling(-(-peak // unit)) * unit  # whole major units, rounded up
    plot_height = CHART_HEIGHT - CHART_BOTTOM - CHART_TOP
    baseline = CHART_HEIGHT - CHART_BOTTOM
    slot = (CHART_WIDTH - CHART_LEFT - CHART_RIGHT) / max(len(days), 1)
    bars = []
    for n, day in enumerate(days):
        height = round(plot_height * day.gross / top, 1) if day.gross else 0
        if day.gross and height < 1:
            height = 1.0  # a day with payments never looks empty
        x = round(CHART_LEFT + n * slot + slot * 0.15, 1)
        bars.append(
            Bar(
                day=day,
                x=x,
                y=round(baseline - height, 1),
                width=round(slot * 0.7, 1),
                height=height,
                label_x=round(CHART_LEFT + n * slot + slot / 2, 1),
                labelled=(len(days) - 1 - n) % 7 == 0,
            )
        )
    gridlines = []
    for share in range(5):
        value = top * share // 4
        label = number_format(Decimal(value).scaleb(-exponent), decimal_pos=0, force_grouping=True)
        gridlines.append(Gridline(round(baseline - plot_height * share / 4, 1), value, label))
    return Chart(
        currency=currency,
        bars=bars,
        gridlines=gridlines,
        total=sum(day.gross for day in days),
    )
