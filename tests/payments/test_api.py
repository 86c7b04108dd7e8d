"""The HTTP API through the real stack: keys and modes, every endpoint, every error shape,
idempotency, rate limits and expiry by time."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from payments.models import IdempotencyKey
from shops.models import ApiKey
from shops.services import api_key_revoke
from transactions.models import Payment, PaymentEvent, Refund

from .conftest import PAYMENT, ApiClient

pytestmark = pytest.mark.django_db

Z_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def _error(response, status: int, type_: str, code: str, param: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"type", "code", "message", "param"}
    assert (body["error"]["type"], body["error"]["code"]) == (type_, code), body
    assert body["error"]["param"] == param
    assert body["error"]["message"]
    return body["error"]


def _create(api: ApiClient, **overrides) -> dict:
    response = api.post("/payments", {**PAYMENT, **overrides})
    assert response.status_code == 201, response.content
    return response.json()


def _paid(api: ApiClient, **overrides) -> dict:
    payment = _create(api, **overrides)
    response = api.post(f"/test/payments/{payment['id']}/simulate", {"outcome": "succeeded"})
    assert response.status_code == 200, response.content
    return response.json()


# ---------------------------------------------------------------------------
# Authentication and modes
# ---------------------------------------------------------------------------
def test_missing_key_is_401(shop):
    response = ApiClient(None).get("/payments")
    _error(response, 401, "authentication_error", "api_key_missing")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer sk_test_" + "x" * 40,
        "Bearer not-a-key",
        "Basic dXNlcjpwYXNz",
        "Bearer",
    ],
)
def test_bad_key_is_401(shop, header):
    response = ApiClient(None).get("/payments", Authorization=header)
    _error(response, 401, "authentication_error", "api_key_invalid")


def test_revoked_key_is_401(api, shop, owner):
    api_key_revoke(key=ApiKey.objects.get(shop=shop), by=owner)
    _error(api.get("/payments"), 401, "authentication_error", "api_key_invalid")


def test_webhook_secret_is_not_an_api_key(shop, owner):
    from shops.services import api_key_create

    _row, secret = api_key_create(shop=shop, kind=ApiKey.Kind.WEBHOOK, by=owner)
    _error(ApiClient(secret).get("/payments"), 401, "authentication_error", "api_key_invalid")


def test_live_key_of_a_shop_not_in_live_mode_is_403(live_api):
    _error(live_api.post("/payments", PAYMENT), 403, "permission_error", "live_mode_disabled")
    _error(live_api.get("/payments"), 403, "permission_error", "live_mode_disabled")
    assert not Payment.objects.exists()


def test_live_key_creates_live_payments_and_test_key_test_ones(api, live_api, shop):
    shop.live_mode = True
    shop.save()
    live = _create(live_api, order_id="live")
    test = _create(api, order_id="test")

    assert (live["test"], test["test"]) == (False, True)
    # Each mode sees only its own payments.
    assert [p["id"] for p in live_api.get("/payments").json()["data"]] == [live["id"]]
    assert [p["id"] for p in api.get("/payments").json()["data"]] == [test["id"]]
    _error(live_api.get(f"/payments/{test['id']}"), 404, "not_found_error", "resource_missing")
    _error(api.get(f"/payments/{live['id']}"), 404, "not_found_error", "resource_missing")


def test_errors_are_in_english_whatever_the_portal_language(api):
    api.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    error = _error(
        api.post("/payments", {**PAYMENT, "amount": 10**12}),
        400,
        "invalid_request_error",
        "parameter_invalid",
        "amount",
    )
    assert "less than or equal" in error["message"]


# ---------------------------------------------------------------------------
# Creating
# ---------------------------------------------------------------------------
def test_create_payment_returns_the_payment_object(api, shop):
    response = api.post(
        "/payments",
        {
            **PAYMENT,
            "description": "Order 1001",
            "payment_methods": ["card", "idram"],
            "expires_in": 900,
            "delivery": {"enabled": True},
            "customer": {"email": "buyer@example.am", "phone": "+37410123456"},
            "language": "en",
            "success_url": "https://books.example.am/thanks",
            "metadata": {"cart": "42"},
        },
    )

    assert response.status_code == 201
    body = response.json()
    payment = Payment.objects.get()
    assert body["id"] == payment.public_id and body["id"].startswith("pay_")
    assert body["object"] == "payment"
    assert body["status"] == "pending"
    assert (body["amount"], body["currency"], body["order_id"]) == (1500000, "AMD", "order-1001")
    assert body["description"] == "Order 1001"
    assert body["payment_methods"] == ["card", "idram"]
    assert body["delivery"] == {"enabled": True, "recipient": None, "address": None, "phone": None}
    assert body["customer"] == {"email": "buyer@example.am", "phone": "+37410123456"}
    assert body["language"] == "en"
    assert body["success_url"] == "https://books.example.am/thanks"
    assert body["fail_url"] == "https://books.example.am/fail"  # the shop's
    assert body["payment_url"] == f"{settings.SITE_URL}/pay/{payment.form_token}/"
    assert body["test"] is True
    assert body["refunded_amount"] == 0
    assert body["method"] is None and body["card"] is None
    assert body["metadata"] == {"cart": "42"}
    assert body["succeeded_at"] is None
    for name in ("created_at", "expires_at"):
        assert Z_TIME.match(body[name]), body[name]
    expires = parse_datetime(body["expires_at"]) - parse_datetime(body["created_at"])
    assert timedelta(seconds=899) <= expires <= timedelta(seconds=900)
    assert payment.events.get().actor == "api"


def test_create_payment_with_only_required_fields_takes_the_shops_settings(api, shop):
    shop.payment_methods = ["card", "telcell"]
    shop.delivery_enabled = True
    shop.save()
    body = _create(api)
    assert body["payment_methods"] == ["card", "telcell"]
    assert body["delivery"]["enabled"] is True
    assert body["language"] is None
    assert body["customer"] == {"email": None, "phone": None}


@pytest.mark.parametrize(
    ("body", "code", "param"),
    [
        ({"currency": "AMD", "order_id": "x"}, "parameter_missing", "amount"),
        ({**PAYMENT, "amount": 0}, "parameter_invalid", "amount"),
        ({**PAYMENT, "amount": -5}, "parameter_invalid", "amount"),
        ({**PAYMENT, "amount": 10.5}, "parameter_invalid", "amount"),
        ({**PAYMENT, "amount": "1500"}, "parameter_invalid", "amount"),
        ({**PAYMENT, "amount": True}, "parameter_invalid", "amount"),
        ({**PAYMENT, "amount": 10**40}, "parameter_invalid", "amount"),
        ({**PAYMENT, "currency": "usd"}, "parameter_invalid", "currency"),
        ({**PAYMENT, "order_id": ""}, "parameter_invalid", "order_id"),
        ({**PAYMENT, "order_id": "x" * 65}, "parameter_invalid", "order_id"),
        ({**PAYMENT, "order_id": "a\u0000b"}, "parameter_invalid", "order_id"),
        ({**PAYMENT, "description": "d" * 256}, "parameter_invalid", "description"),
        ({**PAYMENT, "payment_methods": ["cash"]}, "parameter_invalid", "payment_methods.0"),
        ({**PAYMENT, "payment_methods": []}, "parameter_invalid", "payment_methods"),
        ({**PAYMENT, "expires_in": 299}, "parameter_invalid", "expires_in"),
        ({**PAYMENT, "expires_in": 604801}, "parameter_invalid", "expires_in"),
        ({**PAYMENT, "expires_at": "2030-01-01T00:00:00"}, "parameter_invalid", "expires_at"),
        ({**PAYMENT, "expires_at": "tomorrow"}, "parameter_invalid", "expires_at"),
        ({**PAYMENT, "delivery": {"enabled": "yes"}}, "parameter_invalid", "delivery.enabled"),
        ({**PAYMENT, "delivery": True}, "parameter_invalid", "delivery"),
        ({**PAYMENT, "language": "de"}, "parameter_invalid", "language"),
        ({**PAYMENT, "metadata": {"k": 1}}, "parameter_invalid", "metadata.k"),
        (
            {**PAYMENT, "metadata": {str(n): "v" for n in range(21)}},
            "parameter_invalid",
            "metadata",
        ),
        ({**PAYMENT, "surprise": 1}, "parameter_invalid", "surprise"),
        ([PAYMENT], "parameter_invalid", None),
    ],
)
def test_schema_errors_are_400_in_the_error_shape(api, body, code, param):
    _error(api.post("/payments", body), 400, "invalid_request_error", code, param)
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "code", "param"),
    [
        ({"amount": 10_000_001, "currency": "USD"}, "amount_too_large", "amount"),
        ({"currency": "EUR", "amount": 10_000_001}, "amount_too_large", "amount"),
        (
            {"expires_in": 300, "expires_at": "2099-01-01T00:00:00Z"},
            "parameter_conflict",
            "expires_at",
        ),
        ({"expires_at": "2020-01-01T00:00:00Z"}, "expiry_out_of_range", "expires_at"),
        ({"customer": {"email": "nope"}}, "email_invalid", "customer.email"),
        ({"customer": {"phone": "call me"}}, "phone_invalid", "customer.phone"),
        ({"success_url": "ftp://example.am/"}, "url_invalid", "success_url"),
        ({"metadata": {"\u0001": "v"}}, "parameter_invalid", "metadata"),
    ],
)
def test_rule_errors_are_400_naming_the_parameter(api, overrides, code, param):
    _error(
        api.post("/payments", {**PAYMENT, **overrides}), 400, "invalid_request_error", code, param
    )


def test_payment_method_outside_the_shops_is_refused(api, shop):
    shop.payment_methods = ["card"]
    shop.save()
    _error(
        api.post("/payments", {**PAYMENT, "payment_methods": ["idram"]}),
        400,
        "invalid_request_error",
        "payment_method_not_enabled",
        "payment_methods",
    )


@pytest.mark.parametrize("raw", ["{", "not json", '{"amount": 1,}', "\xff"])
def test_malformed_json_is_400(api, raw):
    _error(api.post("/payments", raw=raw), 400, "invalid_request_error", "body_invalid")


def test_empty_body_is_400(api):
    _error(api.post("/payments", raw=""), 400, "invalid_request_error", "parameter_missing", None)


def test_closed_shop_refuses_with_409(api, shop):
    shop.is_open = False
    shop.save()
    _error(api.post("/payments", PAYMENT), 409, "state_error", "shop_closed")


# ---------------------------------------------------------------------------
# Reading and listing
# ---------------------------------------------------------------------------
def test_get_payment(api):
    created = _create(api)
    response = api.get(f"/payments/{created['id']}")
    assert response.status_code == 200
    assert response.json() == created


@pytest.mark.parametrize("payment_id", ["pay_nope", "pay_" + "0" * 24, "x" * 200, "a%00b"])
def test_unknown_payment_is_404(api, payment_id):
    _error(api.get(f"/payments/{payment_id}"), 404, "not_found_error", "resource_missing")


def test_another_shops_payment_is_404_everywhere(api, other_shop_api):
    theirs = _paid(other_shop_api)
    pid = theirs["id"]
    _error(api.get(f"/payments/{pid}"), 404, "not_found_error", "resource_missing")
    _error(api.post(f"/payments/{pid}/cancel"), 404, "not_found_error", "resource_missing")
    _error(api.post(f"/payments/{pid}/refunds", {}), 404, "not_found_error", "resource_missing")
    _error(
        api.post(f"/test/payments/{pid}/simulate", {"outcome": "declined"}),
        404,
        "not_found_error",
        "resource_missing",
    )
    assert api.get("/payments").json()["data"] == []
    assert Payment.objects.get(public_id=pid).status == "succeeded"
    assert not Refund.objects.exists()


def test_unknown_api_route_is_404_in_the_error_shape(api):
    _error(api.get("/nothing/here"), 404, "not_found_error", "route_missing")


def test_list_is_newest_first_with_cursor_pagination(api):
    ids = [_create(api, order_id=f"o-{n}")["id"] for n in range(5)]
    newest_first = ids[::-1]

    first = api.get("/payments", {"limit": 2}).json()
    assert first["object"] == "list"
    assert [p["id"] for p in first["data"]] == newest_first[:2]
    assert first["has_more"] is True

    second = api.get("/payments", {"limit": 2, "starting_after": first["data"][-1]["id"]}).json()
    assert [p["id"] for p in second["data"]] == newest_first[2:4]
    assert second["has_more"] is True

    third = api.get("/payments", {"limit": 2, "starting_after": second["data"][-1]["id"]}).json()
    assert [p["id"] for p in third["data"]] == newest_first[4:]
    assert third["has_more"] is False

    everything = api.get("/payments").json()
    assert [p["id"] for p in everything["data"]] == newest_first
    assert everything["has_more"] is False


def test_list_orders_same_second_payments_by_id(api):
    ids = [_create(api, order_id=f"o-{n}")["id"] for n in range(3)]
    Payment.objects.update(created_at=timezone.now())
    page = api.get("/payments", {"limit": 1}).json()
    rest = api.get("/payments", {"starting_after": page["data"][0]["id"]}).json()
    assert [p["id"] for p in page["data"] + rest["data"]] == ids[::-1]


def test_list_filters(api):
    paid = _paid(api, order_id="A")
    pending = _create(api, order_id="B")
    Payment.objects.filter(public_id=paid["id"]).update(
        created_at=timezone.now() - timedelta(days=2)
    )

    def ids(**params) -> list[str]:
        response = api.get("/payments", params)
        assert response.status_code == 200, response.content
        return [p["id"] for p in response.json()["data"]]

    assert ids(status="succeeded") == [paid["id"]]
    assert ids(status="pending") == [pending["id"]]
    assert ids(order_id="B") == [pending["id"]]
    yesterday = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ids(created_gte=yesterday) == [pending["id"]]
    assert ids(created_lt=yesterday) == [paid["id"]]
    # Any offset the schema accepts works, even one PostgreSQL cannot display.
    assert ids(created_lt="1247-11-25T18:25:06+19:18") == []
    assert ids(created_gte="2000-01-01T00:00:00-23:59") == [pending["id"], paid["id"]]


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"status": "paid"}, "status"),
        ({"created_gte": "yesterday"}, "created_gte"),
        ({"created_lt": "2026-01-01T00:00:00"}, "created_lt"),
        ({"order_id": "a\u0000"}, "order_id"),
        ({"starting_after": "pay_'; drop"}, "starting_after"),
    ],
)
def test_bad_list_parameters_are_400(api, params, param):
    _error(api.get("/payments", params), 400, "invalid_request_error", "parameter_invalid", param)


def test_unknown_cursor_is_400(api):
    _error(
        api.get("/payments", {"starting_after": "pay_" + "0" * 24}),
        400,
        "invalid_request_error",
        "resource_missing",
        "starting_after",
    )


# ---------------------------------------------------------------------------
# Expiry by time
# ---------------------------------------------------------------------------
def test_reading_after_the_lifetime_shows_expired(api):
    created = _create(api, expires_in=300)
    later = timezone.now() + timedelta(seconds=301)
    with mock.patch("django.utils.timezone.now", return_value=later):
        body = api.get(f"/payments/{created['id']}").json()
        listed = api.get("/payments", {"status": "pending"}).json()
    assert body["status"] == "expired"
    assert listed["data"] == []
    assert PaymentEvent.objects.filter(to_status="expired", actor="system").count() == 1


def test_expired_payment_cannot_be_cancelled_or_simulated(api):
    created = _create(api, expires_in=300)
    later = timezone.now() + timedelta(seconds=301)
    with mock.patch("django.utils.timezone.now", return_value=later):
        _error(
            api.post(f"/payments/{created['id']}/cancel"),
            409,
            "state_error",
            "payment_not_cancellable",
        )
        _error(
            api.post(f"/test/payments/{created['id']}/simulate", {"outcome": "succeeded"}),
            409,
            "state_error",
            "payment_invalid_state",
        )
    assert Payment.objects.get().status == "expired"


# ---------------------------------------------------------------------------
# Cancel
# ---------------------------------------------------------------------------
def test_cancel_pending_payment(api):
    created = _create(api)
    response = api.post(f"/payments/{created['id']}/cancel")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    _error(
        api.post(f"/payments/{created['id']}/cancel"), 409, "state_error", "payment_not_cancellable"
    )


def test_paid_payment_cannot_be_cancelled(api):
    paid = _paid(api)
    _error(
        api.post(f"/payments/{paid['id']}/cancel"), 409, "state_error", "payment_not_cancellable"
    )


# ---------------------------------------------------------------------------
# Refunds
# ---------------------------------------------------------------------------
def test_partial_refund_then_the_rest_by_default(api):
    paid = _paid(api, amount=10000)
    response = api.post(f"/payments/{paid['id']}/refunds", {"amount": 2500, "reason": "damaged"})
    assert response.status_code == 201
    refund = response.json()
    assert refund["id"].startswith("re_")
    assert refund["object"] == "refund"
    assert (refund["payment"], refund["amount"], refund["currency"]) == (paid["id"], 2500, "AMD")
    assert (refund["reason"], refund["status"]) == ("damaged", "succeeded")
    assert Z_TIME.match(refund["created_at"])
    payment = api.get(f"/payments/{paid['id']}").json()
    assert (payment["status"], payment["refunded_amount"]) == ("partially_refunded", 2500)

    rest = api.post(f"/payments/{paid['id']}/refunds", raw="")
    assert rest.status_code == 201
    assert rest.json()["amount"] == 7500
    payment = api.get(f"/payments/{paid['id']}").json()
    assert (payment["status"], payment["refunded_amount"]) == ("refunded", 10000)


def test_refund_beyond_what_remains_is_refused(api):
    paid = _paid(api, amount=10000)
    assert api.post(f"/payments/{paid['id']}/refunds", {"amount": 9000}).status_code == 201
    _error(
        api.post(f"/payments/{paid['id']}/refunds", {"amount": 1001}),
        400,
        "invalid_request_error",
        "amount_exceeds_remaining",
        "amount",
    )
    assert api.get(f"/payments/{paid['id']}").json()["refunded_amount"] == 9000
    # Fully refunded: nothing is left to refund.
    assert api.post(f"/payments/{paid['id']}/refunds", {}).status_code == 201
    _error(
        api.post(f"/payments/{paid['id']}/refunds", {}),
        409,
        "state_error",
        "payment_not_refundable",
    )


def test_unpaid_payment_cannot_be_refunded(api):
    created = _create(api)
    _error(
        api.post(f"/payments/{created['id']}/refunds", {}),
        409,
        "state_error",
        "payment_not_refundable",
    )


@pytest.mark.parametrize(
    ("body", "param"),
    [({"amount": 0}, "amount"), ({"amount": "5"}, "amount"), ({"reason": "r" * 256}, "reason")],
)
def test_bad_refund_body_is_400(api, body, param):
    paid = _paid(api)
    _error(
        api.post(f"/payments/{paid['id']}/refunds", body),
        400,
        "invalid_request_error",
        "parameter_invalid",
        param,
    )


# ---------------------------------------------------------------------------
# Simulations
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("outcome", ["succeeded", "declined", "expired"])
def test_simulate_outcomes(api, outcome):
    created = _create(api)
    response = api.post(f"/test/payments/{created['id']}/simulate", {"outcome": outcome})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == outcome
    if outcome == "succeeded":
        assert body["method"] == "card"
        assert body["card"] == {"brand": "visa", "last4": "4242"}
        assert Z_TIME.match(body["succeeded_at"])


def test_simulate_twice_is_409(api):
    paid = _paid(api)
    _error(
        api.post(f"/test/payments/{paid['id']}/simulate", {"outcome": "declined"}),
        409,
        "state_error",
        "payment_invalid_state",
    )


def test_simulate_needs_a_test_key(live_api, shop):
    shop.live_mode = True
    shop.save()
    created = _create(live_api)
    _error(
        live_api.post(f"/test/payments/{created['id']}/simulate", {"outcome": "succeeded"}),
        403,
        "permission_error",
        "test_mode_only",
    )
    assert Payment.objects.get().status == "pending"


def test_simulate_unknown_outcome_is_400(api):
    created = _create(api)
    _error(
        api.post(f"/test/payments/{created['id']}/simulate", {"outcome": "refunded"}),
        400,
        "invalid_request_error",
        "parameter_invalid",
        "outcome",
    )


# ---------------------------------------------------------------------------
# Idempotency
# ---------------------------------------------------------------------------
def test_same_key_same_body_replays_the_stored_response(api):
    first = api.post("/payments", PAYMENT, **{"Idempotency-Key": "order-1001"})
    again = api.post("/payments", PAYMENT, **{"Idempotency-Key": "order-1001"})

    assert first.status_code == again.status_code == 201
    assert "Idempotent-Replayed" not in first
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Payment.objects.count() == 1


def test_replay_ignores_json_formatting(api):
    api.post("/payments", raw=json.dumps(PAYMENT), **{"Idempotency-Key": "k"})
    again = api.post(
        "/payments", raw=json.dumps(PAYMENT, indent=4, sort_keys=True), **{"Idempotency-Key": "k"}
    )
    assert again["Idempotent-Replayed"] == "true"
    assert Payment.objects.count() == 1


def test_same_key_different_body_is_409(api):
    api.post("/payments", PAYMENT, **{"Idempotency-Key": "k1"})
    response = api.post("/payments", {**PAYMENT, "amount": 1}, **{"Idempotency-Key": "k1"})
    _error(response, 409, "idempotency_error", "idempotency_key_reused", "Idempotency-Key")
    assert Payment.objects.count() == 1


def test_same_key_on_another_endpoint_is_409(api):
    created = api.post("/payments", PAYMENT, **{"Idempotency-Key": "k2"}).json()
    response = api.post(f"/payments/{created['id']}/cancel", **{"Idempotency-Key": "k2"})
    _error(response, 409, "idempotency_error", "idempotency_key_reused", "Idempotency-Key")


def test_a_key_used_by_another_endpoint_first_is_409_on_create(api):
    paid = _paid(api, amount=10000)
    api.post(f"/payments/{paid['id']}/refunds", {"amount": 100}, **{"Idempotency-Key": "k3"})
    response = api.post("/payments", PAYMENT, **{"Idempotency-Key": "k3"})
    _error(response, 409, "idempotency_error", "idempotency_key_reused", "Idempotency-Key")
    assert Payment.objects.count() == 1


def test_refund_replay_refunds_once(api):
    paid = _paid(api, amount=10000)
    url = f"/payments/{paid['id']}/refunds"
    first = api.post(url, {"amount": 1000}, **{"Idempotency-Key": "refund-1"})
    again = api.post(url, {"amount": 1000}, **{"Idempotency-Key": "refund-1"})
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Refund.objects.count() == 1


def test_keys_are_per_shop(api, other_shop_api):
    mine = api.post("/payments", PAYMENT, **{"Idempotency-Key": "shared"})
    theirs = other_shop_api.post("/payments", PAYMENT, **{"Idempotency-Key": "shared"})
    assert mine.status_code == theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs
    assert mine.json()["id"] != theirs.json()["id"]


def test_failed_request_leaves_the_key_free(api, shop):
    shop.is_open = False
    shop.save()
    refused = api.post("/payments", PAYMENT, **{"Idempotency-Key": "retry-me"})
    assert refused.status_code == 409
    shop.is_open = True
    shop.save()
    accepted = api.post("/payments", PAYMENT, **{"Idempotency-Key": "retry-me"})
    assert accepted.status_code == 201
    assert "Idempotent-Replayed" not in accepted
    assert IdempotencyKey.objects.get().status_code == 201


def test_key_is_new_again_after_24_hours(api):
    first = api.post("/payments", PAYMENT, **{"Idempotency-Key": "daily"})
    later = timezone.now() + timedelta(hours=24, seconds=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        second = api.post("/payments", {**PAYMENT, "amount": 5}, **{"Idempotency-Key": "daily"})
    assert second.status_code == 201
    assert second.json()["id"] != first.json()["id"]
    # The key now answers with the second payment.
    with mock.patch("django.utils.timezone.now", return_value=later):
        again = api.post("/payments", {**PAYMENT, "amount": 5}, **{"Idempotency-Key": "daily"})
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == second.json()
    assert Payment.objects.count() == 2


@pytest.mark.parametrize("value", ["k" * 256, ""])
def test_bad_idempotency_key_is_400(api, value):
    response = api.post("/payments", PAYMENT, **{"Idempotency-Key": value})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "Idempotency-Key"
    assert not Payment.objects.exists()


def test_purge_task_deletes_keys_past_24_hours(api):
    from payments.tasks import purge_idempotency_keys

    api.post("/payments", PAYMENT, **{"Idempotency-Key": "old"})
    api.post("/payments", {**PAYMENT, "order_id": "new"}, **{"Idempotency-Key": "new"})
    IdempotencyKey.objects.filter(key="old").update(created_at=timezone.now() - timedelta(hours=25))
    assert purge_idempotency_keys.apply().get() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


# ---------------------------------------------------------------------------
# Rate limit
# ---------------------------------------------------------------------------
def test_rate_limit_per_key_answers_429_with_retry_after(api, other_shop_api, settings):
    settings.API_RATE_LIMIT = (3, 60)
    for _n in range(3):
        assert api.get("/payments").status_code == 200
    response = api.get("/payments")
    _error(response, 429, "rate_limit_error", "rate_limited")
    assert 1 <= int(response["Retry-After"]) <= 60
    # Another key has its own budget.
    assert other_shop_api.get("/payments").status_code == 200
    # The next window starts afresh.
    later = timezone.now() + timedelta(seconds=61)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert api.get("/payments").status_code == 200


# ---------------------------------------------------------------------------
# No card number anywhere
# ---------------------------------------------------------------------------
def test_payment_rows_and_responses_hold_no_full_card_number(api):
    paid = _paid(api)
    responses = [
        json.dumps(paid),
        api.get(f"/payments/{paid['id']}").content.decode(),
        api.get("/payments").content.decode(),
    ]
    payment = Payment.objects.get()
    columns = [str(getattr(payment, f.attname)) for f in Payment._meta.concrete_fields]
    events = [json.dumps(e.data) for e in payment.events.all()]
    for text in responses + columns + events:
        assert not re.search(r"\d{13,19}", text.replace(" ", "")), text
