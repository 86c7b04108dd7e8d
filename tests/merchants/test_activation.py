"""The activation wizard through the real HTTP stack: signup, the email link, every step,
the bad input each step must refuse, and who may use it."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import timezone

from inecopay.lib.outbox import outbox_list
from merchants.models import (
    ContactConfirmation,
    Membership,
    Merchant,
    PhoneCode,
    Tariff,
    TariffAcceptance,
    TariffRate,
)
from tests.factories import MembershipFactory, MerchantFactory, UserFactory
from tests.websites import closed_port_url, local_site

pytestmark = pytest.mark.django_db

USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) WizardTest/1.0"
PHONE = "+37491234567"
COMPANY = {
    "legal_form": "llc",
    "legal_name": "Ararat Trade LLC",
    "tax_id": "01234567",
    "registration_number": "273.110.01234",
    "legal_address": "Yerevan, Abovyan 1",
    "actual_address": "Yerevan, Tumanyan 5",
    "country": "AM",
    "director_name": "Armen Sargsyan",
}

STEP_URLS = {
    "activation": "merchants:activation",
    "company": "merchants:activation_company",
    "website": "merchants:activation_website",
    "contacts": "merchants:activation_contacts",
    "tariffs": "merchants:activation_tariffs",
}
POST_ONLY_URLS = {
    "send_code": "merchants:activation_send_code",
    "verify_code": "merchants:activation_verify_code",
    "check_website": "merchants:activation_check_website",
}


class CommitClient(Client):
    """A test client whose requests run their on-commit work (mail, SMS) as a real commit would.

    The test's transaction never commits; callbacks of savepoints that were rolled back
    are dropped by Django, so an action that failed still sends nothing.
    """

    def request(self, **request):
        with TestCase.captureOnCommitCallbacks(execute=True):
            return super().request(**request)


def _client(user=None) -> CommitClient:
    client = CommitClient(HTTP_USER_AGENT=USER_AGENT)
    # English, so the assertions read the source strings whatever the translations say.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    if user is not None:
        client.force_login(user)
    return client


# ---------------------------------------------------------------------------
# Personas and fixtures
# ---------------------------------------------------------------------------
@pytest.fixture
def tariff(db) -> Tariff:
    """The tariff in force (the migration's, unless a transactional test flushed it)."""
    current = Tariff.objects.current()
    if current is not None:
        return current
    tariff = Tariff.objects.create(name="Standard", version=1, published_at=timezone.now())
    TariffRate.objects.create(tariff=tariff, method="card", percent=Decimal("2.50"), min_fee=10000)
    TariffRate.objects.create(tariff=tariff, method="idram", percent=Decimal("2.00"), min_fee=5000)
    return tariff


@pytest.fixture
def new_membership(db) -> Membership:
    """The owner of a merchant that has confirmed its email and has not activated yet."""
    merchant = MerchantFactory(state=Merchant.State.EMAIL_VERIFIED, name="new@example.am")
    return MembershipFactory(merchant=merchant, role=Membership.Role.OWNER)


@pytest.fixture
def new_merchant(new_membership) -> Merchant:
    return new_membership.merchant


@pytest.fixture
def wizard(new_membership) -> CommitClient:
    return _client(new_membership.user)


@pytest.fixture
def private_sites_allowed(settings):
    settings.WEBSITE_CHECK_ALLOW_PRIVATE = True


@pytest.fixture
def site(private_sites_allowed):
    with local_site() as site:
        yield site


def _sms_codes() -> list[str]:
    """The codes of the SMS in the dev outbox, newest first."""
    codes = []
    for message in outbox_list():
        if message.channel == "sms":
            codes.append(re.search(r"\b(\d{6})\b", message.text).group(1))
    return codes


def _emails(subject_part: str = "") -> list:
    return [m for m in outbox_list() if m.channel == "email" and subject_part in m.subject]


def _page(response) -> str:
    return response.content.decode()


def _errors(response) -> str:
    """The text of the error messages on a page (invalid-feedback and alerts)."""
    html = _page(response)
    found = re.findall(
        r'<(?:div|span|p|strong)[^>]*class="[^"]*(?:invalid-feedback|alert-danger)[^"]*"[^>]*>(.*?)</(?:div|span|p)>',
        html,
        flags=re.S,
    )
    return " ".join(re.sub(r"<[^>]+>", " ", chunk) for chunk in found)


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def _save_company(client, **changes):
    return client.post(reverse("merchants:activation_company"), {**COMPANY, **changes})


def _save_website(client, url: str):
    return client.post(reverse("merchants:activation_website"), {"website": url})


def _confirm_phone(client, phone: str = PHONE):
    response = client.post(reverse("merchants:activation_send_code"), {"phone": phone})
    assert response.status_code == 302, _errors(response)
    return client.post(reverse("merchants:activation_verify_code"), {"code": _sms_codes()[0]})


def _accept_tariffs(client, tariff: Tariff):
    return client.post(
        reverse("merchants:activation_tariffs"), {"accept": "on", "version": tariff.version}
    )


# ---------------------------------------------------------------------------
# The whole flow
# ---------------------------------------------------------------------------
def _sign_up_and_follow_the_link(email: str) -> CommitClient:
    client = _client()
    response = client.post(
        reverse("account_signup"),
        {"email": email, "password1": "Very-secret-pass-42", "password2": "Very-secret-pass-42"},
    )
    assert response.status_code == 302
    [activation_email] = _emails()
    assert activation_email.to == email
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", activation_email.text)
    assert link, activation_email.text
    assert client.get(link.group(1)).status_code == 200
    response = client.post(link.group(1))
    assert response.status_code == 302
    return client


@pytest.mark.parametrize("proof", ["meta_tag", "well_known_file"])
def test_signup_to_activated_dashboard(outbox_backend, site, tariff, proof):
    client = _sign_up_and_follow_the_link("ararat@example.am")
    merchant = Merchant.objects.get(memberships__user__email="ararat@example.am")
    assert merchant.state == Merchant.State.EMAIL_VERIFIED

    # The dashboard and the go-live checklist send the owner to the wizard's start.
    response = client.get(reverse("merchants:activation"))
    assert response.status_code == 302
    assert response["Location"] == reverse("merchants:activation_company")

    page = client.get(reverse("merchants:activation_company"))
    assert page.status_code == 200
    assert 'aria-current="step"' in _page(page)
    assert 'value="AM" selected' in _page(page)  # the country defaults to Armenia

    response = _save_company(client)
    assert response.status_code == 302
    assert response["Location"] == reverse("merchants:activation_website")

    response = _save_website(client, site.url + "/")
    assert response["Location"] == reverse("merchants:activation_contacts")
    merchant.refresh_from_db()
    assert merchant.website == site.url + "/"
    assert len(merchant.website_token) >= 24

    contacts = client.get(reverse("merchants:activation_contacts"))
    html = _page(contacts)
    assert merchant.website_token in html
    assert "inecopay-verification" in html
    assert site.url + "/.well-known/inecopay-verification.txt" in html
    assert "ararat@example.am" in html  # the email, already confirmed by the link

    # Phone: the code arrives by SMS.
    response = client.post(reverse("merchants:activation_send_code"), {"phone": "091 234567"})
    assert response.status_code == 302
    [sms] = [m for m in outbox_list() if m.channel == "sms"]
    assert sms.to == PHONE
    code = re.search(r"\b(\d{6})\b", sms.text).group(1)
    response = client.post(reverse("merchants:activation_verify_code"), {"code": code})
    # The website is still to confirm, so the wizard stays on the contacts step.
    assert response["Location"] == reverse("merchants:activation_contacts")

    # Website: the token on the site, then "Check now".
    if proof == "meta_tag":
        site.serve_meta_tag(merchant.website_token)
    else:
        site.serve_well_known(merchant.website_token)
    response = client.post(reverse("merchants:activation_check_website"))
    assert response.status_code == 302, _errors(response)
    assert response["Location"] == reverse("merchants:activation_tariffs")

    tariffs = client.get(reverse("merchants:activation_tariffs"))
    assert "100.00 AMD" in _page(tariffs)  # this client speaks English
    response = _accept_tariffs(client, tariff)
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")

    dashboard = client.get(response["Location"])
    assert dashboard.status_code == 200
    assert any("activated" in message for message in _messages(dashboard))

    merchant.refresh_from_db()
    assert merchant.state == Merchant.State.ACTIVATED
    assert merchant.activated_at is not None
    assert merchant.name == COMPANY["legal_name"]
    assert merchant.phone == PHONE
    confirmations = {
        (c.kind, c.method) for c in ContactConfirmation.objects.filter(merchant=merchant)
    }
    assert confirmations == {
        ("email", "email_link"),
        ("phone", "sms_code"),
        ("website", proof),
    }
    acceptance = TariffAcceptance.objects.get(merchant=merchant)
    assert acceptance.tariff == tariff
    assert acceptance.ip == "127.0.0.1"
    assert acceptance.user_agent == USER_AGENT
    assert acceptance.accepted_by.email == "ararat@example.am"

    [activated] = _emails(COMPANY["legal_name"])
    assert activated.to == "ararat@example.am"
    assert "Ararat Trade LLC" in activated.subject
    assert "/dashboard/" in activated.text
    assert activated.html

    # Activated: the start leads to the dashboard.
    assert client.get(reverse("merchants:activation"))["Location"] == reverse("dashboard")


def test_steps_done_in_any_order_activate_on_the_last_one(
    outbox_backend, wizard, new_merchant, site, tariff
):
    assert _accept_tariffs(wizard, tariff)["Location"] == reverse("merchants:activation_company")
    _save_website(wizard, site.url + "/")
    new_merchant.refresh_from_db()
    site.serve_well_known(new_merchant.website_token)
    wizard.post(reverse("merchants:activation_check_website"))
    response = _confirm_phone(wizard)
    assert response["Location"] == reverse("merchants:activation_company")
    new_merchant.refresh_from_db()
    assert new_merchant.state == Merchant.State.EMAIL_VERIFIED

    response = _save_company(wizard)

    assert response["Location"] == reverse("dashboard")
    new_merchant.refresh_from_db()
    assert new_merchant.state == Merchant.State.ACTIVATED
    assert len(_emails(COMPANY["legal_name"])) == 1


def test_activation_email_goes_to_every_owner_and_escapes_nothing_in_text(
    outbox_backend, wizard, new_membership, new_merchant, site, tariff
):
    second_owner = MembershipFactory(merchant=new_merchant, role=Membership.Role.OWNER).user
    MembershipFactory(merchant=new_merchant, role=Membership.Role.ACCOUNTANT)
    _save_company(wizard, legal_name="Smith & Sons LLC")
    _save_website(wizard, site.url + "/")
    new_merchant.refresh_from_db()
    site.serve_meta_tag(new_merchant.website_token)
    wizard.post(reverse("merchants:activation_check_website"))
    _confirm_phone(wizard)
    _accept_tariffs(wizard, tariff)

    [activated] = _emails("Smith & Sons")
    recipients = {address.strip() for address in activated.to.split(",")}
    assert recipients == {new_membership.user.email, second_owner.email}
    assert "Smith & Sons LLC" in activated.subject
    assert "Smith & Sons LLC" in activated.text
    assert "Smith &amp; Sons LLC" in activated.html


# ---------------------------------------------------------------------------
# Start, step indicator, revisiting
# ---------------------------------------------------------------------------
def test_start_leads_to_the_first_step_not_done(wizard, new_merchant):
    assert wizard.get(reverse("merchants:activation"))["Location"] == reverse(
        "merchants:activation_company"
    )
    _save_company(wizard)
    assert wizard.get(reverse("merchants:activation"))["Location"] == reverse(
        "merchants:activation_website"
    )


def test_step_indicator_says_in_words_what_is_done_and_where_you_are(wizard):
    _save_company(wizard)
    html = _page(wizard.get(reverse("merchants:activation_website")))
    steps = re.findall(r'<li class="wizard-step([^"]*)">(.*?)</li>', html, flags=re.S)
    assert [classes.strip() for classes, _body in steps] == ["is-done", "is-current", "", ""]
    # What a screen reader says: the aria-hidden circle left out.
    spoken = [
        re.sub(r'<span[^>]*aria-hidden="true">.*?</span>', "", b, flags=re.S) for _c, b in steps
    ]
    texts = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip() for body in spoken]
    assert texts[0] == "1. Company Done"
    assert texts[1] == "2. Website You are here · To do"
    assert texts[2] == "3. Contacts confirmation To do"
    assert texts[3] == "4. Tariffs To do"
    assert 'aria-current="step"' in steps[1][1]


