"""The «Отчеты» page over HTTP: who sees it, what downloads, and bad input answered with a
clear message on the same form, never a 500."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from merchants.models import Membership
from tests.factories import MembershipFactory, ShopFactory

from .conftest import at

pytestmark = pytest.mark.django_db

INDEX = reverse("reports:index")
DOWNLOAD = reverse("reports:download")
# «Now» in these tests: 10:00 in Yerevan on 29 November 2026.
NOW = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _now():
    with at(NOW):
        yield


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _member(merchant, role) -> Client:
    return _client(MembershipFactory(merchant=merchant, role=role).user)


def _query(**overrides) -> dict:
    query = {"shop": "", "mode": "live", "month": "2026-11", "year": "2026"}
    query.update(overrides)
    return query


def test_page_offers_variants_formats_shops_and_period(owner_client, shop, other_shop, english):
    response = owner_client.get(INDEX)
    assert response.status_code == 200
    page = response.content.decode()
    assert "By days" in page and "By months" in page
    for value in ("by-days:pdf", "by-days:xlsx", "by-days:csv", "by-months:pdf"):
        assert f'value="{value}"' in page
    assert "Գրքեր" in page and "All shops" in page
    assert 'value="2026-11"' in page  # this month, in the merchant's zone
    assert 'value="live" checked' in page
    assert "<script>" not in page  # CSP: no inline scripts
    assert f'href="{INDEX}"' in page  # the menu links here


def test_navigation_shows_reports_to_an_accountant(merchant, english):
    response = _member(merchant, Membership.Role.ACCOUNTANT).get(INDEX)
    assert response.status_code == 200


def test_developer_may_not_see_reports(merchant):
    client = _member(merchant, Membership.Role.DEVELOPER)
    assert client.get(INDEX).status_code == 403
    assert client.get(DOWNLOAD, _query(file="by-days:pdf")).status_code == 403
    assert f'href="{INDEX}"' not in client.get(reverse("dashboard")).content.decode()


def test_anonymous_visitor_is_sent_to_sign_in():
    response = Client().get(DOWNLOAD, _query(file="by-days:pdf"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_pdf_icon_downloads_the_pdf(owner_client, november, english):
    response = owner_client.get(DOWNLOAD, _query(file="by-days:pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="inecopay-by-days-2026-11.pdf"'
    assert response["Cache-Control"] == "private, no-store"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "4,750.00" in text


def test_one_shop_in_test_mode_as_xlsx(owner_client, other_shop, november, english):
    response = owner_client.get(
        DOWNLOAD, _query(file="by-months:xlsx", shop=other_shop.pk, mode="test")
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('filename="inecopay-by-months-2026-test.xlsx"')
    book = load_workbook(io.BytesIO(response.content))
    about = {row[0]: row[1] for row in book["Report"].iter_rows(min_row=2, values_only=True)}
    assert about["Shops"] == "Գրքեր"
    assert about["Payments"] == "Test payments"
    # The only test payment is in the other shop: a report of zeros here.
    assert about["Note"] == "No payments and no refunds in this period."


def test_selected_files_arrive_as_one_zip(owner_client, november):
    response = owner_client.get(
        DOWNLOAD,
        {
            **_query(zip="1", file="by-days:pdf"),
            "files": ["by-days:pdf", "by-days:csv", "by-months:xlsx"],
        },
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].endswith('filename="inecopay-reports-2026-11_2026.zip"')
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert archive.namelist() == [
            "inecopay-by-days-2026-11.pdf",
            "inecopay-by-days-2026-11.csv",
            "inecopay-by-months-2026.xlsx",
        ]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (_query(file="by-weeks:pdf"), "There is no such report or format: by-weeks:pdf."),
        (_query(file="by-days:docx"), "There is no such report or format: by-days:docx."),
        (_query(zip="1"), "Choose at least one report and format."),
        (_query(), "Choose at least one report and format."),
        (_query(file="by-days:pdf", month="2026-12"), "This month has not begun yet."),
        (_query(file="by-days:pdf", month="2026-13"), "Enter a month as YYYY-MM, e.g. 2026-11."),
        (_query(file="by-days:pdf", month="last"), "Enter a month as YYYY-MM, e.g. 2026-11."),
        (_query(file="by-days:pdf", month=""), "Choose the month."),
        (_query(file="by-months:csv", year="2027"), "This year has not begun yet."),
        (_query(file="by-months:csv", year="1999"), "Choose a year from 2000 on."),
        (_query(file="by-months:csv", year="twenty"), "Enter a whole number."),
        (_query(file="by-days:pdf", mode="both"), "Choose live or test payments."),
        (_query(file="by-days:pdf", shop="nope"), "Choose one of your shops."),
    ],
)
def test_bad_input_keeps_the_form_and_says_why(owner_client, shop, english, query, message):
    response = owner_client.get(DOWNLOAD, query)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert message in page
    # The form keeps what was asked for.
    if query.get("month"):
        assert f'value="{query["month"]}"' in page


def test_another_merchants_shop_is_refused(owner_client, outsider, november, english):
    foreign = ShopFactory(merchant=outsider.memberships.get().merchant, name="Foreign")
    response = owner_client.get(DOWNLOAD, _query(file="by-days:csv", shop=foreign.pk))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Choose one of your shops." in page
    assert "Foreign" not in page


def test_russian_is_the_default_language(owner_client, shop):
    response = owner_client.get(DOWNLOAD, _query(file="by-days:pdf", month="2026-12"))
    assert response.status_code == 400
    assert 'lang="ru"' in response.content.decode()
