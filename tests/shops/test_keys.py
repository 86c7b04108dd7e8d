"""The keys page of a shop: secret keys and the webhook signing secret, shown once, stored
as a hash, rolled with a grace period, revoked, and every event in the audit log."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from merchants.models import Membership
from shops import services
from shops.models import ApiKey, KeyEvent, ShopChange
from shops.services import api_key_authenticate, hash_key, webhook_secrets
from shops.views_keys import REVEAL_SESSION_KEY
from tests.factories import MembershipFactory, ShopFactory, reauthenticated

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

Role = Membership.Role
SECRET_RE = {
    kind: re.compile(rf"{kind}_[A-Za-z0-9]{{40}}") for kind in ("sk_test", "sk_live", "whsec")
}
DAY = str(24 * 60 * 60)


def _client(user) -> Client:
    """Signed in and just reauthenticated: creating, rolling and revoking keys ask for it."""
    client = Client()
    client.force_login(user)
    return reauthenticated(client, user)


@pytest.fixture
def owner_client(owner) -> Client:
    return _client(owner)


@pytest.fixture
def outsider_client(outsider) -> Client:
    return _client(outsider)


@pytest.fixture
def shop(merchant):
    return ShopFactory(merchant=merchant, name="Books")


@pytest.fixture
def other_shop(merchant):
    return ShopFactory(merchant=merchant, name="Games")


@pytest.fixture
def foreign_shop(outsider):
    return ShopFactory(merchant=outsider.memberships.get().merchant, name="Foreign")


def _keys_url(shop) -> str:
    return reverse("shops:keys", args=[shop.pk])


def _create(client: Client, shop, kind: str = "sk_test") -> tuple[ApiKey, str, object]:
    """Create a key through the page; return it, its plaintext and the page that showed it."""
    response = client.post(reverse("shops:key_create", args=[shop.pk]), {"kind": kind})
    assert response.status_code == 302
    assert response["Location"] == _keys_url(shop)
    page = client.get(_keys_url(shop))
    plaintext = _shown_secret(page, kind)
    key = ApiKey.objects.get(key_hash=hash_key(plaintext))
    return key, plaintext, page


def _shown_secret(response, kind: str) -> str:
    found = set(SECRET_RE[kind].findall(response.content.decode()))
    assert len(found) == 1, found
    return found.pop()


def _roll(client: Client, key: ApiKey, grace: str) -> tuple[ApiKey, str]:
    response = client.post(reverse("shops:key_roll", args=[key.shop_id, key.pk]), {"grace": grace})
    assert response.status_code == 302
    page = client.get(_keys_url(key.shop))
    plaintext = _shown_secret(page, key.kind)
    return ApiKey.objects.get(key_hash=hash_key(plaintext)), plaintext


def _key_columns(key: ApiKey) -> list[str]:
    return [str(getattr(key, f.attname)) for f in ApiKey._meta.concrete_fields]


# ---------------------------------------------------------------------------
# Creating and the one-time display
# ---------------------------------------------------------------------------
def test_new_test_key_is_shown_once_and_stored_only_as_hash(owner_client, shop):
    key, plaintext, page = _create(owner_client, shop)

    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    assert plaintext.startswith("sk_test_")
    assert len(plaintext) == len("sk_test_") + 40
    assert "will not be shown again" in page.content.decode()

    assert key.kind == ApiKey.Kind.SECRET_TEST
    assert key.key_hash == hash_key(plaintext)
    assert key.secret_encrypted == ""
    assert all(plaintext not in value for value in _key_columns(key))
    assert plaintext.startswith(key.prefix) and plaintext.endswith(key.last4)

    reload = owner_client.get(_keys_url(shop))
    assert reload.status_code == 200
    assert "no-store" in reload["Cache-Control"]
    assert plaintext not in reload.content.decode()
    assert key.masked in reload.content.decode()
    assert REVEAL_SESSION_KEY not in owner_client.session


def test_plaintext_never_reaches_url_cookie_session_row_log_or_mail(owner_client, shop, caplog):
    caplog.set_level(logging.DEBUG)
    response = owner_client.post(reverse("shops:key_create", args=[shop.pk]), {"kind": "sk_live"})
    # Waiting in the session, the plaintext is encrypted: the session row never holds it.
    waiting = owner_client.session[REVEAL_SESSION_KEY]["secret"]
    page = owner_client.get(_keys_url(shop))
    plaintext = _shown_secret(page, "sk_live")

    assert plaintext not in response["Location"]
    assert plaintext not in waiting
    assert all(plaintext not in morsel.value for morsel in owner_client.cookies.values())
    for session in Session.objects.all():
        assert plaintext not in session.session_data
        assert plaintext not in str(session.get_decoded())
    assert plaintext not in caplog.text
    assert all(plaintext not in message.body for message in mail.outbox)
    assert not ShopChange.objects.filter(shop=shop).exists()
    assert all(plaintext not in event.detail for event in KeyEvent.objects.all())


def test_new_key_is_shown_only_on_its_own_shops_page(owner_client, shop, other_shop):
    owner_client.post(reverse("shops:key_create", args=[shop.pk]), {"kind": "sk_test"})

    elsewhere = owner_client.get(_keys_url(other_shop))
    assert not SECRET_RE["sk_test"].search(elsewhere.content.decode())
    # One shot: the next page view took it, whichever shop it was for.
    back = owner_client.get(_keys_url(shop))
    assert not SECRET_RE["sk_test"].search(back.content.decode())


def test_head_request_does_not_use_up_the_one_time_display(owner_client, shop):
    owner_client.post(reverse("shops:key_create", args=[shop.pk]), {"kind": "sk_test"})

    assert owner_client.head(_keys_url(shop)).status_code == 200

    assert SECRET_RE["sk_test"].search(owner_client.get(_keys_url(shop)).content.decode())


def test_create_button_when_no_usable_key_and_create_another_after(owner_client, shop):
    page = owner_client.get(_keys_url(shop)).content.decode()
    assert "Create a test key" in page
    assert "Create a live key" in page
    assert "Create a signing secret" in page
    assert "Live keys work only once the shop is in live mode" in page

    _create(owner_client, shop)
    page = owner_client.get(_keys_url(shop)).content.decode()
    assert "Create a test key" not in page
    assert "Create another" in page

    _create(owner_client, shop)
    assert ApiKey.objects.filter(shop=shop, kind="sk_test").usable().count() == 2


def test_page_lists_masked_keys_with_creator_and_never_used(owner_client, owner, shop):
    key, _plaintext, _page = _create(owner_client, shop)
    page = owner_client.get(_keys_url(shop)).content.decode()

    assert key.masked in page
    assert owner.email in page
    assert "never" in page
    assert "Active" in page


def test_developer_and_admin_manage_keys(merchant, shop):
    for role in (Role.DEVELOPER, Role.ADMIN):
        client = _client(MembershipFactory(merchant=merchant, role=role).user)
        key, plaintext, _page = _create(client, shop)
        assert api_key_authenticate(plaintext) == key


def test_keys_page_query_count_does_not_grow_with_keys(
    owner_client, owner, shop, django_assert_max_num_queries
):
    for kind in ("sk_test", "sk_live", "whsec"):
        key, _plaintext = services.api_key_create(shop=shop, kind=kind, by=owner)
        services.api_key_roll(key=key, by=owner, grace=timedelta(hours=1))
    with django_assert_max_num_queries(12):
        response = owner_client.get(_keys_url(shop))
    assert response.status_code == 200


# ---------------------------------------------------------------------------
# Authenticating (the future API's check)
# ---------------------------------------------------------------------------
def test_authenticate_returns_the_key_and_records_the_use(owner_client, shop):
    key, plaintext, _page = _create(owner_client, shop)
    assert key.last_used_at is None

    found = api_key_authenticate(plaintext)

    assert found == key
    assert found.shop == shop
    assert found.last_used_at is not None
    key.refresh_from_db()
    assert key.last_used_at == found.last_used_at
    page = owner_client.get(_keys_url(shop)).content.decode()
    assert "never" not in page.split("Live secret keys")[0]


@pytest.mark.parametrize(
    "text",
    ["", "sk_test_", "sk_test_" + "A" * 40, "Bearer sk_test_x", "whsec_" + "A" * 40, None, 42],
)
def test_authenticate_refuses_unknown_text(shop, owner, text):
    services.api_key_create(shop=shop, kind="sk_test", by=owner)
    assert api_key_authenticate(text) is None


def test_webhook_secret_is_not_an_api_key(shop, owner):
    _key, plaintext = services.api_key_create(shop=shop, kind="whsec", by=owner)
    assert api_key_authenticate(plaintext) is None


def test_live_key_is_recognised_and_names_a_shop_not_yet_live(shop, owner):
    # The API turns this into 403 "shop not live-enabled" rather than "invalid key".
    key, plaintext = services.api_key_create(shop=shop, kind="sk_live", by=owner)
    found = api_key_authenticate(plaintext)
    assert found == key
    assert found.shop.live_mode is False


def test_unknown_kind_is_refused_by_the_service(shop, owner):
    with pytest.raises(ValueError):
        services.api_key_create(shop=shop, kind="pk_test", by=owner)
    assert not ApiKey.objects.exists()


# ---------------------------------------------------------------------------
# Rolling and revoking
# ---------------------------------------------------------------------------
def test_roll_with_grace_keeps_the_old_key_until_it_expires(owner_client, shop):
    old, old_plaintext, _page = _create(owner_client, shop)

    new, new_plaintext = _roll(owner_client, old, DAY)

    assert new_plaintext != old_plaintext
    assert api_key_authenticate(old_plaintext) == old
    assert api_key_authenticate(new_plaintext) == new
    old.refresh_from_db()
    assert old.replaced_by == new
    assert old.revoked_at is None
    assert timedelta(hours=23, minutes=59) < old.expires_at - timezone.now() <= timedelta(hours=24)
    page = owner_client.get(_keys_url(shop)).content.decode()
    assert "Works until" in page
    assert reverse("shops:key_roll", args=[shop.pk, old.pk]) not in page
    assert reverse("shops:key_revoke", args=[shop.pk, old.pk]) in page

    ApiKey.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert api_key_authenticate(old_plaintext) is None
    assert api_key_authenticate(new_plaintext) == new


def test_roll_without_grace_stops_the_old_key_at_once(owner_client, shop):
    old, old_plaintext, _page = _create(owner_client, shop)

    new, new_plaintext = _roll(owner_client, old, "0")

    assert api_key_authenticate(old_plaintext) is None
    assert api_key_authenticate(new_plaintext) == new
    old.refresh_from_db()
    assert old.revoked_at is not None
    assert old.replaced_by == new


def test_a_key_in_its_grace_period_cannot_be_rolled_again(owner_client, shop):
    old, _plaintext, _page = _create(owner_client, shop)
    _roll(owner_client, old, DAY)
    old.refresh_from_db()
    expires_at = old.expires_at

    response = owner_client.post(
        reverse("shops:key_roll", args=[shop.pk, old.pk]), {"grace": str(7 * 24 * 3600)}
    )

    assert response.status_code == 302
    old.refresh_from_db()
    assert old.expires_at == expires_at
    assert ApiKey.objects.filter(shop=shop).count() == 2
    page = owner_client.get(_keys_url(shop)).content.decode()
    assert "already been rolled" in page


def test_a_revoked_key_cannot_be_rolled(owner_client, shop, owner):
    key, _plaintext = services.api_key_create(shop=shop, kind="sk_test", by=owner)
    services.api_key_revoke(key=key, by=owner)

    response = owner_client.post(
        reverse("shops:key_roll", args=[shop.pk, key.pk]), {"grace": "0"}, follow=True
    )

    assert "no longer works" in response.content.decode()
    assert ApiKey.objects.filter(shop=shop).count() == 1


def test_revoke_stops_the_key(owner_client, shop):
    key, plaintext, _page = _create(owner_client, shop)

    response = owner_client.post(reverse("shops:key_revoke", args=[shop.pk, key.pk]))

    assert response.status_code == 302
    assert api_key_authenticate(plaintext) is None
    key.refresh_from_db()
    assert key.revoked_at is not None
    page = owner_client.get(_keys_url(shop)).content.decode()
    assert "Revoked" in page
    assert "1 stopped key" in page
    assert "Create a test key" in page


def test_revoking_twice_writes_one_event(owner_client, shop):
    key, _plaintext, _page = _create(owner_client, shop)
    url = reverse("shops:key_revoke", args=[shop.pk, key.pk])
    owner_client.post(url)
    owner_client.post(url)
    assert KeyEvent.objects.filter(key=key, action=KeyEvent.Action.REVOKED).count() == 1


def test_revoke_during_grace_stops_the_old_key_early(owner_client, shop):
    old, old_plaintext, _page = _create(owner_client, shop)
    _roll(owner_client, old, DAY)
    owner_client.post(reverse("shops:key_revoke", args=[shop.pk, old.pk]))
    assert api_key_authenticate(old_plaintext) is None


# ---------------------------------------------------------------------------
# Webhook signing secret
# ---------------------------------------------------------------------------
def test_webhook_secret_create_and_roll_with_grace(owner_client, shop):
    old, old_plaintext, _page = _create(owner_client, shop, "whsec")

    assert old_plaintext.startswith("whsec_")
    assert old.key_hash == hash_key(old_plaintext)
    assert old.secret_encrypted and old_plaintext not in old.secret_encrypted
    assert all(old_plaintext not in value for value in _key_columns(old))
    assert webhook_secrets(shop) == [old_plaintext]

    new, new_plaintext = _roll(owner_client, old, str(60 * 60))

    assert webhook_secrets(shop) == [new_plaintext, old_plaintext]
    assert new_plaintext not in new.secret_encrypted

    ApiKey.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert webhook_secrets(shop) == [new_plaintext]


def test_webhook_secret_roll_without_grace_leaves_only_the_new_one(owner_client, shop):
    old, _old_plaintext, _page = _create(owner_client, shop, "whsec")
    _new, new_plaintext = _roll(owner_client, old, "0")
    assert webhook_secrets(shop) == [new_plaintext]


def test_webhook_secrets_are_per_shop(owner_client, shop, other_shop):
    _key, plaintext, _page = _create(owner_client, shop, "whsec")
    assert webhook_secrets(other_shop) == []
    assert webhook_secrets(shop) == [plaintext]


# ---------------------------------------------------------------------------
# Audit log
# ---------------------------------------------------------------------------
def test_every_key_event_is_in_the_audit_log_with_user_and_ip(owner_client, owner, shop):
    key, _plaintext, _page = _create(owner_client, shop)
    new, _new_plaintext = _roll(owner_client, key, DAY)
    owner_client.post(reverse("shops:key_revoke", args=[shop.pk, new.pk]))

    events = list(KeyEvent.objects.filter(shop=shop).order_by("created_at", "pk"))
    assert [(e.action, e.key_id) for e in events] == [
        (KeyEvent.Action.CREATED, key.pk),
        (KeyEvent.Action.ROLLED, new.pk),
        (KeyEvent.Action.ROLLED, key.pk),
        (KeyEvent.Action.REVOKED, new.pk),
    ]
    assert {e.user for e in events} == {owner}
    assert {e.ip for e in events} == {"127.0.0.1"}
    assert key.masked in events[1].detail
    assert new.masked in events[2].detail

    page = owner_client.get(_keys_url(shop)).content.decode()
    log = page.split("Audit log")[1]
    for label in ("Created", "Rolled", "Revoked", owner.email, "127.0.0.1", key.masked):
        assert label in log


def test_audit_log_shows_the_newest_50(owner_client, owner, shop):
    key, _plaintext = services.api_key_create(shop=shop, kind="sk_test", by=owner)
    for _n in range(55):
        KeyEvent.objects.create(shop=shop, key=key, action="revoked", user=owner, detail="x")
    newest = KeyEvent.objects.create(shop=shop, key=key, action="revoked", user=owner, detail="z")

    page = owner_client.get(_keys_url(shop)).content.decode()
    log = page.split("Audit log")[1]
    assert log.count("<tr>") == 1 + 50
    assert newest.detail in log


def test_audit_log_is_per_shop(owner_client, owner, shop, other_shop):
    key, _plaintext = services.api_key_create(shop=shop, kind="sk_test", by=owner)
    page = owner_client.get(_keys_url(other_shop)).content.decode()
    assert key.masked not in page


# ---------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("data", [{}, {"kind": "pk_test"}, {"kind": "sk_test_x"}])
def test_bad_kind_creates_nothing(owner_client, shop, data):
    response = owner_client.post(reverse("shops:key_create", args=[shop.pk]), data)
    assert response.status_code == 400
    assert "no-store" in response["Cache-Control"]
    assert not ApiKey.objects.exists()
    assert not KeyEvent.objects.exists()


@pytest.mark.parametrize("grace", ["", "5", "-3600", str(8 * 24 * 3600), "1h", "86400.0"])
def test_bad_grace_rolls_nothing(owner_client, owner, shop, grace):
    key, plaintext = services.api_key_create(shop=shop, kind="sk_test", by=owner)

    response = owner_client.post(
        reverse("shops:key_roll", args=[shop.pk, key.pk]), {"grace": grace}
    )

    assert response.status_code == 400
    assert ApiKey.objects.count() == 1
    assert KeyEvent.objects.count() == 1
    assert api_key_authenticate(plaintext) == key


@pytest.mark.parametrize("name", ["key_create", "key_roll", "key_revoke"])
def test_writes_refuse_get(owner_client, owner, shop, name):
    key, _plaintext = services.api_key_create(shop=shop, kind="sk_test", by=owner)
    args = [shop.pk] if name == "key_create" else [shop.pk, key.pk]
    assert owner_client.get(reverse(f"shops:{name}", args=args)).status_code == 405
    key.refresh_from_db()
    assert key.is_usable


# ---------------------------------------------------------------------------
# Access
# ---------------------------------------------------------------------------
def _urls(shop, key) -> list[tuple[str, str, dict]]:
    return [
        ("get", reverse("shops:keys", args=[shop.pk]), {}),
        ("post", reverse("shops:key_create", args=[shop.pk]), {"kind": "sk_test"}),
        ("post", reverse("shops:key_roll", args=[shop.pk, key.pk]), {"grace": "0"}),
        ("post", reverse("shops:key_revoke", args=[shop.pk, key.pk]), {}),
    ]


def test_accountant_gets_403_on_every_keys_url(merchant, owner, shop, member):
    key, plaintext = services.api_key_create(shop=shop, kind="sk_test", by=owner)
    client = _client(member)
    for method, url, data in _urls(shop, key):
        assert getattr(client, method)(url, data).status_code == 403, url
    # GET on the write URLs is refused before the method check, too.
    for _method, url, _data in _urls(shop, key)[1:]:
        assert client.get(url).status_code == 403, url
    assert ApiKey.objects.count() == 1
    assert api_key_authenticate(plaintext) == key


def test_outsider_gets_404_for_another_merchants_shop_and_key(outsider_client, owner, shop):
    key, plaintext = services.api_key_create(shop=shop, kind="sk_test", by=owner)
    for method, url, data in _urls(shop, key):
        assert getattr(outsider_client, method)(url, data).status_code == 404, url
    assert ApiKey.objects.count() == 1
    assert api_key_authenticate(plaintext) == key


def test_outsider_gets_404_for_another_merchants_key_under_own_shop(
    outsider_client, outsider, owner, shop, foreign_shop
):
    key, plaintext = services.api_key_create(shop=shop, kind="sk_test", by=owner)
    for method, url, data in _urls(foreign_shop, key)[2:]:
        assert getattr(outsider_client, method)(url, data).status_code == 404, url
    assert api_key_authenticate(plaintext) == key


def test_key_of_shop_a_under_shop_b_url_is_404(owner_client, owner, shop, other_shop):
    key, plaintext = services.api_key_create(shop=shop, kind="sk_test", by=owner)
    for _method, url, data in _urls(other_shop, key)[2:]:
        assert owner_client.post(url, data).status_code == 404, url
    assert ApiKey.objects.count() == 1
    assert api_key_authenticate(plaintext) == key


def test_anonymous_is_sent_to_login_on_every_keys_url(client, owner, shop):
    key, _plaintext = services.api_key_create(shop=shop, kind="sk_test", by=owner)
    login = reverse("account_login")
    for method, url, data in _urls(shop, key):
        response = getattr(client, method)(url, data)
        assert response.status_code == 302, url
        assert response["Location"].startswith(login + "?next="), url
    assert ApiKey.objects.count() == 1
