"""The API's request and response shapes; they are also its OpenAPI document."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from typing import Annotated, Literal

from django.conf import settings
from ninja import Schema
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    StrictInt,
    StringConstraints,
    WithJsonSchema,
)

from inecopay.lib.money import Currency, PaymentMethod
from shops.models import INVOICE_LIFETIME_MAX, INVOICE_LIFETIME_MIN
from transactions.models import MAX_AMOUNT, Language, Payment, Refund

# No control characters (PostgreSQL cannot even store NUL) in any text the API takes.
TEXT_PATTERN = r"^[^\x00-\x1f\x7f]*$"
ID_PATTERN = r"^[A-Za-z0-9_]{1,32}$"


def Text(max_length: int, min_length: int = 0) -> type[str]:  # noqa: N802 - a type factory
    return Annotated[
        str,
        StringConstraints(min_length=min_length, max_length=max_length, pattern=TEXT_PATTERN),
    ]


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


UtcTime = Annotated[
    datetime,
    PlainSerializer(_utc, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time", "example": "2026-01-31T12:00:00Z"}),
]

AMOUNT_CAPS = ", ".join(f"{currency} {cap}" for currency, cap in MAX_AMOUNT.items())
AMOUNT_DESCRIPTION = (
    "Integer in the currency's minor units (ISO 4217 exponent 2 for AMD, USD, EUR and RUB: "
    f"15000.00 AMD is 1500000). At most, per currency: {AMOUNT_CAPS}."
)

CurrencyCode = Enum("CurrencyCode", {c: c for c in Currency.values}, type=str)
MethodCode = Enum("MethodCode", {m: m for m in PaymentMethod.values}, type=str)
StatusCode = Enum("StatusCode", {s: s for s in Payment.Status.values}, type=str)
LanguageCode = Enum("LanguageCode", {code: code for code in Language.values}, type=str)


class ApiSchema(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------------------
# Requests
# ---------------------------------------------------------------------------
class DeliveryIn(ApiSchema):
    enabled: StrictBool = Field(description="Show the delivery fields on the payment form.")


class CustomerIn(ApiSchema):
    email: Text(254) | None = Field(None, description="The buyer's email, if known.")
    phone: Text(20) | None = Field(None, description="The buyer's phone, e.g. +37410123456.")


class PaymentCreate(ApiSchema):
    amount: StrictInt = Field(gt=0, le=max(MAX_AMOUNT.values()), description=AMOUNT_DESCRIPTION)
    currency: CurrencyCode = Field(description="ISO 4217 code of a currency the shop accepts.")
    order_id: Text(64, 1) = Field(description="Your order number.")
    description: Text(255) | None = Field(None, description="What the buyer pays for.")
    payment_methods: list[MethodCode] | None = Field(
        None,
        min_length=1,
        max_length=len(PaymentMethod.values),
        description="The methods the form offers: a subset of the shop's. Default: the shop's.",
    )
    expires_in: StrictInt | None = Field(
        None,
        ge=INVOICE_LIFETIME_MIN,
        le=INVOICE_LIFETIME_MAX,
        description="Seconds the payment can be paid. Default: the shop's invoice lifetime.",
    )
    expires_at: AwareDatetime | None = Field(
        None, description="When the payment expires (instead of expires_in), 5 min to 7 days on."
    )
    delivery: DeliveryIn | None = Field(None, description="Default: the shop's setting.")
    customer: CustomerIn | None = None
    language: LanguageCode | None = Field(
        None, description="Language of the form. Default: the buyer's browser language."
    )
    success_url: Text(500) | None = Field(
        None, description="Where the buyer returns after paying. Default: the shop's."
    )
    fail_url: Text(500) | None = Field(
        None, description="Where the buyer returns after a failure. Default: the shop's."
    )
    metadata: (
        dict[Annotated[str, StringConstraints(min_length=1, max_length=40)], Text(500)] | None
    ) = Field(None, max_length=20, description="Up to 20 string keys and values, kept for you.")


class RefundCreate(ApiSchema):
    amount: StrictInt | None = Field(
        None,
        gt=0,
        le=max(MAX_AMOUNT.values()),
        description="Minor units to refund. Default: all that remains.",
    )
    reason: Text(255) | None = Field(None, description="Why, for your records.")


class SimulateIn(ApiSchema):
    outcome: Literal["succeeded", "declined", "expired"] = Field(
        description="What happens to the pending test payment."
    )


class ListFilters(Schema):
    model_config = ConfigDict(extra="ignore")

    status: StatusCode | None = None
    order_id: Text(64) | None = None
    created_gte: AwareDatetime | None = Field(None, description="Created at or after.")
    created_lt: AwareDatetime | None = Field(None, description="Created before.")
    limit: int = Field(10, ge=1, le=100, description="At most 100.")
    starting_after: Annotated[str, StringConstraints(pattern=ID_PATTERN)] | None = Field(
        None, description="The id of the last payment of the previous page."
    )


# ---------------------------------------------------------------------------
# Responses
# ---------------------------------------------------------------------------
class Out(BaseModel):
    """A response shape, built from keyword arguments: plain pydantic, without ninja's
    Schema and its validator for reading Django objects, which the answers do not need
    and which cost more than the rest of building a payment's answer."""


