"""Shops through the real HTTP stack: adding a shop, Section 1 to confirmation by staff and
back, open/close, live mode and what it needs, history, the logo, and who may do what."""

from __future__ import annotations

import html
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from documents.models import DocumentType
from documents.services import document_approve, document_upload
from merchants.models import Membership, Merchant, Tariff, TariffAcceptance
from shops.models import Shop, ShopChange
from tests.documents.samples import scan_png
from tests.factories import MembershipFactory, ShopFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

Role = Membership.Role
SECTION1 = {
    "name": "Ararat Books",
    "website": "https://books.am",
    "mcc": "5942",
    "description": "Books in Armenian, Russian and English.",
    "display_name": "Ararat Books",
    "support_email": "help@books.am",
    "support_phone": "+374 91 234567",
    "default_currency": "AMD",
    "payment_methods": ["card", "idram"],
    "invoice_lifetime_value": "15",
    "invoice_lifetime_unit": "minutes",
    "success_url": "https://books.am/paid",
    "fail_url": "https://books.am/failed",
    "webhook_url": "https://books.am/hook",
}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run the on-commit work (emails, file clean-up) of what happens inside, as a commit would."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _member(merchant: Merchant, role: str):
    return MembershipFactory(merchant=merchant, role=role).user


@pytest.fixture
def shop(merchant) -> Shop:
    return ShopFactory(merchant=merchant, name="Books")


@pytest.fixture
def tariff(db) -> Tariff:
    current = Tariff.objects.current()
    if current is not None:
        return current
    return Tariff.objects.create(name="Standard", version=1, published_at=timezone.now())


def _text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.content.decode()))


