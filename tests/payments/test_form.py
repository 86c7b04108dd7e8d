"""The hosted payment form through the real HTTP stack, as an anonymous buyer: the page,
its language, the test cards, 3-D Secure and wallet steps, delivery fields, the method
subset, the states shown instead of the form, and card numbers that never stay."""

from __future__ import annotations

import io
import logging
import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.signals import got_request_exception
from django.db import connection, connections, models
from django.test import Client
from django.utils import timezone
from django.views.debug import SafeExceptionReporterFilter
from PIL import Image

from payments.acquirers import SandboxAcquirer
from tests.factories import ShopFactory
from transactions import services
from transactions.models import Actor, Payment, PaymentEvent

pytestmark = pytest.mark.django_db

Status = Payment.Status
NBSP = "\xa0"
YEAR = (timezone.now().year + 3) % 100
SUCCEEDS = "4242 4242 4242 4242"
DECLINED = "4000 0000 0000 0002"
THREE_D_SECURE = "4000 0000 0000 3220"
ALL_TEST_DIGITS = [number.replace(" ", "") for number in (SUCCEEDS, DECLINED, THREE_D_SECURE)]


def _payment(shop, **overrides) -> Payment:
    values = {
        "amount": 1250000,
        "currency": "AMD",
        "order_id": "A-1001",
        "description": "Two books about Yerevan",
    }
    values.update(overrides)
    test = values.pop("test", True)
    return services.payment_create(shop=shop, test=test, **values)


def _url(payment: Payment, suffix: str = "") -> str:
    return f"/pay/{payment.form_token}/{suffix}"


def _card(number: str = SUCCEEDS, **overrides) -> dict:
    card = {"method": "card", "card_number": number, "expiry": f"12/{YEAR:02d}", "cvc": "123"}
    return card | overrides


def _events(payment: Payment) -> list[tuple[str, str, str]]:
    return list(
        PaymentEvent.objects.filter(payment=payment)
        .order_by("id")
        .values_list("from_status", "to_status", "actor")
    )


@pytest.fixture
def buyer() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def bare_shop(merchant):
    """An open shop with no return URLs: the form shows the outcome itself."""
    return ShopFactory(merchant=merchant, name="Bare", display_name="Bare Books", is_open=True)


# ---------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------
def test_form_shows_shop_order_amount_countdown_and_test_cards(buyer, shop):
    shop.display_name = "Ararat Books"
    shop.save()
    payment = _payment(shop)

    response = buyer.get(_url(payment))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Ararat Books" in page
    assert "A-1001" in page
    assert "Two books about Yerevan" in page
    assert "֏12,500.00" in page
    assert 'data-countdown data-remaining="' in page
    remaining = int(page.split('data-remaining="')[1].split('"')[0])
    assert 14 * 60 < remaining <= 15 * 60
    assert "Test mode: no money is charged" in page
    for number in (SUCCEEDS, DECLINED, THREE_D_SECURE):
        assert number in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert "/static/js/payform.js" in page or "js/payform." in page


def test_form_is_not_cached_and_not_framed_and_may_return_to_the_shop(buyer, shop):
    response = buyer.get(_url(_payment(shop)))

    assert "no-store" in response["Cache-Control"]
    assert response["X-Frame-Options"] == "DENY"
    policy = response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    assert "script-src 'self'" in policy
    # The shop's return URLs are where a submit may be redirected.
    form_action = next(part for part in policy.split(";") if "form-action" in part)
    assert "'self'" in form_action and "https://books.example.am" in form_action


def test_russian_amount_and_dollars(shop):
    payment = _payment(shop, language="ru")
    page = Client().get(_url(payment)).content.decode()
    assert f"12{NBSP}500,00{NBSP}֏" in page

    dollars = _payment(shop, currency="USD", amount=12500, language="en")
    assert "$125.00" in Client().get(_url(dollars)).content.decode()


def test_unknown_token_is_404(buyer, shop):
    _payment(shop)
    assert buyer.get("/pay/not-a-token/").status_code == 404
    assert buyer.post("/pay/not-a-token/", _card()).status_code == 404
    assert buyer.get("/pay/not-a-token/logo/").status_code == 404


