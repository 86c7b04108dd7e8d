"""Staff admin: every page opens, records of consent stay read-only, the website action works."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import transaction
from django.test import RequestFactory, override_settings
from django.urls import reverse
from django.utils import timezone

from documents.models import DocumentEvent, DocumentVersion
from exports.models import ExportJob
from merchants import services
from merchants.models import (
    ContactConfirmation,
    Invitation,
    Membership,
    Merchant,
    PhoneCode,
    Tariff,
    TariffAcceptance,
    TariffRate,
    User,
)
from payments.models import WebhookDelivery, WebhookEndpointFlag
from payments.webhooks import webhook_delivery_create
from settlements.models import Payout, PayoutSchedule, Settlement
from settlements.services import adjustment_create, settle
from shops.models import Shop
from subscriptions.models import ReportSubscription
from tests.factories import MerchantFactory, UserFactory
from transactions.models import Payment
from transactions.services import payment_create, payment_simulate, payment_transition

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

READ_ONLY = {
    ContactConfirmation,
    TariffAcceptance,
    Invitation,
    UserSession,
    Authenticator,
    ExportJob,
    ReportSubscription,
}
# Payments, webhook deliveries and document decisions are written only by their services.
NO_ADD = READ_ONLY | {
    Merchant,
    Shop,
    Payment,
    WebhookDelivery,
    WebhookEndpointFlag,
    DocumentVersion,
    DocumentEvent,
    Settlement,
    Payout,
}


def _settled_live_payment(shop, staff) -> None:
    """A paid live payment, its day settled into a due payout, and an adjustment."""
    Shop.objects.filter(pk=shop.pk).update(live_mode=True)
    live = payment_create(shop=shop, test=False, amount=500000, currency="AMD", order_id="live-1")
    payment_transition(payment=live, to="processing", actor="form", fields={"method": "card"})
    payment_transition(payment=live, to="succeeded", actor="form")
    settle(now=timezone.now() + timedelta(days=2))
    PayoutSchedule.objects.create(merchant=shop.merchant, delay_days=2)
    adjustment_create(
        merchant=shop.merchant, currency="AMD", amount=-100, reason="Bank fee", staff=staff
    )


@pytest.fixture(scope="module")
def data(django_db_setup, django_db_blocker, tmp_path_factory):
    """Something in every table the admin shows: the demo and more, built once for the
    module (seed_demo takes seconds) and rolled back after it."""
    media = tmp_path_factory.mktemp("admin-media")
    with override_settings(MEDIA_ROOT=media), django_db_blocker.unblock(), transaction.atomic():
        merchant = _seed_every_table(UserFactory(is_staff=True, is_superuser=True))
        yield merchant
        transaction.set_rollback(True)


def _seed_every_table(staff) -> Merchant:
    call_command("seed_demo", "--json", stdout=StringIO())
    merchant = Merchant.objects.get(memberships__user__email="merchant@demo.inecopay.am")
    owner = merchant.memberships.get(role=Membership.Role.OWNER)
    services.invitation_create(
        merchant=merchant, email="guest@example.am", role="developer", by=owner
    )
    services.phone_code_send(merchant=merchant, phone="+37410123456", by=owner.user)
    Tariff.objects.create(name="Draft", version=99)
    Authenticator.objects.create(
        user=owner.user, type=Authenticator.Type.TOTP, data={"secret": "TOPSECRETTOTPKEY"}
    )
    Group.objects.create(name="Support")
    shop = merchant.shops.get(name="Demo Shop")
    Shop.objects.filter(pk=shop.pk).update(is_open=True, webhook_url="https://demo.example.am/hook")
    shop.refresh_from_db()
    payment = payment_create(shop=shop, test=True, amount=100, currency="AMD", order_id="demo-1")
    payment_simulate(payment=payment, outcome="succeeded")
    webhook_delivery_create(event=payment.events.get(to_status="succeeded"))
    _settled_live_payment(shop, staff)
    WebhookEndpointFlag.objects.create(shop=shop, url=shop.webhook_url)
    UserSession.objects.create(
        user=owner.user, ip="127.0.0.1", session_key="s3cr3t-session-key", user_agent="pytest"
    )
    ExportJob.objects.create(merchant=merchant, user=owner.user, format="csv", params="mode=live")
    ReportSubscription.objects.create(
        merchant=merchant, membership=owner, email="accountant@demo.example.am", frequency="daily"
    )
    return merchant


def _registered():
    return sorted(admin.site._registry, key=lambda model: model._meta.label)


@pytest.mark.parametrize("model", _registered(), ids=lambda model: model._meta.label)
def test_every_admin_page_opens_for_staff(staff_client, data, model):
    opts = model._meta
    base = f"admin:{opts.app_label}_{opts.model_name}"

    changelist = staff_client.get(reverse(f"{base}_changelist"))
    assert changelist.status_code == 200
    searched = staff_client.get(reverse(f"{base}_changelist"), {"q": "demo"})
    assert searched.status_code == 200

    add = staff_client.get(reverse(f"{base}_add"))
    assert add.status_code == (403 if model in NO_ADD else 200)

    obj = model._default_manager.order_by("pk").first()
    assert obj is not None, f"no {opts.label} to open"
    change = staff_client.get(reverse(f"{base}_change", args=[obj.pk]))
    assert change.status_code == 200


def test_phone_codes_are_not_in_the_admin():
    assert PhoneCode not in admin.site._registry


def test_secrets_never_reach_the_admin_pages(staff_client, data):
    for model in (Authenticator, UserSession, Invitation):
        obj = model.objects.first()
        opts = model._meta
        page = staff_client.get(
            reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        ).content.decode()
        assert "TOPSECRETTOTPKEY" not in page
        assert "s3cr3t-session-key" not in page
        assert "token_hash" not in page
        if model is Invitation:
            assert obj.token_hash not in page


def test_merchant_search_and_filters(staff_client, data):
    url = reverse("admin:merchants_merchant_changelist")
    other = MerchantFactory(name="Other", state=Merchant.State.REGISTERED)
    for query in ("merchant@demo.inecopay.am", "01234567", "Demo Shop"):
        response = staff_client.get(url, {"q": query})
        assert list(response.context["cl"].result_list) == [data], query
    for state in Merchant.State.values:
        assert staff_client.get(url, {"state__exact": state}).status_code == 200
    assert list(
        staff_client.get(url, {"state__exact": "registered"}).context["cl"].result_list
    ) == [other]


def test_live_enabled_filter_needs_activation_and_the_current_tariff(staff_client, data):
    url = reverse("admin:merchants_merchant_changelist")
    activated_without_tariff = MerchantFactory(state=Merchant.State.ACTIVATED)
    registered = MerchantFactory(state=Merchant.State.REGISTERED)

    live = list(staff_client.get(url, {"live": "yes"}).context["cl"].result_list)
    not_live = set(staff_client.get(url, {"live": "no"}).context["cl"].result_list)

    assert live == [data]
    assert not_live == {activated_without_tariff, registered}

    # A newer tariff is published: nobody has accepted it yet.
    Tariff.objects.create(name="Standard", version=2, published_at=timezone.now())
    assert list(staff_client.get(url, {"live": "yes"}).context["cl"].result_list) == []


def test_consent_records_are_read_only(staff_client, staff, data):
    for model in (ContactConfirmation, TariffAcceptance):
        opts = model._meta
        obj = model.objects.filter(merchant=data).first()
        base = f"admin:{opts.app_label}_{opts.model_name}"
        change_url = reverse(f"{base}_change", args=[obj.pk])
        page = staff_client.get(change_url).content.decode()
        assert 'name="_save"' not in page
        assert staff_client.post(change_url, {"ip": "10.0.0.1"}).status_code == 403
        assert staff_client.get(reverse(f"{base}_delete", args=[obj.pk])).status_code == 403
        assert staff_client.get(reverse(f"{base}_add")).status_code == 403
        model_admin = admin.site._registry[model]
        request = RequestFactory().get("/admin/")
        request.user = staff
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request, obj)
        assert not model_admin.has_delete_permission(request, obj)


def test_merchant_page_shows_consents_as_text_not_fields(staff_client, data):
    page = staff_client.get(
        reverse("admin:merchants_merchant_change", args=[data.pk])
    ).content.decode()
    assert "contact_confirmations-TOTAL_FORMS" in page
    assert 'name="contact_confirmations-0-value"' not in page
    assert 'name="tariff_acceptances-0-ip"' not in page
    assert 'name="memberships-0-role"' not in page
    assert "+37410123456" in page
    assert "01234567" in page


def test_staff_corrects_company_data(staff_client, data):
    url = reverse("admin:merchants_merchant_change", args=[data.pk])
    form = staff_client.get(url).context["adminform"].form
    post = {key: value for key, value in form.initial.items() if value is not None}
    post.update(
        {
            "director_name": "Anna Hakobyan",
            "country": "AM",
            **_inline_management(staff_client.get(url).context),
        }
    )
    response = staff_client.post(url, post)
    assert response.status_code == 302, response.context and response.context["errors"]
    data.refresh_from_db()
    assert data.director_name == "Anna Hakobyan"


def _inline_management(context) -> dict:
    values = {}
    for formset in context["inline_admin_formsets"]:
        prefix = formset.formset.prefix
        values[f"{prefix}-TOTAL_FORMS"] = formset.formset.total_form_count()
        values[f"{prefix}-INITIAL_FORMS"] = formset.formset.initial_form_count()
        for index, inline_form in enumerate(formset.formset.forms):
            if inline_form.instance.pk:
                values[f"{prefix}-{index}-id"] = inline_form.instance.pk
                fk = formset.formset.fk.name
                values[f"{prefix}-{index}-{fk}"] = formset.formset.instance.pk
    return values


# ---------------------------------------------------------------------------
# The "Confirm website manually" action
# ---------------------------------------------------------------------------
def _run_action(staff_client, *merchants):
    return staff_client.post(
        reverse("admin:merchants_merchant_changelist"),
        {"action": "confirm_website", "_selected_action": [m.pk for m in merchants]},
        follow=True,
    )


def test_confirm_website_action_records_who_confirmed(staff_client, staff):
    merchant = MerchantFactory(
        state=Merchant.State.EMAIL_VERIFIED, website="https://shop.example.am"
    )

    response = _run_action(staff_client, merchant)

    assert response.status_code == 200
    merchant.refresh_from_db()
    assert merchant.website_confirmed_at is not None
    record = ContactConfirmation.objects.get(merchant=merchant)
    assert (record.kind, record.value, record.method, record.confirmed_by) == (
        ContactConfirmation.Kind.WEBSITE,
        "https://shop.example.am",
        ContactConfirmation.Method.STAFF,
        staff,
    )
    assert "1 website confirmed." in response.content.decode()
    # Other steps are still missing: no activation.
    assert merchant.state == Merchant.State.EMAIL_VERIFIED


def test_confirm_website_action_skips_missing_and_confirmed_websites(staff_client, data):
    no_website = MerchantFactory(state=Merchant.State.EMAIL_VERIFIED)
    before = ContactConfirmation.objects.count()

    response = _run_action(staff_client, no_website, data)

    page = response.content.decode()
    assert "has not entered a website" in page
    assert "already confirmed" in page
    assert ContactConfirmation.objects.count() == before


def test_confirm_website_action_activates_when_it_was_the_last_step(
    staff_client, owner_membership, mailoutbox, django_capture_on_commit_callbacks
):
    merchant = owner_membership.merchant
    Merchant.objects.filter(pk=merchant.pk).update(
        state=Merchant.State.EMAIL_VERIFIED,
        legal_form="llc",
        legal_name="Almost LLC",
        tax_id="12345678",
        registration_number="1",
        legal_address="Yerevan",
        actual_address="Yerevan",
        director_name="A B",
        website="https://almost.example.am",
        phone="+37410000000",
        phone_confirmed_at=timezone.now(),
    )
    services.tariff_accept(
        merchant=merchant,
        tariff=Tariff.objects.current(),
        by=owner_membership.user,
        ip=None,
        user_agent="",
    )

    with django_capture_on_commit_callbacks(execute=True):
        _run_action(staff_client, merchant)

    merchant.refresh_from_db()
    assert merchant.state == Merchant.State.ACTIVATED
    assert [message.to for message in mailoutbox] == [[owner_membership.user.email]]


def test_only_staff_reach_the_admin(owner_client):
    response = owner_client.get(reverse("admin:merchants_merchant_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


# ---------------------------------------------------------------------------
# Tariffs
# ---------------------------------------------------------------------------
def test_published_tariff_rates_are_read_only_and_it_cannot_be_deleted(staff_client):
    tariff = Tariff.objects.current()
    rate = tariff.rates.get(method="card")
    url = reverse("admin:merchants_tariff_change", args=[tariff.pk])

    page = staff_client.get(url).content.decode()
    assert 'name="rates-0-percent"' not in page
    assert 'name="version"' not in page
    assert (
        staff_client.get(reverse("admin:merchants_tariff_delete", args=[tariff.pk])).status_code
        == 403
    )

    # A crafted POST changes nothing but the notes.
    staff_client.post(
        url,
        {
            "notes": "Reworded",
            "rates-TOTAL_FORMS": "1",
            "rates-INITIAL_FORMS": "1",
            "rates-0-id": rate.pk,
            "rates-0-tariff": tariff.pk,
            "rates-0-method": "card",
            "rates-0-percent": "0.01",
            "rates-0-fixed_fee": "0",
            "rates-0-min_fee": "0",
            "rates-0-currency": "AMD",
        },
    )
    rate.refresh_from_db()
    assert rate.percent == Decimal("2.50")
    tariff.refresh_from_db()
    assert tariff.notes == "Reworded"


def test_draft_tariff_rates_are_editable(staff_client):
    draft = Tariff.objects.create(name="Next", version=2)
    url = reverse("admin:merchants_tariff_change", args=[draft.pk])
    response = staff_client.post(
        url,
        {
            "name": "Next",
            "version": "2",
            "published_at_0": "",
            "published_at_1": "",
            "notes": "",
            "rates-TOTAL_FORMS": "1",
            "rates-INITIAL_FORMS": "0",
            "rates-0-method": "card",
            "rates-0-percent": "1.90",
            "rates-0-fixed_fee": "0",
            "rates-0-min_fee": "5000",
            "rates-0-currency": "AMD",
        },
    )
    assert response.status_code == 302, response.context["errors"]
    assert TariffRate.objects.get(tariff=draft).percent == Decimal("1.90")
    assert (
        staff_client.get(reverse("admin:merchants_tariff_delete", args=[draft.pk])).status_code
        == 200
    )


def test_bulk_delete_is_not_offered_for_tariffs(staff_client):
    page = staff_client.get(reverse("admin:merchants_tariff_changelist")).content.decode()
    assert "delete_selected" not in page


# ---------------------------------------------------------------------------
# Users
# ---------------------------------------------------------------------------
def test_staff_adds_a_user_by_email(staff_client):
    response = staff_client.post(
        reverse("admin:merchants_user_add"),
        {
            "email": "support@example.am",
            "usable_password": "true",
            "password1": "Very-secret-pass-42",
            "password2": "Very-secret-pass-42",
        },
    )
    assert response.status_code == 302, response.context["errors"]
    assert User.objects.get(email="support@example.am").check_password("Very-secret-pass-42")


def test_user_search_works_without_a_username(staff_client, data):
    for name in ("merchants_user", "usersessions_usersession", "mfa_authenticator"):
        response = staff_client.get(reverse(f"admin:{name}_changelist"), {"q": "merchant@demo"})
        assert response.status_code == 200


def test_ending_a_session_from_the_admin(staff_client, data):
    session = UserSession.objects.get(session_key="s3cr3t-session-key")
    response = staff_client.post(
        reverse("admin:usersessions_usersession_changelist"),
        {"action": "end_sessions", "_selected_action": [session.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert not UserSession.objects.filter(pk=session.pk).exists()


def test_deleting_a_user_with_consent_records_is_refused_not_an_error(staff_client, data):
    owner = User.objects.get(email="merchant@demo.inecopay.am")
    response = staff_client.get(reverse("admin:merchants_user_delete", args=[owner.pk]))
    assert response.status_code == 200
    assert response.context["protected"]
    assert User.objects.filter(pk=owner.pk).exists()
