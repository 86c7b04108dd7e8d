"""Adding a shop and filling in Section 1 in a real browser: the empty list, the errors next
to their fields, saving, submitting, the list and the overview."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from shops.models import Shop
from tests.factories import PASSWORD

from .conftest import watch_console

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DESKTOP = {"width": 1280, "height": 900}
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>'


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (240, 80), (33, 70, 199)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_add_shop_and_submit_section1(
    browser, live_server, screenshot_dir, http_cookies, media, settings, owner, merchant
):
    violations: list[str] = []
    context = browser.new_context(viewport=DESKTOP)
    context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}]
    )
    page = context.new_page()
    watch_console(page, violations)

    page.goto(live_server.url + "/accounts/login/")
    page.locator("input[name=login]").fill(owner.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url("**/dashboard/")

    # The header links to the shops; there are none yet.
    page.locator(".site-nav").get_by_role("link", name="Shops").click()
    page.wait_for_url("**/shops/")
    assert page.get_by_role("heading", name="No shops yet").is_visible()
    page.screenshot(path=str(screenshot_dir / "shops-01-list-empty.png"), full_page=True)

    page.locator("main").get_by_role("link", name="Add shop").click()
    page.wait_for_url("**/shops/add/")
    page.get_by_label("Shop name").fill("Ararat Books")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/section-1/")
    shop = Shop.objects.get(merchant=merchant)
    assert (shop.live_mode, shop.is_open) == (False, False)

    # Bad input: each message appears next to its field, and nothing is saved.
    page.get_by_label("Website", exact=True).fill("ftp://books.am")
    page.get_by_label("Category of goods and services").select_option("5942")
    page.get_by_label("What the shop sells").fill("Books in Armenian, Russian and English.")
    page.get_by_label("Name on the payment form").fill("Ararat Books")
    page.get_by_label("Support email").fill("help@books")
    page.get_by_label("Support phone").fill("12345")
    page.get_by_label("Invoice lifetime").fill("4")
    page.get_by_label("Unit").select_option("minutes")
    page.locator("input[name=logo]").set_input_files(
        {"name": "logo.svg", "mimeType": "image/svg+xml", "buffer": SVG}
    )
    page.get_by_label("Return URL after success").fill("https://books.am/paid")
    page.get_by_label("Return URL after failure").fill("https://books.am/failed")
    page.get_by_label("Result (webhook) URL").fill("https://books.am/hook")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_load_state()

    for field, message in (
        ("website", "starting with http:// or https://"),
        ("support_email", "valid email address"),
        ("support_phone", "valid phone number"),
        ("invoice_lifetime_value", "from 5 minutes to 7 days"),
        ("logo", "SVG files are not accepted"),
    ):
        error = page.locator(f"#id_{field}_error")
        assert error.is_visible(), field
        assert message in error.inner_text(), field
    assert page.get_by_label("What the shop sells").input_value().startswith("Books in")
    shop.refresh_from_db()
    assert shop.website == ""
    page.locator("#id_website").scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot_dir / "shops-02-section1-errors.png"), full_page=True)

    # Corrected, saved as a draft, then submitted.
    page.get_by_label("Website", exact=True).fill("https://books.am")
    page.get_by_label("Support email").fill("help@books.am")
    page.get_by_label("Support phone").fill("+374 91 234567")
    page.get_by_label("Invoice lifetime").fill("30")
    page.locator("input[name=logo]").set_input_files(
        {"name": "logo.png", "mimeType": "image/png", "buffer": _png()}
    )
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_load_state()
    assert page.get_by_text("Section 1 is saved as a draft").is_visible()
    shop.refresh_from_db()
    assert shop.website == "https://books.am"
    assert shop.logo
    assert page.locator("img.shop-logo-thumb").evaluate("img => img.naturalWidth") == 240

    page.get_by_role("button", name="Save and submit for confirmation").click()
    page.wait_for_url(f"**/shops/{shop.pk}/")
    shop.refresh_from_db()
    assert shop.review_status == Shop.Review.SUBMITTED
    page.locator(".shop-tabs").get_by_role("link", name="Section 1").click()
    page.wait_for_url("**/section-1/")
    assert page.get_by_role("heading", name="Waiting for confirmation").is_visible()
    page.screenshot(path=str(screenshot_dir / "shops-03-section1-submitted.png"), full_page=True)

    page.locator(".shop-breadcrumb").get_by_role("link", name="Shops").click()
    page.wait_for_url("**/shops/")
    assert page.get_by_role("link", name="Ararat Books").is_visible()
    page.screenshot(path=str(screenshot_dir / "shops-04-list.png"), full_page=True)

    page.get_by_role("link", name="Ararat Books").click()
    page.wait_for_url(f"**/shops/{shop.pk}/")
    assert page.get_by_text(shop.public_id).first.is_visible()
    assert page.get_by_role("button", name="Switch on live mode").is_disabled()
    page.get_by_role("button", name="Open the shop").click()
    page.wait_for_url(f"**/shops/{shop.pk}/")
    assert page.get_by_role("button", name="Close the shop").is_visible()
    page.screenshot(path=str(screenshot_dir / "shops-05-overview.png"), full_page=True)

    context.close()
    assert violations == []