def test_saved_company_is_shown_again_for_changes(wizard, new_merchant):
    _save_company(wizard)
    html = _page(wizard.get(reverse("merchants:activation_company")))
    for name in ("legal_name", "tax_id", "registration_number", "director_name"):
        assert f'value="{COMPANY[name]}"' in html
    assert '<option value="llc" selected>' in html

    response = _save_company(wizard, director_name="Anna Petrosyan")
    assert response.status_code == 302
    new_merchant.refresh_from_db()
    assert new_merchant.director_name == "Anna Petrosyan"


def test_same_as_legal_address_copies_it(wizard, new_merchant):
    response = _save_company(wizard, actual_address="", same_address="on")
    assert response.status_code == 302
    new_merchant.refresh_from_db()
    assert new_merchant.actual_address == COMPANY["legal_address"]


def test_actual_address_is_required_unless_same_as_legal(wizard, new_merchant):
    response = _save_company(wizard, actual_address="")
    assert response.status_code == 200
    assert "Enter the actual address" in _errors(response)
    new_merchant.refresh_from_db()
    assert new_merchant.legal_name == ""


def test_changing_the_website_needs_a_new_confirmation(wizard, new_merchant, site):
    _save_website(wizard, site.url + "/")
    new_merchant.refresh_from_db()
    first_token = new_merchant.website_token
    site.serve_meta_tag(first_token)
    wizard.post(reverse("merchants:activation_check_website"))
    new_merchant.refresh_from_db()
    assert new_merchant.website_confirmed_at is not None

    # Saving the same address again keeps the confirmation ...
    _save_website(wizard, site.url + "/")
    new_merchant.refresh_from_db()
    assert new_merchant.website_confirmed_at is not None
    assert new_merchant.website_token == first_token

    # ... another address needs a new token and a new check.
    _save_website(wizard, site.url + "/shop/")
    new_merchant.refresh_from_db()
    assert new_merchant.website_confirmed_at is None
    assert new_merchant.website_token != first_token
    assert 'value="' + site.url + '/shop/"' in _page(
        wizard.get(reverse("merchants:activation_website"))
    )


