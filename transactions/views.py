"""«Транзакции»: «Последние платежи» (the filtered list) and a payment's page with refunds."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from inecopay.lib.money import MINOR_UNITS, Currency, PaymentMethod
from inecopay.templatetags.money import format_minor_units
from merchants.access import require_perm
from merchants.roles import Perm, role_has

from . import selectors, services
from .filters import PERIODS, parse_payment_filters
from .forms import RefundForm
from .models import Actor, Payment


@require_perm(Perm.VIEW_PAYMENTS)
@require_safe
@never_cache
def payment_list(request: HttpRequest) -> HttpResponse:
    filters = parse_payment_filters(merchant=request.membership.merchant, params=request.GET)
    page = selectors.payment_page(filters, request.GET.get("cursor", "")[:200])
    errors = list(filters.errors)
    if page.cursor_invalid:
        errors.append(_("The page link is not valid any more; the first page is shown."))
    shops = {shop.pk: shop for shop in filters.shops}
    for payment in page.payments:
        payment.shop = shops[payment.shop_id]
    context = {
        "filters": filters,
        "raw": request.GET,
        "errors": errors,
        "page": page,
        "totals": selectors.payment_list_totals(filters),
        "statuses": Payment.Status.choices,
        "methods": PaymentMethod.choices,
        "currencies": Currency.choices,
        "periods": PERIODS,
        "next_url": "?" + filters.querystring(cursor=page.next_cursor) if page.next_cursor else "",
        "prev_url": "?" + filters.querystring(cursor=page.prev_cursor) if page.prev_cursor else "",
        "live_url": "?" + filters.querystring(mode="live"),
        "test_url": "?" + filters.querystring(mode="test"),
        "reset_url": "?" + filters.querystring(**dict.fromkeys(_FILTER_NAMES)),
    }
    # Times show, like the periods count, in the merchant's zone.
    with timezone.override(filters.zone):
        return render(request, "transactions/list.html", context)


_FILTER_NAMES = (
    "period",
    "from",
    "to",
    "shop",
    "status",
    "method",
    "currency",
    "amount_min",
    "amount_max",
    "q",
)


def _detail(
    request: HttpRequest, payment: Payment, form: RefundForm | None = None, status: int = 200
) -> HttpResponse:
    events = selectors.payment_events(payment)
    refunds = selectors.payment_refunds(payment)
    can_refund = role_has(request.membership.role, Perm.REFUND)
    refundable = payment.status in services.REFUNDABLE and payment.remaining_amount > 0
    if form is None and can_refund and refundable:
        form = RefundForm(payment=payment)
    context = {
        "payment": payment,
        "timeline": selectors.payment_timeline(payment, events=events, refunds=refunds),
        "refunds": refunds,
        "can_refund": can_refund and refundable,
        "form": form,
    }
    with timezone.override(payment.merchant.time_zone):
        return render(request, "transactions/detail.html", context, status=status)


@require_perm(Perm.VIEW_PAYMENTS)
@require_safe
@never_cache
def payment_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    payment = selectors.get_payment_for_merchant(
        merchant=request.membership.merchant, public_id=public_id
    )
    return _detail(request, payment)


@require_perm(Perm.REFUND)
@require_POST
def payment_refund(request: HttpRequest, public_id: str) -> HttpResponse:
    """Two steps: the form's POST shows a confirmation, whose POST (confirm=1) refunds."""
    payment = selectors.get_payment_for_merchant(
        merchant=request.membership.merchant, public_id=public_id
    )
    form = RefundForm(request.POST, payment=payment)
    if payment.status not in services.REFUNDABLE:
        messages.error(request, _("Only a paid payment can be refunded."))
        return redirect("transactions:detail", payment.public_id)
    if not form.is_valid():
        return _detail(request, payment, form, status=400)
    amount = form.cleaned_data["amount"]
    if request.POST.get("confirm") != "1":
        with timezone.override(payment.merchant.time_zone):
            return render(
                request,
                "transactions/refund_confirm.html",
                {
                    "payment": payment,
                    "form": form,
                    "amount": amount,
                    # The exact amount goes on, so a refund made meanwhile cannot change it.
                    "amount_major": str(Decimal(amount).scaleb(-MINOR_UNITS[payment.currency])),
                    "full": amount == payment.remaining_amount,
                },
            )
    try:
        services.refund_create(
            payment=payment,
            amount=amount,
            reason=form.cleaned_data["reason"],
            actor=Actor.USER,
            user=request.user,
        )
    except services.PaymentError as error:
        form.add_error(None, error.message)
        payment.refresh_from_db()
        return _detail(request, payment, form, status=409)
    messages.success(
        request,
        _("%(amount)s is refunded to the buyer.")
        % {"amount": format_minor_units(amount, payment.currency)},
    )
    return redirect("transactions:detail", payment.public_id)
