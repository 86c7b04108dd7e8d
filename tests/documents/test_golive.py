"""The go-live checklist item "Required documents approved" and the shop's live mode that
depends on it: red until every required document of the legal form is approved, green after,
and it stays green while a newer version of an approved document waits or is rejected."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from documents import services
from documents.models import DocumentType, DocumentVersion
from documents.selectors import documents_golive_item, required_documents_approved
from merchants.models import Merchant, Tariff
from merchants.selectors import golive_checklist
from merchants.services import ServiceError, tariff_accept
from shops import services as shop_services
from shops.models import Shop
from tests.factories import ShopFactory

from .samples import passport_pdf

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

TITLE = "Required documents approved"
LLC_REQUIRED = [
    "charter",
    "registration_certificate",
    "director_appointment",
    "identity_document",
    "bank_account_confirmation",
]
SOLE_REQUIRED = ["registration_certificate", "identity_document", "bank_account_confirmation"]
SECTION1 = {
    "website": "https://books.am",
    "mcc": "5942",
    "description": "Books.",
    "display_name": "Ararat Books",
    "support_email": "help@books.am",
    "support_phone": "+37491234567",
    "success_url": "https://books.am/ok",
    "fail_url": "https://books.am/fail",
}


def _upload(merchant, code: str, owner) -> DocumentVersion:
    return services.document_upload(
        merchant=merchant,
        document_type=DocumentType.objects.get(code=code),
        files=[passport_pdf()],
        by=owner,
    )


def _approve_all(merchant, owner, reviewer, codes) -> list[DocumentVersion]:
    versions = []
    for code in codes:
        version = _upload(merchant, code, owner)
        versions.append(services.document_approve(version=version, reviewed_by=reviewer))
    return versions


def _item(merchant):
    [item] = [item for item in golive_checklist(merchant) if item.key == "documents"]
    return item


def _text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


def _dashboard_item(client) -> str:
    """The class list and text of the documents item on the dashboard's checklist."""
    body = client.get(reverse("dashboard")).content.decode()
    for match in re.finditer(r'<li class="(checklist-item[^"]*)">(.*?)</li>', body, flags=re.S):
        if TITLE in match.group(2):
            text = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(2))))
            return f"{match.group(1)} | {text.strip()}"
    raise AssertionError("the dashboard has no documents item")


@pytest.fixture
def tariff(db) -> Tariff:
    return Tariff.objects.current() or Tariff.objects.create(
        name="Standard", version=1, published_at=timezone.now()
    )


@pytest.fixture
def ready_shop(merchant, owner, staff, tariff) -> Shop:
    """Everything for live mode but the documents: activated, tariff accepted, confirmed."""
    assert merchant.state == Merchant.State.ACTIVATED
    tariff_accept(merchant=merchant, tariff=tariff, by=owner, ip=None, user_agent="test")
    shop = ShopFactory(merchant=merchant, name="Ararat Books", **SECTION1)
    shop_services.shop_submit(shop=shop, by=owner)
    return shop_services.shop_confirm(shop=shop, staff=staff)


# ---------------------------------------------------------------------------
# The checklist item
# ---------------------------------------------------------------------------
def test_item_is_red_until_every_required_document_is_approved(merchant, owner, reviewer):
    item = _item(merchant)
    assert (str(item.title), item.done, item.url_name) == (TITLE, False, "documents:list")

    versions = [_upload(merchant, code, owner) for code in LLC_REQUIRED]
    assert _item(merchant).done is False  # uploaded is not approved
    for version in versions[:-1]:
        services.document_approve(version=version, reviewed_by=reviewer)
        assert _item(merchant).done is False
    services.document_review_start(version=versions[-1], reviewer=reviewer)
    assert _item(merchant).done is False  # in review is not approved either
    services.document_approve(version=versions[-1], reviewed_by=reviewer)
    assert _item(merchant).done is True


def test_a_rejected_required_document_keeps_the_item_red(merchant, owner, reviewer):
    versions = [_upload(merchant, code, owner) for code in LLC_REQUIRED]
    for version in versions[:-1]:
        services.document_approve(version=version, reviewed_by=reviewer)
    services.document_reject(version=versions[-1], reviewed_by=reviewer, reason="Blurred.")
    assert _item(merchant).done is False


def test_an_optional_type_does_not_count(merchant, owner, reviewer):
    optional = DocumentType.objects.create(
        code="price_list", name_ru="Прайс-лист", name_en="Price list", legal_forms=["llc"]
    )
    optional.required = False
    optional.save()
    _approve_all(merchant, owner, reviewer, LLC_REQUIRED)
    assert required_documents_approved(merchant) is True
    # Approving the optional one changes nothing, and neither does its absence.
    services.document_approve(version=_upload(merchant, "price_list", owner), reviewed_by=reviewer)
    assert required_documents_approved(merchant) is True


def test_an_inactive_type_does_not_count_and_a_new_required_one_does(merchant, owner, reviewer):
    _approve_all(merchant, owner, reviewer, LLC_REQUIRED)
    DocumentType.objects.create(
        code="licence", name_ru="Лицензия", name_en="Licence", legal_forms=["llc"], is_active=False
    )
    assert required_documents_approved(merchant) is True
    DocumentType.objects.filter(code="licence").update(is_active=True)
    assert required_documents_approved(merchant) is False


