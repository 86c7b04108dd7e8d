"""The activation wizard («Активация»): company, website, contacts, tariffs.

Each step saves on its own, so the merchant can leave and come back; every successful
POST asks merchant_activate_if_complete, so finishing the steps in any order activates.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib import messages
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from inecopay.lib.money import PaymentMethod

from .. import selectors, services
from ..access import require_perm
from ..forms import CompanyForm, PhoneCodeForm, PhoneForm, TariffAcceptForm, WebsiteForm
from ..models import ContactConfirmation, Merchant
from ..roles import Perm
from ..website import META_NAME, WELL_KNOWN_PATH

STEP_TEMPLATES = {
    "company": "merchants/activation/company.html",
    "website": "merchants/activation/website.html",
    "contacts": "merchants/activation/contacts.html",
    "tariffs": "merchants/activation/tariffs.html",
}


def _merchant(request: HttpRequest) -> Merchant:
    return request.membership.merchant


def _client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _add_service_error(form: BaseForm, error: services.ServiceError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


def _in_method_order(rates) -> list:
    """Rates in the order payment methods are listed everywhere (cards first)."""
    order = {method: index for index, method in enumerate(PaymentMethod.values)}
    return sorted(rates, key=lambda rate: order.get(rate.method, len(order)))


def _posted(request: HttpRequest) -> QueryDict | None:
    """The form data of a POST (even an empty one, so that it is validated), else None."""
    return request.POST if request.method == "POST" else None


def _render_step(request: HttpRequest, key: str, context: dict) -> HttpResponse:
    merchant = _merchant(request)
    steps = selectors.activation_steps(merchant)
    current = next(index for index, step in enumerate(steps) if step.key == key)
    return render(
        request,
        STEP_TEMPLATES[key],
        {
            "merchant": merchant,
            "steps": steps,
            "current_step": steps[current],
            "step_number": current + 1,
            "step_count": len(steps),
            "activated": merchant.state == Merchant.State.ACTIVATED,
            **context,
        },
    )


def _after_save(request: HttpRequest, key: str, message: str) -> HttpResponse:
    """Activate if this completed the wizard; else stay on the step until it is done,
    then go on to the next step still to do."""
    merchant = _merchant(request)
    was_activated = merchant.state == Merchant.State.ACTIVATED
    services.merchant_activate_if_complete(merchant=merchant, by=request.user)
    merchant.refresh_from_db()
    if merchant.state == Merchant.State.ACTIVATED and not was_activated:
        messages.success(
            request,
            _("Your account is activated. Welcome to Inecopay! You can now add your shop."),
        )
        return redirect("dashboard")
    messages.success(request, message)
    steps = selectors.activation_steps(merchant)
    index = [step.key for step in steps].index(key)
    # From this step on, wrapping round to the steps skipped before it.
    for step in steps[index:] + steps[:index]:
        if not step.done:
            return redirect(step.url_name)
    return redirect("dashboard")


@require_perm(Perm.MANAGE_ACCOUNT)
@require_safe
def start(request: HttpRequest) -> HttpResponse:
    step = selectors.next_activation_step(_merchant(request))
    return redirect(step.url_name if step else "dashboard")


@require_perm(Perm.MANAGE_ACCOUNT)
@require_http_methods(["GET", "HEAD", "POST"])
def company(request: HttpRequest) -> HttpResponse:
    merchant = _merchant(request)
    # The form works on its own copy: a rejected POST must not leak into the page around it.
    form = CompanyForm(_posted(request), instance=Merchant.objects.get(pk=merchant.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.merchant_update_company(
                merchant=merchant, by=request.user, **form.company_data()
            )
        except services.ServiceError as error:
            _add_service_error(form, error)
        else:
            return _after_save(request, "company", _("Company details saved."))
    return _render_step(request, "company", {"form": form})


@require_perm(Perm.MANAGE_ACCOUNT)
@require_http_methods(["GET", "HEAD", "POST"])
def website(request: HttpRequest) -> HttpResponse:
    merchant = _merchant(request)
    form = WebsiteForm(_posted(request), initial={"website": merchant.website})
    if request.method == "POST" and form.is_valid():
        try:
            services.merchant_set_website(
                merchant=merchant, website=form.cleaned_data["website"], by=request.user
            )
        except services.ServiceError as error:
            _add_service_error(form, error)
        else:
            return _after_save(
                request, "website", _("Website saved. Now confirm that it is yours.")
            )
    return _render_step(request, "website", {"form": form})


def _render_contacts(
    request: HttpRequest,
    *,
    phone_form: PhoneForm | None = None,
    code_form: PhoneCodeForm | None = None,
    website_error: str = "",
) -> HttpResponse:
    merchant = _merchant(request)
    token = merchant.website_token
    site = urlsplit(merchant.website)
    context = {
        "phone_form": phone_form or PhoneForm(initial={"phone": merchant.phone}),
        "code_form": code_form or PhoneCodeForm(),
        "code_sent": bool(
            merchant.phone
            and not merchant.phone_confirmed_at
            and merchant.phone_codes.filter(phone=merchant.phone, verified_at__isnull=True).exists()
        ),
        "email_confirmation": merchant.contact_confirmations.filter(
            kind=ContactConfirmation.Kind.EMAIL
        ).first(),
        "website_error": website_error,
        "meta_tag": f'<meta name="{META_NAME}" content="{token}">' if token else "",
        "well_known_url": f"{site.scheme}://{site.netloc}{WELL_KNOWN_PATH}" if token else "",
    }
    return _render_step(request, "contacts", context)


@require_perm(Perm.MANAGE_ACCOUNT)
@require_safe
def contacts(request: HttpRequest) -> HttpResponse:
    return _render_contacts(request)


@require_perm(Perm.MANAGE_ACCOUNT)
@require_POST
def send_code(request: HttpRequest) -> HttpResponse:
    merchant = _merchant(request)
    form = PhoneForm(request.POST)
    if form.is_valid():
        try:
            services.phone_code_send(
                merchant=merchant, phone=form.cleaned_data["phone"], by=request.user
            )
        except services.ServiceError as error:
            _add_service_error(form, error)
        else:
            messages.success(
                request,
                _("We sent a code by SMS to %(phone)s. Enter it below.")
                % {"phone": form.cleaned_data["phone"]},
            )
            # No step is finished by sending a code, but every step POST checks.
            services.merchant_activate_if_complete(merchant=merchant, by=request.user)
            return redirect("merchants:activation_contacts")
    return _render_contacts(request, phone_form=form)


@require_perm(Perm.MANAGE_ACCOUNT)
@require_POST
def verify_code(request: HttpRequest) -> HttpResponse:
    merchant = _merchant(request)
    form = PhoneCodeForm(request.POST)
    if form.is_valid():
        try:
            services.phone_code_verify(
                merchant=merchant,
                code=form.cleaned_data["code"],
                by=request.user,
                ip=_client_ip(request),
            )
        except services.ServiceError as error:
            _add_service_error(form, error)
        else:
            return _after_save(request, "contacts", _("Phone number confirmed."))
    return _render_contacts(request, code_form=form)


@require_perm(Perm.MANAGE_ACCOUNT)
@require_POST
def check_website(request: HttpRequest) -> HttpResponse:
    merchant = _merchant(request)
    result = services.website_verify(merchant=merchant, by=request.user, ip=_client_ip(request))
    if result.ok:
        return _after_save(request, "contacts", _("Website confirmed."))
    return _render_contacts(request, website_error=result.error)


@require_perm(Perm.MANAGE_ACCOUNT)
@require_http_methods(["GET", "HEAD", "POST"])
def tariffs(request: HttpRequest) -> HttpResponse:
    merchant = _merchant(request)
    tariff = selectors.current_tariff()
    version = tariff.version if tariff else None
    form = TariffAcceptForm(_posted(request), initial={"version": version})
    if request.method == "POST" and form.is_valid():
        if tariff is None:
            form.add_error(None, _("No tariff is published yet. Please contact Inecopay."))
        elif form.cleaned_data["version"] != version:
            # Show the tariff in force, keeping the tick, and ask again.
            form = TariffAcceptForm({**request.POST.dict(), "version": version})
            form.is_valid()
            form.add_error(
                None,
                _(
                    "The tariffs changed while you were reading them. Review the new tariffs "
                    "and accept them again."
                ),
            )
        else:
            try:
                services.tariff_accept(
                    merchant=merchant,
                    tariff=tariff,
                    by=request.user,
                    ip=_client_ip(request),
                    user_agent=request.META.get("HTTP_USER_AGENT", ""),
                )
            except services.ServiceError as error:
                _add_service_error(form, error)
            else:
                return _after_save(request, "tariffs", _("Tariffs accepted."))
    acceptance = (
        merchant.tariff_acceptances.filter(tariff=tariff).first() if tariff is not None else None
    )
    return _render_step(
        request,
        "tariffs",
        {
            "form": form,
            "tariff": tariff,
            "rates": _in_method_order(tariff.rates.all()) if tariff is not None else [],
            "acceptance": acceptance,
        },
    )