def _history_values(response) -> list[str]:
    """Each changed value of the history page as read aloud-free text: "Label: old → new"."""
    items = re.findall(r"<li>(.*?)</li>", response.content.decode(), flags=re.S)
    values = []
    for item in items:
        if "history-field" not in item:
            continue
        item = re.sub(r'<span class="visually-hidden">.*?</span>', "", item)
        values.append(html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", item))).strip())
    return values


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def _png(width: int = 64, height: int = 32) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


def _admin_action(staff_client: Client, action: str, shops, **extra):
    return staff_client.post(
        reverse("admin:shops_shop_changelist"),
        {"action": action, "_selected_action": [s.pk for s in shops], **extra},
    )


# ---------------------------------------------------------------------------
# Adding a shop
# ---------------------------------------------------------------------------
def test_shop_list_is_empty_with_a_call_to_add(owner_client):
    response = owner_client.get(reverse("shops:list"))
    assert response.status_code == 200
    assert "No shops yet" in _text(response)
    assert reverse("shops:add") in response.content.decode()


def test_add_shop_starts_closed_in_test_mode_and_leads_to_section1(owner_client, owner, merchant):
    assert owner_client.get(reverse("shops:add")).status_code == 200

    response = owner_client.post(reverse("shops:add"), {"name": "  Ararat Books  "})

    shop = Shop.objects.get(merchant=merchant)
    assert response.status_code == 302
    assert response["Location"] == reverse("shops:section1", args=[shop.pk])
    assert shop.name == "Ararat Books"
    assert shop.live_mode is False
    assert shop.is_open is False
    assert shop.review_status == Shop.Review.DRAFT
    assert shop.public_id.startswith("shop_")
    created = shop.changes.get()
    assert (created.action, created.user) == (ShopChange.Action.CREATED, owner)

    page = owner_client.get(reverse("shops:list"))
    text = _text(page)
    assert "Ararat Books" in text
    assert "Test mode" in text
    assert "Closed" in text
    assert "Draft" in text


def test_add_shop_without_a_name_is_refused(owner_client, merchant):
    response = owner_client.post(reverse("shops:add"), {"name": "   "})
    assert response.status_code == 200
    assert "This field is required" in _text(response)
    assert not Shop.objects.filter(merchant=merchant).exists()


def test_list_shows_only_the_merchants_own_shops(owner_client, merchant, outsider):
    ShopFactory(merchant=merchant, name="Mine")
    ShopFactory(merchant=outsider.memberships.get().merchant, name="Someone else's")
    text = _text(owner_client.get(reverse("shops:list")))
    assert "Mine" in text
    assert "Someone else's" not in text


# ---------------------------------------------------------------------------
# The whole way: Section 1 → submitted → returned → confirmed → live → changed
# ---------------------------------------------------------------------------
def _approve_required_documents(merchant, owner, staff) -> None:
    merchant.legal_form = "sole_proprietor"
    merchant.save(update_fields=["legal_form"])
    for document_type in DocumentType.objects.for_legal_form(merchant.legal_form):
        version = document_upload(
            merchant=merchant, document_type=document_type, files=[scan_png()], by=owner
        )
        document_approve(version=version, reviewed_by=staff)


def test_section1_to_confirmation_live_mode_and_back(
    owner_client, owner, merchant, shop, staff, staff_client, mailoutbox, on_commit, tariff
):
    section1 = reverse("shops:section1", args=[shop.pk])
    detail = reverse("shops:detail", args=[shop.pk])

    # Saved as a draft, then submitted.
    assert owner_client.post(section1, SECTION1).status_code == 302
    assert owner_client.post(reverse("shops:submit", args=[shop.pk]), SECTION1).status_code == 302
    shop.refresh_from_db()
    assert shop.review_status == Shop.Review.SUBMITTED

    # Staff return it with a reason, through the changelist action and its reason page.
    page = _admin_action(staff_client, "return_shops", [shop])
    assert page.status_code == 200
    assert 'name="reason"' in page.content.decode()
    with on_commit():
        response = _admin_action(
            staff_client, "return_shops", [shop], apply="1", reason="The website does not open."
        )
    assert response.status_code == 302
    shop.refresh_from_db()
    assert shop.review_status == Shop.Review.RETURNED
    assert shop.review_reason == "The website does not open."
    [returned] = mailoutbox
    assert returned.to == [owner.email]
    assert "Ararat Books" in returned.subject
    assert "The website does not open." in returned.body
    assert f"/shops/{shop.pk}/" in returned.body
    assert "The website does not open." in returned.alternatives[0][0]

    # The merchant sees the reason prominently, fixes and submits again.
    text = _text(owner_client.get(detail))
    assert "returned Section 1 for changes" in text
    assert "The website does not open." in text
    response = owner_client.post(
        reverse("shops:submit", args=[shop.pk]), {**SECTION1, "website": "https://ararat-books.am"}
    )
    assert response.status_code == 302
    shop.refresh_from_db()
    assert shop.review_status == Shop.Review.SUBMITTED
    assert shop.review_reason == ""

    # Live mode is refused while the tariff is not accepted and the shop is not confirmed.
    response = owner_client.post(reverse("shops:set_live", args=[shop.pk]), {"value": "on"})
    assert response.status_code == 200
    [refusal] = [m for m in _messages(response) if m.startswith("Live mode needs")]
    assert "Current tariff accepted" in refusal
    assert "Section 1 confirmed by Inecopay" in refusal
    assert "Account activated" not in refusal  # the factory's merchant is activated
    shop.refresh_from_db()
    assert shop.live_mode is False

    # Staff confirm it through the changelist action.
    with on_commit():
        response = _admin_action(staff_client, "confirm_shops", [shop])
    assert response.status_code == 302
    shop.refresh_from_db()
    assert shop.review_status == Shop.Review.CONFIRMED
    assert shop.reviewed_at is not None
    confirmed = mailoutbox[-1]
    assert confirmed.to == [owner.email]
    assert "confirmed" in confirmed.subject
    assert f"/shops/{shop.pk}/" in confirmed.body

    # Still refused: the current tariff is not accepted.
    response = owner_client.post(reverse("shops:set_live", args=[shop.pk]), {"value": "on"})
    assert response.status_code == 200
    assert any("Current tariff accepted" in m for m in _messages(response))
    assert "Section 1 confirmed by Inecopay" not in " ".join(_messages(response))

    TariffAcceptance.objects.create(merchant=merchant, tariff=tariff, accepted_by=owner)
    # Still refused: the company's documents are not approved.
    response = owner_client.post(reverse("shops:set_live", args=[shop.pk]), {"value": "on"})
    assert response.status_code == 200
    assert any("Required documents approved" in m for m in _messages(response))

    _approve_required_documents(merchant, owner, staff)
    response = owner_client.post(reverse("shops:set_live", args=[shop.pk]), {"value": "on"})
    assert response.status_code == 302
    shop.refresh_from_db()
    assert shop.live_mode is True

    # Changing the website of a confirmed shop sends it back and stops live payments.
    response = owner_client.post(section1, {**SECTION1, "website": "https://new-books.am"})
    assert response.status_code == 302
    shop.refresh_from_db()
    assert shop.review_status == Shop.Review.SUBMITTED
    assert shop.live_mode is False
    warning = _messages(owner_client.get(section1))
    assert any("confirmed again" in m for m in warning)

    history_page = owner_client.get(reverse("shops:history", args=[shop.pk]))
    history = _text(history_page)
    assert "Live mode switched off" in history
    assert "Website: https://ararat-books.am → https://new-books.am" in _history_values(
        history_page
    )
    assert "Confirmed by Inecopay" in history
    assert "Returned for changes" in history
    # Staff decided, but merchants see Inecopay, not a staff member's address.
    assert staff.email not in history
    assert re.search(r'class="history-who"[^>]*>\s*Inecopay\s*<', history_page.content.decode())
    assert "The website does not open." in history


def test_changing_a_field_that_is_not_reviewed_keeps_the_confirmation(owner_client, shop):
    owner_client.post(reverse("shops:section1", args=[shop.pk]), SECTION1)
    Shop.objects.filter(pk=shop.pk).update(review_status=Shop.Review.CONFIRMED, live_mode=True)
    owner_client.post(
        reverse("shops:section1", args=[shop.pk]), {**SECTION1, "description": "Also maps."}
    )
    shop.refresh_from_db()
    assert shop.review_status == Shop.Review.CONFIRMED
    assert shop.live_mode is True


def test_live_mode_lists_every_missing_requirement(owner_client, merchant, shop):
    Merchant.objects.filter(pk=merchant.pk).update(state=Merchant.State.EMAIL_VERIFIED)

    page = owner_client.get(reverse("shops:detail", args=[shop.pk]))
    text = _text(page)
    assert "Live mode needs" in text
    for title in ("Account activated", "Current tariff accepted", "Section 1 confirmed"):
        assert title in text
    # Each missing item links to the page where it is done.
    body = page.content.decode()
    assert f'href="{reverse("merchants:activation")}"' in body
    assert f'href="{reverse("shops:section1", args=[shop.pk])}"' in body

    response = owner_client.post(reverse("shops:set_live", args=[shop.pk]), {"value": "on"})
    assert response.status_code == 200
    [message] = [m for m in _messages(response) if m.startswith("Live mode needs")]
    assert "Account activated" in message
    assert "Current tariff accepted" in message
    assert "Section 1 confirmed by Inecopay" in message
    shop.refresh_from_db()
    assert shop.live_mode is False
    assert not shop.changes.filter(action=ShopChange.Action.LIVE_ON).exists()


def test_live_mode_can_be_switched_off_any_time(owner_client, shop):
    Shop.objects.filter(pk=shop.pk).update(live_mode=True)
    response = owner_client.post(reverse("shops:set_live", args=[shop.pk]), {"value": "off"})
    assert response.status_code == 302
    shop.refresh_from_db()
    assert shop.live_mode is False
    assert shop.changes.filter(action=ShopChange.Action.LIVE_OFF).exists()


def test_open_and_close(owner_client, owner, shop):
    url = reverse("shops:set_open", args=[shop.pk])
    response = owner_client.post(url, {"value": "on"})
    assert response.status_code == 302
    shop.refresh_from_db()
    assert shop.is_open is True
    assert "Open" in _text(owner_client.get(reverse("shops:detail", args=[shop.pk])))

    owner_client.post(url, {"value": "off"})
    shop.refresh_from_db()
    assert shop.is_open is False
    actions = list(shop.changes.values_list("action", "user"))
    assert (ShopChange.Action.OPENED, owner.pk) in actions
    assert (ShopChange.Action.CLOSED, owner.pk) in actions

    assert owner_client.post(url, {"value": "maybe"}).status_code == 200
    shop.refresh_from_db()
    assert shop.is_open is False


def test_post_only_actions_refuse_get(owner_client, shop):
    for name in ("submit", "set_open", "set_live"):
        assert owner_client.get(reverse(f"shops:{name}", args=[shop.pk])).status_code == 405


# ---------------------------------------------------------------------------
# History
# ---------------------------------------------------------------------------
def test_history_shows_who_changed_what_newest_first(owner_client, owner, merchant, shop):
    colleague = _member(merchant, Role.ADMIN)
    owner_client.post(reverse("shops:section1", args=[shop.pk]), SECTION1)
    _client(colleague).post(
        reverse("shops:section1", args=[shop.pk]),
        {
            **SECTION1,
            "payment_methods": ["card", "telcell"],
            "invoice_lifetime_value": "2",
            "invoice_lifetime_unit": "days",
        },
    )

    response = owner_client.get(reverse("shops:history", args=[shop.pk]))
    assert response.status_code == 200
    text = _text(response)
    assert colleague.email in text
    assert owner.email in text
    # Field names and readable values, not codes.
    values = _history_values(response)
    assert (
        "Payment methods: Card (Visa, Mastercard, ArCa), Apple Pay, Google Pay, Idram, Telcell"
        " → Card (Visa, Mastercard, ArCa), Idram"
    ) in values
    assert (
        "Payment methods: Card (Visa, Mastercard, ArCa), Idram → Card (Visa, Mastercard, ArCa),"
        " Telcell"
    ) in values
    assert "Invoice lifetime, seconds: 15 minutes → 2 days" in values
    assert "Category of goods and services: — → 5942 — Book stores" in values
    assert "Name: Books → Ararat Books" in values
    # Newest first: the colleague's change comes before the owner's.
    table = text[text.index("History of changes") :]
    assert table.index(colleague.email) < table.index(owner.email)


# ---------------------------------------------------------------------------
# Logo
# ---------------------------------------------------------------------------
def _upload_logo(client: Client, shop: Shop) -> None:
    logo = SimpleUploadedFile("logo.jpg", _jpeg(), "image/jpeg")
    response = client.post(reverse("shops:section1", args=[shop.pk]), {**SECTION1, "logo": logo})
    assert response.status_code == 302


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (80, 40), (10, 120, 60)).save(buffer, format="JPEG")
    return buffer.getvalue()