def test_contacts_page_shows_confirmed_email_and_staff_option(wizard, new_merchant, site):
    _save_website(wizard, site.url + "/")
    html = _page(wizard.get(reverse("merchants:activation_contacts")))
    assert "Confirmed" in html
    assert "confirm it manually" in html
    assert "Check now" in html


# ---------------------------------------------------------------------------
# Bad input: a clear message next to the field, what was typed kept, nothing saved
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("tin", ["1234567", "123456789", "12a45678", "١٢٣٤٥٦٧٨", ""])
def test_invalid_tin_is_refused_and_nothing_is_saved(wizard, new_merchant, tin):
    response = _save_company(wizard, tax_id=tin)

    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == ["tax_id"]
    if tin:
        assert "exactly 8 digits" in _errors(response)
    html = _page(response)
    assert f'value="{COMPANY["legal_name"]}"' in html
    assert f'value="{COMPANY["director_name"]}"' in html
    if tin:
        assert f'value="{tin}"' in html
    new_merchant.refresh_from_db()
    assert new_merchant.legal_name == ""
    assert new_merchant.tax_id == ""
    assert new_merchant.name == "new@example.am"
    # The step indicator is drawn from what is saved, not from the rejected form.
    assert not response.context["steps"][0].done


def test_company_fields_are_all_required(wizard, new_merchant):
    response = wizard.post(reverse("merchants:activation_company"), {"country": "AM"})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {
        "legal_form",
        "legal_name",
        "tax_id",
        "registration_number",
        "legal_address",
        "actual_address",
        "director_name",
    }
    new_merchant.refresh_from_db()
    assert new_merchant.legal_form == ""


