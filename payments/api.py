"""The HTTP API, version 1: payments, refunds and test simulations, for a shop's server.

The secret key decides the shop and the mode: a test key sees only the shop's test
payments, a live key only its live ones. Operations are thin: check, call one service
from transactions, answer with the payment object.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from typing import Any

from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from ninja import Header, NinjaAPI, Query
from ninja.errors import HttpError, ValidationError
from ninja.security import HttpBearer

from shops.models import ApiKey
from shops.services import api_key_authenticate
from transactions import services
from transactions.models import Actor, Payment
from transactions.selectors import get_payment_for_shop
from transactions.services import PaymentStateError, PaymentValidationError

from . import errors
from .errors import ApiError
from .idempotency import HEADER as IDEMPOTENCY_HEADER
from .idempotency import MAX_LENGTH as IDEMPOTENCY_MAX_LENGTH
from .idempotency import idempotent
from .ratelimit import rate_limit_exceeded
from .schemas import (
    ID_PATTERN,
    ErrorOut,
    ListFilters,
    PaymentCreate,
    PaymentList,
    PaymentOut,
    RefundCreate,
    RefundOut,
    SimulateIn,
)


class SecretKeyAuth(HttpBearer):
    """Authorization: Bearer sk_test_… or sk_live_…; also counts the key's rate limit."""

    openapi_description = "A secret key of the shop: sk_test_… for test mode, sk_live_… for live."

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        key = api_key_authenticate(token)
        if key is None:
            return None
        if key.kind == ApiKey.Kind.SECRET_LIVE and not key.shop.live_mode:
            raise ApiError(
                403,
                "permission_error",
                "live_mode_disabled",
                _("The shop is not in live mode: use a test key, or switch live mode on."),
            )
        wait = rate_limit_exceeded(key_id=key.pk)
        if wait is not None:
            raise ApiError(
                429,
                "rate_limit_error",
                "rate_limited",
                _("Too many requests with this key; retry after %(seconds)d s.")
                % {"seconds": wait},
                headers={"Retry-After": str(wait)},
            )
        return key


DESCRIPTION = """
JSON over HTTPS, UTF-8. Authenticate with `Authorization: Bearer <secret key>`: the key
decides the shop and the mode (`sk_test_…` test, `sk_live_…` live).

Amounts are integers in the currency's minor units (ISO 4217 exponent: AMD, USD, EUR
and RUB all 2, so 15000.00 AMD is `1500000`). Times are ISO 8601 in UTC with `Z`.

Every POST accepts an `Idempotency-Key` header (up to 255 characters, kept 24 hours per
key and shop): the same key with the same request returns the stored response with
`Idempotent-Replayed: true`; with a different request it is refused with 409
`idempotency_key_reused`. Only successful responses are kept.

Every error is `{"error": {"type", "code", "message", "param"}}`. A key that sends too
many requests gets 429 with `Retry-After` (seconds).
""".strip()


class Api(NinjaAPI):
    def get_openapi_schema(self, **kwargs: Any) -> dict:
        """ninja's document, plus the headers it cannot express: Retry-After on 429 and
        Idempotent-Replayed on the answers of POSTs."""
        schema = super().get_openapi_schema(**kwargs)
        for path in schema["paths"].values():
            for method, operation in path.items():
                responses = operation.get("responses", {})
                if 429 in responses:
                    responses[429]["headers"] = {
                        "Retry-After": {
                            "description": "Seconds to wait before the next request.",
                            "required": True,
                            "schema": {"type": "integer", "minimum": 1},
                        }
                    }
                if method == "post":
                    for status, response in responses.items():
                        if 200 <= int(status) < 300:
                            response["headers"] = {
                                "Idempotent-Replayed": {
                                    "description": "`true` when this is a stored response.",
                                    "schema": {"type": "string", "enum": ["true"]},
                                }
                            }
        return schema


