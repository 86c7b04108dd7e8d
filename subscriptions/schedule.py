"""When a periodic subscription is due and which period it sends, in the merchant's zone.

A periodic subscription sends whole local days: daily yesterday, weekly last Monday to
Sunday, monthly last month. The period `[first, after)` is due at the send time on its
`after` day, local time. All arithmetic is on local dates; only the due instant is turned
into UTC, so a change of offset (DST) moves nothing but that instant.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from reports.periods import Period, PeriodKind, next_month

from .models import Frequency


def period_before(frequency: str, after: date) -> tuple[date, date]:
    """The local days `[first, after)` a periodic sending on the day `after` covers."""
    if frequency == Frequency.DAILY:
        return after - timedelta(days=1), after
    if frequency == Frequency.WEEKLY:
        return after - timedelta(days=7), after
    if frequency == Frequency.MONTHLY:
        first = (after - timedelta(days=1)).replace(day=1)
        return first, after
    raise ValueError(f"{frequency!r} is not a periodic frequency")


def following_after(frequency: str, after: date) -> date:
    """The `after` day of the period that follows the one ending at `after`."""
    if frequency == Frequency.DAILY:
        return after + timedelta(days=1)
    if frequency == Frequency.WEEKLY:
        return after + timedelta(days=7)
    if frequency == Frequency.MONTHLY:
        return next_month(after)
    raise ValueError(f"{frequency!r} is not a periodic frequency")


def first_after_on_or_after(frequency: str, day: date) -> date:
    """The earliest day on or after `day` a period of this frequency ends on."""
    if frequency == Frequency.DAILY:
        return day
    if frequency == Frequency.WEEKLY:
        return day + timedelta(days=(7 - day.weekday()) % 7)  # a Monday
    if frequency == Frequency.MONTHLY:
        return day if day.day == 1 else next_month(day)
    raise ValueError(f"{frequency!r} is not a periodic frequency")


def due_at(after: date, send_time: time, zone: str) -> datetime:
    """The UTC instant of `send_time` on the local day `after`.

    A send time that a change of offset skips (a spring-forward gap) is read with the
    offset before the change, which lands just after the gap, on the same day.
    """
    local = datetime.combine(after, send_time, tzinfo=ZoneInfo(zone))
    return local.astimezone(ZoneInfo("UTC"))


def next_due(frequency: str, send_time: time, zone: str, now: datetime) -> tuple[date, datetime]:
    """The first period due after `now`: its `after` day and its due instant (UTC)."""
    today = now.astimezone(ZoneInfo(zone)).date()
    after = first_after_on_or_after(frequency, today)
    run_at = due_at(after, send_time, zone)
    while run_at <= now:
        after = following_after(frequency, after)
        run_at = due_at(after, send_time, zone)
    return after, run_at


def report_period(frequency: str, after: date, zone: str) -> Period:
    """The reports' Period for the sending on `after` (a month is a MONTH, else a RANGE)."""
    first, after = period_before(frequency, after)
    kind = PeriodKind.MONTH if frequency == Frequency.MONTHLY else PeriodKind.RANGE
    return Period(kind, first, after, zone)
