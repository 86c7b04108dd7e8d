"""Report periods: whole local days of the merchant's zone, half-open `[start, end)`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo


class PeriodKind(StrEnum):
    MONTH = "month"
    YEAR = "year"
    RANGE = "range"


@dataclass(frozen=True)
class Period:
    """The local days `first` up to, not including, `after`, in the zone `zone`."""

    kind: PeriodKind
    first: date
    after: date
    zone: str

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time.min, tzinfo=ZoneInfo(self.zone))

    @property
    def end(self) -> datetime:
        return datetime.combine(self.after, time.min, tzinfo=ZoneInfo(self.zone))

    @property
    def slug(self) -> str:
        """The period in file names: 2026-11, 2026 or 2026-11-03_2026-11-09."""
        if self.kind == PeriodKind.MONTH:
            return self.first.strftime("%Y-%m")
        if self.kind == PeriodKind.YEAR:
            return f"{self.first.year:04d}"
        last = self.after - timedelta(days=1)
        return f"{self.first.isoformat()}_{last.isoformat()}"

    @property
    def interval(self) -> str:
        """`[2026-11-01 00:00, 2026-12-01 00:00) Asia/Yerevan`: how each file states it."""
        offset = self.start.strftime("%z")
        return (
            f"[{self.start:%Y-%m-%d %H:%M}, {self.end:%Y-%m-%d %H:%M}) "
            f"{self.zone} (UTC{offset[:3]}:{offset[3:]})"
        )

    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.after - self.first).days)]

    def months(self) -> list[date]:
        """The first day of each month the period touches."""
        months = []
        month = self.first.replace(day=1)
        while month < self.after:
            months.append(month)
            month = next_month(month)
        return months


def next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def month_period(year: int, month: int, zone: str) -> Period:
    first = date(year, month, 1)
    return Period(PeriodKind.MONTH, first, next_month(first), zone)


def year_period(year: int, zone: str) -> Period:
    return Period(PeriodKind.YEAR, date(year, 1, 1), date(year + 1, 1, 1), zone)