api = Api(
    title="Inecopay API",
    version="1",
    description=DESCRIPTION,
    auth=SecretKeyAuth(),
    docs_url=None,
    openapi_url="/openapi.json",
    urls_namespace="api_v1",
)
api.add_exception_handler(ApiError, errors.handle_api_error)
api.add_exception_handler(ValidationError, errors.handle_validation_error)
api.add_exception_handler(HttpError, errors.handle_http_error)
api.add_exception_handler(Http404, errors.handle_404)
api.add_exception_handler(PaymentValidationError, errors.handle_payment_validation)
api.add_exception_handler(PaymentStateError, errors.handle_payment_state)
api.add_exception_handler(Exception, errors.handle_unexpected)

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 429: ErrorOut}
POST_ERRORS = {**ERRORS, 409: ErrorOut}
IdempotencyKeyHeader = Header(
    None,
    alias=IDEMPOTENCY_HEADER,
    max_length=IDEMPOTENCY_MAX_LENGTH,
    description="Makes a retried POST safe: the same key and request are answered once.",
)


def _test_mode(request: HttpRequest) -> bool:
    return request.auth.kind == ApiKey.Kind.SECRET_TEST


def _payment(request: HttpRequest, payment_id: str) -> Payment:
    if not re.fullmatch(ID_PATTERN, payment_id):
        raise errors.not_found()
    try:
        return get_payment_for_shop(
            shop=request.auth.shop, test=_test_mode(request), public_id=payment_id
        )
    except Http404:
        raise errors.not_found() from None


def _answer(status: int, schema: Any) -> HttpResponse:
    return HttpResponse(schema.model_dump_json(), status=status, content_type=errors.CONTENT_TYPE)


# ---------------------------------------------------------------------------
# Payments
# ---------------------------------------------------------------------------
@api.post(
    "/payments",
    response={201: PaymentOut, **POST_ERRORS},
    summary="Create a payment",
    tags=["payments"],
)
@idempotent(joins_write=True)
def create_payment(
    request: HttpRequest,
    payload: PaymentCreate,
    idempotency_key: str | None = IdempotencyKeyHeader,
) -> HttpResponse:
    """A pending payment and its `payment_url`, the hosted form to send the buyer to.
    What is not given comes from the shop's settings."""
    customer = payload.customer
    claim = request.idempotency
    payment = services.payment_create(
        shop=request.auth.shop,
        test=_test_mode(request),
        amount=payload.amount,
        currency=payload.currency.value,
        order_id=payload.order_id,
        description=payload.description or "",
        payment_methods=[m.value for m in payload.payment_methods]
        if payload.payment_methods is not None
        else None,
        expires_in=payload.expires_in,
        expires_at=payload.expires_at,
        delivery_enabled=payload.delivery.enabled if payload.delivery else None,
        customer_email=(customer.email or "") if customer else "",
        customer_phone=(customer.phone or "") if customer else "",
        language=payload.language.value if payload.language else "",
        success_url=payload.success_url or "",
        fail_url=payload.fail_url or "",
        metadata=payload.metadata,
        actor=Actor.API,
        guard=claim.guard(201, _payment_json) if claim else None,
    )
    if claim is None:
        return _answer(201, PaymentOut.of(payment))
    return claim.response() if payment is not None else claim.replay()


def _payment_json(payment: Payment) -> str:
    return PaymentOut.of(payment).model_dump_json()


@api.get(
    "/payments/{payment_id}",
    response={200: PaymentOut, **ERRORS},
    summary="Retrieve a payment",
    tags=["payments"],
)
def get_payment(request: HttpRequest, payment_id: str) -> HttpResponse:
    """The payment as it is now (a pending payment past its lifetime is expired first)."""
    return _answer(200, PaymentOut.of(_payment(request, payment_id)))


def _as_utc(value: datetime) -> datetime:
    if timezone.is_naive(value):
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


