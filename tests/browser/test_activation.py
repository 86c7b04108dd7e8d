"""Sign up and activate in a real browser: the form, the email link, every wizard step."""

from __future__ import annotations

import re

import pytest

from inecopay.lib.outbox import outbox_list
from merchants.models import Merchant, TariffAcceptance

from .conftest import newest_in_outbox, watch_console

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

EMAIL = "browser.shop@example.am"
PASSWORD = "Very-secret-pass-42"
DESKTOP = {"width": 1280, "height": 900}


def test_sign_up_and_activate(
    browser,
    live_server,
    screenshot_dir,
    http_cookies,
    outbox_backend,
    tariff,
    shop_site,
):
    violations: list[str] = []
    context = browser.new_context(
        viewport=DESKTOP, permissions=["clipboard-read", "clipboard-write"]
    )
    page = context.new_page()
    watch_console(page, violations)

    def shot(name: str) -> None:
        # From the top, so the sticky header is drawn where it belongs.
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(screenshot_dir / f"activation-{name}.png"), full_page=True)

    # Sign up.
    page.goto(live_server.url + "/accounts/signup/")
    page.locator("input[name=email]").fill(EMAIL)
    page.locator("input[name=password1]").fill(PASSWORD)
    page.locator("input[name=password2]").fill(PASSWORD)
    shot("01-signup")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state()

    # The activation link from the email, on the live server's address.
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", newest_in_outbox("email"))
    assert link
    page.goto(live_server.url + link.group(1))
    shot("02-confirm-email")
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url("**/dashboard/")
    shot("03-dashboard-before")

    # Step 1: company.
    page.goto(live_server.url + "/activation/")
    page.wait_for_url("**/activation/company/")
    page.locator("select[name=legal_form]").select_option("llc")
    page.locator("input[name=legal_name]").fill("Ararat Trade LLC")
    page.locator("input[name=tax_id]").fill("0123456")
    page.locator("input[name=registration_number]").fill("273.110.01234")
    page.locator("input[name=legal_address]").fill("Yerevan, Abovyan 1")
    page.locator("input[name=same_address]").check()
    page.locator("input[name=director_name]").fill("Armen Sargsyan")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    # Seven digits: refused, everything typed is still there.
    assert page.locator("#id_tax_id.is-invalid").is_visible()
    assert page.locator("input[name=legal_name]").input_value() == "Ararat Trade LLC"
    shot("04-company-error")
    page.locator("input[name=tax_id]").fill("01234567")
    shot("05-company")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/activation/website/")

    # Step 2: website.
    page.locator("input[name=website]").fill(shop_site.url + "/")
    shot("06-website")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/activation/contacts/")

    # Step 3: contacts. The website is checked first without the token...
    page.locator("form[action$='check-website/'] button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".alert-danger").is_visible()
    assert page.locator("[data-copy-target]").first.is_visible()  # the copy script ran
    shot("07-contacts-website-error")

    page.locator("input[name=phone]").fill("+374 12")
    page.locator("form[action$='send-code/'] button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("#id_phone.is-invalid").is_visible()
    assert page.locator("input[name=phone]").input_value() == "+374 12"
    shot("08-contacts-phone-error")
    page.locator("input[name=phone]").fill("+374 91 234567")
    page.locator("form[action$='send-code/'] button[type=submit]").click()
    page.wait_for_url("**/activation/contacts/")
    code = re.search(r"\b(\d{6})\b", newest_in_outbox("sms")).group(1)
    page.locator("input[name=code]").fill(code)
    shot("09-contacts-code")
    page.locator("form[action$='verify-code/'] button[type=submit]").click()
    page.wait_for_url("**/activation/contacts/")

    # ... then with the token the wizard showed, served by the shop's site.
    token = Merchant.objects.get(memberships__user__email=EMAIL).website_token
    assert page.locator("#verify-token").input_value() == token
    page.locator("[data-copy-target=verify-token]").click()
    assert page.evaluate("navigator.clipboard.readText()") == token
    shop_site.serve_meta_tag(token)
    shot("10-contacts-phone-confirmed")
    page.locator("form[action$='check-website/'] button[type=submit]").click()
    page.wait_for_url("**/activation/tariffs/")

    # Step 4: tariffs.
    shot("11-tariffs")
    page.locator("input[name=accept]").check()
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/dashboard/")
    shot("12-dashboard-activated")
    assert page.locator(".alert-success").is_visible()

    # The wizard at phone width, revisited after activation.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + "/activation/contacts/")
    shot("13-contacts-phone-width")
    page.goto(live_server.url + "/activation/tariffs/")
    shot("14-tariffs-phone-width")

    merchant = Merchant.objects.get(memberships__user__email=EMAIL)
    assert merchant.state == Merchant.State.ACTIVATED
    acceptance = TariffAcceptance.objects.get(merchant=merchant)
    assert acceptance.ip == "127.0.0.1"
    assert "Chrome" in acceptance.user_agent
    assert any(m.channel == "email" and "Ararat" in m.subject for m in outbox_list())
    context.close()
    assert violations == []
