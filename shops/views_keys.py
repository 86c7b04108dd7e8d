"""API keys and webhook secrets of a shop."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from allauth.account.decorators import reauthentication_required
from cryptography.fernet import InvalidToken
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_POST, require_safe

from inecopay.lib import crypto
from merchants.access import require_perm
from merchants.roles import Perm, role_has
from merchants.services import ServiceError

from . import services
from .forms_keys import KeyCreateForm, KeyRollForm
from .models import ApiKey, Shop
from .selectors import get_key_for_member, get_shop_for_member

# The plaintext of a key just made waits here, encrypted, for the next view of the keys
# page, which takes it out: it is shown once and never put in a URL, cookie or message.
REVEAL_SESSION_KEY = "shops.keys.reveal"
AUDIT_LOG_LENGTH = 50
# Stopped keys stay listed for a while, so a roll or revoke can be checked afterwards.
STOPPED_KEYS_SHOWN = 10

# Per kind: the section's title, what the key is for, and the label of its create button.
SECTION_TEXT: dict[str, tuple[Promise, Promise, Promise]] = {
    ApiKey.Kind.SECRET_TEST: (
        gettext_lazy("Test secret keys"),
        gettext_lazy(
            "For trying out your integration: payments made with a test key move no money."
        ),
        gettext_lazy("Create a test key"),
    ),
    ApiKey.Kind.SECRET_LIVE: (
        gettext_lazy("Live secret keys"),
        gettext_lazy(
            "For real payments. Keep them on your server only, never in a browser or app."
        ),
        gettext_lazy("Create a live key"),
    ),
    ApiKey.Kind.WEBHOOK: (
        gettext_lazy("Webhook signing secret"),
        gettext_lazy(
            "Inecopay signs every notification sent to your result (webhook) URL with this "
            "secret; check the signature to know that the notification really comes from us."
        ),
        gettext_lazy("Create a signing secret"),
    ),
}


@dataclass(frozen=True)
class KeyRow:
    key: ApiKey
    state: str  # "active", "grace", "revoked" or "expired"
    roll_form: KeyRollForm | None  # None: the key cannot be rolled (already replaced)


@dataclass
class KeySection:
    kind: str
    title: Promise
    text: Promise
    create_label: Promise
    usable: list[KeyRow] = field(default_factory=list)
    stopped: list[KeyRow] = field(default_factory=list)


@dataclass(frozen=True)
class Reveal:
    key: ApiKey
    plaintext: str


def _client_ip(request: HttpRequest) -> str | None:
    address = request.META.get("REMOTE_ADDR", "")
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def _state(key: ApiKey, now) -> str:
    if key.revoked_at is not None:
        return "revoked"
    if key.expires_at is not None:
        return "grace" if key.expires_at > now else "expired"
    return "active"


def _sections(shop: Shop) -> list[KeySection]:
    now = timezone.now()
    sections = {
        kind: KeySection(kind, *SECTION_TEXT[kind])
        for kind in (ApiKey.Kind.SECRET_TEST, ApiKey.Kind.SECRET_LIVE, ApiKey.Kind.WEBHOOK)
    }
    keys = shop.api_keys.select_related("created_by").order_by("-created_at", "-pk")
    for key in keys:
        section = sections[key.kind]
        state = _state(key, now)
        if state in ("active", "grace"):
            roll_form = (
                KeyRollForm(auto_id=f"id_key_{key.pk}_%s") if key.replaced_by_id is None else None
            )
            section.usable.append(KeyRow(key, state, roll_form))
        elif len(section.stopped) < STOPPED_KEYS_SHOWN:
            section.stopped.append(KeyRow(key, state, None))
    return list(sections.values())


@sensitive_variables("stored", "plaintext")
def _take_reveal(request: HttpRequest, shop: Shop) -> Reveal | None:
    """The key made just before, once; taken out of the session whichever shop it was for."""
    stored = request.session.pop(REVEAL_SESSION_KEY, None)
    if not isinstance(stored, dict) or stored.get("shop") != shop.pk:
        return None
    key = shop.api_keys.filter(pk=stored.get("key")).first()
    if key is None:
        return None
    try:
        plaintext = crypto.decrypt(stored["secret"])
    except (InvalidToken, KeyError, TypeError):
        return None
    return Reveal(key, plaintext)


@sensitive_variables("plaintext")
def _put_reveal(request: HttpRequest, key: ApiKey, plaintext: str) -> None:
    # Encrypted, because the session itself is a database row.
    request.session[REVEAL_SESSION_KEY] = {
        "shop": key.shop_id,
        "key": key.pk,
        "secret": crypto.encrypt(plaintext),
    }


@sensitive_variables("reveal")
def _render_keys(
    request: HttpRequest,
    shop: Shop,
    *,
    reveal: Reveal | None = None,
    error: str | None = None,
    status: int = 200,
) -> HttpResponse:
    events = shop.key_events.select_related("user", "key").order_by("-created_at", "-pk")[
        :AUDIT_LOG_LENGTH
    ]
    context = {
        "shop": shop,
        # The shop pages' frame (shops/_layout.html): the active tab and the tabs to offer.
        "tab": "keys",
        "can_manage": role_has(request.membership.role, Perm.MANAGE_SHOPS),
        "can_integrate": True,
        "sections": _sections(shop),
        "events": events,
        "reveal": reveal,
        "error": error,
        "audit_log_length": AUDIT_LOG_LENGTH,
    }
    return render(request, "shops/keys.html", context, status=status)


def _back(shop: Shop) -> HttpResponse:
    return redirect("shops:keys", shop.pk)


@require_perm(Perm.MANAGE_INTEGRATION)
@require_safe
@never_cache
@sensitive_variables("reveal")
def keys(request: HttpRequest, pk: int) -> HttpResponse:
    shop = get_shop_for_member(request.membership, pk)
    # A HEAD request (a link checker, a prefetch) shows nobody the key, so it must not use it up.
    reveal = _take_reveal(request, shop) if request.method == "GET" else None
    return _render_keys(request, shop, reveal=reveal)


@require_perm(Perm.MANAGE_INTEGRATION)
@require_POST
@reauthentication_required
@never_cache
@sensitive_variables("plaintext")
def create(request: HttpRequest, pk: int) -> HttpResponse:
    shop = get_shop_for_member(request.membership, pk)
    form = KeyCreateForm(request.POST)
    if not form.is_valid():
        return _render_keys(request, shop, error=_("Choose a kind of key to create."), status=400)
    key, plaintext = services.api_key_create(
        shop=shop, kind=form.cleaned_data["kind"], by=request.user, ip=_client_ip(request)
    )
    _put_reveal(request, key, plaintext)
    messages.success(request, _("%(kind)s created.") % {"kind": key.get_kind_display()})
    return _back(shop)


@require_perm(Perm.MANAGE_INTEGRATION)
@require_POST
@reauthentication_required
@never_cache
@sensitive_variables("plaintext")
def roll(request: HttpRequest, pk: int, key_pk: int) -> HttpResponse:
    shop = get_shop_for_member(request.membership, pk)
    key = get_key_for_member(request.membership, shop, key_pk)
    form = KeyRollForm(request.POST)
    if not form.is_valid():
        return _render_keys(
            request, shop, error=_("Choose how long the old key keeps working."), status=400
        )
    try:
        new_key, plaintext = services.api_key_roll(
            key=key, by=request.user, grace=form.cleaned_data["grace"], ip=_client_ip(request)
        )
    except ServiceError as error:
        messages.error(request, error.message)
        return _back(shop)
    key.refresh_from_db()
    _put_reveal(request, new_key, plaintext)
    if key.revoked_at is not None:
        text = _("%(old)s was replaced and no longer works.") % {"old": key.masked}
    else:
        text = _("%(old)s was replaced; it keeps working until %(until)s.") % {
            "old": key.masked,
            "until": formats.date_format(timezone.localtime(key.expires_at), "j E Y, H:i"),
        }
    messages.success(request, text)
    return _back(shop)


@require_perm(Perm.MANAGE_INTEGRATION)
@require_POST
@reauthentication_required
@never_cache
def revoke(request: HttpRequest, pk: int, key_pk: int) -> HttpResponse:
    shop = get_shop_for_member(request.membership, pk)
    key = get_key_for_member(request.membership, shop, key_pk)
    if key.revoked_at is not None:
        messages.info(request, _("%(key)s was already revoked.") % {"key": key.masked})
        return _back(shop)
    services.api_key_revoke(key=key, by=request.user, ip=_client_ip(request))
    messages.success(request, _("%(key)s was revoked and no longer works.") % {"key": key.masked})
    return _back(shop)
