"""The hosted payment form at /pay/<token>/: the page a shop sends its buyer to.

Buyers are anonymous: the unguessable token in the address is the only key. The page
speaks the payment's language, else the buyer's browser language, and shows the payment's
state instead of the form once it is no longer awaiting payment. Card numbers and CVCs
pass through the request only; the views are marked so that error reports hide them.
"""

from __future__ import annotations

import contextlib
import logging
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_safe

from inecopay.lib.money import MINOR_UNITS, PaymentMethod
from shops.views import logo_response
from transactions.models import Payment
from transactions.selectors import get_payment_by_token
from transactions.services import (
    PROCESSING_TIMEOUT_CODE,
    PaymentStateError,
    PaymentValidationError,
)

from .acquirers import (
    AUTHENTICATION_FAILED,
    INSUFFICIENT_FUNDS,
    THREE_D_SECURE,
    TOO_MANY_ATTEMPTS,
    WALLET_DECLINED,
    AcquirerUnavailable,
    SandboxAcquirer,
    acquirer_for,
    payment_complete_challenge,
    payment_lock_after_card_attempts,
    payment_pay,
    pending_challenge,
)
from .cards import BRAND_NAMES
from .forms import ConfirmForm, PayForm
from .ratelimit import card_attempt_failed, card_ip_blocked, client_ip

logger = logging.getLogger(__name__)

Status = Payment.Status
# The form's languages, with their own names for the switch at the foot of the page.
FORM_LANGUAGES = {"ru": "Русский", "en": "English", "hy": "Հայերեն"}
PAID = frozenset({Status.SUCCEEDED, Status.PARTIALLY_REFUNDED, Status.REFUNDED, Status.CHARGEBACK})
SYMBOLS = {"AMD": "֏", "USD": "$", "EUR": "€", "RUB": "₽"}
SENSITIVE = ("card_number", "cvc", "expiry")
CARD_FIELDS = frozenset(SENSITIVE)


# ---------------------------------------------------------------------------
# Language and formatting
# ---------------------------------------------------------------------------
def _has_catalog(code: str) -> bool:
    """Whether the portal's strings exist in this language (Armenian joins once translated)."""
    if code in dict(settings.LANGUAGES):
        return True
    return any(
        (Path(p) / code / "LC_MESSAGES" / "django.mo").exists() for p in settings.LOCALE_PATHS
    )


def served_languages() -> list[str]:
    return [code for code in FORM_LANGUAGES if _has_catalog(code)]


def _accept_language(header: str) -> list[str]:
    """Language codes of an Accept-Language header, most wanted first."""
    ranked = []
    for position, part in enumerate(header.split(",")[:20]):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and quality > 0:
            ranked.append((-quality, position, tag.split("-")[0].lower()))
    return [code for _q, _p, code in sorted(ranked)]


def form_language(request: HttpRequest, payment: Payment) -> str:
    """The buyer's pick (?lang=), else the payment's language, else the browser's, else ru."""
    served = served_languages()
    candidates = [request.GET.get("lang", ""), payment.language]
    candidates += _accept_language(request.headers.get("Accept-Language", ""))
    for code in candidates:
        if code in served:
            return code
    return settings.LANGUAGE_CODE


def format_amount(amount: int, currency: str) -> str:
    """Minor units in the active language: "12 500,00 ֏" in Russian, "$125.00" in English."""
    exponent = MINOR_UNITS.get(currency, 2)
    number = number_format(
        Decimal(amount).scaleb(-exponent), decimal_pos=exponent, use_l10n=True, force_grouping=True
    )
    symbol = SYMBOLS.get(currency, currency)
    if translation.get_language() == "en":
        return f"{symbol}{number}"
    return f"{number}\xa0{symbol}"


def _countdown(seconds: int) -> str:
    hours, rest = divmod(max(seconds, 0), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


# ---------------------------------------------------------------------------
# Where the buyer goes afterwards
# ---------------------------------------------------------------------------
def return_url(payment: Payment) -> str:
    """The shop's success or fail URL for a finished payment, with ?payment_id=pay_…; or ""."""
    if payment.status in PAID:
        url = payment.success_url
    elif payment.status in (Status.DECLINED, Status.EXPIRED, Status.CANCELLED):
        url = payment.fail_url
    else:
        url = ""
    if not url:
        return ""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "payment_id"]
    query.append(("payment_id", payment.public_id))
    return urlunsplit(parts._replace(query=urlencode(query)))


