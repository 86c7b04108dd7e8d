"""The «Документы» page in a real browser: empty, files chosen and dropped, uploaded, a refused
file, in review, approved and rejected with the reason; on a desktop and on a phone."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from documents import services
from documents.models import Document, DocumentVersion
from tests.factories import PASSWORD

from .conftest import PreviewsOneAtATime, watch_console

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def llc(merchant):
    merchant.legal_form = "llc"
    merchant.save(update_fields=["legal_form"])
    return merchant


@pytest.fixture
def reviewer(db):
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    user = UserFactory(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="review_document"))
    return user


def _pdf(pages: int = 1) -> bytes:
    """A scanned-looking PDF: each page is an image, so its preview is not a blank sheet."""
    images = [Image.open(io.BytesIO(_scan((30, 30, 30)))) for _ in range(pages)]
    buffer = io.BytesIO()
    images[0].save(buffer, format="PDF", save_all=True, append_images=images[1:], resolution=75)
    return buffer.getvalue()


def _scan(color: tuple[int, int, int], kind: str = "PNG") -> bytes:
    """A page-shaped image with a few lines, so the thumbnail looks like a scan."""
    image = Image.new("RGB", (620, 877), (250, 250, 246))
    for y in range(90, 800, 38):
        for x in range(70, 550):
            image.putpixel((x, y), color)
    buffer = io.BytesIO()
    image.save(buffer, format=kind)
    return buffer.getvalue()


def _sign_in(page, base_url: str, email: str) -> None:
    page.goto(base_url + "/accounts/login/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url("**/dashboard/")
    _settle(page)


def _settle(page) -> None:
    """Every thumbnail loaded and the network quiet, before a screenshot and before the test
    itself touches the database the server shares with it."""
    page.evaluate(
        "() => document.querySelectorAll('img[loading=lazy]').forEach(img => img.loading = 'eager')"
    )
    page.wait_for_function("() => [...document.images].every(img => img.complete)")
    page.wait_for_load_state("networkidle")


def _thumbnails_loaded(page, card: str) -> list[int]:
    thumbs = page.locator(f"#doc-{card} img.doc-thumb")
    expect(thumbs.first).to_be_visible()
    page.wait_for_function(
        "code => [...document.querySelectorAll(`#doc-${code} img.doc-thumb`)]"
        ".every(img => img.complete && img.naturalWidth > 0)",
        arg=card,
    )
    return thumbs.evaluate_all("images => images.map(img => img.naturalWidth)")


def _shots(page, screenshot_dir, name: str) -> None:
    """The same state on a desktop and on a phone, the whole page each time."""
    # From the top: the sticky header would otherwise be drawn where the page was scrolled.
    page.evaluate("() => window.scrollTo(0, 0)")
    page.set_viewport_size(DESKTOP)
    _settle(page)
    page.screenshot(path=str(screenshot_dir / f"documents-{name}.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.evaluate("() => window.scrollTo(0, 0)")
    _settle(page)
    # Nothing may be wider than the phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(screenshot_dir / f"documents-{name}-phone.png"), full_page=True)
    page.set_viewport_size(DESKTOP)


def test_documents_page_empty_uploaded_and_rejected(
    browser, live_server, screenshot_dir, http_cookies, media, settings, owner, llc, reviewer
):
    violations: list[str] = []
    context = browser.new_context(viewport=DESKTOP, locale="en-US")
    context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}]
    )
    page = context.new_page()
    watch_console(page, violations)
    PreviewsOneAtATime(page)
    _sign_in(page, live_server.url, owner.email)

    # Empty: five required documents, nothing uploaded yet.
    page.locator(".site-nav").get_by_role("link", name="Documents").click()
    page.wait_for_url("**/documents/")
    _settle(page)
    expect(page.get_by_role("heading", name="Documents", level=1)).to_be_visible()
    expect(page.locator("article.doc-card")).to_have_count(5)
    expect(page.locator("#documents-progress-text")).to_have_text(
        "0 of 5 required documents approved"
    )
    expect(page.locator("#doc-charter [data-doc-drop-hint]")).to_be_visible()
    _shots(page, screenshot_dir, "01-empty")

    # Chosen with the file input: the names are listed, then uploaded.
    page.locator("#doc-charter-files").set_input_files(
        [
            {"name": "charter.pdf", "mimeType": "application/pdf", "buffer": _pdf(3)},
            {"name": "charter-stamp.png", "mimeType": "image/png", "buffer": _scan((40, 60, 140))},
        ]
    )
    expect(page.locator("#doc-charter .doc-chosen-name")).to_have_text(
        ["charter.pdf", "charter-stamp.png"]
    )
    page.locator("#doc-charter").get_by_role("button", name="Upload", exact=True).click()
    page.wait_for_url("**/documents/#doc-charter")
    _settle(page)
    expect(page.locator("#doc-charter .doc-head .doc-status")).to_contain_text("Waiting for review")
    expect(page.get_by_text("«Charter» is uploaded and waits for review.")).to_be_visible()
    widths = _thumbnails_loaded(page, "charter")
    assert all(width > 0 for width in widths)

    # Dropped onto the passport's drop zone: the files land in its input and are uploaded.
    page.evaluate(
        """async (scan) => {
            const zone = document.querySelector("#doc-identity_document [data-doc-drop]");
            const data = new DataTransfer();
            // Built in the page: the CSP forbids fetching even a data: URL.
            const blob = new Blob([Uint8Array.from(atob(scan), (c) => c.charCodeAt(0))]);
            data.items.add(new File([blob], "passport-photo-page.jpg", {type: "image/jpeg"}));
            data.items.add(new File([blob], "passport-registration.jpg", {type: "image/jpeg"}));
            zone.dispatchEvent(new DragEvent("dragenter", {dataTransfer: data, bubbles: true}));
            zone.dispatchEvent(new DragEvent("drop", {dataTransfer: data, bubbles: true,
                                                       cancelable: true}));
        }""",
        base64.b64encode(_scan((120, 40, 40), "JPEG")).decode(),
    )
    assert page.locator("#doc-identity_document-files").evaluate("input => input.files.length") == 2
    expect(page.locator("#doc-identity_document .doc-chosen-name")).to_have_text(
        ["passport-photo-page.jpg", "passport-registration.jpg"]
    )
    page.locator("#doc-identity_document").get_by_role("button", name="Upload", exact=True).click()
    page.wait_for_url("**/documents/#doc-identity_document")
    _settle(page)
    expect(page.locator("#doc-identity_document .doc-file")).to_have_count(2)

    # The bank letter is approved, the passport taken into review.
    page.locator("#doc-bank_account_confirmation-files").set_input_files(
        [{"name": "bank-letter.pdf", "mimeType": "application/pdf", "buffer": _pdf()}]
    )
    page.locator("#doc-bank_account_confirmation").get_by_role(
        "button", name="Upload", exact=True
    ).click()
    page.wait_for_url("**/documents/#doc-bank_account_confirmation")
    _settle(page)
    bank = Document.objects.get(type__code="bank_account_confirmation").current_version
    services.document_approve(version=bank, reviewed_by=reviewer)
    passport = Document.objects.get(type__code="identity_document").current_version
    services.document_review_start(version=passport, reviewer=reviewer)

    # A file that only calls itself a PDF is refused next to its field.
    page.goto(live_server.url + "/documents/")
    _settle(page)
    page.locator("#doc-director_appointment-files").set_input_files(
        [{"name": "decision.pdf", "mimeType": "application/pdf", "buffer": b"MZ\x90\x00" * 64}]
    )
    page.locator("#doc-director_appointment").get_by_role(
        "button", name="Upload", exact=True
    ).click()
    page.wait_for_load_state()
    _settle(page)
    errors = page.locator("#doc-director_appointment-errors")
    expect(errors).to_be_visible()
    expect(errors).to_contain_text("«decision.pdf» is not a PDF, JPEG or PNG file")
    assert not DocumentVersion.objects.filter(document__type__code="director_appointment").exists()
    page.locator("#doc-director_appointment").scroll_into_view_if_needed()
    page.locator("#doc-director_appointment").screenshot(
        path=str(screenshot_dir / "documents-03-refused-file.png")
    )
    # The 400 page itself is logged by the browser as a failed load; that is expected.
    violations[:] = [text for text in violations if "400" not in text]

    page.goto(live_server.url + "/documents/")

    _settle(page)
    expect(page.locator("#documents-progress-text")).to_have_text(
        "1 of 5 required documents approved"
    )
    expect(page.locator("#doc-identity_document .doc-head .doc-status")).to_contain_text(
        "In review"
    )
    expect(page.locator("#doc-identity_document input[type=file]")).to_have_count(0)
    expect(page.locator("#doc-bank_account_confirmation .doc-head .doc-status")).to_contain_text(
        "Approved"
    )
    _shots(page, screenshot_dir, "02-partly-uploaded")

    # Rejected with a reason; the history is opened.
    charter = Document.objects.get(type__code="charter").current_version
    services.document_reject(
        version=charter,
        reviewed_by=reviewer,
        reason="Page 4 with the 2023 amendments is missing. Upload every page of the charter "
        "in force, with the amendments.",
    )
    page.reload()
    _settle(page)
    card = page.locator("#doc-charter")
    expect(card.locator(".doc-head .doc-status")).to_contain_text("Rejected")
    expect(card.locator(".doc-reason")).to_contain_text("Page 4 with the 2023 amendments")
    card.locator(".doc-history > summary").click()
    expect(card.locator(".doc-history-table")).to_be_visible()
    _shots(page, screenshot_dir, "04-rejected")
    page.set_viewport_size(PHONE)
    card.screenshot(path=str(screenshot_dir / "documents-04-rejected-card-phone.png"))

    context.close()
    assert violations == []