def test_logo_is_served_through_the_token_only(buyer, shop):
    image = io.BytesIO()
    Image.new("RGB", (64, 64), (33, 70, 199)).save(image, format="PNG")
    shop.logo.save("logo.png", ContentFile(image.getvalue()))
    payment = _payment(shop)

    page = buyer.get(_url(payment)).content.decode()
    response = buyer.get(_url(payment, "logo/"))

    assert f'src="{_url(payment, "logo/")}"' in page
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == image.getvalue()


def test_shop_without_logo_has_no_logo(buyer, shop):
    payment = _payment(shop)
    assert "payform-logo" not in buyer.get(_url(payment)).content.decode()
    assert buyer.get(_url(payment, "logo/")).status_code == 404


# ---------------------------------------------------------------------------
# Language
# ---------------------------------------------------------------------------
def _language(response) -> str:
    page = response.content.decode()
    html_lang = page.split('<html lang="')[1].split('"')[0]
    assert response["Content-Language"] == html_lang
    return html_lang


@pytest.mark.parametrize(
    ("payment_language", "accept", "query", "expected"),
    [
        ("", "", "", "ru"),  # the portal's default
        ("", "en-US,en;q=0.9,ru;q=0.8", "", "en"),  # the browser's
        ("", "de-DE,de;q=0.9", "", "ru"),  # not served: the default
        ("", "de;q=1, ru;q=0.3, en;q=0.5", "", "en"),  # by quality
        ("en", "ru", "", "en"),  # the payment's language beats the browser's
        ("ru", "en", "", "ru"),
        ("hy", "en", "", "en"),  # Armenian has no catalog yet: the browser's next
        ("ru", "ru", "?lang=en", "en"),  # the buyer's own pick at the foot of the page
    ],
)
def test_language_selection(shop, payment_language, accept, query, expected):
    payment = _payment(shop, language=payment_language)
    client = Client(HTTP_ACCEPT_LANGUAGE=accept) if accept else Client()

    response = client.get(_url(payment) + query)

    assert _language(response) == expected
    assert "Accept-Language" in response["Vary"]


def test_portal_language_cookie_does_not_decide_the_form(shop, settings):
    payment = _payment(shop)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    assert _language(client.get(_url(payment))) == "en"


def test_errors_come_in_the_buyers_language(merchant):
    shop = ShopFactory(merchant=merchant, is_open=True, delivery_enabled=True)
    payment = _payment(shop, language="ru")

    response = Client().post(_url(payment), _card())

    assert _language(response) == "ru"
    # Django's own messages are translated already; the form's come with the catalog.
    assert "Обязательное поле." in response.content.decode()


# ---------------------------------------------------------------------------
# Cards
# ---------------------------------------------------------------------------
def test_success_card_pays_and_returns_to_the_success_url(buyer, shop):
    payment = _payment(shop)

    response = buyer.post(_url(payment), _card(SUCCEEDS))

    assert response.status_code == 302
    assert response["Location"] == f"https://books.example.am/ok?payment_id={payment.public_id}"
    payment.refresh_from_db()
    assert payment.status == Status.SUCCEEDED
    assert (payment.method, payment.card_brand, payment.card_last4) == ("card", "visa", "4242")
    assert _events(payment) == [
        ("", Status.PENDING, Actor.API),
        (Status.PENDING, Status.PROCESSING, Actor.FORM),
        (Status.PROCESSING, Status.SUCCEEDED, Actor.FORM),
    ]


def test_return_url_keeps_its_own_query(buyer, merchant):
    shop = ShopFactory(
        merchant=merchant, is_open=True, success_url="https://shop.example.am/done?order=7"
    )
    payment = _payment(shop)
    response = buyer.post(_url(payment), _card())
    assert response["Location"] == (
        f"https://shop.example.am/done?order=7&payment_id={payment.public_id}"
    )


def test_decline_card_is_declined_and_returns_to_the_fail_url(buyer, shop):
    payment = _payment(shop)

    response = buyer.post(_url(payment), _card(DECLINED))

    assert response["Location"] == f"https://books.example.am/fail?payment_id={payment.public_id}"
    payment.refresh_from_db()
    assert payment.status == Status.DECLINED
    assert payment.card_last4 == "0002"
    assert payment.events.get(to_status=Status.DECLINED).data["decline_code"] == (
        "insufficient_funds"
    )


