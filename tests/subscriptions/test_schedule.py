"""The schedule of periodic subscriptions: local days of the merchant's zone, due instants
in UTC, across offset changes and month ends."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from reports.periods import PeriodKind
from subscriptions.models import Frequency
from subscriptions.schedule import (
    due_at,
    first_after_on_or_after,
    following_after,
    next_due,
    period_before,
    report_period,
)

BERLIN = "Europe/Berlin"


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_due_at_keeps_the_local_send_time_across_both_changes():
    assert due_at(date(2026, 3, 28), time(9, 0), BERLIN) == utc(2026, 3, 28, 8, 0)
    assert due_at(date(2026, 3, 29), time(9, 0), BERLIN) == utc(2026, 3, 29, 7, 0)
    assert due_at(date(2026, 10, 25), time(9, 0), BERLIN) == utc(2026, 10, 25, 8, 0)


def test_a_send_time_in_the_spring_gap_lands_just_after_it_on_the_same_day():
    assert due_at(date(2026, 3, 29), time(2, 30), BERLIN) == utc(2026, 3, 29, 1, 30)


def test_a_send_time_that_happens_twice_in_autumn_is_the_first():
    assert due_at(date(2026, 10, 25), time(2, 30), BERLIN) == utc(2026, 10, 25, 0, 30)


@pytest.mark.parametrize(
    ("frequency", "after", "expected"),
    [
        (Frequency.DAILY, date(2026, 3, 1), (date(2026, 2, 28), date(2026, 3, 1))),
        (Frequency.WEEKLY, date(2026, 3, 30), (date(2026, 3, 23), date(2026, 3, 30))),
        (Frequency.MONTHLY, date(2028, 3, 1), (date(2028, 2, 1), date(2028, 3, 1))),
        (Frequency.MONTHLY, date(2027, 1, 1), (date(2026, 12, 1), date(2027, 1, 1))),
    ],
)
def test_period_before(frequency, after, expected):
    assert period_before(frequency, after) == expected


def test_following_after_steps_over_month_ends_and_years():
    assert following_after(Frequency.MONTHLY, date(2028, 1, 1)) == date(2028, 2, 1)
    assert following_after(Frequency.MONTHLY, date(2028, 12, 1)) == date(2029, 1, 1)
    assert following_after(Frequency.DAILY, date(2028, 2, 28)) == date(2028, 2, 29)
    assert following_after(Frequency.WEEKLY, date(2026, 12, 28)) == date(2027, 1, 4)


def test_first_after_is_a_monday_for_weeks_and_a_first_for_months():
    assert first_after_on_or_after(Frequency.WEEKLY, date(2026, 3, 24)) == date(2026, 3, 30)
    assert first_after_on_or_after(Frequency.WEEKLY, date(2026, 3, 30)) == date(2026, 3, 30)
    assert first_after_on_or_after(Frequency.MONTHLY, date(2028, 1, 31)) == date(2028, 2, 1)
    assert first_after_on_or_after(Frequency.MONTHLY, date(2028, 2, 1)) == date(2028, 2, 1)


def test_next_due_is_strictly_after_now():
    # At 09:00 sharp on the due day the period is already due: the next one is tomorrow's.
    assert next_due(Frequency.DAILY, time(9, 0), BERLIN, utc(2026, 3, 28, 8, 0)) == (
        date(2026, 3, 29),
        utc(2026, 3, 29, 7, 0),
    )
    assert next_due(Frequency.DAILY, time(9, 0), BERLIN, utc(2026, 3, 28, 7, 59)) == (
        date(2026, 3, 28),
        utc(2026, 3, 28, 8, 0),
    )
    # Late on 31 January UTC is already 1 February in Berlin.
    assert next_due(Frequency.MONTHLY, time(9, 0), BERLIN, utc(2028, 1, 31, 23, 30)) == (
        date(2028, 2, 1),
        utc(2028, 2, 1, 8, 0),
    )


def _hours(period) -> float:
    # In UTC: subtracting two times of one zone in Python ignores the change of offset.
    return (period.end.astimezone(UTC) - period.start.astimezone(UTC)).total_seconds() / 3600


def test_report_period_is_whole_local_days_with_the_shorter_and_longer_day():
    spring = report_period(Frequency.DAILY, date(2026, 3, 30), BERLIN)
    assert spring.kind == PeriodKind.RANGE
    assert _hours(spring) == 23
    autumn = report_period(Frequency.WEEKLY, date(2026, 10, 26), BERLIN)
    assert _hours(autumn) == 7 * 24 + 1
    leap = report_period(Frequency.MONTHLY, date(2028, 3, 1), BERLIN)
    assert leap.kind == PeriodKind.MONTH
    assert leap.slug == "2028-02"
    assert len(leap.days()) == 29
