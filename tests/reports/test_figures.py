"""«По дням» and «По месяцам»: every figure equals the sum of the payments and refunds
themselves, counted one by one in the merchant's zone."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime

import pytest

from reports.periods import month_period, year_period
from reports.registry import ReportRequest, get_variant
from reports.services import report_build, report_filename
from transactions.models import Payment, Refund

from .conftest import YEREVAN

pytestmark = pytest.mark.django_db


def expected_days(merchant, *, test: bool, shop_ids=(), first: date, after: date):
    """The figures counted one payment and one refund at a time, in Python."""
    days = defaultdict(lambda: defaultdict(lambda: [0, 0, 0, 0]))
    for p in Payment.objects.filter(merchant=merchant, test=test, succeeded_at__isnull=False):
        day = p.succeeded_at.astimezone(YEREVAN).date()
        if first <= day < after and (not shop_ids or p.shop_id in shop_ids):
            figures = days[p.currency][day]
            figures[0] += 1
            figures[1] += p.amount
            figures[3] += p.commission_amount or 0
    for r in Refund.objects.filter(payment__merchant=merchant, payment__test=test):
        day = r.created_at.astimezone(YEREVAN).date()
        if first <= day < after and (not shop_ids or r.payment.shop_id in shop_ids):
            days[r.payment.currency][day][2] += r.amount
    return days


def _request(merchant, period, *, shops=(), test=False) -> ReportRequest:
    return ReportRequest(merchant=merchant, shops=tuple(shops), period=period, test=test)


def _check(report, expected, keys):
    for section in report.sections:
        total = [0, 0, 0, 0]
        for row, key in zip(section.rows, keys, strict=True):
            count, gross, refunds, commission = expected[section.currency].get(key, [0, 0, 0, 0])
            assert (row["count"], row["gross"], row["refunds"], row["commission"]) == (
                count,
                gross,
                refunds,
                commission,
            ), key
            assert row["net"] == gross - refunds - commission
            total = [a + b for a, b in zip(total, (count, gross, refunds, commission), strict=True)]
        assert section.totals["count"] == total[0]
        assert section.totals["gross"] == total[1]
        assert section.totals["refunds"] == total[2]
        assert section.totals["commission"] == total[3]
        assert section.totals["net"] == total[1] - total[2] - total[3]


def test_by_days_equals_the_payments_counted_one_by_one(merchant, november):
    period = month_period(2026, 11, merchant.time_zone)
    report = report_build(variant=get_variant("by-days"), request=_request(merchant, period))
    assert [s.currency for s in report.sections] == ["AMD", "USD"]
    days = period.days()
    assert len(report.sections[0].rows) == 30  # every day, empty ones as zeros
    assert [row["day"] for row in report.sections[0].rows] == days
    expected = expected_days(merchant, test=False, first=period.first, after=period.after)
    _check(report, expected, days)
    amd = {row["day"]: row for row in report.sections[0].rows}
    # 00:30 in Yerevan on 1 November is 31 October in UTC: it is the 1st here.
    assert amd[date(2026, 11, 1)]["gross"] == 1_000_00
    assert amd[date(2026, 11, 15)]["gross"] == 2_000_00
    # Two payments on the 3rd: the test payment of that day is not among them.
    assert amd[date(2026, 11, 3)]["count"] == 2
    assert amd[date(2026, 11, 3)]["gross"] == 1_750_00
    assert amd[date(2026, 11, 3)]["commission"] == 35_00
    # Refunds fall on the day they were made, not on the day of the payment.
    assert amd[date(2026, 11, 20)]["refunds"] == 500_00
    assert amd[date(2026, 11, 2)]["refunds"] == 700_00
    assert amd[date(2026, 11, 2)]["net"] == -700_00
    assert report.sections[0].totals == {
        "count": 4,
        "gross": 4_750_00,
        "refunds": 1_200_00,
        "commission": 35_00,
        "net": 4_750_00 - 1_200_00 - 35_00,
    }
    assert report.sections[1].totals["gross"] == 10_00
    assert not report.empty


def test_one_shop_and_test_mode(merchant, shop, other_shop, november):
    period = month_period(2026, 11, merchant.time_zone)
    variant = get_variant("by-days")
    one = report_build(variant=variant, request=_request(merchant, period, shops=[other_shop]))
    assert [s.currency for s in one.sections] == ["AMD"]
    assert one.sections[0].totals["gross"] == 250_00
    assert one.shops_label == "Գրքեր"
    test = report_build(variant=variant, request=_request(merchant, period, test=True))
    assert test.sections[0].totals["count"] == 1
    assert test.sections[0].totals["gross"] == 999_00
    assert report_filename(test, "pdf") == "inecopay-by-days-2026-11-test.pdf"
    assert report_filename(one, "xlsx") == "inecopay-by-days-2026-11.xlsx"


def test_by_months_folds_the_days_of_each_month(merchant, november):
    period = year_period(2026, merchant.time_zone)
    report = report_build(variant=get_variant("by-months"), request=_request(merchant, period))
    months = period.months()
    by_day = expected_days(merchant, test=False, first=period.first, after=period.after)
    expected = defaultdict(lambda: defaultdict(lambda: [0, 0, 0, 0]))
    for currency, days in by_day.items():
        for day, figures in days.items():
            month = expected[currency][day.replace(day=1)]
            for n in range(4):
                month[n] += figures[n]
    _check(report, expected, months)
    amd = report.sections[0]
    assert len(amd.rows) == 12
    assert amd.rows[9]["gross"] == 700_00  # October
    assert amd.rows[11]["gross"] == 4_000_00  # December
    assert amd.rows[11]["refunds"] == 100_00


def test_a_month_without_payments_is_a_table_of_zeros_that_says_so(merchant):
    period = month_period(2026, 2, merchant.time_zone)
    report = report_build(variant=get_variant("by-days"), request=_request(merchant, period))
    assert report.empty
    (section,) = report.sections
    assert len(section.rows) == 28
    assert section.totals == {"count": 0, "gross": 0, "refunds": 0, "commission": 0, "net": 0}


def test_the_period_is_stated_half_open_in_the_merchants_zone(merchant):
    merchant.time_zone = "Europe/Moscow"
    period = month_period(2026, 11, merchant.time_zone)
    assert period.interval == "[2026-11-01 00:00, 2026-12-01 00:00) Europe/Moscow (UTC+03:00)"
    assert period.start == datetime(2026, 10, 31, 21, 0, tzinfo=UTC)


def test_figures_take_two_queries_whatever_the_number_of_payments(
    merchant, november, django_assert_num_queries
):
    period = year_period(2026, merchant.time_zone)
    request = _request(merchant, period)
    with django_assert_num_queries(2):
        report_build(variant=get_variant("by-months"), request=request)
