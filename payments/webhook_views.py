"""A shop's webhooks tab: the delivery log with its attempts, resend, and a test webhook."""

from __future__ import annotations

import ipaddress

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from merchants.access import require_perm
from merchants.roles import Perm
from merchants.services import ServiceError
from shops.selectors import get_shop_for_member
from shops.views import render_shop_page

from . import webhooks
from .models import WebhookDelivery

PAGE_SIZE = 50


def _client_ip(request: HttpRequest) -> str | None:
    try:
        return str(ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")))
    except ValueError:
        return None


@require_perm(Perm.MANAGE_INTEGRATION)
@require_safe
@never_cache
def log(request: HttpRequest, pk: int) -> HttpResponse:
    shop = get_shop_for_member(request.membership, pk)
    page = Paginator(webhooks.shop_webhook_log(shop), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "flag": webhooks.shop_webhook_flag(shop),
        "actions": webhooks.shop_webhook_actions(shop),
    }
    return render_shop_page(request, "payments/webhook_log.html", shop, "webhooks", context)


@require_perm(Perm.MANAGE_INTEGRATION)
@require_POST
def resend(request: HttpRequest, pk: int, delivery_pk: int) -> HttpResponse:
    shop = get_shop_for_member(request.membership, pk)
    delivery = get_object_or_404(WebhookDelivery, pk=delivery_pk, shop=shop)
    if webhooks.webhook_delivery_resend(delivery=delivery, by=request.user, ip=_client_ip(request)):
        messages.success(
            request, _("Event %(id)s is queued to be sent again.") % {"id": delivery.public_id}
        )
    else:
        messages.info(request, _("Event %(id)s is already queued.") % {"id": delivery.public_id})
    return redirect("webhooks:log", shop.pk)


@require_perm(Perm.MANAGE_INTEGRATION)
@require_POST
def send_test(request: HttpRequest, pk: int) -> HttpResponse:
    shop = get_shop_for_member(request.membership, pk)
    # The integration guide has the button too; go back where it was pressed.
    back = (
        redirect("integration:shop_guide", shop.pk)
        if request.POST.get("back") == "guide"
        else redirect("webhooks:log", shop.pk)
    )
    try:
        delivery = webhooks.webhook_send_test(shop=shop, by=request.user, ip=_client_ip(request))
    except ServiceError as error:
        messages.error(request, error.message)
        return back
    messages.success(
        request,
        _("Test webhook %(id)s is queued for %(url)s; its attempts appear in the webhook log.")
        % {"id": delivery.public_id, "url": delivery.url},
    )
    return back
