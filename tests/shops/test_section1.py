"""Section 1 («РАЗДЕЛ 1») through the real HTTP stack: every bad input is refused next to
its field with nothing saved, a good form is saved as a draft, logos are checked and
re-encoded, and submitting lists what is still missing."""

from __future__ import annotations

import html
import io
import os
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image, PngImagePlugin

from shops.models import Shop, ShopChange
from tests.factories import ShopFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

VALID = {
    "name": "Ararat Books",
    "website": "https://books.am",
    "mcc": "5942",
    "description": "Books in Armenian, Russian and English.",
    "display_name": "Ararat Books",
    "support_email": "help@books.am",
    "support_phone": "091 234567",
    "default_currency": "AMD",
    "payment_methods": ["card", "idram"],
    "invoice_lifetime_value": "2",
    "invoice_lifetime_unit": "hours",
    "delivery_enabled": "on",
    "success_url": "https://books.am/paid",
    "fail_url": "https://books.am/failed",
    "webhook_url": "https://books.am/inecopay/webhook",
}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def shop(merchant) -> Shop:
    return ShopFactory(merchant=merchant, name="Books")


def _url(shop: Shop) -> str:
    return reverse("shops:section1", args=[shop.pk])


def image_bytes(width: int = 120, height: int = 60, fmt: str = "PNG", **options) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (33, 70, 199)).save(buffer, format=fmt, **options)
    return buffer.getvalue()


