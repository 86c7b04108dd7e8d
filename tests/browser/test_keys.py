"""The keys page in a real browser: create a key, see it once, copy it, reload, roll it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from shops.models import ApiKey
from shops.services import api_key_authenticate, hash_key
from tests.factories import PASSWORD, ShopFactory

from .conftest import watch_console

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def _sign_in(page, base_url: str, email: str) -> None:
    page.goto(base_url + "/accounts/login/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url("**/dashboard/")


def test_create_see_once_copy_reload_and_roll(
    browser, live_server, screenshot_dir, http_cookies, owner, merchant
):
    shop = ShopFactory(merchant=merchant, name="Books and more")
    violations: list[str] = []
    context = browser.new_context(
        viewport=DESKTOP, locale="en-US", permissions=["clipboard-read", "clipboard-write"]
    )
    page = context.new_page()
    watch_console(page, violations)
    _sign_in(page, live_server.url, owner.email)
    page.locator("form.language-switch button[value=en]").click()
    page.wait_for_load_state()
    keys_url = f"{live_server.url}/shops/{shop.pk}/keys/"

    page.goto(keys_url)
    page.locator("#keys-sk_test").get_by_role("button", name="Create a test key").click()
    # Keys are credentials: changing them asks for the password again, then goes on.
    page.wait_for_url("**/accounts/reauthenticate/**")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(keys_url)

    value = page.locator("#new-key")
    assert value.is_visible()
    plaintext = value.input_value()
    assert re.fullmatch(r"sk_test_[A-Za-z0-9]{40}", plaintext)
    assert ApiKey.objects.get(key_hash=hash_key(plaintext)).shop == shop
    page.screenshot(path=str(screenshot_dir / "keys-01-created.png"), full_page=True)
    page.get_by_role("button", name="Copy").click()
    expect(page.locator("[data-copy-status]")).to_have_text("Copied to the clipboard")
    assert page.evaluate("navigator.clipboard.readText()") == plaintext
    page.wait_for_timeout(300)
    page.locator(".key-reveal").screenshot(path=str(screenshot_dir / "keys-01b-copied.png"))

    page.reload()
    assert page.locator("#new-key").count() == 0
    assert plaintext not in page.content()
    old = ApiKey.objects.get(shop=shop)
    assert old.masked in page.locator("#keys-sk_test").inner_text()
    page.screenshot(path=str(screenshot_dir / "keys-02-list.png"), full_page=True)

    row = page.locator("#keys-sk_test .key-item").first
    row.locator("select[name=grace]").select_option(label="Old one works 24 more hours")
    row.get_by_role("button", name="Roll").click()
    page.wait_for_url(keys_url)
    new_plaintext = page.locator("#new-key").input_value()
    assert new_plaintext != plaintext
    assert api_key_authenticate(plaintext) == old
    assert api_key_authenticate(new_plaintext).shop == shop
    assert "Works until" in page.locator("#keys-sk_test").inner_text()
    page.screenshot(path=str(screenshot_dir / "keys-03-rolled.png"), full_page=True)

    # The revoke confirmation opens without any script of ours.
    page.reload()
    old_row = page.locator("#keys-sk_test .key-item-grace")
    old_row.locator("summary").click()
    confirm = old_row.get_by_role("button", name="Yes, revoke it")
    assert confirm.is_visible()
    page.wait_for_timeout(300)  # the button's colour transition
    page.screenshot(path=str(screenshot_dir / "keys-04-revoke-confirm.png"), full_page=True)
    confirm.click()
    page.wait_for_url(keys_url)
    assert api_key_authenticate(plaintext) is None
    assert "was revoked" in page.content()

    page.set_viewport_size(PHONE)
    page.reload()
    page.screenshot(path=str(screenshot_dir / "keys-05-phone.png"), full_page=True)
    context.close()
    assert violations == []