@pytest.mark.parametrize("url", ["ftp://shop.am/", "javascript:alert(1)", "mailto:a@shop.am"])
def test_non_http_website_is_refused(wizard, new_merchant, url):
    response = _save_website(wizard, url)

    assert response.status_code == 200
    assert "starting with http:// or https://" in _errors(response)
    assert f'value="{url}"' in _page(response)
    new_merchant.refresh_from_db()
    assert new_merchant.website == ""
    assert new_merchant.website_token == ""


def test_website_without_scheme_is_read_as_https(wizard, new_merchant):
    _save_website(wizard, "shop.am")
    new_merchant.refresh_from_db()
    assert new_merchant.website == "https://shop.am"


@pytest.mark.parametrize("phone", ["12345", "not a phone", "+374 00 000000"])
def test_invalid_phone_is_refused_and_no_code_is_sent(wizard, new_merchant, phone):
    response = wizard.post(reverse("merchants:activation_send_code"), {"phone": phone})

    assert response.status_code == 200
    assert "valid phone number" in _errors(response)
    assert f'value="{phone}"' in _page(response)
    assert not PhoneCode.objects.exists()
    assert _sms_codes() == []
    new_merchant.refresh_from_db()
    assert new_merchant.phone == ""


def test_phone_is_stored_in_e164(wizard, new_merchant):
    wizard.post(reverse("merchants:activation_send_code"), {"phone": "+374 (91) 23-45-67"})
    new_merchant.refresh_from_db()
    assert new_merchant.phone == PHONE
    assert PhoneCode.objects.get().phone == PHONE
    assert f'value="{PHONE}"' in _page(wizard.get(reverse("merchants:activation_contacts")))


