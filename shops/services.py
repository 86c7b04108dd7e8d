"""Writes to shops: creation, Section 1, confirmation, opening, live mode and keys.

Every change a merchant makes is written to the shop's history (ShopChange); every key
event to its audit log (KeyEvent).
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import string
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models.fields.files import FieldFile
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from inecopay.lib import crypto
from inecopay.lib.money import PaymentMethod
from inecopay.lib.rows import RowLoader, prepared_cursor
from merchants.models import Merchant, User
from merchants.selectors import golive_checklist
from merchants.services import ServiceError, merchant_notify_owners

from .models import (
    INVOICE_LIFETIME_MAX,
    INVOICE_LIFETIME_MIN,
    REVIEWED_FIELDS,
    ApiKey,
    KeyEvent,
    Shop,
    ShopChange,
)

# Section 1 fields a shop must fill in before it can be submitted for confirmation.
REQUIRED_FOR_SUBMISSION = (
    "website",
    "mcc",
    "description",
    "display_name",
    "support_email",
    "support_phone",
    "success_url",
    "fail_url",
)
SECTION1_FIELDS = (
    "website",
    "mcc",
    "description",
    "display_name",
    "logo",
    "support_email",
    "support_phone",
    "default_currency",
    "payment_methods",
    "invoice_lifetime",
    "delivery_enabled",
    "success_url",
    "fail_url",
    "webhook_url",
)
KEY_ALPHABET = string.ascii_letters + string.digits
KEY_RANDOM_LENGTH = 40  # about 238 bits
MAX_GRACE = timedelta(days=7)


def _record(
    shop: Shop, user: User, action: str, changes: dict | None = None, note: str = ""
) -> None:
    ShopChange.objects.create(shop=shop, user=user, action=action, changes=changes or {}, note=note)


def _jsonable(value) -> object:
    # hasattr(file, "url") raises ValueError on an empty FieldFile, so test the type.
    if isinstance(value, FieldFile):
        return value.name or ""
    return value


def _delete_file_on_commit(name: str) -> None:
    """Remove a replaced upload once the new name is committed (never before: a rollback
    would leave the row pointing at a deleted file)."""
    if name:
        transaction.on_commit(lambda: default_storage.delete(name))


# ---------------------------------------------------------------------------
# Shops
# ---------------------------------------------------------------------------
@transaction.atomic
def shop_create(*, merchant: Merchant, name: str, by: User) -> Shop:
    """Add a shop: it starts in test mode, closed, with Section 1 to fill in."""
    if not name.strip():
        raise ServiceError(_("Enter the name of the shop."), field="name")
    shop = Shop.objects.create(
        merchant=merchant, name=name.strip(), default_currency=merchant.default_currency
    )
    _record(shop, by, ShopChange.Action.CREATED, {"name": [None, shop.name]})
    return shop


@transaction.atomic
def shop_update_section1(*, shop: Shop, by: User, **fields) -> Shop:
    """Save Section 1 (a draft is fine). Changing reviewed data of a confirmed shop sends
    it back for confirmation and stops live payments until it is confirmed again."""
    unknown = set(fields) - set(SECTION1_FIELDS) - {"name"}
    if unknown:
        raise TypeError(f"not Section 1 fields: {sorted(unknown)}")
    if "name" in fields and not str(fields["name"]).strip():
        raise ServiceError(_("Enter the name of the shop."), field="name")
    lifetime = fields.get("invoice_lifetime")
    if lifetime is not None and not INVOICE_LIFETIME_MIN <= lifetime <= INVOICE_LIFETIME_MAX:
        raise ServiceError(
            _("The invoice lifetime must be from 5 minutes to 7 days."), field="invoice_lifetime"
        )
    methods = fields.get("payment_methods")
    if methods is not None and not set(methods) <= set(PaymentMethod.values):
        raise ServiceError(_("Choose payment methods from the list."), field="payment_methods")
    shop = Shop.objects.select_for_update().get(pk=shop.pk)
    changes = {}
    old_logo = shop.logo.name or ""
    for name, value in fields.items():
        if name == "logo" and isinstance(value, File) and not isinstance(value, FieldFile):
            # A new upload: always a change; its stored name is known only after saving.
            changes[name] = [old_logo, None]
            setattr(shop, name, value)
            continue
        if name == "logo" and not value:
            value = ""
        old = getattr(shop, name)
        if _jsonable(old) != _jsonable(value):
            changes[name] = [_jsonable(old), _jsonable(value)]
            setattr(shop, name, value)
    if not changes:
        return shop
    reviewed_changed = any(name in changes for name in REVIEWED_FIELDS)
    shop.save()
    if "logo" in changes:
        changes["logo"][1] = shop.logo.name or ""
        _delete_file_on_commit(old_logo)
    _record(shop, by, ShopChange.Action.UPDATED, changes)
    if reviewed_changed and shop.review_status == Shop.Review.CONFIRMED:
        if section1_missing(shop):
            # Emptied a required field: nothing complete to confirm, back to a draft.
            shop.review_status = Shop.Review.DRAFT
            shop.save(update_fields=["review_status"])
        else:
            shop.review_status = Shop.Review.SUBMITTED
            shop.submitted_at = timezone.now()
            shop.save(update_fields=["review_status", "submitted_at"])
            _record(shop, by, ShopChange.Action.SUBMITTED, note=_("Confirmed data changed."))
        if shop.live_mode:
            shop.live_mode = False
            shop.save(update_fields=["live_mode"])
            _record(shop, by, ShopChange.Action.LIVE_OFF, note=_("Waiting for confirmation."))
    return shop


def section1_missing(shop: Shop) -> list[str]:
    """Names of the Section 1 fields still empty before the shop can be submitted."""
    return [name for name in REQUIRED_FOR_SUBMISSION if not getattr(shop, name)] + (
        ["payment_methods"] if not shop.payment_methods else []
    )


@transaction.atomic
def shop_submit(*, shop: Shop, by: User) -> Shop:
    """Send Section 1 to Inecopay staff for confirmation."""
    shop = Shop.objects.select_for_update().get(pk=shop.pk)
    missing = section1_missing(shop)
    if missing:
        labels = ", ".join(str(Shop._meta.get_field(name).verbose_name) for name in missing)
        raise ServiceError(_("Fill in Section 1 first: %(fields)s.") % {"fields": labels})
    if shop.review_status in (Shop.Review.SUBMITTED, Shop.Review.CONFIRMED):
        return shop
    shop.review_status = Shop.Review.SUBMITTED
    shop.submitted_at = timezone.now()
    shop.review_reason = ""
    shop.save(update_fields=["review_status", "submitted_at", "review_reason"])
    _record(shop, by, ShopChange.Action.SUBMITTED)
    return shop


def _notify_owners(shop: Shop, template: str) -> None:
    merchant_notify_owners(
        merchant=shop.merchant,
        template=template,
        context={
            "shop": shop,
            "shop_url": settings.SITE_URL + reverse("shops:detail", args=[shop.pk]),
        },
    )


@transaction.atomic
def shop_confirm(*, shop: Shop, staff: User) -> Shop:
    """Staff confirm a submitted shop; it is ready to integrate and may go live."""
    if not staff.is_staff:
        raise PermissionError("only staff confirm shops")
    shop = Shop.objects.select_for_update().get(pk=shop.pk)
    if shop.review_status != Shop.Review.SUBMITTED:
        raise ServiceError(_("Only a shop waiting for confirmation can be confirmed."))
    shop.review_status = Shop.Review.CONFIRMED
    shop.review_reason = ""
    shop.reviewed_at = timezone.now()
    shop.reviewed_by = staff
    shop.save(update_fields=["review_status", "review_reason", "reviewed_at", "reviewed_by"])
    _record(shop, staff, ShopChange.Action.CONFIRMED)
    _notify_owners(shop, "shop_confirmed")
    return shop


@transaction.atomic
def shop_return(*, shop: Shop, staff: User, reason: str) -> Shop:
    """Staff return a submitted shop with the reason the merchant will read."""
    if not staff.is_staff:
        raise PermissionError("only staff return shops")
    if not reason.strip():
        raise ServiceError(_("Give the reason for returning the shop."))
    shop = Shop.objects.select_for_update().get(pk=shop.pk)
    if shop.review_status != Shop.Review.SUBMITTED:
        raise ServiceError(_("Only a shop waiting for confirmation can be returned."))
    shop.review_status = Shop.Review.RETURNED
    shop.review_reason = reason.strip()
    shop.reviewed_at = timezone.now()
    shop.reviewed_by = staff
    shop.save(update_fields=["review_status", "review_reason", "reviewed_at", "reviewed_by"])
    _record(shop, staff, ShopChange.Action.RETURNED, note=shop.review_reason)
    _notify_owners(shop, "shop_returned")
    return shop


@transaction.atomic
def shop_set_open(*, shop: Shop, is_open: bool, by: User) -> Shop:
    """Open the shop for payments, or close it (payments are refused while closed)."""
    shop = Shop.objects.select_for_update().get(pk=shop.pk)
    if shop.is_open != is_open:
        shop.is_open = is_open
        shop.save(update_fields=["is_open"])
        _record(shop, by, ShopChange.Action.OPENED if is_open else ShopChange.Action.CLOSED)
    return shop


@dataclass(frozen=True)
class LiveRequirement:
    key: str
    title: str
    done: bool
    url_name: str


def live_requirements(shop: Shop) -> list[LiveRequirement]:
    """What live mode needs: the account's go-live checklist plus this shop's confirmation."""
    items = [
        LiveRequirement(item.key, str(item.title), item.done, item.url_name)
        for item in golive_checklist(shop.merchant)
    ]
    items.append(
        LiveRequirement(
            "shop_confirmed",
            _("Section 1 confirmed by Inecopay"),
            shop.review_status == Shop.Review.CONFIRMED,
            "shops:section1",
        )
    )
    return items


@transaction.atomic
def shop_set_live(*, shop: Shop, live: bool, by: User) -> Shop:
    """Switch live mode; switching on requires every live requirement to be met."""
    shop = Shop.objects.select_for_update().get(pk=shop.pk)
    if live and not shop.live_mode:
        missing = [item.title for item in live_requirements(shop) if not item.done]
        if missing:
            raise ServiceError(_("Live mode needs: %(missing)s.") % {"missing": "; ".join(missing)})
    if shop.live_mode != live:
        shop.live_mode = live
        shop.save(update_fields=["live_mode"])
        _record(shop, by, ShopChange.Action.LIVE_ON if live else ShopChange.Action.LIVE_OFF)
    return shop


# ---------------------------------------------------------------------------
# Keys
# ---------------------------------------------------------------------------
def hash_key(plaintext: str) -> str:
    """Keys carry ~238 random bits, so a plain SHA-256 is a safe one-way form."""
    return hashlib.sha256(plaintext.encode()).hexdigest()


def _new_plaintext(kind: str) -> str:
    return f"{kind}_" + "".join(secrets.choice(KEY_ALPHABET) for _ in range(KEY_RANDOM_LENGTH))


@transaction.atomic
def api_key_create(
    *, shop: Shop, kind: str, by: User, ip: str | None = None, _event: str = KeyEvent.Action.CREATED
) -> tuple[ApiKey, str]:
    """Make a new key of `kind`; the plaintext is returned once and never stored."""
    if kind not in ApiKey.Kind.values:
        # The kind becomes the key's visible prefix, so an unknown one must never get that far.
        raise ValueError(f"unknown key kind: {kind!r}")
    plaintext = _new_plaintext(kind)
    key = ApiKey.objects.create(
        shop=shop,
        kind=kind,
        prefix=plaintext[: len(kind) + 5],
        last4=plaintext[-4:],
        key_hash=hash_key(plaintext),
        secret_encrypted=crypto.encrypt(plaintext) if kind == ApiKey.Kind.WEBHOOK else "",
        created_by=by,
    )
    KeyEvent.objects.create(shop=shop, key=key, action=_event, user=by, ip=ip)
    return key, plaintext


@transaction.atomic
def api_key_roll(
    *, key: ApiKey, by: User, grace: timedelta = timedelta(0), ip: str | None = None
) -> tuple[ApiKey, str]:
    """Replace a key: the old one keeps working for `grace` (at most 7 days), then stops."""
    if grace < timedelta(0) or grace > MAX_GRACE:
        raise ServiceError(_("The grace period can be from 0 to 7 days."))
    key = ApiKey.objects.select_for_update().select_related("shop").get(pk=key.pk)
    if not key.is_usable:
        raise ServiceError(_("This key no longer works; create a new one instead."))
    # Rolling a key already in its grace period again would add a second replacement and
    # could push its end further out; the replacement is the key to roll.
    if key.replaced_by_id is not None:
        raise ServiceError(_("This key has already been rolled; roll its replacement instead."))
    new_key, plaintext = api_key_create(
        shop=key.shop, kind=key.kind, by=by, ip=ip, _event=KeyEvent.Action.ROLLED
    )
    KeyEvent.objects.filter(key=new_key).update(detail=_("replaces %(key)s") % {"key": key.masked})
    now = timezone.now()
    key.replaced_by = new_key
    if grace:
        key.expires_at = now + grace
        detail = _("replaced by %(key)s; works until %(until)s") % {
            "key": new_key.masked,
            "until": key.expires_at.strftime("%Y-%m-%d %H:%M UTC"),
        }
    else:
        key.revoked_at = now
        detail = _("replaced by %(key)s; stopped at once") % {"key": new_key.masked}
    key.save(update_fields=["replaced_by", "expires_at", "revoked_at"])
    KeyEvent.objects.create(
        shop=key.shop, key=key, action=KeyEvent.Action.ROLLED, user=by, ip=ip, detail=detail
    )
    return new_key, plaintext


@transaction.atomic
def api_key_revoke(*, key: ApiKey, by: User, ip: str | None = None) -> ApiKey:
    """Stop a key at once."""
    key = ApiKey.objects.select_for_update().get(pk=key.pk)
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        KeyEvent.objects.create(
            shop=key.shop, key=key, action=KeyEvent.Action.REVOKED, user=by, ip=ip
        )
    return key


_KEY_ROW = RowLoader(ApiKey, "k")
_SHOP_ROW = RowLoader(Shop, "s")


@functools.cache
def _key_lookup_sql() -> str:
    """The statement that finds a usable key by its hash, with its shop. Built once:
    compiling the equivalent queryset (`ApiKey.objects.usable().select_related("shop")`)
    cost more CPU than the rest of an API request's authentication."""
    quote = connection.ops.quote_name
    return (
        f"SELECT {_KEY_ROW.columns()}, {_SHOP_ROW.columns()} "  # noqa: S608  # nosec B608  # our models' quoted table and column names; values are parameters
        f"FROM {quote(ApiKey._meta.db_table)} k "
        f"JOIN {quote(Shop._meta.db_table)} s ON s.{quote('id')} = k.{quote('shop_id')} "
        f"WHERE k.{quote('key_hash')} = %s AND k.{quote('revoked_at')} IS NULL "
        f"AND (k.{quote('expires_at')} IS NULL OR k.{quote('expires_at')} > %s)"
    )


