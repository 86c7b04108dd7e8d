"""«Сверка расчетов»: the reconciliation of a period, its lines' payments and payouts, and
one settlement's day."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from merchants.access import require_perm
from merchants.roles import Perm

from .forms import PeriodForm, default_period, local_today
from .models import Adjustment, Payout
from .selectors import get_settlement, line_payments, reconciliation

DRILL_LIMIT = 100
LINES = ("gross", "refunds", "chargebacks", "commission", "adjustments", "payouts")


def _period(request: HttpRequest):
    merchant = request.membership.merchant
    today = local_today(merchant)
    if {"first", "last", "currency"} & set(request.GET):
        form = PeriodForm(request.GET, today=today)
    else:
        form = PeriodForm(
            {**default_period(today), "currency": merchant.default_currency}, today=today
        )
    return merchant, form


@require_perm(Perm.VIEW_RECONCILIATION)
@require_safe
def index(request: HttpRequest) -> HttpResponse:
    merchant, form = _period(request)
    context = {"merchant": merchant, "form": form}
    if form.is_valid():
        data = form.cleaned_data
        context["rec"] = reconciliation(
            merchant=merchant, currency=data["currency"], first=data["first"], last=data["last"]
        )
        context["query"] = _query(data)
    return render(request, "settlements/index.html", context)


@require_perm(Perm.VIEW_RECONCILIATION)
@require_safe
def line(request: HttpRequest, name: str) -> HttpResponse:
    if name not in LINES:
        raise Http404
    merchant, form = _period(request)
    context = {"merchant": merchant, "form": form, "line": name}
    if form.is_valid():
        data = form.cleaned_data
        period = {"first": data["first"], "last": data["last"]}
        if name == "payouts":
            rows = Payout.objects.filter(
                merchant=merchant,
                currency=data["currency"],
                status=Payout.Status.PAID,
                paid_on__gte=data["first"],
                paid_on__lte=data["last"],
            ).order_by("-paid_on", "-id")
        elif name == "adjustments":
            rows = Adjustment.objects.filter(
                merchant=merchant,
                currency=data["currency"],
                pk__in=_adjustment_ids(merchant, data),
            ).order_by("-created_at")
        else:
            rows = line_payments(
                merchant=merchant, currency=data["currency"], line=name, **period
            ).select_related("shop")
        rows = list(rows[: DRILL_LIMIT + 1])
        context.update(
            {
                "rows": rows[:DRILL_LIMIT],
                "more": len(rows) > DRILL_LIMIT,
                "limit": DRILL_LIMIT,
                "currency": data["currency"],
                "period": period,
                "query": _query(data),
            }
        )
    return render(request, "settlements/line.html", context)


def _query(data: dict) -> str:
    """The period's querystring, for links to its lines and files."""
    return urlencode(
        {
            "first": data["first"].isoformat(),
            "last": data["last"].isoformat(),
            "currency": data["currency"],
        }
    )


def _adjustment_ids(merchant, data):
    from .models import LedgerEntry

    return LedgerEntry.objects.filter(
        merchant=merchant,
        currency=data["currency"],
        kind=LedgerEntry.Kind.ADJUSTMENT,
        day__gte=data["first"],
        day__lte=data["last"],
    ).values("adjustment_id")


@require_perm(Perm.VIEW_RECONCILIATION)
@require_safe
def settlement(request: HttpRequest, pk: int) -> HttpResponse:
    merchant = request.membership.merchant
    item = get_settlement(merchant=merchant, pk=pk)
    payments = line_payments(
        merchant=merchant, currency=item.currency, first=item.day, last=item.day, line="gross"
    ).select_related("shop")
    rows = list(payments[: DRILL_LIMIT + 1])
    return render(
        request,
        "settlements/settlement.html",
        {
            "merchant": merchant,
            "settlement": item,
            "rows": rows[:DRILL_LIMIT],
            "more": len(rows) > DRILL_LIMIT,
            "limit": DRILL_LIMIT,
        },
    )