def test_wrong_code_is_refused_and_kept_in_the_field(wizard, new_merchant):
    wizard.post(reverse("merchants:activation_send_code"), {"phone": PHONE})
    [code] = _sms_codes()
    wrong = "000000" if code != "000000" else "111111"

    response = wizard.post(reverse("merchants:activation_verify_code"), {"code": wrong})

    assert response.status_code == 200
    assert "Wrong code" in _errors(response)
    assert f'value="{wrong}"' in _page(response)
    assert PhoneCode.objects.get().attempts == 1
    new_merchant.refresh_from_db()
    assert new_merchant.phone_confirmed_at is None
    assert not ContactConfirmation.objects.filter(kind="phone").exists()


def test_code_that_is_not_six_digits_is_refused_without_counting(wizard):
    wizard.post(reverse("merchants:activation_send_code"), {"phone": PHONE})
    response = wizard.post(reverse("merchants:activation_verify_code"), {"code": "12ab"})
    assert response.status_code == 200
    assert "6 digits" in _errors(response)
    assert PhoneCode.objects.get().attempts == 0


def test_expired_code_is_refused(wizard, new_merchant):
    wizard.post(reverse("merchants:activation_send_code"), {"phone": PHONE})
    PhoneCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = wizard.post(reverse("merchants:activation_verify_code"), {"code": _sms_codes()[0]})

    assert response.status_code == 200
    assert "expired" in _errors(response)
    new_merchant.refresh_from_db()
    assert new_merchant.phone_confirmed_at is None


def test_five_wrong_codes_lock_the_code_until_a_new_one(wizard, new_merchant):
    wizard.post(reverse("merchants:activation_send_code"), {"phone": PHONE})
    [code] = _sms_codes()
    wrong = "000000" if code != "000000" else "111111"
    for attempt in range(1, 6):
        response = wizard.post(reverse("merchants:activation_verify_code"), {"code": wrong})
        assert response.status_code == 200
        expected = "Too many wrong codes" if attempt == 5 else "Wrong code"
        assert expected in _errors(response), attempt

    # Locked: even the right code no longer works.
    response = wizard.post(reverse("merchants:activation_verify_code"), {"code": code})
    assert "Too many wrong codes" in _errors(response)
    new_merchant.refresh_from_db()
    assert new_merchant.phone_confirmed_at is None

    # A new code does.
    wizard.post(reverse("merchants:activation_send_code"), {"phone": PHONE})
    response = wizard.post(reverse("merchants:activation_verify_code"), {"code": _sms_codes()[0]})
    assert response.status_code == 302
    new_merchant.refresh_from_db()
    assert new_merchant.phone_confirmed_at is not None