def api_key_authenticate(plaintext: str) -> ApiKey | None:
    """The usable secret key matching `plaintext`, with its shop; records the use.

    A live key of a shop that is not in live mode is still returned: the API answers it
    with 403 ("shop not live-enabled"), which tells the developer more than a 401 would.
    The filter is `ApiKey.objects.usable()`'s (not revoked, not past a roll's grace).
    """
    if not isinstance(plaintext, str) or not plaintext.startswith(
        (ApiKey.Kind.SECRET_TEST + "_", ApiKey.Kind.SECRET_LIVE + "_")
    ):
        return None
    now = timezone.now()
    with prepared_cursor() as cursor:
        cursor.execute(_key_lookup_sql(), [hash_key(plaintext), now])
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(_KEY_ROW.fields)
    key = _KEY_ROW.load(row[:split])
    key.shop = _SHOP_ROW.load(row[split:])
    # Hourly resolution is enough for "last used" and spares a write per request.
    if key.last_used_at is None or now - key.last_used_at > timedelta(hours=1):
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


def webhook_secrets(shop: Shop) -> list[str]:
    """The usable webhook signing secrets, newest first (two during a roll's grace)."""
    keys = (
        ApiKey.objects.usable().filter(shop=shop, kind=ApiKey.Kind.WEBHOOK).order_by("-created_at")
    )
    return [crypto.decrypt(key.secret_encrypted) for key in keys]