def test_logo_is_served_as_png_to_members_only(
    owner_client, merchant, shop, outsider_client, client
):
    _upload_logo(owner_client, shop)
    url = reverse("shops:logo", args=[shop.pk])

    response = owner_client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\x89PNG\r\n\x1a\n")
    assert Image.open(io.BytesIO(body)).size == (80, 40)

    accountant = _client(_member(merchant, Role.ACCOUNTANT))
    assert accountant.get(url).status_code == 200
    assert outsider_client.get(url).status_code == 404
    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("account_login"))


def test_logo_of_a_shop_without_one_is_not_found(owner_client, shop):
    assert owner_client.get(reverse("shops:logo", args=[shop.pk])).status_code == 404


def test_logo_appears_on_the_overview(owner_client, shop):
    _upload_logo(owner_client, shop)
    page = owner_client.get(reverse("shops:detail", args=[shop.pk])).content.decode()
    assert f'src="{reverse("shops:logo", args=[shop.pk])}"' in page


# ---------------------------------------------------------------------------
# Overview
# ---------------------------------------------------------------------------
def test_overview_shows_status_identifiers_and_tabs(owner_client, shop):
    response = owner_client.get(reverse("shops:detail", args=[shop.pk]))
    assert response.status_code == 200
    text = _text(response)
    assert shop.public_id in text
    for word in ("Test mode", "Closed", "Draft", "Overview", "Section 1", "API keys", "History"):
        assert word in text
    assert "Open the shop" in text
    assert reverse("shops:keys", args=[shop.pk]) in response.content.decode()


