"""«Подписка на отчеты»: the member's list, add, edit, pause, delete; the public links."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from merchants.access import require_perm
from merchants.roles import Perm

from . import services
from .forms import SubscriptionForm
from .models import ReportSubscription
from .selectors import (
    describe,
    get_subscription_for_member,
    subscription_for_confirm_token,
    subscription_for_unsubscribe_token,
    subscription_rows,
)


# ---------------------------------------------------------------------------
# Members' pages
# ---------------------------------------------------------------------------
@require_perm(Perm.MANAGE_SUBSCRIPTIONS)
@require_safe
def subscription_list(request: HttpRequest) -> HttpResponse:
    membership = request.membership
    return render(
        request,
        "subscriptions/list.html",
        {"merchant": membership.merchant, "rows": subscription_rows(membership)},
    )


def _render_form(
    request: HttpRequest,
    form: SubscriptionForm,
    subscription: ReportSubscription | None = None,
) -> HttpResponse:
    return render(
        request,
        "subscriptions/form.html",
        {"merchant": request.membership.merchant, "form": form, "subscription": subscription},
        status=400 if form.is_bound else 200,
    )


def _service_error(form: SubscriptionForm, error: services.ServiceError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


@require_perm(Perm.MANAGE_SUBSCRIPTIONS)
@require_http_methods(["GET", "HEAD", "POST"])
def subscription_add(request: HttpRequest) -> HttpResponse:
    membership = request.membership
    if request.method != "POST":
        return _render_form(request, SubscriptionForm(membership=membership))
    form = SubscriptionForm(request.POST, membership=membership)
    if form.is_valid():
        try:
            subscription = services.subscription_create(
                membership=membership, data=form.cleaned_data
            )
        except services.ServiceError as error:
            _service_error(form, error)
        else:
            messages.success(
                request,
                _("Subscription added. We emailed %(email)s a link to confirm it.")
                % {"email": subscription.email},
            )
            return redirect("subscriptions:list")
    return _render_form(request, form)


@require_perm(Perm.MANAGE_SUBSCRIPTIONS)
@require_http_methods(["GET", "HEAD", "POST"])
def subscription_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    membership = request.membership
    subscription = get_subscription_for_member(membership, public_id)
    if request.method != "POST":
        form = SubscriptionForm(membership=membership, instance=subscription)
        return _render_form(request, form, subscription)
    form = SubscriptionForm(request.POST, membership=membership, instance=subscription)
    if form.is_valid():
        old_email = subscription.email
        try:
            saved = services.subscription_update(
                subscription=subscription, membership=membership, data=form.cleaned_data
            )
        except services.ServiceError as error:
            _service_error(form, error)
        else:
            if saved.email != old_email:
                text = _(
                    "Saved. The new address must confirm the subscription: we emailed "
                    "%(email)s a link."
                )
            else:
                text = _("Subscription for %(email)s saved.")
            messages.success(request, text % {"email": saved.email})
            return redirect("subscriptions:list")
    return _render_form(request, form, subscription)


def _member_action(request: HttpRequest, public_id: str, action, done: str) -> HttpResponse:
    subscription = get_subscription_for_member(request.membership, public_id)
    try:
        action(subscription=subscription, by=request.membership)
    except services.ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done % {"email": subscription.email})
    return redirect("subscriptions:list")


@require_perm(Perm.MANAGE_SUBSCRIPTIONS)
@require_POST
def subscription_pause(request: HttpRequest, public_id: str) -> HttpResponse:
    return _member_action(
        request,
        public_id,
        services.subscription_pause,
        _("Subscription for %(email)s paused. Nothing is sent until you resume it."),
    )


@require_perm(Perm.MANAGE_SUBSCRIPTIONS)
@require_POST
def subscription_resume(request: HttpRequest, public_id: str) -> HttpResponse:
    return _member_action(
        request,
        public_id,
        services.subscription_resume,
        _(
            "Subscription for %(email)s resumed. The reports for the time it was paused are not sent."
        ),
    )


@require_perm(Perm.MANAGE_SUBSCRIPTIONS)
@require_POST
def subscription_resend(request: HttpRequest, public_id: str) -> HttpResponse:
    return _member_action(
        request,
        public_id,
        services.subscription_resend_confirmation,
        _("The confirmation link was emailed to %(email)s again."),
    )


@require_perm(Perm.MANAGE_SUBSCRIPTIONS)
@require_POST
def subscription_delete(request: HttpRequest, public_id: str) -> HttpResponse:
    """POST from the list asks first (the confirmation page); POST with `confirm` deletes."""
    subscription = get_subscription_for_member(request.membership, public_id)
    if request.POST.get("confirm") != "yes":
        return render(
            request,
            "subscriptions/delete.html",
            {"merchant": request.membership.merchant, "row": describe(subscription)},
        )
    services.subscription_delete(subscription=subscription, by=request.membership)
    messages.success(
        request, _("Subscription for %(email)s deleted.") % {"email": subscription.email}
    )
    return redirect("subscriptions:list")


# ---------------------------------------------------------------------------
# Public links from the emails
# ---------------------------------------------------------------------------
def _language_for(request: HttpRequest, subscription: ReportSubscription) -> str:
    """The visitor's chosen language (the switch, or a signed-in user's setting), else the
    subscription's: the recipient reads the page in the language of the email."""
    supported = {code for code, _name in settings.LANGUAGES}
    if request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "") in supported:
        return request.LANGUAGE_CODE
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.language in supported:
        return request.LANGUAGE_CODE
    if subscription.language in supported:
        return subscription.language
    return request.LANGUAGE_CODE


def _render_public(
    request: HttpRequest, subscription: ReportSubscription, template: str, **context
) -> HttpResponse:
    language = _language_for(request, subscription)
    request.LANGUAGE_CODE = language  # the middleware's Content-Language follows it
    with translation.override(language):
        return render(
            request,
            template,
            {
                "subscription": subscription,
                "row": describe(subscription),
                "team": subscription.merchant,
                **context,
            },
        )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """Public: the link in the confirmation email. GET only shows (mail scanners open
    links); the button's POST confirms."""
    subscription = subscription_for_confirm_token(token)
    if subscription is None:
        raise Http404
    if request.method != "POST":
        return _render_public(request, subscription, "subscriptions/confirm.html")
    try:
        subscription, changed = services.subscription_confirm(token)
    except ReportSubscription.DoesNotExist as error:
        raise Http404 from error
    return _render_public(
        request, subscription, "subscriptions/confirmed.html", just_confirmed=changed
    )


# Exempt from CSRF: mail clients send RFC 8058's one-click POST without a token, and this
# view can only ever unsubscribe, which no forged request can turn into harm.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """Public: the unsubscribe link of every report email, and its one-click POST."""
    subscription = subscription_for_unsubscribe_token(token)
    if subscription is None:
        raise Http404
    if request.method != "POST":
        return _render_public(request, subscription, "subscriptions/unsubscribe.html")
    try:
        subscription, changed = services.subscription_unsubscribe(token)
    except ReportSubscription.DoesNotExist as error:
        raise Http404 from error
    return _render_public(
        request, subscription, "subscriptions/unsubscribed.html", just_unsubscribed=changed
    )