def test_without_return_urls_the_form_shows_the_outcome(buyer, bare_shop):
    paid = _payment(bare_shop)
    declined = _payment(bare_shop, order_id="A-1002")

    response = buyer.post(_url(paid), _card(SUCCEEDS), follow=True)
    assert response.redirect_chain == [(_url(paid), 302)]
    page = response.content.decode()
    assert 'data-state="succeeded"' in page
    assert "Payment received" in page
    assert "Visa •••• 4242" in page
    assert "Return to the shop" not in page

    page = buyer.post(_url(declined), _card(DECLINED), follow=True).content.decode()
    assert 'data-state="declined"' in page
    assert "insufficient funds" in page


def test_three_d_secure_approved(buyer, shop):
    payment = _payment(shop)

    response = buyer.post(_url(payment), _card(THREE_D_SECURE))

    assert response["Location"] == _url(payment, "confirm/")
    payment.refresh_from_db()
    assert payment.status == Status.PROCESSING
    assert payment.card_last4 == "3220"
    # Until the step is done, the form's address leads to it.
    assert buyer.get(_url(payment))["Location"] == _url(payment, "confirm/")
    page = buyer.get(_url(payment, "confirm/")).content.decode()
    assert "3-D Secure check" in page
    assert "ending in 3220" in page

    response = buyer.post(_url(payment, "confirm/"), {"decision": "approve"})

    assert response["Location"] == f"https://books.example.am/ok?payment_id={payment.public_id}"
    payment.refresh_from_db()
    assert payment.status == Status.SUCCEEDED
    # The step is over: its page leads back to the state.
    assert buyer.get(_url(payment, "confirm/"))["Location"] == _url(payment)


def test_three_d_secure_failed(buyer, shop):
    payment = _payment(shop)
    buyer.post(_url(payment), _card(THREE_D_SECURE))

    response = buyer.post(_url(payment, "confirm/"), {"decision": "fail"})

    assert response["Location"] == f"https://books.example.am/fail?payment_id={payment.public_id}"
    payment.refresh_from_db()
    assert payment.status == Status.DECLINED
    assert payment.events.get(to_status=Status.DECLINED).data["decline_code"] == (
        "authentication_failed"
    )


def test_confirm_step_of_a_pending_payment_leads_to_the_form(buyer, shop):
    payment = _payment(shop)
    assert buyer.get(_url(payment, "confirm/"))["Location"] == _url(payment)
    buyer.post(_url(payment, "confirm/"), {"decision": "approve"})
    payment.refresh_from_db()
    assert payment.status == Status.PENDING


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"card_number": "4242 4242 4242 4241"}, "card_number", "has a typo"),
        ({"card_number": "4242 4242"}, "card_number", "too short or too long"),
        ({"card_number": "3714 496353 98431"}, "card_number", "Visa, Mastercard and ArCa"),
        ({"card_number": ""}, "card_number", "Enter the card number."),
        ({"expiry": "01/20"}, "expiry", "This card has expired."),
        ({"expiry": "13/30"}, "expiry", "from 01 to 12"),
        ({"expiry": "soon"}, "expiry", "MM/YY"),
        ({"cvc": "12"}, "cvc", "3 digits on the back"),
        ({"cvc": "abc"}, "cvc", "3 digits on the back"),
        ({"card_number": "5555 5555 5555 4444"}, "card_number", "use one of the test cards"),
    ],
)
def test_invalid_card_details_are_explained_and_nothing_happens(
    buyer, merchant, fields, field, message
):
    shop = ShopFactory(merchant=merchant, is_open=True, delivery_enabled=True)
    payment = _payment(shop)
    posted = _card() | {"recipient": "Anna", "address": "Abovyan 1", "phone": "+374 10 1234"}
    posted |= fields

    response = buyer.post(_url(payment), posted)

    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert f'id="id_{field}-error"' in page
    assert f'aria-describedby="id_{field}-error"' in page
    # What was typed stays, except the card number and CVC.
    assert 'value="Abovyan 1"' in page
    assert f'value="{posted["expiry"]}"' in page or field == "expiry"
    assert 'name="card_number" value' not in page
    assert 'value="123"' not in page
    payment.refresh_from_db()
    assert payment.status == Status.PENDING
    assert len(_events(payment)) == 1


