"""Variants over any dates plug into the page: the first and last day are checked like the
month and year are (reversed, future, too long), and the file covers both days."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from reports import registry
from reports.periods import PeriodKind
from reports.variants import build_by_days

from .conftest import at

pytestmark = pytest.mark.django_db

DOWNLOAD = reverse("reports:download")


@pytest.fixture(autouse=True)
def by_range(monkeypatch):
    variant = registry.Variant(
        code="by-range",
        title="By range",
        description="Any days, each in a row.",
        period_kind=PeriodKind.RANGE,
        formats=("csv",),
        build=build_by_days,
    )
    monkeypatch.setitem(registry._VARIANTS, variant.code, variant)
    with at(datetime(2026, 11, 29, 6, 0, tzinfo=UTC)):
        yield variant


def _query(**dates) -> dict:
    return {"mode": "live", "file": "by-range:csv", **dates}


def test_the_page_shows_day_pickers_for_such_a_variant(owner_client, english):
    page = owner_client.get(reverse("reports:index")).content.decode()
    assert 'name="date_from"' in page and 'name="date_to"' in page
    assert "By range" in page


@pytest.mark.parametrize(
    ("dates", "message"),
    [
        ({"date_from": "2026-11-10", "date_to": "2026-11-01"}, "The last day is before the first."),
        ({"date_from": "2026-12-05", "date_to": "2026-12-06"}, "This period has not begun yet."),
        (
            {"date_from": "2025-01-01", "date_to": "2026-11-01"},
            "A period may be at most 366 days long.",
        ),
        ({"date_from": "2026-11-01"}, "Choose the first and last day."),
        ({"date_from": "2026-11-01", "date_to": "soon"}, "Enter a valid date."),
    ],
)
def test_bad_days_are_refused_on_the_form(owner_client, english, dates, message):
    response = owner_client.get(DOWNLOAD, _query(**dates))
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert f'value="{dates["date_from"]}"' in page


def test_both_days_are_in_the_file(owner_client, november, english):
    response = owner_client.get(DOWNLOAD, _query(date_from="2026-11-01", date_to="2026-11-03"))
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith(
        'filename="inecopay-by-range-2026-11-01_2026-11-03.csv"'
    )
    table = response.content.decode("utf-8-sig").split("\r\n\r\n")[0]
    rows = list(csv.reader(io.StringIO(table), delimiter=";"))
    assert [row[1] for row in rows[1:]] == ["2026-11-01", "2026-11-02", "2026-11-03", "Total"]
    assert rows[3][3] == "1750,00"
    assert "[2026-11-01 00:00, 2026-11-04 00:00) Asia/Yerevan" in response.content.decode()
