"""A document reviewer in a real browser: signs in, opens the queue and a document's review
page with its previews, and rejects it with a reason. Screenshots go to var/screenshots/."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from documents import services
from documents.models import DocumentType, DocumentVersion
from merchants.models import Membership
from tests.factories import PASSWORD, MembershipFactory, MerchantFactory, UserFactory, totp_code

from .conftest import PreviewsOneAtATime, watch_console

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DESKTOP = {"width": 1440, "height": 1000}


@pytest.fixture
def reviewer(db):
    user = UserFactory(is_staff=True, first_name="Lilit", last_name="Reviewer", language="en")
    user.user_permissions.add(Permission.objects.get(codename="review_document"))
    return user


def _font(size: int):
    try:
        return ImageFont.truetype("DejaVuSans.ttf", size)
    except OSError:
        return ImageFont.load_default()


def _page_image(title: str, lines: list[str], size=(1240, 1754), color="white") -> Image.Image:
    image = Image.new("RGB", size, color)
    draw = ImageDraw.Draw(image)
    draw.text((100, 120), title, fill="black", font=_font(72))
    for index, line in enumerate(lines):
        draw.text((100, 300 + index * 60), line, fill="#333333", font=_font(36))
    draw.rectangle((90, 1500, 600, 1640), outline="#2244aa", width=6)
    draw.text((120, 1545), "Seal / signature", fill="#2244aa", font=_font(36))
    return image


def _pdf(name: str, title: str, pages: int) -> SimpleUploadedFile:
    images = [
        _page_image(title, ["Ararat Trade LLC", f"Page {n} of {pages}"])
        for n in range(1, pages + 1)
    ]
    buffer = io.BytesIO()
    images[0].save(buffer, format="PDF", save_all=True, append_images=images[1:])
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/pdf")


def _jpeg(name: str, title: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    _page_image(title, ["Anna Petrosyan", "AM 1234567"], size=(1200, 850), color="#f3efe4").save(
        buffer, format="JPEG", quality=85
    )
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def queue(db, settings, tmp_path):
    """Three merchants' documents waiting; the LLC's charter waits longest."""
    settings.MEDIA_ROOT = tmp_path / "media"
    llc = MembershipFactory(
        role=Membership.Role.OWNER,
        merchant=MerchantFactory(
            name="Ararat Books",
            legal_form="llc",
            legal_name="Ararat Trade LLC",
            tax_id="01234567",
            registration_number="286.110.02345",
            legal_address="1 Abovyan St, Yerevan 0001",
            actual_address="5 Tumanyan St, Yerevan 0002",
            director_name="Anna Petrosyan",
            website="https://books.am",
            phone="+37491234567",
        ),
    )
    sole = MembershipFactory(
        role=Membership.Role.OWNER,
        merchant=MerchantFactory(
            name="Sevan Tours", legal_form="sole_proprietor", legal_name="IE Hayk Sargsyan"
        ),
    )
    charter = services.document_upload(
        merchant=llc.merchant,
        document_type=DocumentType.objects.get(code="charter"),
        files=[_pdf("charter.pdf", "CHARTER", 2), _jpeg("charter-amendment.jpg", "AMENDMENT No 1")],
        by=llc.user,
    )
    passport = services.document_upload(
        merchant=llc.merchant,
        document_type=DocumentType.objects.get(code="identity_document"),
        files=[_jpeg("passport.jpg", "PASSPORT")],
        by=llc.user,
    )
    certificate = services.document_upload(
        merchant=sole.merchant,
        document_type=DocumentType.objects.get(code="registration_certificate"),
        files=[_pdf("certificate.pdf", "CERTIFICATE", 1)],
        by=sole.user,
    )
    now = timezone.now()
    for version, age in (
        (charter, timedelta(days=3, hours=2)),
        (certificate, timedelta(days=1, hours=5)),
        (passport, timedelta(hours=4)),
    ):
        DocumentVersion.objects.filter(pk=version.pk).update(submitted_at=now - age)
    return {"charter": charter, "passport": passport, "certificate": certificate}


def test_reviewer_opens_the_queue_and_rejects_a_document_with_a_reason(
    browser, live_server, screenshot_dir, http_cookies, settings, reviewer, queue
):
    violations: list[str] = []
    context = browser.new_context(viewport=DESKTOP, locale="en-US")
    context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}]
    )
    page = context.new_page()
    watch_console(page, violations)
    PreviewsOneAtATime(page)

    # Staff sign in like everyone else; with no merchant account they land in the admin.
    page.goto(live_server.url + "/accounts/login/")
    page.locator("input[name=login]").fill(reviewer.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    # Staff have two-factor on (the admin demands it): the code from their app.
    page.wait_for_url("**/accounts/2fa/authenticate/")
    page.locator("input[name=code]").fill(totp_code())
    page.locator("form:has(input[name=code]) button[type=submit]").first.click()
    page.wait_for_url("**/admin/")

    page.get_by_role("link", name="Submitted documents").first.click()
    page.wait_for_url("**/admin/documents/documentversion/")
    assert page.get_by_role("heading", name="Documents to review").is_visible()
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 3
    first_row = rows.nth(0).inner_text().replace("\xa0", " ")
    assert "Charter" in first_row and "3 days" in first_row and "Ararat Trade LLC" in first_row
    assert "Sevan Tours" in rows.nth(1).inner_text() or "IE Hayk" in rows.nth(1).inner_text()
    page.screenshot(path=str(screenshot_dir / "documents-admin-01-queue.png"), full_page=True)

    # The review page: company data beside the files, each with its preview.
    rows.nth(0).locator("th a").click()
    charter = queue["charter"]
    page.wait_for_url(f"**/admin/documents/documentversion/{charter.pk}/change/")
    previews = page.locator("#document-files img.document-preview")
    assert previews.count() == 2
    page.wait_for_function(
        "() => [...document.querySelectorAll('#document-files img')]"
        ".every(img => img.complete && img.naturalWidth > 0)"
    )
    company = page.locator("#company").inner_text()
    for value in ("Ararat Trade LLC", "01234567", "Anna Petrosyan", "1 Abovyan St"):
        assert value in company
    assert page.get_by_role("button", name="Approve").is_visible()
    page.screenshot(path=str(screenshot_dir / "documents-admin-02-review.png"), full_page=True)

    # "Open" shows the file inline in a new tab.
    with context.expect_page() as opened:
        page.locator("#document-files").get_by_role("link", name="Open").first.click()
    tab = opened.value
    tab.wait_for_load_state()
    tab.close()

    # Reject with a reason, on its own page; an empty reason is refused by the browser.
    page.get_by_role("link", name="Reject…").click()
    page.wait_for_url(f"**/{charter.pk}/reject/")
    page.get_by_role("button", name="Reject").click()
    assert page.url.endswith(f"/{charter.pk}/reject/")
    page.get_by_label("Reason for rejection").fill(
        "Page 3 of the charter (the amendments of 2024) is missing. Upload every page."
    )
    page.screenshot(path=str(screenshot_dir / "documents-admin-03-reject.png"), full_page=True)
    page.get_by_role("button", name="Reject").click()
    page.wait_for_url(f"**/admin/documents/documentversion/{charter.pk}/change/")
    assert "1 document rejected" in page.locator(".messagelist").inner_text()
    assert page.get_by_role("button", name="Approve").count() == 0
    log = page.locator("#decision-log").inner_text()
    assert "Rejected" in log and "Page 3 of the charter" in log
    page.screenshot(path=str(screenshot_dir / "documents-admin-04-rejected.png"), full_page=True)

    charter.refresh_from_db()
    assert charter.status == DocumentVersion.Status.REJECTED
    assert charter.reason.startswith("Page 3 of the charter")

    # The decided version has left the queue.
    page.goto(live_server.url + "/admin/documents/documentversion/")
    assert page.locator("#result_list tbody tr").count() == 2
    assert violations == []
    context.close()