def test_mastercard_and_arca_are_recognised_but_only_test_cards_pay_in_test_mode(buyer, shop):
    payment = _payment(shop)
    for number in ("5555 5555 5555 4444", "2223 0031 2200 3222", "9051 0000 0000 0009"):
        page = buyer.post(_url(payment), _card(number)).content.decode()
        assert "use one of the test cards" in page
    payment.refresh_from_db()
    assert payment.status == Status.PENDING


# ---------------------------------------------------------------------------
# Wallets and the method subset
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(("decision", "status"), [("approve", "succeeded"), ("fail", "declined")])
def test_wallet_has_a_confirm_step(buyer, shop, decision, status):
    payment = _payment(shop)

    response = buyer.post(_url(payment), {"method": "idram"})

    assert response["Location"] == _url(payment, "confirm/")
    page = buyer.get(_url(payment, "confirm/")).content.decode()
    assert "Confirm in Idram" in page
    buyer.post(_url(payment, "confirm/"), {"decision": decision})
    payment.refresh_from_db()
    assert payment.status == status
    assert (payment.method, payment.card_brand, payment.card_last4) == ("idram", "", "")


def test_only_the_allowed_methods_are_offered(buyer, shop):
    payment = _payment(shop, payment_methods=["card", "telcell"])

    page = buyer.get(_url(payment)).content.decode()

    assert 'value="card"' in page and 'value="telcell"' in page
    for absent in ("idram", "apple_pay", "google_pay"):
        assert f'value="{absent}"' not in page


def test_a_method_not_allowed_is_refused_even_if_posted(buyer, shop):
    payment = _payment(shop, payment_methods=["idram"])

    page = buyer.get(_url(payment)).content.decode()
    assert 'name="card_number"' not in page
    assert "Pay with Idram" in page

    response = buyer.post(_url(payment), _card())

    assert response.status_code == 200
    assert "cannot be paid that way" in response.content.decode()
    payment.refresh_from_db()
    assert (payment.status, payment.method) == (Status.PENDING, "")


def test_card_only_payment_refuses_a_wallet(buyer, shop):
    payment = _payment(shop, payment_methods=["card"])
    page = buyer.get(_url(payment)).content.decode()
    assert 'type="radio"' not in page
    response = buyer.post(_url(payment), {"method": "apple_pay"})
    assert "cannot be paid that way" in response.content.decode()
    payment.refresh_from_db()
    assert payment.status == Status.PENDING


# ---------------------------------------------------------------------------
# Delivery
# ---------------------------------------------------------------------------
def test_delivery_fields_are_required_and_stored_when_enabled(buyer, shop):
    payment = _payment(shop, delivery_enabled=True)

    page = buyer.get(_url(payment)).content.decode()
    for name in ("recipient", "address", "phone"):
        assert f'name="{name}"' in page

    response = buyer.post(_url(payment), _card())
    assert response.status_code == 200
    assert response.content.decode().count("This field is required.") == 3
    payment.refresh_from_db()
    assert payment.status == Status.PENDING

    response = buyer.post(
        _url(payment),
        _card() | {"recipient": "Anna", "address": "Abovyan 1", "phone": "call me"},
    )
    assert "Enter a phone number" in response.content.decode()

    delivery = {
        "recipient": "Anna Petrosyan",
        "address": "Abovyan 1, Yerevan",
        "phone": "+374 10 123456",
    }
    response = buyer.post(_url(payment), _card() | delivery)

    assert response.status_code == 302
    payment.refresh_from_db()
    assert payment.status == Status.SUCCEEDED
    assert payment.delivery == delivery


def test_delivery_fields_are_absent_and_ignored_when_disabled(buyer, shop):
    payment = _payment(shop, delivery_enabled=False)

    page = buyer.get(_url(payment)).content.decode()
    for name in ("recipient", "address", "phone"):
        assert f'name="{name}"' not in page

    buyer.post(_url(payment), _card() | {"recipient": "Mallory", "address": "X", "phone": "1"})
    payment.refresh_from_db()
    assert payment.status == Status.SUCCEEDED
    assert payment.delivery == {}


