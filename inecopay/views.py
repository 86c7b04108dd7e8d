"""Pages of the portal as a whole: landing, dashboard, health and the dev outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from inecopay.lib.money import MINOR_UNITS
from merchants.models import Merchant
from merchants.roles import Perm, role_has
from merchants.selectors import activation_steps, current_membership, golive_checklist
from shops.models import Shop
from transactions.dashboard import (
    TURNOVER,
    bar_chart,
    dashboard_figures,
    default_test_mode,
)

from . import health
from .lib import outbox


@require_safe
def landing(request: HttpRequest) -> HttpResponse:
    return render(request, "landing.html")


@dataclass(frozen=True)
class ChecklistRow:
    key: str
    title: str | Promise
    done: bool
    url: str | None  # None: the viewer may not act on it, or the page does not exist yet
    current: bool = False
    text: str | Promise = ""


# A line under the title of the steps and items the dashboard knows; others show the title only.
CHECKLIST_TEXTS = {
    "company": _lazy("Legal form, name, TIN, addresses and the director."),
    "website": _lazy("The address of the website where customers will pay."),
    "contacts": _lazy("A code by SMS to your phone, and a token on your website."),
    "tariffs": _lazy("Read and accept the Inecopay commission rates."),
    "activated": _lazy("Company profile filled in, contacts confirmed, tariffs accepted."),
    "tariff": _lazy("Accept the tariff version in force now."),
}


def _url_or_none(url_name: str) -> str | None:
    try:
        return reverse(url_name)
    except NoReverseMatch:
        return None


def _checklist_rows(items, *, can_act: bool) -> list[ChecklistRow]:
    """Steps or items for the template; the first one not done is the current one."""
    rows = []
    current_found = False
    for item in items:
        current = not item.done and not current_found
        current_found = current_found or current
        url = _url_or_none(item.url_name) if can_act else None
        text = CHECKLIST_TEXTS.get(item.key, "")
        rows.append(ChecklistRow(item.key, item.title, item.done, url, current, text))
    return rows


@login_required
@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    membership = current_membership(request)
    if membership is None and request.user.is_staff:
        return redirect("admin:index")
    context: dict = {"membership": membership}
    if membership is not None:
        merchant = membership.merchant
        # Accountants and developers see where the account stands but cannot act on it.
        can_manage = role_has(membership.role, Perm.MANAGE_ACCOUNT)
        activated = merchant.state == Merchant.State.ACTIVATED
        items = golive_checklist(merchant) if activated else activation_steps(merchant)
        rows = _checklist_rows(items, can_act=can_manage)
        context.update(
            {
                "can_manage_account": can_manage,
                "activated": activated,
                "checklist": rows,
                "checklist_done": sum(row.done for row in rows),
                "checklist_total": len(rows),
            }
        )
        if role_has(membership.role, Perm.VIEW_SHOPS):
            context["shops_count"] = Shop.objects.for_merchant(merchant).count()
            context["can_manage_shops"] = role_has(membership.role, Perm.MANAGE_SHOPS)
        if role_has(membership.role, Perm.VIEW_PAYMENTS):
            context.update(_payment_figures(request, merchant))
    return render(request, "dashboard.html", context)


class ListLinks:
    """Addresses of the payment list with the dashboard's filters, or None while the list
    page does not exist."""

    def __init__(self, *, test: bool) -> None:
        self.base = _url_or_none("transactions:list")
        self.mode = "test" if test else "live"

    def __call__(self, **params: object) -> str | None:
        if self.base is None:
            return None
        query = {"mode": self.mode}
        query.update({name: value for name, value in params.items() if value is not None})
        return f"{self.base}?{urlencode(query, doseq=True)}"

    def paid(self, **params: object) -> str | None:
        return self(status=[str(status) for status in TURNOVER], **params)


def _custom(first: date, last: date) -> dict[str, str]:
    return {"period": "custom", "from": first.isoformat(), "to": last.isoformat()}


def _payment_figures(request: HttpRequest, merchant: Merchant) -> dict:
    """Turnover, shops and the 30-day chart for the mode asked for (live by default once a
    shop is live), each figure linked to the payments it counts."""
    shops = list(Shop.objects.for_merchant(merchant).only("pk", "name", "live_mode"))
    mode = request.GET.get("mode")
    test = default_test_mode(shops) if mode not in ("live", "test") else mode == "test"
    figures = dashboard_figures(merchant=merchant, shops=shops, test=test)
    currencies = figures.currencies
    currency = request.GET.get("currency")
    if currency not in currencies:
        currency = currencies[0] if currencies else None
    links = ListLinks(test=test)
    chart = None
    if currency is not None:
        chart = bar_chart(currency, figures.days[currency], exponent=MINOR_UNITS.get(currency, 2))
    period = _custom(figures.period_first, figures.today)
    return {
        "figures": figures,
        "test_mode": test,
        "chart": chart,
        "chart_bars": [
            (bar, links.paid(currency=currency, **_custom(bar.day.day, bar.day.day)))
            for bar in (chart.bars if chart else [])
        ],
        "chart_currencies": [
            (code, f"?{urlencode({'mode': links.mode, 'currency': code})}#chart-title")
            for code in currencies
        ],
        "turnover_cards": [
            (
                "today",
                _("Today"),
                links.paid(period="today"),
                [
                    (t, links.paid(period="today", currency=t.currency))
                    for t in figures.today_turnover
                ],
            ),
            (
                "month",
                _("This month"),
                links.paid(period="month"),
                [
                    (t, links.paid(period="month", currency=t.currency))
                    for t in figures.month_turnover
                ],
            ),
        ],
        "shop_rows": [
            (row, links(shop=row.shop.pk, period="today"), links(shop=row.shop.pk, **period))
            for row in figures.shops
        ],
        "list_url": links(),
    }


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"db": health.check_database(), "broker": health.check_broker()}
    healthy = all(value == "ok" for value in checks.values())
    checks["scheduler"] = health.check_scheduler()
    return JsonResponse(checks, status=200 if healthy else 503)


def _outbox_allowed(request: HttpRequest) -> None:
    """The outbox is a development tool: open in DEBUG, otherwise staff only."""
    if settings.DEBUG:
        return
    if not (request.user.is_authenticated and request.user.is_staff):
        raise Http404


@require_safe
def outbox_list(request: HttpRequest) -> HttpResponse:
    _outbox_allowed(request)
    return render(request, "devoutbox/list.html", {"messages_": outbox.outbox_list()})


@require_safe
def outbox_detail(request: HttpRequest, message_id: str) -> HttpResponse:
    _outbox_allowed(request)
    message = outbox.outbox_get(message_id)
    if message is None:
        raise Http404
    return render(request, "devoutbox/detail.html", {"message_": message})


@require_safe
def outbox_html(request: HttpRequest, message_id: str) -> HttpResponse:
    """The HTML part on its own, sandboxed: no script runs and nothing is fetched."""
    _outbox_allowed(request)
    message = outbox.outbox_get(message_id)
    if message is None or not message.html:
        raise Http404
    response = HttpResponse(message.html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = (
        "sandbox allow-popups allow-popups-to-escape-sandbox; default-src 'none'; "
        "img-src data:; style-src 'unsafe-inline'"
    )
    response["X-Frame-Options"] = "DENY"
    return response


@require_safe
def outbox_attachment(request: HttpRequest, message_id: str, index: int) -> HttpResponse:
    _outbox_allowed(request)
    message = outbox.outbox_get(message_id)
    if message is None or not 0 <= index < len(message.attachments):
        raise Http404
    attachment = message.attachments[index]
    response = HttpResponse(attachment.payload, content_type=attachment.content_type)
    response["Content-Disposition"] = content_disposition_header(True, attachment.filename)
    return response


@require_POST
def outbox_clear(request: HttpRequest) -> HttpResponse:
    _outbox_allowed(request)
    removed = outbox.outbox_clear()
    messages.success(request, _("Outbox cleared: %(count)d messages removed.") % {"count": removed})
    return redirect("dev_outbox")