def _return_origins(payment: Payment) -> list[str]:
    origins = []
    for url in (payment.success_url, payment.fail_url):
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and parts.netloc:
            origins.append(f"{parts.scheme}://{parts.netloc}")
    return sorted(set(origins))


def _after(request: HttpRequest, payment: Payment) -> HttpResponse:
    """Where a submit leads: the confirmation step, the shop's return URL, or our state page."""
    if pending_challenge(payment) and payment.test:
        return redirect("payform:confirm", token=payment.form_token)
    url = return_url(payment)
    if url:
        return HttpResponseRedirect(url)
    return _back_to_form(request, payment)


def _back_to_form(request: HttpRequest, payment: Payment) -> HttpResponse:
    url = reverse("payform:pay", args=[payment.form_token])
    if request.GET.get("lang") in FORM_LANGUAGES:
        url += "?" + urlencode({"lang": request.GET["lang"]})
    return HttpResponseRedirect(url)


# ---------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------
def _context(request: HttpRequest, payment: Payment) -> dict:
    shop = payment.shop
    remaining = int((payment.expires_at - timezone.now()).total_seconds())
    return {
        "payment": payment,
        "shop_name": shop.display_name or shop.name,
        "has_logo": bool(shop.logo),
        "amount": format_amount(payment.amount, payment.currency),
        "remaining": max(remaining, 0),
        "countdown": _countdown(remaining),
        "show_countdown": 0 < remaining < 86400,
        "languages": [(code, FORM_LANGUAGES[code]) for code in served_languages()],
        "test_cards": [
            (SandboxAcquirer.SUCCEEDS, _("Succeeds")),
            (SandboxAcquirer.DECLINED, _("Declined: insufficient funds")),
            (SandboxAcquirer.THREE_D_SECURE, _("Asks for a 3-D Secure step")),
        ],
    }


def _decline_reason(payment: Payment) -> str:
    data = (
        payment.events.filter(to_status=Status.DECLINED)
        .order_by("-created_at", "-id")
        .values_list("data", flat=True)
        .first()
    )
    code = (data or {}).get("decline_code", "")
    reasons = {
        INSUFFICIENT_FUNDS: _("The bank declined the card: insufficient funds."),
        AUTHENTICATION_FAILED: _("The 3-D Secure check was not passed."),
        WALLET_DECLINED: _("The payment was not confirmed in the wallet."),
        TOO_MANY_ATTEMPTS: _(
            "Too many unsuccessful card attempts: for your safety this payment is locked. "
            "Return to the shop to place the order again."
        ),
        PROCESSING_TIMEOUT_CODE: _(
            "The payment was not completed in time (the confirmation step was left unfinished)."
        ),
    }
    return reasons.get(code, _("The bank declined the payment."))


def _state(request: HttpRequest, payment: Payment, *, unavailable: bool = False) -> HttpResponse:
    """The payment's state instead of the form."""
    paid_with = ""
    if payment.card_last4:
        brand = BRAND_NAMES.get(payment.card_brand, payment.card_brand)
        paid_with = f"{brand} •••• {payment.card_last4}"
    elif payment.method:
        paid_with = str(dict(PaymentMethod.choices).get(payment.method, payment.method))
    context = {
        **_context(request, payment),
        "state": "unavailable" if unavailable else payment.status,
        "paid": payment.status in PAID,
        "paid_with": paid_with,
        "return_url": "" if unavailable else return_url(payment),
        "decline_reason": _decline_reason(payment) if payment.status == Status.DECLINED else "",
    }
    return render(request, "payments/form/state.html", context, status=503 if unavailable else 200)


def _localised(request: HttpRequest, payment: Payment, view) -> HttpResponseBase:
    language = form_language(request, payment)
    with translation.override(language):
        response = view()
    response["Content-Language"] = language
    patch_vary_headers(response, ("Accept-Language",))
    origins = _return_origins(payment)
    if origins:
        # The browser checks a form's redirect against form-action: let it reach the shop.
        response._csp_update = {"form-action": origins}
    return response


@sensitive_post_parameters(*SENSITIVE)
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def pay(request: HttpRequest, token: str) -> HttpResponseBase:
    """The form, or the payment's state once it is no longer awaiting payment."""
    payment = get_payment_by_token(token)
    return _localised(request, payment, lambda: _pay(request, payment))