def test_accountant_sees_no_manage_controls_and_no_keys_tab(merchant, shop):
    accountant = _client(_member(merchant, Role.ACCOUNTANT))
    page = accountant.get(reverse("shops:detail", args=[shop.pk])).content.decode()
    assert reverse("shops:set_open", args=[shop.pk]) not in page
    assert reverse("shops:section1", args=[shop.pk]) not in page
    assert reverse("shops:keys", args=[shop.pk]) not in page
    assert reverse("shops:add") not in accountant.get(reverse("shops:list")).content.decode()


def test_developer_sees_the_keys_tab(merchant, shop):
    developer = _client(_member(merchant, Role.DEVELOPER))
    page = developer.get(reverse("shops:detail", args=[shop.pk])).content.decode()
    assert reverse("shops:keys", args=[shop.pk]) in page
    assert reverse("shops:set_live", args=[shop.pk]) not in page


# ---------------------------------------------------------------------------
# Who may do what
# ---------------------------------------------------------------------------
VIEW_PAGES = ["detail", "history"]
MANAGE_GET_PAGES = ["section1"]
MANAGE_POSTS = {
    "section1": SECTION1,
    "submit": SECTION1,
    "set_open": {"value": "on"},
    "set_live": {"value": "on"},
}


def _shop_url(name: str, shop: Shop) -> str:
    return reverse(f"shops:{name}", args=[shop.pk])


