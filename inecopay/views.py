"""Pages of the portal as a whole: landing, dashboard, health and the dev outbox."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from merchants.selectors import current_membership

from . import health
from .lib import outbox


@require_safe
def landing(request: HttpRequest) -> HttpResponse:
    return render(request, "landing.html")


@login_required
@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    membership = current_membership(request)
    if membership is None and request.user.is_staff:
        return redirect("admin:index")
    return render(request, "dashboard.html", {"membership": membership})


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
