"""The payment core: creation with the shop's defaults, the one transition table, events,
expiry by time, refunds, chargebacks and the hook the apps above subscribe to."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from transactions import services
from transactions.models import Actor, Payment, PaymentEvent, Refund
from transactions.selectors import get_payment_for_shop
from transactions.services import PaymentStateError, PaymentValidationError
from transactions.signals import payment_event_recorded
from transactions.tasks import expire_due_payments

pytestmark = pytest.mark.django_db

Status = Payment.Status


def _create(shop, **overrides) -> Payment:
    values = {"amount": 1500000, "currency": "AMD", "order_id": "order-1"}
    values.update(overrides)
    return services.payment_create(shop=shop, test=True, **values)


def _events(payment: Payment) -> list[tuple[str, str, str]]:
    return list(
        PaymentEvent.objects.filter(payment=payment)
        .order_by("id")
        .values_list("from_status", "to_status", "actor")
    )


def _paid(shop, **overrides) -> Payment:
    payment = _create(shop, **overrides)
    return services.payment_simulate(payment=payment, outcome=Status.SUCCEEDED)


# ---------------------------------------------------------------------------
# Creating
# ---------------------------------------------------------------------------
def test_new_payment_is_pending_with_the_shops_defaults(shop):
    shop.payment_methods = ["card", "idram"]
    shop.delivery_enabled = True
    shop.invoice_lifetime = 3600
    shop.save()
    before = timezone.now()

    payment = _create(shop)

    assert payment.status == Status.PENDING
    assert payment.public_id.startswith("pay_")
    assert payment.merchant_id == shop.merchant_id
    assert payment.payment_methods == ["card", "idram"]
    assert payment.delivery_enabled is True
    assert payment.success_url == "https://books.example.am/ok"
    assert payment.fail_url == "https://books.example.am/fail"
    assert before + timedelta(seconds=3600) <= payment.expires_at
    assert payment.expires_at <= timezone.now() + timedelta(seconds=3600)
    assert len(payment.form_token) >= 32
    assert _events(payment) == [("", Status.PENDING, Actor.API)]


def test_form_tokens_and_ids_are_unique(shop):
    payments = [_create(shop, order_id=f"o-{n}") for n in range(5)]
    assert len({p.public_id for p in payments}) == 5
    assert len({p.form_token for p in payments}) == 5


def test_closed_shop_refuses_payments_test_ones_included(shop):
    shop.is_open = False
    shop.save()
    with pytest.raises(PaymentStateError) as error:
        _create(shop)
    assert error.value.code == "shop_closed"
    assert not Payment.objects.exists()


def test_live_payment_needs_live_mode(shop):
    with pytest.raises(PaymentStateError) as error:
        services.payment_create(shop=shop, test=False, amount=100, currency="AMD", order_id="x")
    assert error.value.code == "live_mode_disabled"
    shop.live_mode = True
    shop.save()
    payment = services.payment_create(
        shop=shop, test=False, amount=100, currency="AMD", order_id="x"
    )
    assert payment.test is False


@pytest.mark.parametrize(
    ("overrides", "code", "param"),
    [
        ({"amount": 0}, "amount_too_small", "amount"),
        ({"amount": 10_000_001, "currency": "USD"}, "amount_too_large", "amount"),
        ({"amount": 1.5}, "parameter_invalid", "amount"),
        ({"currency": "GBP"}, "currency_not_enabled", "currency"),
        ({"order_id": ""}, "parameter_missing", "order_id"),
        ({"order_id": "x" * 65}, "parameter_too_long", "order_id"),
        ({"order_id": "a\x00b"}, "parameter_invalid", "order_id"),
        ({"description": "d" * 256}, "parameter_too_long", "description"),
        ({"payment_methods": ["bitcoin"]}, "payment_method_not_enabled", "payment_methods"),
        ({"payment_methods": []}, "parameter_invalid", "payment_methods"),
        ({"expires_in": 299}, "expiry_out_of_range", "expires_in"),
        ({"expires_in": 604801}, "expiry_out_of_range", "expires_in"),
        ({"expires_in": 600, "expires_at": timezone.now()}, "parameter_conflict", "expires_at"),
        ({"customer_email": "not-an-email"}, "email_invalid", "customer.email"),
        ({"customer_phone": "call me"}, "phone_invalid", "customer.phone"),
        ({"language": "de"}, "parameter_invalid", "language"),
        ({"success_url": "javascript:alert(1)"}, "url_invalid", "success_url"),
        ({"metadata": {f"k{n}": "v" for n in range(21)}}, "metadata_too_many_keys", "metadata"),
        ({"metadata": {"k": 1}}, "parameter_invalid", "metadata"),
    ],
)
def test_invalid_payment_is_refused_naming_the_parameter(shop, overrides, code, param):
    with pytest.raises(PaymentValidationError) as error:
        _create(shop, **overrides)
    assert (error.value.code, error.value.param) == (code, param)
    assert not Payment.objects.exists()


def test_payment_methods_must_be_a_subset_of_the_shops(shop):
    shop.payment_methods = ["card"]
    shop.save()
    with pytest.raises(PaymentValidationError):
        _create(shop, payment_methods=["card", "idram"])
    assert _create(shop, payment_methods=["card", "card"]).payment_methods == ["card"]


def test_expires_at_sets_the_lifetime(shop):
    when = timezone.now() + timedelta(hours=2)
    assert _create(shop, expires_at=when).expires_at == when


# ---------------------------------------------------------------------------
# The transition table
# ---------------------------------------------------------------------------
def test_simulated_success_goes_through_processing_and_keeps_only_last4(shop):
    payment = _paid(shop)

    assert payment.status == Status.SUCCEEDED
    assert payment.succeeded_at is not None
    assert (payment.method, payment.card_brand, payment.card_last4) == ("card", "visa", "4242")
    assert _events(payment) == [
        ("", Status.PENDING, Actor.API),
        (Status.PENDING, Status.PROCESSING, Actor.SIMULATION),
        (Status.PROCESSING, Status.SUCCEEDED, Actor.SIMULATION),
    ]


def test_simulated_decline_records_the_reason(shop):
    payment = services.payment_simulate(payment=_create(shop), outcome=Status.DECLINED)
    assert payment.status == Status.DECLINED
    assert payment.events.last().data == {"decline_code": "insufficient_funds"}


@pytest.mark.parametrize(
    ("start", "to"),
    [
        (Status.PENDING, Status.SUCCEEDED),
        (Status.PENDING, Status.REFUNDED),
        (Status.PROCESSING, Status.CANCELLED),
        (Status.DECLINED, Status.SUCCEEDED),
        (Status.EXPIRED, Status.PROCESSING),
        (Status.CANCELLED, Status.PENDING),
        (Status.REFUNDED, Status.CHARGEBACK),
        (Status.CHARGEBACK, Status.REFUNDED),
    ],
)
def test_transitions_outside_the_table_are_refused(shop, start, to):
    payment = _create(shop)
    Payment.objects.filter(pk=payment.pk).update(status=start)
    with pytest.raises(PaymentStateError):
        services.payment_transition(payment=payment, to=to, actor=Actor.SYSTEM)
    payment.refresh_from_db()
    assert payment.status == start
    assert payment.events.count() == 1


def test_transition_checks_the_row_not_the_stale_instance(shop):
    payment = _create(shop)
    stale = Payment.objects.get(pk=payment.pk)
    services.payment_cancel(payment=payment)

    # The stale copy still says pending; the locked row says cancelled.
    with pytest.raises(PaymentStateError):
        services.payment_transition(payment=stale, to=Status.PROCESSING, actor=Actor.FORM)
    assert Payment.objects.get(pk=payment.pk).status == Status.CANCELLED


def test_an_expired_invoice_cannot_start_processing(shop):
    payment = _create(shop)
    Payment.objects.filter(pk=payment.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(PaymentStateError) as error:
        services.payment_transition(payment=payment, to=Status.PROCESSING, actor=Actor.FORM)
    assert error.value.code == "payment_expired"


def test_cancel_only_while_pending(shop):
    payment = services.payment_cancel(payment=_create(shop), reason="customer changed mind")
    assert payment.status == Status.CANCELLED
    assert payment.events.last().reason == "customer changed mind"
    with pytest.raises(PaymentStateError) as error:
        services.payment_cancel(payment=payment)
    assert error.value.code == "payment_not_cancellable"


def test_live_payments_cannot_be_simulated(shop):
    shop.live_mode = True
    shop.save()
    payment = services.payment_create(
        shop=shop, test=False, amount=100, currency="AMD", order_id="x"
    )
    with pytest.raises(PaymentStateError):
        services.payment_simulate(payment=payment, outcome=Status.SUCCEEDED)
    assert Payment.objects.get(pk=payment.pk).status == Status.PENDING


# ---------------------------------------------------------------------------
# Expiry by time
# ---------------------------------------------------------------------------
def test_periodic_task_expires_due_payments_once(shop):
    due = _create(shop, order_id="due", expires_in=300)
    later = _create(shop, order_id="later", expires_in=3600)
    future = timezone.now() + timedelta(seconds=301)

    with mock.patch("django.utils.timezone.now", return_value=future):
        assert expire_due_payments.apply().get() == 1
        assert expire_due_payments.apply().get() == 0

    due.refresh_from_db()
    later.refresh_from_db()
    assert due.status == Status.EXPIRED
    assert later.status == Status.PENDING
    assert _events(due)[-1] == (Status.PENDING, Status.EXPIRED, Actor.SYSTEM)
    assert due.events.count() == 2


def test_reading_a_payment_enforces_its_expiry(shop):
    payment = _create(shop, expires_in=300)
    assert (
        get_payment_for_shop(shop=shop, test=True, public_id=payment.public_id).status
        == Status.PENDING
    )
    with mock.patch("django.utils.timezone.now", return_value=payment.expires_at):
        read = get_payment_for_shop(shop=shop, test=True, public_id=payment.public_id)
    assert read.status == Status.EXPIRED


def test_cancel_after_the_lifetime_finds_it_expired(shop):
    payment = _create(shop, expires_in=300)
    with (
        mock.patch("django.utils.timezone.now", return_value=payment.expires_at),
        pytest.raises(PaymentStateError),
    ):
        services.payment_cancel(payment=payment)
    assert Payment.objects.get(pk=payment.pk).status == Status.EXPIRED


def test_simulated_expiry(shop):
    payment = services.payment_simulate(payment=_create(shop), outcome=Status.EXPIRED)
    assert payment.status == Status.EXPIRED
    assert payment.expires_at <= timezone.now()


# ---------------------------------------------------------------------------
# Refunds and chargebacks
# ---------------------------------------------------------------------------
def test_partial_refunds_then_the_rest(shop):
    payment = _paid(shop, amount=10000)

    first = services.refund_create(payment=payment, amount=3000, reason="one book missing")
    assert first.public_id.startswith("re_")
    assert payment.status == Status.PARTIALLY_REFUNDED
    assert payment.refunded_amount == 3000

    second = services.refund_create(payment=payment, amount=2000)
    rest = services.refund_create(payment=payment)

    payment.refresh_from_db()
    assert (second.amount, rest.amount) == (2000, 5000)
    assert payment.status == Status.REFUNDED
    assert payment.refunded_amount == 10000
    assert [e[1] for e in _events(payment)[-3:]] == [
        Status.PARTIALLY_REFUNDED,
        Status.PARTIALLY_REFUNDED,
        Status.REFUNDED,
    ]
    assert payment.events.filter(to_status=Status.REFUNDED).get().data == {
        "refund": rest.public_id,
        "amount": 5000,
    }


def test_refund_larger_than_what_remains_is_refused(shop):
    payment = _paid(shop, amount=10000)
    services.refund_create(payment=payment, amount=6000)

    with pytest.raises(PaymentValidationError) as error:
        services.refund_create(payment=payment, amount=4001)

    assert error.value.code == "amount_exceeds_remaining"
    payment.refresh_from_db()
    assert payment.refunded_amount == 6000
    assert Refund.objects.filter(payment=payment).count() == 1


@pytest.mark.parametrize("outcome", [None, Status.DECLINED, Status.EXPIRED])
def test_only_paid_payments_are_refunded(shop, outcome):
    payment = _create(shop)
    if outcome:
        services.payment_simulate(payment=payment, outcome=outcome)
    with pytest.raises(PaymentStateError) as error:
        services.refund_create(payment=payment)
    assert error.value.code == "payment_not_refundable"
    assert not Refund.objects.exists()


def test_chargeback_by_staff_only(shop, staff, owner):
    payment = _paid(shop)
    with pytest.raises(PermissionError):
        services.payment_chargeback(payment=payment, staff=owner, reason="dispute")
    services.payment_chargeback(payment=payment, staff=staff, reason="dispute 123")
    assert payment.status == Status.CHARGEBACK
    event = payment.events.last()
    assert (event.actor, event.user, event.reason) == (Actor.STAFF, staff, "dispute 123")


# ---------------------------------------------------------------------------
# The hook for the apps above
# ---------------------------------------------------------------------------
def test_every_event_is_announced_after_commit(shop, django_capture_on_commit_callbacks):
    received: list[tuple[int, int]] = []

    def receiver(sender, payment_id: int, event_id: int, **kwargs) -> None:
        received.append((payment_id, event_id))

    payment_event_recorded.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            payment = _paid(shop)
        assert received == []  # nothing before commit
        for callback in callbacks:
            callback()
    finally:
        payment_event_recorded.disconnect(receiver)
    assert received == [(payment.pk, event.pk) for event in payment.events.order_by("id")]


def test_a_failing_receiver_does_not_break_the_change(shop, django_capture_on_commit_callbacks):
    def broken(sender, **kwargs) -> None:
        raise RuntimeError("receiver down")

    payment_event_recorded.connect(broken)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            payment = _create(shop)
    finally:
        payment_event_recorded.disconnect(broken)
    assert Payment.objects.get(pk=payment.pk).status == Status.PENDING


# ---------------------------------------------------------------------------
# Admin
# ---------------------------------------------------------------------------
def test_staff_see_payment_with_events_read_only(staff_client, shop, english):
    payment = _paid(shop)
    changelist = staff_client.get(reverse("admin:transactions_payment_changelist"))
    assert changelist.status_code == 200
    assert payment.public_id in changelist.content.decode()

    page = staff_client.get(reverse("admin:transactions_payment_change", args=[payment.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "processing" in html and "simulation" in html
    assert 'name="amount"' not in html  # read-only


def test_staff_record_a_chargeback_from_admin(staff_client, staff, shop):
    paid = _paid(shop, order_id="paid")
    pending = _create(shop, order_id="pending")
    url = reverse("admin:transactions_payment_changelist")
    data = {"action": "record_chargeback", ACTION_CHECKBOX_NAME: [paid.pk, pending.pk]}

    ask = staff_client.post(url, data)
    assert ask.status_code == 200
    assert 'name="reason"' in ask.content.decode()

    done = staff_client.post(url, {**data, "apply": "1", "reason": "VISA dispute 42"})
    assert done.status_code == 302
    paid.refresh_from_db()
    pending.refresh_from_db()
    assert paid.status == Status.CHARGEBACK
    assert pending.status == Status.PENDING
    assert paid.events.last().user == staff


def test_merchants_cannot_reach_payment_admin(owner_client, shop):
    response = owner_client.get(reverse("admin:transactions_payment_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
