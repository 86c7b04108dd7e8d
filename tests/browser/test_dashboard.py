"""The dashboard in a real browser: turnover, the 30-day chart and its table, the shops,
the live/test switch and the links into the payment list; desktop and phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from inecopay.demo_payments import history_create
from tests.factories import PASSWORD, ShopFactory

from .conftest import watch_console

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def trading(merchant):
    live = ShopFactory(merchant=merchant, name="Books", is_open=True, live_mode=True)
    test = ShopFactory(merchant=merchant, name="Toys", is_open=True)
    history_create(shop=live, test=False, count=400, days=40, seed=11)
    history_create(shop=test, test=True, count=30, days=10, seed=12)
    return live


def _sign_in(page, base: str, email: str, language: str) -> None:
    page.goto(base + "/accounts/login/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url("**/dashboard/")
    if language != "ru":
        page.locator(f"form.language-switch button[value={language}]").click()
        page.wait_for_load_state()


def test_dashboard_figures_chart_and_links(
    browser, live_server, screenshot_dir, http_cookies, owner, trading
):
    violations: list[str] = []
    context = browser.new_context(viewport=DESKTOP, locale="en-US")
    page = context.new_page()
    watch_console(page, violations)
    _sign_in(page, live_server.url, owner.email, "en")

    expect(page.get_by_role("heading", name="Payments", exact=True)).to_be_visible()
    expect(page.locator(".dash-mode-link[aria-current=page]")).to_have_text("Live")
    chart = page.locator("svg.dash-chart")
    expect(chart).to_be_visible()
    assert chart.get_attribute("role") == "img"
    expect(page.locator("svg.dash-chart rect.dash-bar")).to_have_count(30)
    expect(page.locator("#shop-figures-title")).to_have_text("Live payments by shop")
    page.screenshot(path=screenshot_dir / "dashboard-desktop.png", full_page=True)

    page.get_by_text("Show as a table").click()
    expect(page.locator(".dash-chart-table tbody tr")).to_have_count(30)
    page.locator(".dash-chart-table").screenshot(path=screenshot_dir / "dashboard-table.png")

    page.locator(".dash-mode-link", has_text="Test").first.click()
    page.wait_for_load_state()
    expect(page.locator(".dash-mode-link[aria-current=page]")).to_have_text("Test")
    expect(page.locator("#shop-figures-title")).to_have_text("Test payments by shop")

    # A month's figure opens the list filtered the same way.
    page.locator(".dash-mode-link", has_text="Live").first.click()
    page.wait_for_load_state()
    page.locator("#turnover-month").locator("xpath=../..").get_by_role(
        "link", name="Payments"
    ).click()
    page.wait_for_load_state()
    assert "/transactions/" in page.url
    assert "period=month" in page.url and "status=succeeded" in page.url
    assert "mode=live" in page.url
    assert violations == []
    context.close()


def test_dashboard_on_a_phone_in_russian(
    browser, live_server, screenshot_dir, http_cookies, owner, trading
):
    violations: list[str] = []
    context = browser.new_context(viewport=PHONE, locale="ru-RU", is_mobile=True)
    page = context.new_page()
    watch_console(page, violations)
    _sign_in(page, live_server.url, owner.email, "ru")
    expect(page.locator("svg.dash-chart")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways: {width}px"
    page.screenshot(path=screenshot_dir / "dashboard-phone.png", full_page=True)
    assert violations == []
    context.close()
