"""The acquirer gateway: the bank side of a payment the hosted form takes.

Test payments always go through the sandbox, which knows the test cards. Live payments go
through the class named by the ACQUIRER_BACKEND setting; with none configured they are
refused before anything happens to the payment.

The functions at the end drive a payment through a gateway. Every status change goes
through transactions.services.payment_transition: the payment is claimed (pending →
processing, under a row lock) before the acquirer is asked, so of two concurrent submits
only one ever reaches the bank, and the other sees the first one's outcome.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from inecopay.lib.money import PaymentMethod
from transactions.models import Actor, Payment
from transactions.services import (
    PaymentStateError,
    PaymentValidationError,
    payment_expire_if_due,
    payment_transition,
)

from .cards import Card

logger = logging.getLogger(__name__)

Status = Payment.Status
WALLETS = frozenset(
    {PaymentMethod.APPLE_PAY, PaymentMethod.GOOGLE_PAY, PaymentMethod.IDRAM, PaymentMethod.TELCELL}
)

# Challenges: a step the buyer completes before the bank answers.
THREE_D_SECURE = "3ds"
WALLET_CONFIRM = "wallet"

# Decline codes the form explains to the buyer.
INSUFFICIENT_FUNDS = "insufficient_funds"
AUTHENTICATION_FAILED = "authentication_failed"
WALLET_DECLINED = "wallet_declined"
TOO_MANY_ATTEMPTS = "too_many_attempts"


class AcquirerUnavailable(Exception):
    """No acquirer can take this payment (live mode with none configured)."""


class Outcome(StrEnum):
    APPROVED = "approved"
    DECLINED = "declined"


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    decline_code: str = ""


class Acquirer:
    """What a gateway implements. No method may store, log or return a card's full number
    or CVC."""

    name = ""

    def challenge_for(self, *, payment: Payment, method: str, card: Card | None) -> str:
        """THREE_D_SECURE or WALLET_CONFIRM when the buyer must confirm first, else "".

        This is the authentication step (3-D Secure's enrolment check): no money moves,
        so it runs before the payment is claimed. A card the gateway refuses outright
        raises PaymentValidationError with param "card_number".
        """
        raise NotImplementedError

    def authorize(self, *, payment: Payment, method: str, card: Card | None) -> Result:
        """Ask the bank for the money, once the payment is claimed and needs no challenge."""
        raise NotImplementedError

    def complete_challenge(self, *, payment: Payment, approved: bool) -> Result:
        """The bank's answer after the buyer passed (or failed) the challenge."""
        raise NotImplementedError


class SandboxAcquirer(Acquirer):
    """Test mode: the test cards decide the outcome, and no bank is involved."""

    name = "sandbox"
    SUCCEEDS = "4242424242424242"
    DECLINED = "4000000000000002"
    THREE_D_SECURE = "4000000000003220"
    TEST_CARDS = (SUCCEEDS, DECLINED, THREE_D_SECURE)

    def challenge_for(self, *, payment: Payment, method: str, card: Card | None) -> str:
        if method in WALLETS:
            return WALLET_CONFIRM
        if card is None or card.number not in self.TEST_CARDS:
            raise PaymentValidationError(
                "test_card_required",
                _("This is a test payment: use one of the test cards shown above."),
                param="card_number",
            )
        return THREE_D_SECURE if card.number == self.THREE_D_SECURE else ""

    def authorize(self, *, payment: Payment, method: str, card: Card | None) -> Result:
        if card is not None and card.number == self.DECLINED:
            return Result(Outcome.DECLINED, INSUFFICIENT_FUNDS)
        return Result(Outcome.APPROVED)

    def complete_challenge(self, *, payment: Payment, approved: bool) -> Result:
        if approved:
            return Result(Outcome.APPROVED)
        code = WALLET_DECLINED if payment.method in WALLETS else AUTHENTICATION_FAILED
        return Result(Outcome.DECLINED, code)


def acquirer_for(payment: Payment) -> Acquirer:
    """The gateway for this payment, or AcquirerUnavailable."""
    if payment.test:
        return SandboxAcquirer()
    path = settings.ACQUIRER_BACKEND
    if not path:
        raise AcquirerUnavailable("no ACQUIRER_BACKEND is configured for live payments")
    acquirer_class = import_string(path)
    if issubclass(acquirer_class, SandboxAcquirer):
        # Simulated money must never settle a live payment.
        raise AcquirerUnavailable("the sandbox acquirer cannot take live payments")
    return acquirer_class()


# ---------------------------------------------------------------------------
# Paying through the gateway
# ---------------------------------------------------------------------------
def pending_challenge(payment: Payment) -> str:
    """The challenge a processing payment waits for (THREE_D_SECURE, WALLET_CONFIRM), or ""."""
    if payment.status != Status.PROCESSING:
        return ""
    data = (
        payment.events.filter(to_status=Status.PROCESSING)
        .order_by("-created_at", "-id")
        .values_list("data", flat=True)
        .first()
    )
    return (data or {}).get("challenge", "")


def _settle(*, payment: Payment, result: Result, acquirer: Acquirer, reason: str) -> Payment:
    if result.outcome == Outcome.APPROVED:
        return payment_transition(
            payment=payment,
            to=Status.SUCCEEDED,
            actor=Actor.FORM,
            reason=reason,
            data={"acquirer": acquirer.name},
        )
    return payment_transition(
        payment=payment,
        to=Status.DECLINED,
        actor=Actor.FORM,
        reason=reason,
        data={"acquirer": acquirer.name, "decline_code": result.decline_code},
    )


def payment_pay(
    *, payment: Payment, method: str, card: Card | None = None, delivery: dict | None = None
) -> Payment:
    """The buyer pays on the hosted form: claim the payment, then ask the acquirer.

    Raises AcquirerUnavailable (nothing changed), PaymentValidationError (the method or
    card is refused, nothing changed) or PaymentStateError (the payment is no longer
    awaiting payment: expired, or another submit got there first).
    """
    acquirer = acquirer_for(payment)
    if method not in payment.payment_methods:
        raise PaymentValidationError(
            "payment_method_not_allowed",
            _("This payment cannot be paid that way."),
            param="method",
        )
    if (method == PaymentMethod.CARD) != (card is not None):
        raise PaymentValidationError(
            "card_required", _("Enter the card details."), param="card_number"
        )
    payment_expire_if_due(payment=payment)
    challenge = acquirer.challenge_for(payment=payment, method=method, card=card)
    fields: dict = {"method": method}
    if card is not None:
        fields |= {"card_brand": card.brand, "card_last4": card.last4}
    if payment.delivery_enabled:
        fields["delivery"] = delivery or {}
    # Claimed under the row lock: a second submit fails here with PaymentStateError.
    payment_transition(
        payment=payment,
        to=Status.PROCESSING,
        actor=Actor.FORM,
        reason="paid on the form",
        data={"method": method, "acquirer": acquirer.name, "challenge": challenge},
        fields=fields,
    )
    if challenge:
        logger.info("payment %s waits for the buyer's %s step", payment.public_id, challenge)
        return payment
    result = acquirer.authorize(payment=payment, method=method, card=card)
    logger.info("payment %s: acquirer %s %s", payment.public_id, acquirer.name, result.outcome)
    return _settle(payment=payment, result=result, acquirer=acquirer, reason="paid on the form")


def payment_complete_challenge(*, payment: Payment, approved: bool) -> Payment:
    """The buyer passed or failed the 3-D Secure or wallet step: settle the payment once."""
    acquirer = acquirer_for(payment)
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        challenge = pending_challenge(locked)
        if not challenge:
            raise PaymentStateError(
                "no_challenge", _("This payment is not waiting for a confirmation.")
            )
        result = acquirer.complete_challenge(payment=locked, approved=approved)
        logger.info("payment %s: %s step %s", locked.public_id, challenge, result.outcome)
        _settle(
            payment=locked,
            result=result,
            acquirer=acquirer,
            reason=f"{challenge} {'approved' if approved else 'failed'}",
        )
    payment.refresh_from_db()
    return payment


def payment_lock_after_card_attempts(*, payment: Payment, attempts: int) -> Payment:
    """Too many failed card attempts on the form (card testing): decline the payment, so
    no further card can be tried on it. The state machine allows a decline only from
    processing, so it goes through processing as any outcome does."""
    payment_expire_if_due(payment=payment)
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status != Status.PENDING:
            return payment
        reason = f"{attempts} failed card attempts"
        payment_transition(
            payment=locked,
            to=Status.PROCESSING,
            actor=Actor.FORM,
            reason=reason,
            data={"method": PaymentMethod.CARD, "challenge": ""},
        )
        payment_transition(
            payment=locked,
            to=Status.DECLINED,
            actor=Actor.FORM,
            reason=reason,
            data={"decline_code": TOO_MANY_ATTEMPTS},
        )
    logger.warning("payment %s declined after %d failed card attempts", payment.public_id, attempts)
    payment.refresh_from_db()
    return payment
