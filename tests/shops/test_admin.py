"""Staff confirm or return shops in the admin: the queue, the actions and the reason page,
the emails, and read-only merchant data. No admin page of shops ever fails."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from merchants.models import Membership
from shops import services
from shops.models import Shop, ShopChange
from tests.factories import MembershipFactory, MerchantFactory, ShopFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

CHANGELIST = "admin:shops_shop_changelist"
COMPLETE = {
    "website": "https://books.am",
    "mcc": "5942",
    "description": "Books.",
    "display_name": "Ararat Books",
    "support_email": "help@books.am",
    "support_phone": "+37491234567",
    "success_url": "https://books.am/ok",
    "fail_url": "https://books.am/fail",
}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def submitted(merchant, owner) -> Shop:
    shop = ShopFactory(merchant=merchant, name="Ararat Books", **COMPLETE)
    return services.shop_submit(shop=shop, by=owner)


@pytest.fixture
def draft(merchant) -> Shop:
    return ShopFactory(merchant=merchant, name="Draft shop")


def _action(client: Client, action: str, *shops, **extra):
    return client.post(
        reverse(CHANGELIST),
        {"action": action, "_selected_action": [shop.pk for shop in shops], **extra},
    )


def _messages(response) -> list[str]:
    return [str(message) for message in response.wsgi_request._messages]


def test_changelist_is_the_queue_oldest_submission_first(staff_client, merchant, owner, draft):
    now = timezone.now()
    newer = ShopFactory(merchant=merchant, name="Newer", **COMPLETE)
    older = ShopFactory(merchant=merchant, name="Older", **COMPLETE)
    for shop, age in ((newer, 1), (older, 5)):
        services.shop_submit(shop=shop, by=owner)
        Shop.objects.filter(pk=shop.pk).update(submitted_at=now - timedelta(days=age))

    response = staff_client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [older, newer, draft]

    waiting = staff_client.get(reverse(CHANGELIST), {"queue": "waiting"})
    assert list(waiting.context["cl"].result_list) == [older, newer]
    overdue = staff_client.get(reverse(CHANGELIST), {"queue": "overdue"})
    assert list(overdue.context["cl"].result_list) == [older]
    assert "Confirmation queue" in waiting.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"queue": "returned"},
        {"queue": "bogus"},
        {"review_status__exact": "submitted"},
        {"live_mode__exact": "1"},
        {"is_open__exact": "0"},
        {"o": "1"},
        {"o": "-4"},
    ],
)
def test_changelist_filters_and_sorting_never_fail(staff_client, submitted, draft, params):
    assert staff_client.get(reverse(CHANGELIST), params).status_code == 200


def test_search_by_name_public_id_and_legal_name(staff_client, merchant, submitted):
    merchant.legal_name = "Ararat Trade LLC"
    merchant.save()
    other = ShopFactory(merchant=MerchantFactory(legal_name="Other LLC"), name="Other")
    for query in ("Ararat Books", submitted.public_id, "Ararat Trade"):
        response = staff_client.get(reverse(CHANGELIST), {"q": query})
        assert list(response.context["cl"].result_list) == [submitted], query
    response = staff_client.get(reverse(CHANGELIST), {"q": "Other LLC"})
    assert list(response.context["cl"].result_list) == [other]


def test_change_page_shows_section1_read_only_with_company_data(staff_client, merchant, submitted):
    merchant.legal_name = "Ararat Trade LLC"
    merchant.tax_id = "01234567"
    merchant.save()
    ShopChange.objects.create(
        shop=submitted,
        user=submitted.changes.first().user,
        action="updated",
        changes={"payment_methods": [["card"], ["card", "idram"]], "logo": ["", "x.png"]},
    )
    response = staff_client.get(reverse("admin:shops_shop_change", args=[submitted.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Ararat Trade LLC" in page
    assert "01234567" in page
    assert "https://books.am" in page
    # Staff decide; they do not edit what the merchant entered.
    for field in ("website", "mcc", "display_name", "support_email", "name"):
        assert f'name="{field}"' not in page
    assert 'name="_save"' not in page
    assert reverse("admin:shops_shop_confirm", args=[submitted.pk]) in page
    assert reverse("admin:shops_shop_return", args=[submitted.pk]) in page
    assert "Card (Visa, Mastercard, ArCa), Idram" in page


def test_change_page_of_a_draft_offers_no_decision(staff_client, draft):
    page = staff_client.get(reverse("admin:shops_shop_change", args=[draft.pk])).content.decode()
    assert reverse("admin:shops_shop_confirm", args=[draft.pk]) not in page


def test_shops_are_not_added_or_deleted_in_the_admin(staff_client, submitted):
    assert staff_client.get(reverse("admin:shops_shop_add")).status_code == 403
    assert (
        staff_client.get(reverse("admin:shops_shop_delete", args=[submitted.pk])).status_code == 403
    )
    post = staff_client.post(
        reverse("admin:shops_shop_change", args=[submitted.pk]), {"website": "https://evil.am"}
    )
    assert post.status_code == 403
    submitted.refresh_from_db()
    assert submitted.website == "https://books.am"


def test_confirm_action_confirms_and_emails_the_owners(
    staff_client, staff, owner, submitted, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _action(staff_client, "confirm_shops", submitted)

    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.review_status == Shop.Review.CONFIRMED
    assert submitted.reviewed_by == staff
    assert submitted.changes.filter(action=ShopChange.Action.CONFIRMED, user=staff).exists()
    [message] = mailoutbox
    assert message.to == [owner.email]
    assert "Ararat Books" in message.subject
    assert f"/shops/{submitted.pk}/" in message.body
    assert message.alternatives


def test_confirming_a_draft_is_refused_with_a_message(staff_client, draft, mailoutbox):
    response = _action(staff_client, "confirm_shops", draft)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.review_status == Shop.Review.DRAFT
    assert any("Only a shop waiting for confirmation" in m for m in _messages(response))
    assert mailoutbox == []


def test_return_action_asks_for_the_reason_then_returns_every_selected_shop(
    staff_client, merchant, owner, submitted, mailoutbox, django_capture_on_commit_callbacks
):
    second = services.shop_submit(
        shop=ShopFactory(merchant=merchant, name="Second", **COMPLETE), by=owner
    )

    page = _action(staff_client, "return_shops", submitted, second)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="reason"' in html
    assert "Ararat Books" in html and "Second" in html
    assert Shop.objects.filter(review_status=Shop.Review.SUBMITTED).count() == 2

    empty = _action(staff_client, "return_shops", submitted, second, apply="1", reason="  ")
    assert empty.status_code == 200
    assert "This field is required" in empty.content.decode()
    assert Shop.objects.filter(review_status=Shop.Review.SUBMITTED).count() == 2

    with django_capture_on_commit_callbacks(execute=True):
        done = _action(
            staff_client, "return_shops", submitted, second, apply="1", reason="Add a logo."
        )
    assert done.status_code == 302
    for shop in (submitted, second):
        shop.refresh_from_db()
        assert shop.review_status == Shop.Review.RETURNED
        assert shop.review_reason == "Add a logo."
    assert len(mailoutbox) == 2
    assert all("Add a logo." in message.body for message in mailoutbox)
    assert all(message.to == [owner.email] for message in mailoutbox)


def test_single_shop_confirm_and_return_pages(
    staff_client, merchant, owner, submitted, mailoutbox, django_capture_on_commit_callbacks
):
    confirm_url = reverse("admin:shops_shop_confirm", args=[submitted.pk])
    assert staff_client.get(confirm_url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(confirm_url)
    assert response["Location"] == reverse("admin:shops_shop_change", args=[submitted.pk])
    submitted.refresh_from_db()
    assert submitted.review_status == Shop.Review.CONFIRMED

    other = services.shop_submit(
        shop=ShopFactory(merchant=merchant, name="Other", **COMPLETE), by=owner
    )
    return_url = reverse("admin:shops_shop_return", args=[other.pk])
    assert staff_client.get(return_url).status_code == 200
    assert staff_client.post(return_url, {"reason": ""}).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(return_url, {"reason": "Wrong category."})
    assert response.status_code == 302
    other.refresh_from_db()
    assert other.review_status == Shop.Review.RETURNED
    assert "Wrong category." in mailoutbox[-1].body

    # The merchant's overview shows the reason first.
    owner_page = Client()
    owner_page.force_login(owner)
    text = owner_page.get(reverse("shops:detail", args=[other.pk])).content.decode()
    assert "Wrong category." in text


def test_review_pages_of_missing_shops_are_404(staff_client):
    assert staff_client.get(reverse("admin:shops_shop_confirm", args=[999999])).status_code == 404
    assert staff_client.get(reverse("admin:shops_shop_return", args=[999999])).status_code == 404


def test_staff_without_change_permission_cannot_decide(submitted):
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_shop"))
    client = Client()
    client.force_login(viewer)
    assert client.get(reverse(CHANGELIST)).status_code == 200
    assert client.get(reverse("admin:shops_shop_change", args=[submitted.pk])).status_code == 200
    assert client.post(reverse("admin:shops_shop_confirm", args=[submitted.pk])).status_code == 403
    assert client.get(reverse("admin:shops_shop_return", args=[submitted.pk])).status_code == 403
    _action(client, "confirm_shops", submitted)
    submitted.refresh_from_db()
    assert submitted.review_status == Shop.Review.SUBMITTED


def test_merchants_cannot_open_the_admin(owner_client, submitted):
    response = owner_client.get(reverse(CHANGELIST))
    assert response.status_code == 302
    assert (
        owner_client.post(reverse("admin:shops_shop_confirm", args=[submitted.pk])).status_code
        == 302
    )
    submitted.refresh_from_db()
    assert submitted.review_status == Shop.Review.SUBMITTED


def test_staff_see_the_logo(staff_client, owner, submitted):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20)).save(buffer, format="PNG")
    services.shop_update_section1(
        shop=submitted, by=owner, logo=ContentFile(buffer.getvalue(), name="logo.png")
    )
    submitted.refresh_from_db()
    page = staff_client.get(reverse("admin:shops_shop_change", args=[submitted.pk]))
    logo_url = reverse("admin:shops_shop_logo", args=[submitted.pk])
    assert logo_url in page.content.decode()
    response = staff_client.get(logo_url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_decision_emails_reach_owners_and_admins_in_their_language(
    staff_client, merchant, owner, submitted, mailoutbox, django_capture_on_commit_callbacks
):
    owner.language = "ru"
    owner.save()
    admin_user = MembershipFactory(merchant=merchant, role=Membership.Role.ADMIN).user
    admin_user.language = "en"
    admin_user.save()
    MembershipFactory(merchant=merchant, role=Membership.Role.ACCOUNTANT)

    with django_capture_on_commit_callbacks(execute=True):
        _action(staff_client, "confirm_shops", submitted)

    by_recipient = {tuple(message.to): message for message in mailoutbox}
    assert set(by_recipient) == {(owner.email,), (admin_user.email,)}
    # Each message is rendered in its recipient's language.
    assert '<html lang="ru">' in by_recipient[(owner.email,)].alternatives[0][0]
    assert '<html lang="en">' in by_recipient[(admin_user.email,)].alternatives[0][0]