@api.get(
    "/payments",
    response={200: PaymentList, **ERRORS},
    summary="List payments",
    tags=["payments"],
)
def list_payments(request: HttpRequest, filters: Query[ListFilters]) -> HttpResponse:
    """The shop's payments in the key's mode, newest first, `limit` at a time; pass the
    last id as `starting_after` for the next page."""
    shop, test = request.auth.shop, _test_mode(request)
    services.payment_expire_due(shop=shop, test=test)
    payments = Payment.objects.for_shop(shop, test=test).order_by("-created_at", "-id")
    if filters.status:
        payments = payments.filter(status=filters.status.value)
    if filters.order_id:
        payments = payments.filter(order_id=filters.order_id)
    # In UTC: PostgreSQL refuses offsets it cannot display (a +19:18 the schema allows).
    if filters.created_gte:
        payments = payments.filter(created_at__gte=_as_utc(filters.created_gte))
    if filters.created_lt:
        payments = payments.filter(created_at__lt=_as_utc(filters.created_lt))
    if filters.starting_after:
        cursor = (
            Payment.objects.for_shop(shop, test=test)
            .filter(public_id=filters.starting_after)
            .values("created_at", "id")
            .first()
        )
        if cursor is None:
            raise ApiError(
                400,
                "invalid_request_error",
                "resource_missing",
                _("No such payment to start after."),
                param="starting_after",
            )
        payments = payments.filter(
            Q(created_at__lt=cursor["created_at"])
            | Q(created_at=cursor["created_at"], id__lt=cursor["id"])
        )
    page = list(payments[: filters.limit + 1])
    return _answer(
        200,
        PaymentList(
            object="list",
            data=[PaymentOut.of(p) for p in page[: filters.limit]],
            has_more=len(page) > filters.limit,
        ),
    )


@api.post(
    "/payments/{payment_id}/cancel",
    response={200: PaymentOut, **POST_ERRORS},
    summary="Cancel a payment",
    tags=["payments"],
)
@idempotent
def cancel_payment(
    request: HttpRequest, payment_id: str, idempotency_key: str | None = IdempotencyKeyHeader
) -> HttpResponse:
    """Only while it is pending: the form stops accepting it."""
    payment = services.payment_cancel(payment=_payment(request, payment_id), actor=Actor.API)
    return _answer(200, PaymentOut.of(payment))


@api.post(
    "/payments/{payment_id}/refunds",
    response={201: RefundOut, **POST_ERRORS},
    summary="Refund a payment",
    tags=["refunds"],
)
@idempotent
def create_refund(
    request: HttpRequest,
    payment_id: str,
    payload: RefundCreate | None = None,
    idempotency_key: str | None = IdempotencyKeyHeader,
) -> HttpResponse:
    """Give back `amount` (default: all that remains) of a succeeded or partially refunded
    payment; never more than remains."""
    payment = _payment(request, payment_id)
    refund = services.refund_create(
        payment=payment,
        amount=payload.amount if payload else None,
        reason=(payload.reason or "") if payload else "",
        actor=Actor.API,
    )
    return _answer(201, RefundOut.of(refund))


# ---------------------------------------------------------------------------
# Test mode
# ---------------------------------------------------------------------------
@api.post(
    "/test/payments/{payment_id}/simulate",
    response={200: PaymentOut, **POST_ERRORS},
    summary="Simulate a buyer (test keys only)",
    tags=["test mode"],
)
@idempotent
def simulate_payment(
    request: HttpRequest,
    payment_id: str,
    payload: SimulateIn,
    idempotency_key: str | None = IdempotencyKeyHeader,
) -> HttpResponse:
    """Drive a pending test payment to `succeeded`, `declined` or `expired` without the
    form, for an integration's own tests."""
    if not _test_mode(request):
        raise ApiError(403, "permission_error", "test_mode_only", _("Simulations need a test key."))
    payment = services.payment_simulate(
        payment=_payment(request, payment_id), outcome=payload.outcome
    )
    return _answer(200, PaymentOut.of(payment))


# ---------------------------------------------------------------------------
# URLs
# ---------------------------------------------------------------------------
def _in_english(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The API speaks English whatever the portal's language: its messages are for
    developers, and its contract names them English."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        with translation.override("en"):
            return view(request, *args, **kwargs)

    return wrapper


def api_not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    with translation.override("en"):
        return errors.error_response(
            ApiError(404, "not_found_error", "route_missing", _("No such API endpoint."))
        )


def api_urls() -> tuple[list, str, str]:
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        pattern.callback = _in_english(pattern.callback)
    return patterns, app_name, namespace