def test_a_sole_proprietor_needs_three(merchant, owner, reviewer):
    merchant.legal_form = "sole_proprietor"
    merchant.save()
    _approve_all(merchant, owner, reviewer, SOLE_REQUIRED[:2])
    assert _item(merchant).done is False
    _approve_all(merchant, owner, reviewer, SOLE_REQUIRED[2:])
    assert _item(merchant).done is True


def test_a_merchant_without_a_legal_form_is_never_green(merchant):
    merchant.legal_form = ""
    merchant.save()
    assert documents_golive_item(merchant).done is False


def test_a_newer_version_waiting_keeps_the_item_green(merchant, owner, reviewer):
    _approve_all(merchant, owner, reviewer, LLC_REQUIRED)
    newer = _upload(merchant, "charter", owner)
    assert newer.status == DocumentVersion.Status.UPLOADED
    assert _item(merchant).done is True
    services.document_review_start(version=newer, reviewer=reviewer)
    assert _item(merchant).done is True


def test_a_rejected_reupload_of_an_approved_document_keeps_the_item_green(
    merchant, owner, reviewer
):
    approved = _approve_all(merchant, owner, reviewer, LLC_REQUIRED)
    newer = _upload(merchant, "charter", owner)
    services.document_reject(version=newer, reviewed_by=reviewer, reason="Wrong file.")
    assert _item(merchant).done is True
    document = newer.document
    document.refresh_from_db()
    assert document.approved_version_id == approved[0].pk


# ---------------------------------------------------------------------------
# The dashboard
# ---------------------------------------------------------------------------
def test_dashboard_shows_the_item_red_then_green(owner_client, merchant, owner, reviewer):
    item = _dashboard_item(owner_client)
    assert "is-done" not in item
    assert TITLE in item
    page = owner_client.get(reverse("dashboard")).content.decode()
    assert f'href="{reverse("documents:list")}"' in page

    _approve_all(merchant, owner, reviewer, LLC_REQUIRED)
    item = _dashboard_item(owner_client)
    assert "is-done" in item
    assert "Done" in item


# ---------------------------------------------------------------------------
# Live mode of a shop
# ---------------------------------------------------------------------------
def test_live_mode_is_refused_while_documents_are_missing(
    owner_client, owner, merchant, ready_shop
):
    with pytest.raises(ServiceError) as refused:
        shop_services.shop_set_live(shop=ready_shop, live=True, by=owner)
    assert TITLE in refused.value.message
    assert "tariff" not in refused.value.message
    assert "Section 1" not in refused.value.message

    # The shop page says what is missing and links to the documents.
    detail = owner_client.get(reverse("shops:detail", args=[ready_shop.pk]))
    text = _text(detail)
    assert "Live mode needs" in text and TITLE in text
    assert f'href="{reverse("documents:list")}"' in detail.content.decode()

    response = owner_client.post(reverse("shops:set_live", args=[ready_shop.pk]), {"value": "on"})
    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    assert any(m.startswith("Live mode needs") and TITLE in m for m in messages)
    ready_shop.refresh_from_db()
    assert ready_shop.live_mode is False


def test_live_mode_is_allowed_once_the_documents_are_approved(
    owner_client, owner, merchant, reviewer, ready_shop
):
    versions = _approve_all(merchant, owner, reviewer, LLC_REQUIRED[:-1])
    response = owner_client.post(reverse("shops:set_live", args=[ready_shop.pk]), {"value": "on"})
    assert response.status_code == 200
    ready_shop.refresh_from_db()
    assert ready_shop.live_mode is False

    _approve_all(merchant, owner, reviewer, LLC_REQUIRED[-1:])
    assert len(versions) == 4
    response = owner_client.post(reverse("shops:set_live", args=[ready_shop.pk]), {"value": "on"})
    assert response.status_code == 302
    ready_shop.refresh_from_db()
    assert ready_shop.live_mode is True


def test_a_waiting_or_rejected_new_version_does_not_stop_going_live(
    owner_client, owner, merchant, reviewer, ready_shop
):
    _approve_all(merchant, owner, reviewer, LLC_REQUIRED)
    waiting = _upload(merchant, "charter", owner)
    rejected = _upload(merchant, "identity_document", owner)
    services.document_reject(version=rejected, reviewed_by=reviewer, reason="Expired.")
    assert waiting.status == DocumentVersion.Status.UPLOADED
    shop = shop_services.shop_set_live(shop=ready_shop, live=True, by=owner)
    assert shop.live_mode is True


def test_live_mode_needs_the_shop_confirmed_and_tariff_even_with_documents(
    owner, merchant, reviewer, staff, tariff
):
    _approve_all(merchant, owner, reviewer, LLC_REQUIRED)
    shop = ShopFactory(merchant=merchant, name="Draft", **SECTION1)
    with pytest.raises(ServiceError) as refused:
        shop_services.shop_set_live(shop=shop, live=True, by=owner)
    assert TITLE not in refused.value.message
    assert "Current tariff accepted" in refused.value.message
    assert "Section 1 confirmed by Inecopay" in refused.value.message