def noise_png(side: int) -> bytes:
    """Random pixels barely compress: a real PNG of several megabytes."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(buffer, format="PNG")
    return buffer.getvalue()


SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(document.cookie)</script></svg>"
)


def field_error(response, field: str) -> str:
    """The text of the error shown under `field` (crispy's invalid-feedback for it)."""
    match = re.search(
        rf'<div id="id_{field}_error" class="invalid-feedback">(.*?)</div>',
        response.content.decode(),
        flags=re.S,
    )
    assert match, f"no error shown next to {field}"
    return html.unescape(re.sub(r"<[^>]+>", " ", match.group(1)))


def _media_files(media) -> list:
    return [path for path in media.rglob("*") if path.is_file()] if media.exists() else []


BAD_INPUT = [
    ("website", {"website": "ftp://books.am"}, "starting with http:// or https://"),
    ("website", {"website": "not a web address"}, "starting with http:// or https://"),
    ("webhook_url", {"webhook_url": "javascript:alert(1)"}, "starting with http:// or https://"),
    ("mcc", {"mcc": "9999"}, "Select a valid choice"),
    ("payment_methods", {"payment_methods": []}, "Choose at least one payment method"),
    ("payment_methods", {"payment_methods": ["cash"]}, "Select a valid choice"),
    (
        "invoice_lifetime_value",
        {"invoice_lifetime_value": "4", "invoice_lifetime_unit": "minutes"},
        "from 5 minutes to 7 days",
    ),
    (
        "invoice_lifetime_value",
        {"invoice_lifetime_value": "8", "invoice_lifetime_unit": "days"},
        "from 5 minutes to 7 days",
    ),
    ("support_phone", {"support_phone": "12345"}, "Enter a valid phone number"),
    ("support_email", {"support_email": "help@"}, "Enter a valid email address"),
]


@pytest.mark.parametrize(
    ("field", "changes", "message"), BAD_INPUT, ids=[f"{c[0]}-{i}" for i, c in enumerate(BAD_INPUT)]
)
def test_bad_input_is_refused_next_to_its_field_and_nothing_is_saved(
    owner_client, shop, media, field, changes, message
):
    history_before = ShopChange.objects.count()
    data = {**VALID, **changes}
    response = owner_client.post(_url(shop), data)

    assert response.status_code == 200
    assert message in field_error(response, field)
    shop.refresh_from_db()
    assert shop.name == "Books"
    assert shop.website == ""
    assert ShopChange.objects.count() == history_before
    assert _media_files(media) == []
    # What the merchant typed is still on the form.
    page = response.content.decode()
    assert 'value="Ararat Books"' in page
    assert 'value="help@books.am"' in page or field == "support_email"
    for name, value in changes.items():
        if isinstance(value, str) and name not in ("mcc", "invoice_lifetime_unit"):
            assert f'value="{html.escape(value)}"' in page


LOGO_CASES = [
    ("svg", SimpleUploadedFile("logo.svg", SVG, "image/svg+xml"), "SVG files are not accepted"),
    (
        "svg-named-png",
        SimpleUploadedFile("logo.png", SVG, "image/png"),
        "SVG files are not accepted",
    ),
    (
        "fake-png",
        SimpleUploadedFile("logo.png", b"This is a text file, not a picture.", "image/png"),
        "not a PNG or JPEG image",
    ),
    (
        "gif",
        SimpleUploadedFile("logo.gif", image_bytes(fmt="GIF"), "image/gif"),
        "not a PNG or JPEG image",
    ),
    (
        "truncated-png",
        SimpleUploadedFile("logo.png", image_bytes(400, 400)[:200], "image/png"),
        "not a PNG or JPEG image",
    ),
    (
        "too-many-pixels",
        SimpleUploadedFile("wide.png", image_bytes(2001, 10), "image/png"),
        "at most 2000 × 2000 pixels",
    ),
]


@pytest.mark.parametrize(
    ("upload", "message"), [c[1:] for c in LOGO_CASES], ids=[c[0] for c in LOGO_CASES]
)
def test_bad_logo_is_refused_and_no_file_is_written(owner_client, shop, media, upload, message):
    upload.seek(0)
    response = owner_client.post(_url(shop), {**VALID, "logo": upload})

    assert response.status_code == 200
    assert message in field_error(response, "logo")
    shop.refresh_from_db()
    assert not shop.logo
    assert shop.website == ""
    assert _media_files(media) == []
    assert 'value="https://books.am"' in response.content.decode()


def test_logo_over_one_megabyte_is_refused(owner_client, shop, media):
    big = noise_png(700)
    assert len(big) > 1024 * 1024
    response = owner_client.post(
        _url(shop), {**VALID, "logo": SimpleUploadedFile("big.png", big, "image/png")}
    )
    assert response.status_code == 200
    assert "at most 1 MB" in field_error(response, "logo")
    assert _media_files(media) == []


def test_good_form_is_saved_as_a_draft_with_normalised_values(owner_client, owner, shop):
    response = owner_client.post(_url(shop), VALID)

    assert response.status_code == 302
    assert response["Location"] == _url(shop)
    shop.refresh_from_db()
    assert shop.name == "Ararat Books"
    assert shop.website == "https://books.am"
    assert shop.support_phone == "+37491234567"  # E.164, read as Armenian
    assert shop.payment_methods == ["card", "idram"]
    assert shop.invoice_lifetime == 2 * 60 * 60
    assert shop.delivery_enabled is True
    assert shop.review_status == Shop.Review.DRAFT
    change = shop.changes.get(action=ShopChange.Action.UPDATED)
    assert change.user == owner
    assert change.changes["website"] == ["", "https://books.am"]
    assert change.changes["invoice_lifetime"] == [15 * 60, 7200]

    page = owner_client.get(_url(shop))
    text = page.content.decode()
    assert "Section 1 is saved as a draft" in text
    # The stored lifetime comes back as a number and a unit.
    assert 'name="invoice_lifetime_value" value="2"' in text
    assert '<option value="hours" selected>' in text


@pytest.mark.parametrize(
    ("value", "unit", "seconds"),
    [("5", "minutes", 300), ("7", "days", 604800), ("168", "hours", 604800)],
)
def test_lifetime_limits_are_inclusive(owner_client, shop, value, unit, seconds):
    data = {**VALID, "invoice_lifetime_value": value, "invoice_lifetime_unit": unit}
    assert owner_client.post(_url(shop), data).status_code == 302
    shop.refresh_from_db()
    assert shop.invoice_lifetime == seconds


def test_saving_the_same_values_again_records_nothing(owner_client, shop):
    owner_client.post(_url(shop), VALID)
    count = ShopChange.objects.filter(shop=shop).count()
    assert owner_client.post(_url(shop), VALID).status_code == 302
    assert ShopChange.objects.filter(shop=shop).count() == count


def test_webhook_over_plain_http_is_saved_with_a_warning(owner_client, shop):
    data = {**VALID, "webhook_url": "http://books.am/hook"}
    response = owner_client.post(_url(shop), data, follow=True)
    shop.refresh_from_db()
    assert shop.webhook_url == "http://books.am/hook"
    assert "We recommend https://" in response.content.decode()


def _stored_logo(shop: Shop) -> bytes:
    shop.refresh_from_db()
    with shop.logo.open("rb") as handle:
        return handle.read()


def test_jpeg_logo_is_reencoded_to_png_without_metadata(owner_client, shop, media):
    exif = Image.Exif()
    exif[0x010E] = "secret-camera-note"  # ImageDescription
    jpeg = image_bytes(300, 100, fmt="JPEG", exif=exif.tobytes())
    assert b"secret-camera-note" in jpeg

    response = owner_client.post(
        _url(shop), {**VALID, "logo": SimpleUploadedFile("my logo.jpg", jpeg, "image/jpeg")}
    )

    assert response.status_code == 302
    stored = _stored_logo(shop)
    assert stored.startswith(b"\x89PNG\r\n\x1a\n")
    assert b"secret-camera-note" not in stored
    image = Image.open(io.BytesIO(stored))
    assert image.format == "PNG"
    assert image.size == (300, 100)
    assert "exif" not in image.info
    # The server names the file, never the uploader.
    assert re.fullmatch(r"shops/logos/[0-9a-f]{32}\.png", shop.logo.name)
    assert "my logo" not in shop.logo.name
    assert len(_media_files(media)) == 1


def test_png_text_chunks_are_stripped(owner_client, shop):
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    png = image_bytes(pnginfo=info)
    assert b"<script>" in png
    owner_client.post(_url(shop), {**VALID, "logo": SimpleUploadedFile("l.png", png, "image/png")})
    stored = _stored_logo(shop)
    assert b"<script>" not in stored
    assert Image.open(io.BytesIO(stored)).text == {}


def test_replacing_and_removing_the_logo_leaves_no_old_file(
    owner_client, shop, media, django_capture_on_commit_callbacks
):
    upload = SimpleUploadedFile("a.png", image_bytes(), "image/png")
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(_url(shop), {**VALID, "logo": upload})
    first = _stored_logo(shop) and shop.logo.name

    upload = SimpleUploadedFile("b.png", image_bytes(200, 80), "image/png")
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(_url(shop), {**VALID, "logo": upload})
    shop.refresh_from_db()
    assert shop.logo.name != first
    assert [path.name for path in _media_files(media)] == [shop.logo.name.rsplit("/", 1)[1]]
    change = shop.changes.filter(action=ShopChange.Action.UPDATED).first()
    assert change.changes["logo"] == [first, shop.logo.name]

    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(_url(shop), {**VALID, "remove_logo": "on"})
    shop.refresh_from_db()
    assert not shop.logo
    assert _media_files(media) == []


def test_upload_and_remove_together_is_refused(owner_client, shop, media):
    upload = SimpleUploadedFile("a.png", image_bytes(), "image/png")
    response = owner_client.post(_url(shop), {**VALID, "logo": upload, "remove_logo": "on"})
    assert response.status_code == 200
    assert "not both" in field_error(response, "logo")
    assert _media_files(media) == []


# ---------------------------------------------------------------------------
# Submitting
# ---------------------------------------------------------------------------
def test_submit_lists_missing_fields_and_keeps_the_typed_values(owner_client, shop):
    data = {
        "name": "Books",
        "display_name": "Books on the form",
        "default_currency": "AMD",
        "payment_methods": ["card"],
        "invoice_lifetime_value": "15",
        "invoice_lifetime_unit": "minutes",
    }
    response = owner_client.post(reverse("shops:submit", args=[shop.pk]), data)

    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert "Fill in Section 1 first:" in page
    for label in ("website", "category of goods and services", "support email", "support phone"):
        assert label in page
    assert "Needed before submitting" in field_error(response, "website")
    assert "Needed before submitting" in field_error(response, "support_email")
    assert 'value="Books on the form"' in page
    shop.refresh_from_db()
    assert shop.review_status == Shop.Review.DRAFT
    assert shop.display_name == "Books on the form"  # the draft is kept


def test_submit_with_an_invalid_field_saves_nothing(owner_client, shop):
    response = owner_client.post(
        reverse("shops:submit", args=[shop.pk]), {**VALID, "website": "ftp://x"}
    )
    assert response.status_code == 200
    shop.refresh_from_db()
    assert shop.review_status == Shop.Review.DRAFT
    assert shop.website == ""


def test_complete_form_is_saved_and_submitted(owner_client, owner, shop):
    response = owner_client.post(reverse("shops:submit", args=[shop.pk]), VALID)

    assert response.status_code == 302
    assert response["Location"] == reverse("shops:detail", args=[shop.pk])
    shop.refresh_from_db()
    assert shop.review_status == Shop.Review.SUBMITTED
    assert shop.submitted_at is not None
    actions = list(shop.changes.order_by("pk").values_list("action", flat=True))
    assert actions[-2:] == [ShopChange.Action.UPDATED, ShopChange.Action.SUBMITTED]

    page = owner_client.get(_url(shop)).content.decode()
    assert "Waiting for confirmation" in page
    assert "Save and submit for confirmation" not in page  # already submitted


def test_returned_shop_shows_the_reason_on_section1(owner_client, shop):
    Shop.objects.filter(pk=shop.pk).update(
        review_status=Shop.Review.RETURNED, review_reason="The website does not open."
    )
    page = owner_client.get(_url(shop)).content.decode()
    assert "returned Section 1 for changes" in page
    assert "The website does not open." in page
    assert "Save and submit for confirmation" in page