@pytest.mark.parametrize("name", ["detail", "history", "section1", "logo"])
def test_outsider_gets_404_on_every_shop_page(outsider_client, shop, name):
    if name == "logo":
        Shop.objects.filter(pk=shop.pk).update(logo="shops/logos/x.png")
    assert outsider_client.get(_shop_url(name, shop)).status_code == 404


@pytest.mark.parametrize("name", list(MANAGE_POSTS))
def test_outsider_gets_404_on_every_shop_action(outsider_client, shop, name):
    assert outsider_client.post(_shop_url(name, shop), MANAGE_POSTS[name]).status_code == 404
    shop.refresh_from_db()
    assert (shop.name, shop.is_open, shop.review_status) == ("Books", False, Shop.Review.DRAFT)


@pytest.mark.parametrize("role", [Role.ACCOUNTANT, Role.DEVELOPER])
def test_readers_see_pages_but_may_not_change_anything(merchant, shop, role):
    client = _client(_member(merchant, role))
    assert client.get(reverse("shops:list")).status_code == 200
    for name in VIEW_PAGES:
        assert client.get(_shop_url(name, shop)).status_code == 200, name
    assert client.get(reverse("shops:add")).status_code == 403
    assert client.post(reverse("shops:add"), {"name": "Mine"}).status_code == 403
    for name in MANAGE_GET_PAGES:
        assert client.get(_shop_url(name, shop)).status_code == 403, name
    for name, data in MANAGE_POSTS.items():
        assert client.post(_shop_url(name, shop), data).status_code == 403, name
    shop.refresh_from_db()
    assert (shop.name, shop.is_open, shop.review_status) == ("Books", False, Shop.Review.DRAFT)
    assert Shop.objects.filter(merchant=merchant).count() == 1


def test_admin_role_manages_shops(merchant, shop):
    client = _client(_member(merchant, Role.ADMIN))
    assert client.get(_shop_url("section1", shop)).status_code == 200
    assert client.post(_shop_url("set_open", shop), {"value": "on"}).status_code == 302


def test_anonymous_visitor_is_sent_to_sign_in(client, shop):
    for url in [reverse("shops:list"), reverse("shops:add"), _shop_url("detail", shop)]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    assert client.post(_shop_url("set_open", shop), {"value": "on"}).status_code == 302
    shop.refresh_from_db()
    assert shop.is_open is False


def test_staff_without_a_merchant_gets_403_on_merchant_pages(staff_client, shop):
    assert staff_client.get(_shop_url("detail", shop)).status_code == 403


# ---------------------------------------------------------------------------
# Dashboard
# ---------------------------------------------------------------------------
def test_dashboard_shows_the_shops_count_and_links(owner_client, merchant):
    page = owner_client.get(reverse("dashboard"))
    assert "No shops yet" in _text(page)
    assert reverse("shops:add") in page.content.decode()

    ShopFactory(merchant=merchant)
    ShopFactory(merchant=merchant)
    page = owner_client.get(reverse("dashboard"))
    assert "You have 2 shops." in _text(page)
    assert reverse("shops:list") in page.content.decode()


def test_dashboard_offers_no_add_link_to_an_accountant(merchant):
    accountant = _client(_member(merchant, Role.ACCOUNTANT))
    page = accountant.get(reverse("dashboard")).content.decode()
    assert reverse("shops:add") not in page
