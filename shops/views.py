"""Shop pages: list, add, overview, Section 1, confirmation, open/live, history, logo."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from inecopay.lib.money import PaymentMethod
from merchants.access import require_perm
from merchants.roles import Perm, role_has
from merchants.services import ServiceError

from . import services
from .forms import Section1Form, ShopAddForm, SwitchForm
from .models import Shop, ShopChange
from .selectors import get_shop_for_member, shops_for_member


def _posted(request: HttpRequest) -> QueryDict | None:
    """The form data of a POST (even an empty one, so that it is validated), else None."""
    return request.POST if request.method == "POST" else None


def _shop(request: HttpRequest, pk: int) -> Shop:
    return get_shop_for_member(request.membership, pk)


def _can(request: HttpRequest, perm: Perm) -> bool:
    return role_has(request.membership.role, perm)


def _add_service_error(form, error: ServiceError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


def format_lifetime(seconds: int) -> str:
    """15 minutes, 2 hours, 7 days: the biggest whole unit."""
    if seconds % 86400 == 0:
        days = seconds // 86400
        return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    minutes = seconds // 60
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}


def method_labels(values: list[str]) -> str:
    labels = dict(PaymentMethod.choices)
    return ", ".join(str(labels.get(value, value)) for value in values)


def render_shop_page(
    request: HttpRequest, template: str, shop: Shop, tab: str, context: dict, status: int = 200
) -> HttpResponse:
    return render(
        request,
        template,
        {
            "shop": shop,
            "tab": tab,
            "can_manage": _can(request, Perm.MANAGE_SHOPS),
            "can_integrate": _can(request, Perm.MANAGE_INTEGRATION),
            **context,
        },
        status=status,
    )


# ---------------------------------------------------------------------------
# List and add
# ---------------------------------------------------------------------------
@require_perm(Perm.VIEW_SHOPS)
@require_safe
def shop_list(request: HttpRequest) -> HttpResponse:
    shops = shops_for_member(request.membership)
    return render(
        request,
        "shops/list.html",
        {"shops": shops, "can_manage": _can(request, Perm.MANAGE_SHOPS)},
    )


@require_perm(Perm.MANAGE_SHOPS)
@require_http_methods(["GET", "HEAD", "POST"])
def shop_add(request: HttpRequest) -> HttpResponse:
    form = ShopAddForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            shop = services.shop_create(
                merchant=request.membership.merchant,
                name=form.cleaned_data["name"],
                by=request.user,
            )
        except ServiceError as error:
            _add_service_error(form, error)
        else:
            messages.success(
                request,
                _(
                    "The shop “%(name)s” is added in test mode. Now fill in Section 1: "
                    "general information about the shop."
                )
                % {"name": shop.name},
            )
            return redirect("shops:section1", shop.pk)
    return render(request, "shops/add.html", {"form": form})


# ---------------------------------------------------------------------------
# Overview, open/close, live mode
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class RequirementRow:
    key: str
    title: str
    done: bool
    url: str | None


def _requirement_url(request: HttpRequest, url_name: str, shop: Shop) -> str | None:
    """A link for the viewer who can act on it; pages of the account need MANAGE_ACCOUNT."""
    perm = Perm.MANAGE_SHOPS if url_name.startswith("shops:") else Perm.MANAGE_ACCOUNT
    if not _can(request, perm):
        return None
    for args in ((), (shop.pk,)):
        try:
            return reverse(url_name, args=args)
        except NoReverseMatch:
            continue
    return None


def _render_detail(request: HttpRequest, shop: Shop, status: int = 200) -> HttpResponse:
    requirements = [
        RequirementRow(
            item.key, item.title, item.done, _requirement_url(request, item.url_name, shop)
        )
        for item in services.live_requirements(shop)
    ]
    category = dict(Shop._meta.get_field("mcc").flatchoices).get(shop.mcc, "")
    return render_shop_page(
        request,
        "shops/detail.html",
        shop,
        "overview",
        {
            "requirements": requirements,
            "requirements_done": sum(row.done for row in requirements),
            "live_ready": all(row.done for row in requirements),
            "category": category,
            "methods": method_labels(shop.payment_methods),
            "lifetime": format_lifetime(shop.invoice_lifetime),
            "missing": _missing_labels(shop),
        },
        status=status,
    )


def _missing_labels(shop: Shop) -> list[str]:
    return [
        capfirst(Shop._meta.get_field(name).verbose_name)
        for name in services.section1_missing(shop)
    ]


@require_perm(Perm.VIEW_SHOPS)
@require_safe
def shop_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _shop(request, pk))


@require_perm(Perm.MANAGE_SHOPS)
@require_POST
def set_open(request: HttpRequest, pk: int) -> HttpResponse:
    shop = _shop(request, pk)
    form = SwitchForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose whether to open or close the shop."))
        return _render_detail(request, shop)
    shop = services.shop_set_open(shop=shop, is_open=form.cleaned_data["value"], by=request.user)
    if shop.is_open:
        messages.success(request, _("The shop is open: it accepts payments."))
    else:
        messages.success(request, _("The shop is closed: payments are refused until you open it."))
    return redirect("shops:detail", shop.pk)


@require_perm(Perm.MANAGE_SHOPS)
@require_POST
def set_live(request: HttpRequest, pk: int) -> HttpResponse:
    shop = _shop(request, pk)
    form = SwitchForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose live or test mode."))
        return _render_detail(request, shop)
    try:
        shop = services.shop_set_live(shop=shop, live=form.cleaned_data["value"], by=request.user)
    except ServiceError as error:
        messages.error(request, error.message)
        return _render_detail(request, shop)
    if shop.live_mode:
        messages.success(request, _("Live mode is on: payments charge real money."))
    else:
        messages.success(request, _("Test mode is on: payments charge no money."))
    return redirect("shops:detail", shop.pk)


# ---------------------------------------------------------------------------
# Section 1 and submission
# ---------------------------------------------------------------------------
def _section1_form(request: HttpRequest, shop: Shop) -> Section1Form:
    # The form works on its own copy: a rejected POST must not leak into the page around it.
    return Section1Form(
        _posted(request),
        request.FILES if request.method == "POST" else None,
        instance=Shop.objects.get(pk=shop.pk),
    )


def _render_section1(
    request: HttpRequest, shop: Shop, form: Section1Form, status: int = 200
) -> HttpResponse:
    return render_shop_page(
        request,
        "shops/section1.html",
        shop,
        "section1",
        {"form": form, "missing": _missing_labels(shop)},
        status=status,
    )


def _after_save_messages(request: HttpRequest, before: Shop, after: Shop) -> None:
    if (
        before.review_status == Shop.Review.CONFIRMED
        and after.review_status != before.review_status
    ):
        messages.warning(
            request,
            _(
                "You changed data that Inecopay had confirmed: the shop needs to be confirmed "
                "again. Live mode is off until then."
            ),
        )
    if after.webhook_url.startswith("http://"):
        messages.warning(
            request,
            _(
                "The result (webhook) URL starts with http://. We recommend https://, so "
                "payment notifications cannot be read or changed on the way."
            ),
        )


@require_perm(Perm.MANAGE_SHOPS)
@require_http_methods(["GET", "HEAD", "POST"])
def section1(request: HttpRequest, pk: int) -> HttpResponse:
    shop = _shop(request, pk)
    form = _section1_form(request, shop)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.shop_update_section1(
                shop=shop, by=request.user, **form.section1_data()
            )
        except ServiceError as error:
            _add_service_error(form, error)
        else:
            if saved.review_status in (Shop.Review.DRAFT, Shop.Review.RETURNED):
                messages.success(
                    request,
                    _(
                        "Section 1 is saved as a draft. Submit it for confirmation when it is ready."
                    ),
                )
            else:
                messages.success(request, _("Section 1 is saved."))
            _after_save_messages(request, shop, saved)
            return redirect("shops:section1", saved.pk)
    return _render_section1(request, shop, form)


@require_perm(Perm.MANAGE_SHOPS)
@require_POST
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    """Save what is on the form, then send Section 1 for confirmation."""
    shop = _shop(request, pk)
    form = _section1_form(request, shop)
    if not form.is_valid():
        return _render_section1(request, shop, form)
    try:
        saved = services.shop_update_section1(shop=shop, by=request.user, **form.section1_data())
    except ServiceError as error:
        _add_service_error(form, error)
        return _render_section1(request, shop, form)
    try:
        submitted = services.shop_submit(shop=saved, by=request.user)
    except ServiceError as error:
        form.add_error(None, error.message)
        for name in services.section1_missing(saved):
            if name in form.fields:
                form.add_error(name, _("Needed before submitting for confirmation."))
        messages.info(request, _("Your changes are saved as a draft."))
        return _render_section1(request, saved, form)
    _after_save_messages(request, shop, submitted)
    messages.success(
        request,
        _(
            "Section 1 is sent for confirmation. We will email you when Inecopay has reviewed "
            "the shop."
        ),
    )
    return redirect("shops:detail", submitted.pk)


# ---------------------------------------------------------------------------
# History and logo
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ChangedValue:
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class HistoryRow:
    change: ShopChange
    who: str
    values: list[ChangedValue]


def _display_value(name: str, value) -> str:
    if value in (None, "", []):
        return "—"
    if name == "payment_methods":
        return method_labels(value)
    if name == "invoice_lifetime":
        return format_lifetime(int(value))
    if name == "logo":
        return _("image")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    try:
        field = Shop._meta.get_field(name)
    except FieldDoesNotExist:  # a field since removed: show the stored value as it is
        return str(value)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value)


def _field_label(name: str) -> str:
    try:
        return capfirst(Shop._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name


def describe_changes(change: ShopChange) -> list[ChangedValue]:
    """The changed fields of a history entry, with readable labels and values."""
    values = []
    for name, pair in (change.changes or {}).items():
        old, new = (list(pair) + [None, None])[:2]
        if name == "logo":
            old_text = _("previous image") if old else "—"
            new_text = _("new image") if new else _("removed")
        else:
            old_text, new_text = _display_value(name, old), _display_value(name, new)
        values.append(ChangedValue(_field_label(name), old_text, new_text))
    return values


def _history_rows(shop: Shop) -> list[HistoryRow]:
    member_ids = set(shop.merchant.memberships.values_list("user_id", flat=True))
    rows = []
    for change in shop.changes.select_related("user").order_by("-created_at", "-pk"):
        if change.user_id in member_ids or not change.user.is_staff:
            who = change.user.email
        else:
            # Staff stay anonymous to merchants: the decision is Inecopay's.
            who = _("Inecopay")
        rows.append(HistoryRow(change, who, describe_changes(change)))
    return rows


@require_perm(Perm.VIEW_SHOPS)
@require_safe
def history(request: HttpRequest, pk: int) -> HttpResponse:
    shop = _shop(request, pk)
    return render_shop_page(
        request, "shops/history.html", shop, "history", {"rows": _history_rows(shop)}
    )


def logo_response(shop: Shop) -> FileResponse:
    """The stored logo, always served as the PNG the server wrote, never sniffed."""
    if not shop.logo:
        raise Http404
    try:
        handle = default_storage.open(shop.logo.name, "rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type="image/png")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "private, max-age=300"
    return response


@require_perm(Perm.VIEW_SHOPS)
@require_safe
def logo(request: HttpRequest, pk: int) -> FileResponse:
    return logo_response(_shop(request, pk))