def test_sixth_code_within_an_hour_is_refused(wizard, new_merchant):
    for _ in range(5):
        response = wizard.post(reverse("merchants:activation_send_code"), {"phone": PHONE})
        assert response.status_code == 302

    response = wizard.post(reverse("merchants:activation_send_code"), {"phone": PHONE})

    assert response.status_code == 200
    assert "Too many codes" in _errors(response)
    assert response.context["phone_form"].errors["phone"]
    assert f'value="{PHONE}"' in _page(response)
    assert PhoneCode.objects.count() == 5
    assert len(_sms_codes()) == 5

    # An hour later it is allowed again.
    PhoneCode.objects.update(created_at=timezone.now() - timedelta(hours=1, minutes=1))
    assert (
        wizard.post(reverse("merchants:activation_send_code"), {"phone": PHONE}).status_code == 302
    )


def test_an_older_code_stops_working_once_a_new_one_is_sent(wizard, new_merchant):
    wizard.post(reverse("merchants:activation_send_code"), {"phone": PHONE})
    wizard.post(reverse("merchants:activation_send_code"), {"phone": PHONE})
    new_code, old_code = _sms_codes()[:2]
    if old_code == new_code:
        pytest.skip("the two random codes happen to be equal")
    assert (
        wizard.post(reverse("merchants:activation_verify_code"), {"code": old_code}).status_code
        == 200
    )
    new_merchant.refresh_from_db()
    assert new_merchant.phone_confirmed_at is None
    assert (
        wizard.post(reverse("merchants:activation_verify_code"), {"code": new_code}).status_code
        == 302
    )
    # Once confirmed, no code (old or new) confirms anything again.
    response = wizard.post(reverse("merchants:activation_verify_code"), {"code": old_code})
    assert response.status_code == 200
    assert "Request a code first" in _errors(response)


def test_code_for_an_old_number_does_not_confirm_a_new_one(wizard, new_merchant):
    wizard.post(reverse("merchants:activation_send_code"), {"phone": PHONE})
    old_code = _sms_codes()[0]
    wizard.post(reverse("merchants:activation_send_code"), {"phone": "+37410123456"})
    new_code = _sms_codes()[0]
    if old_code == new_code:
        pytest.skip("the two random codes happen to be equal")
    response = wizard.post(reverse("merchants:activation_verify_code"), {"code": old_code})
    assert response.status_code == 200
    new_merchant.refresh_from_db()
    assert new_merchant.phone == "+37410123456"
    assert new_merchant.phone_confirmed_at is None


def test_unreachable_website_is_reported(wizard, new_merchant, private_sites_allowed):
    _save_website(wizard, closed_port_url())

    response = wizard.post(reverse("merchants:activation_check_website"))

    assert response.status_code == 200
    assert "could not be reached" in _errors(response)
    new_merchant.refresh_from_db()
    assert new_merchant.website_confirmed_at is None
    assert not ContactConfirmation.objects.filter(kind="website").exists()


def test_website_without_the_token_is_reported(wizard, new_merchant, site):
    site.serve("/", "<html><head><title>Shop</title></head><body>Hello</body></html>")
    site.serve_well_known("some-other-token")
    _save_website(wizard, site.url + "/")

    response = wizard.post(reverse("merchants:activation_check_website"))

    assert response.status_code == 200
    assert "token was found neither" in _errors(response)
    # The instructions stay on the page, with the merchant's token.
    new_merchant.refresh_from_db()
    assert new_merchant.website_token in _page(response)
    assert new_merchant.website_confirmed_at is None


def test_token_of_another_merchant_does_not_confirm(wizard, new_merchant, site):
    other = MerchantFactory(website=site.url + "/", website_token="someone-elses-token")
    site.serve_meta_tag(other.website_token)
    _save_website(wizard, site.url + "/")
    response = wizard.post(reverse("merchants:activation_check_website"))
    assert response.status_code == 200
    new_merchant.refresh_from_db()
    assert new_merchant.website_confirmed_at is None


