"""The landing page and the signed-in dashboard in a real browser, desktop and phone width."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD

from .conftest import watch_console

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_landing_connect_leads_to_signup(
    browser, live_server, screenshot_dir, viewport, http_cookies
):
    violations: list[str] = []
    page = browser.new_page(viewport=VIEWPORTS[viewport])
    watch_console(page, violations)
    page.goto(live_server.url + "/")
    page.screenshot(path=str(screenshot_dir / f"landing-{viewport}.png"), full_page=True)
    page.get_by_role("link", name="Подключиться").first.click()
    page.wait_for_url("**/accounts/signup/")
    assert page.locator("input[name=email]").is_visible()
    page.close()
    assert violations == []


def test_language_switch_in_browser(browser, live_server, screenshot_dir, http_cookies):
    page = browser.new_page(viewport=VIEWPORTS["desktop"])
    page.goto(live_server.url + "/")
    page.locator(
        "form.language-switch button[value=en], form.language-switch [data-language=en]"
    ).first.click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    page.screenshot(path=str(screenshot_dir / "landing-en.png"), full_page=True)
    page.close()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_signed_in_dashboard(
    browser, live_server, screenshot_dir, owner, merchant, viewport, http_cookies
):
    violations: list[str] = []
    page = browser.new_page(viewport=VIEWPORTS[viewport])
    watch_console(page, violations)
    page.goto(live_server.url + "/accounts/login/")
    page.locator("input[name=login]").fill(owner.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url("**/dashboard/")
    assert merchant.name in page.content()
    page.screenshot(path=str(screenshot_dir / f"dashboard-{viewport}.png"), full_page=True)
    page.close()
    assert violations == []