class DeliveryOut(Out):
    enabled: bool
    recipient: str | None = Field(description="Filled in by the buyer on the form.")
    address: str | None
    phone: str | None


class CustomerOut(Out):
    email: str | None
    phone: str | None


class CardOut(Out):
    brand: str
    last4: str = Field(description="Only the last four digits are ever kept.")


class PaymentOut(Out):
    id: str = Field(examples=["pay_3f2a9c0d1e4b5a6978877665"])
    object: Literal["payment"]
    status: StatusCode
    amount: int = Field(description=AMOUNT_DESCRIPTION)
    currency: CurrencyCode
    order_id: str
    description: str
    payment_methods: list[MethodCode]
    delivery: DeliveryOut
    customer: CustomerOut
    language: LanguageCode | None
    success_url: str
    fail_url: str
    expires_at: UtcTime
    payment_url: str = Field(description="The hosted payment form: send the buyer here.")
    test: bool
    refunded_amount: int
    method: MethodCode | None = Field(description="What the buyer paid with.")
    card: CardOut | None
    metadata: dict[str, str]
    created_at: UtcTime
    succeeded_at: UtcTime | None

    @classmethod
    def of(cls, payment: Payment) -> PaymentOut:
        delivery = payment.delivery or {}
        return cls(
            id=payment.public_id,
            object="payment",
            status=payment.status,
            amount=payment.amount,
            currency=payment.currency,
            order_id=payment.order_id,
            description=payment.description,
            payment_methods=payment.payment_methods,
            delivery=DeliveryOut(
                enabled=payment.delivery_enabled,
                recipient=delivery.get("recipient"),
                address=delivery.get("address"),
                phone=delivery.get("phone"),
            ),
            customer=CustomerOut(
                email=payment.customer_email or None, phone=payment.customer_phone or None
            ),
            language=payment.language or None,
            success_url=payment.success_url,
            fail_url=payment.fail_url,
            expires_at=payment.expires_at,
            payment_url=f"{settings.SITE_URL}/pay/{payment.form_token}/",
            test=payment.test,
            refunded_amount=payment.refunded_amount,
            method=payment.method or None,
            card=CardOut(brand=payment.card_brand, last4=payment.card_last4)
            if payment.card_last4
            else None,
            metadata=payment.metadata,
            created_at=payment.created_at,
            succeeded_at=payment.succeeded_at,
        )


class PaymentList(Out):
    object: Literal["list"]
    data: list[PaymentOut]
    has_more: bool = Field(description="More payments follow: pass the last id as starting_after.")


class RefundOut(Out):
    id: str = Field(examples=["re_3f2a9c0d1e4b5a6978877665"])
    object: Literal["refund"]
    payment: str = Field(description="The id of the refunded payment.")
    amount: int
    currency: CurrencyCode
    reason: str
    status: Literal["succeeded"]
    created_at: UtcTime

    @classmethod
    def of(cls, refund: Refund) -> RefundOut:
        return cls(
            id=refund.public_id,
            object="refund",
            payment=refund.payment.public_id,
            amount=refund.amount,
            currency=refund.payment.currency,
            reason=refund.reason,
            status=refund.status,
            created_at=refund.created_at,
        )


class ErrorBody(Out):
    type: Literal[
        "invalid_request_error",
        "authentication_error",
        "permission_error",
        "not_found_error",
        "state_error",
        "idempotency_error",
        "rate_limit_error",
        "api_error",
    ]
    code: str = Field(description="Stable, for programs: e.g. amount_too_large.")
    message: str = Field(description="For people; in English.")
    param: str | None = Field(description="The parameter at fault, when one is.")


class ErrorOut(Out):
    error: ErrorBody