def test_private_address_is_refused_when_not_allowed(wizard, new_merchant, settings):
    with local_site() as site:
        _save_website(wizard, site.url + "/")
        new_merchant.refresh_from_db()
        site.serve_meta_tag(new_merchant.website_token)
        settings.WEBSITE_CHECK_ALLOW_PRIVATE = False

        response = wizard.post(reverse("merchants:activation_check_website"))

        assert response.status_code == 200
        assert "private or reserved network address" in _errors(response)
        assert site.requested == []  # refused before connecting
    new_merchant.refresh_from_db()
    assert new_merchant.website_confirmed_at is None


def test_check_before_entering_a_website(wizard, new_merchant):
    response = wizard.post(reverse("merchants:activation_check_website"))
    assert response.status_code == 200
    assert "Enter the website address first" in _errors(response)


def test_tariffs_need_the_box_ticked(wizard, new_merchant, tariff):
    response = wizard.post(reverse("merchants:activation_tariffs"), {"version": tariff.version})
    assert response.status_code == 200
    assert "Tick the box" in _errors(response)
    assert not TariffAcceptance.objects.exists()


def test_tariffs_changed_while_reading_are_shown_again(wizard, new_merchant, tariff):
    newer = Tariff.objects.create(
        name="Standard", version=tariff.version + 1, published_at=timezone.now()
    )
    response = _accept_tariffs(wizard, tariff)

    assert response.status_code == 200
    assert "tariffs changed" in _errors(response)
    assert response.context["tariff"] == newer
    assert f'name="version" value="{newer.version}"' in _page(response)
    assert not TariffAcceptance.objects.exists()