def _pay(request: HttpRequest, payment: Payment) -> HttpResponse:
    if payment.status != Status.PENDING:
        if pending_challenge(payment) and payment.test:
            return redirect("payform:confirm", token=payment.form_token)
        return _state(request, payment)
    try:
        acquirer_for(payment)
    except AcquirerUnavailable as exc:
        logger.warning("payment %s refused on the form: %s", payment.public_id, exc)
        return _state(request, payment, unavailable=True)

    form = PayForm(request.POST if request.method == "POST" else None, payment=payment)
    # A card was tried: these are what card testing is made of, so they are counted.
    card_tried = bool(
        form.is_bound
        and form.data.get("method") == PaymentMethod.CARD
        and form.data.get("card_number", "").strip()
    )
    ip = client_ip(request)
    if card_tried:
        wait = card_ip_blocked(ip)
        if wait is not None:
            form.add_error(
                None,
                _(
                    "Too many unsuccessful card attempts from your network. "
                    "Please try again in %(minutes)d min."
                )
                % {"minutes": max(1, round(wait / 60))},
            )
            context = {**_context(request, payment), "form": form}
            return render(request, "payments/form/pay.html", context, status=429)
    failed = False
    if form.is_bound and form.is_valid():
        try:
            payment_pay(
                payment=payment,
                method=form.cleaned_data["method"],
                card=form.cleaned_data["card"],
                delivery=form.delivery,
            )
        except PaymentValidationError as error:
            form.add_error(error.param if error.param in form.fields else None, error.message)
            failed = card_tried and error.param in CARD_FIELDS
        except PaymentStateError:
            # Expired meanwhile, or another submit got there first: show what became of it.
            return _back_to_form(request, payment)
        except AcquirerUnavailable:
            return _state(request, payment, unavailable=True)
        else:
            if card_tried and payment.status == Status.DECLINED:
                _card_failed(payment, ip)
            return _after(request, payment)
    elif card_tried:
        failed = any(name in form.errors for name in CARD_FIELDS)
    if failed:
        attempts = _card_failed(payment, ip)
        if attempts >= settings.PAYFORM_CARD_ATTEMPTS:
            # Expired meanwhile: the form shows that instead.
            with contextlib.suppress(PaymentStateError):
                payment_lock_after_card_attempts(payment=payment, attempts=attempts)
            return _back_to_form(request, payment)
        left = settings.PAYFORM_CARD_ATTEMPTS - attempts
        if left <= 2:
            form.add_error(
                None,
                ngettext(
                    "%(count)d more unsuccessful card attempt and this payment will be locked.",
                    "%(count)d more unsuccessful card attempts and this payment will be locked.",
                    left,
                )
                % {"count": left},
            )
    return render(request, "payments/form/pay.html", {**_context(request, payment), "form": form})


def _card_failed(payment: Payment, ip: str) -> int:
    lifetime = int((payment.expires_at - timezone.now()).total_seconds())
    return card_attempt_failed(payment_id=payment.pk, ip=ip, lifetime=lifetime)


@sensitive_post_parameters()
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponseBase:
    """The simulated 3-D Secure or wallet step of a test payment."""
    payment = get_payment_by_token(token)
    return _localised(request, payment, lambda: _confirm(request, payment))


def _confirm(request: HttpRequest, payment: Payment) -> HttpResponse:
    challenge = pending_challenge(payment)
    if not challenge or not payment.test:
        return _back_to_form(request, payment)
    form = ConfirmForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            payment_complete_challenge(
                payment=payment, approved=form.cleaned_data["decision"] == "approve"
            )
        except PaymentStateError:
            return _back_to_form(request, payment)
        return _after(request, payment)
    method_label = str(dict(PaymentMethod.choices).get(payment.method, payment.method))
    return render(
        request,
        "payments/form/confirm.html",
        {
            **_context(request, payment),
            "three_d_secure": challenge == THREE_D_SECURE,
            "method_label": method_label,
        },
    )


@require_safe
def logo(request: HttpRequest, token: str) -> FileResponse:
    """The shop's logo for the anonymous buyer, reachable only through the payment's token."""
    payment = get_payment_by_token(token)
    return logo_response(payment.shop)