# ---------------------------------------------------------------------------
# States instead of the form
# ---------------------------------------------------------------------------
def test_expired_payment_shows_its_state_and_cannot_be_paid(buyer, shop):
    payment = _payment(shop)
    # Time travel: the lifetime has passed, and nothing has expired it yet.
    later = timezone.now() + timedelta(minutes=16)
    with mock.patch("django.utils.timezone.now", return_value=later):
        response = buyer.get(_url(payment))
        assert response.status_code == 200
        page = response.content.decode()
        assert 'data-state="expired"' in page
        assert 'name="card_number"' not in page
        assert f"https://books.example.am/fail?payment_id={payment.public_id}" in page

        response = buyer.post(_url(payment), _card())
        assert 'data-state="expired"' in response.content.decode()
    payment.refresh_from_db()
    assert payment.status == Status.EXPIRED
    assert [e[1] for e in _events(payment)] == [Status.PENDING, Status.EXPIRED]


def test_payment_expiring_at_submit_is_not_charged(buyer, shop):
    payment = _payment(shop)
    Payment.objects.filter(pk=payment.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = buyer.post(_url(payment), _card(), follow=True)

    assert 'data-state="expired"' in response.content.decode()
    payment.refresh_from_db()
    assert (payment.status, payment.card_last4) == (Status.EXPIRED, "")


def test_cancelled_payment_shows_its_state(buyer, shop):
    payment = services.payment_cancel(payment=_payment(shop))

    page = buyer.get(_url(payment)).content.decode()

    assert 'data-state="cancelled"' in page
    assert "The shop has cancelled this payment." in page
    assert 'name="card_number"' not in page
    buyer.post(_url(payment), _card())
    payment.refresh_from_db()
    assert payment.status == Status.CANCELLED


@pytest.mark.parametrize(
    ("outcome", "text"), [("succeeded", "Payment received"), ("declined", "Payment declined")]
)
def test_finished_payment_shows_its_state_with_the_way_back(buyer, shop, outcome, text):
    payment = services.payment_simulate(payment=_payment(shop), outcome=outcome)

    page = buyer.get(_url(payment)).content.decode()

    assert text in page
    assert 'name="card_number"' not in page
    target = "ok" if outcome == "succeeded" else "fail"
    assert f"https://books.example.am/{target}?payment_id={payment.public_id}" in page


def test_refunded_payment_says_so(buyer, shop):
    payment = services.payment_simulate(payment=_payment(shop), outcome="succeeded")
    services.refund_create(payment=payment)
    assert "This payment was refunded" in buyer.get(_url(payment)).content.decode()


# ---------------------------------------------------------------------------
# Double submits, CSRF, live mode
# ---------------------------------------------------------------------------
def test_second_submit_sees_the_first_outcome(buyer, shop):
    payment = _payment(shop)
    buyer.post(_url(payment), _card(SUCCEEDS))

    response = buyer.post(_url(payment), _card(DECLINED))

    assert response.status_code == 200
    assert 'data-state="succeeded"' in response.content.decode()
    payment.refresh_from_db()
    assert (payment.status, payment.card_last4) == (Status.SUCCEEDED, "4242")
    assert [e[1] for e in _events(payment)].count(Status.SUCCEEDED) == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent row locks need PostgreSQL"
)
def test_concurrent_double_submits_produce_one_outcome(shop):
    payment = _payment(shop)
    numbers = [SUCCEEDS, DECLINED] * 3
    barrier = threading.Barrier(len(numbers))
    statuses: list[object] = [None] * len(numbers)

    def submit(index: int) -> None:
        try:
            barrier.wait()
            statuses[index] = Client().post(_url(payment), _card(numbers[index])).status_code
        except Exception as exc:  # surfaced by the assertion below
            statuses[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(len(numbers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert all(status in (200, 302) for status in statuses), statuses
    payment.refresh_from_db()
    assert payment.status in (Status.SUCCEEDED, Status.DECLINED)
    to = [e[1] for e in _events(payment)]
    assert to == [Status.PENDING, Status.PROCESSING, payment.status]


def test_form_post_needs_the_csrf_token(shop):
    payment = _payment(shop)
    client = Client(enforce_csrf_checks=True)

    assert client.post(_url(payment), _card()).status_code == 403

    client.get(_url(payment))
    token = client.cookies["csrftoken"].value
    response = client.post(_url(payment), _card() | {"csrfmiddlewaretoken": token})
    assert response.status_code == 302


@pytest.fixture
def live_shop(merchant):
    return ShopFactory(merchant=merchant, is_open=True, live_mode=True)


def test_live_payment_without_an_acquirer_is_refused_clearly(buyer, live_shop, settings):
    settings.ACQUIRER_BACKEND = ""
    payment = _payment(live_shop, test=False)

    response = buyer.get(_url(payment))
    assert response.status_code == 503
    page = response.content.decode()
    assert "payment service is not connected" in page
    assert 'name="card_number"' not in page
    assert "Test mode" not in page

    response = buyer.post(_url(payment), _card())
    assert response.status_code == 503
    payment.refresh_from_db()
    assert payment.status == Status.PENDING
    assert len(_events(payment)) == 1


def test_the_sandbox_never_takes_live_payments(buyer, live_shop, settings):
    settings.ACQUIRER_BACKEND = "payments.acquirers.SandboxAcquirer"
    payment = _payment(live_shop, test=False)
    assert buyer.post(_url(payment), _card()).status_code == 503
    payment.refresh_from_db()
    assert payment.status == Status.PENDING


# ---------------------------------------------------------------------------
# The full card number never stays
# ---------------------------------------------------------------------------
def _text_values_containing(needles: list[str]) -> list[str]:
    """Every text or JSON column of every table whose value contains one of the needles."""
    found = []
    for model in apps.get_models():
        columns = [
            field.name
            for field in model._meta.concrete_fields
            if isinstance(field, models.CharField | models.TextField | models.JSONField)
        ]
        for row in model.objects.values_list(*columns) if columns else []:
            for value in row:
                text = str(value)
                found += [f"{model.__name__}: {text}" for n in needles if n in text]
    return found


def test_full_card_number_is_never_stored_logged_or_shown(buyer, bare_shop, caplog):
    caplog.set_level(logging.DEBUG)
    responses = []
    for number in (SUCCEEDS, DECLINED, THREE_D_SECURE):
        payment = _payment(bare_shop, delivery_enabled=True, order_id=f"o-{number[-4:]}")
        delivery = {"recipient": "Anna", "address": "Abovyan 1", "phone": "+374 10 123456"}
        responses.append(buyer.post(_url(payment), _card(number, cvc="987") | delivery))
        responses.append(buyer.post(_url(payment, "confirm/"), {"decision": "approve"}))
        responses.append(buyer.get(_url(payment)))
    # Errors re-render the form: the number is not sent back either.
    payment = _payment(bare_shop, order_id="o-err")
    responses.append(buyer.post(_url(payment), _card(SUCCEEDS, expiry="01/20")))

    assert Payment.objects.filter(status=Status.SUCCEEDED).count() == 2
    assert _text_values_containing(ALL_TEST_DIGITS + ["4242 4242"]) == []
    for response in responses:
        body = response.content.decode()
        for digits in ALL_TEST_DIGITS:
            # The test mode banner lists the test cards in groups, never as one number.
            assert digits not in body
        assert 'value="987"' not in body
    # Every field of every record, but the clock's, the process's and the source line's
    # numbers, in which "987" turns up by chance.
    chance = {"created", "msecs", "relativeCreated", "thread", "process", "lineno"}
    logged = "".join(
        str({k: v for k, v in r.__dict__.items() if k not in chance}) for r in caplog.records
    )
    for digits in ALL_TEST_DIGITS:
        assert digits not in logged
        assert digits[:4] + " " + digits[4:8] not in logged
    assert "987" not in logged


def test_error_reports_hide_the_card_number_and_cvc(bare_shop, caplog):
    payment = _payment(bare_shop)
    requests = []

    def keep(sender, request, **kwargs) -> None:
        requests.append(request)

    got_request_exception.connect(keep)
    client = Client(raise_request_exception=False)
    try:
        with mock.patch.object(SandboxAcquirer, "authorize", side_effect=RuntimeError("down")):
            response = client.post(_url(payment), _card(SUCCEEDS, cvc="987"))
    finally:
        got_request_exception.disconnect(keep)

    assert response.status_code == 500
    (request,) = requests
    post = SafeExceptionReporterFilter().get_post_parameters(request)
    assert post["card_number"] != SUCCEEDS and set(post["card_number"]) == {"*"}
    assert set(post["cvc"]) == {"*"}
    assert SUCCEEDS.replace(" ", "") not in caplog.text
    assert SUCCEEDS not in caplog.text