def test_tariff_table_shows_amounts_in_major_units(wizard, tariff):
    tariff.rates.all().delete()
    TariffRate.objects.create(
        tariff=tariff,
        method="card",
        percent=Decimal("2.50"),
        fixed_fee=1050,
        min_fee=10000,
        currency="AMD",
    )
    html = _page(wizard.get(reverse("merchants:activation_tariffs")))
    row = re.search(r"<tr>\s*<th scope=\"row\">Card.*?</tr>", html, flags=re.S).group(0)
    cells = [re.sub(r"\s+", " ", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
    assert cells == ["2.50&nbsp;%", "10.50 AMD", "100.00 AMD"]


def test_accepting_a_new_tariff_version_is_needed_to_activate(wizard, new_merchant, tariff, site):
    _accept_tariffs(wizard, tariff)
    Tariff.objects.create(name="Standard", version=tariff.version + 1, published_at=timezone.now())
    _save_company(wizard)
    _save_website(wizard, site.url + "/")
    new_merchant.refresh_from_db()
    site.serve_meta_tag(new_merchant.website_token)
    wizard.post(reverse("merchants:activation_check_website"))
    response = _confirm_phone(wizard)

    assert response["Location"] == reverse("merchants:activation_tariffs")
    new_merchant.refresh_from_db()
    assert new_merchant.state == Merchant.State.EMAIL_VERIFIED


# ---------------------------------------------------------------------------
# Who may use the wizard
# ---------------------------------------------------------------------------
def _all_requests():
    for name, url_name in STEP_URLS.items():
        yield name, "get", url_name
    for name in ("company", "website", "tariffs"):
        yield name, "post", STEP_URLS[name]
    for name, url_name in POST_ONLY_URLS.items():
        yield name, "post", url_name


ALL_REQUESTS = list(_all_requests())


@pytest.mark.parametrize("role", [Membership.Role.ACCOUNTANT, Membership.Role.DEVELOPER])
@pytest.mark.parametrize(("name", "method", "url_name"), ALL_REQUESTS)
def test_accountant_and_developer_are_forbidden(new_merchant, role, name, method, url_name):
    user = MembershipFactory(merchant=new_merchant, role=role).user
    client = _client(user)
    data = {**COMPANY, "website": "https://shop.am", "phone": PHONE, "code": "123456"}
    response = getattr(client, method)(reverse(url_name), data if method == "post" else None)
    assert response.status_code == 403
    new_merchant.refresh_from_db()
    assert new_merchant.legal_name == "" and new_merchant.website == ""
    assert not PhoneCode.objects.exists()


@pytest.mark.parametrize(("name", "method", "url_name"), ALL_REQUESTS)
def test_anonymous_is_sent_to_sign_in(client, name, method, url_name):
    response = getattr(client, method)(reverse(url_name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login") + "?next=")


def test_staff_without_a_merchant_is_forbidden(staff_client):
    assert staff_client.get(reverse("merchants:activation_company")).status_code == 403


def test_admin_may_use_the_wizard(new_merchant):
    admin = MembershipFactory(merchant=new_merchant, role=Membership.Role.ADMIN).user
    client = _client(admin)
    assert client.get(reverse("merchants:activation_company")).status_code == 200
    assert _save_company(client).status_code == 302
    new_merchant.refresh_from_db()
    assert new_merchant.legal_name == COMPANY["legal_name"]


@pytest.mark.parametrize("url_name", list(POST_ONLY_URLS.values()))
def test_post_only_actions_refuse_get(wizard, url_name):
    assert wizard.get(reverse(url_name)).status_code == 405


def test_outsider_sees_and_changes_only_their_own_merchant(new_merchant, wizard, site):
    _save_company(wizard)
    _save_website(wizard, site.url + "/")
    new_merchant.refresh_from_db()
    ours = {
        "legal_name": new_merchant.legal_name,
        "website": new_merchant.website,
        "website_token": new_merchant.website_token,
    }
    outsider_membership = MembershipFactory(
        merchant=MerchantFactory(state=Merchant.State.EMAIL_VERIFIED), role=Membership.Role.OWNER
    )
    outsider = _client(outsider_membership.user)

    for url_name in STEP_URLS.values():
        response = outsider.get(reverse(url_name), follow=True)
        html = _page(response)
        assert COMPANY["legal_name"] not in html
        assert ours["website_token"] not in html
        assert ours["website"] not in html

    _save_company(outsider, legal_name="Outsider LLC", tax_id="87654321")
    _save_website(outsider, "https://outsider.am")
    outsider.post(reverse("merchants:activation_send_code"), {"phone": "+37410123456"})
    outsider.post(reverse("merchants:activation_check_website"))

    new_merchant.refresh_from_db()
    assert new_merchant.legal_name == ours["legal_name"]
    assert new_merchant.website == ours["website"]
    assert new_merchant.website_token == ours["website_token"]
    assert new_merchant.phone == ""
    assert not new_merchant.phone_codes.exists()
    theirs = outsider_membership.merchant
    theirs.refresh_from_db()
    assert theirs.legal_name == "Outsider LLC"
    assert theirs.website == "https://outsider.am"
    assert theirs.phone == "+37410123456"


def test_user_without_verified_email_cannot_reach_the_wizard(db):
    """Signed up but not confirmed: allauth lets them in only after the link."""
    user = UserFactory(verified=False)
    MembershipFactory(user=user, merchant=MerchantFactory(state=Merchant.State.REGISTERED))
    client = _client()
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": "correct-horse-battery-9"}
    )
    assert response.status_code == 302
    response = client.get(reverse("merchants:activation_company"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_tariffs_in_russian_use_a_decimal_comma(new_membership, tariff):
    client = CommitClient()
    client.force_login(new_membership.user)
    response = client.get(reverse("merchants:activation_tariffs"))
    assert response.status_code == 200
    assert response["Content-Language"] == "ru"
    assert "100,00 AMD" in _page(response)


def test_empty_post_shows_the_errors_instead_of_a_blank_form(wizard):
    response = wizard.post(reverse("merchants:activation_company"))
    assert response.status_code == 200
    assert "legal_name" in response.context["form"].errors


def test_tariffs_posted_without_a_version_are_not_accepted(wizard, tariff):
    response = wizard.post(reverse("merchants:activation_tariffs"), {"accept": "on"})
    assert response.status_code == 200
    assert "tariffs changed" in _errors(response)
    assert not TariffAcceptance.objects.exists()
