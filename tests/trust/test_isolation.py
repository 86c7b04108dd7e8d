"""Tenant isolation, generated from the URLconf.

Every URL pattern of the portal that takes an object id or token is requested (GET and
POST) with merchant A's real object, as merchant B's owner, as an anonymous visitor and as
each of A's roles that lacks the view's permission. None of them may get a 200 or a 500:
B gets 404, the visitor is sent to sign in (or gets 403/404), a role without the permission
gets 403 or 404. A's owner, last, must reach the object (so a 404 above means something).

A new pattern with an argument fails `test_every_route_with_an_argument_is_registered`
until it is added to REGISTRY (merchant-owned or shared arguments) or PUBLIC (tokens that
work without signing in, checked with a garbage token). Not walked at all: EXCLUDED.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date

import pytest
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse
from PIL import Image

from documents import services as document_services
from documents.models import DocumentFile, DocumentType
from exports.models import ExportJob
from merchants import services as merchant_services
from merchants.models import Membership
from merchants.roles import Perm, role_has
from payments.models import WebhookDelivery
from settlements.models import Settlement
from shops.models import ApiKey
from shops.services import api_key_create
from subscriptions.models import ReportSubscription
from tests.documents.samples import pdf_bytes, upload
from tests.factories import MembershipFactory, ShopFactory, reauthenticated
from transactions import services as payment_services
from transactions.models import Actor, Payment

from .urlconf import Route, allowed_methods, required_perm, walk

pytestmark = pytest.mark.django_db

Role = Membership.Role
ROLES = [Role.OWNER, Role.ADMIN, Role.ACCOUNTANT, Role.DEVELOPER]
LOGIN = reverse("account_login")

# Not walked, with the reason. Everything else under the root URLconf is.
EXCLUDED: dict[str, str] = {
    "admin/": "Django admin: staff only, behind allauth's login (tests/trust/test_security.py)",
    "accounts/": "allauth's own account pages; its token links are in PUBLIC below",
    "dev/outbox/": "development mail catcher: 404 unless DEBUG or staff (tests/inecopay/test_outbox.py)",
    "i18n/": "Django's set_language: no merchant data",
    "api/v1/": "the JSON API authenticates by secret key, not session: the API tests below",
}

# Public links that work without signing in: the token is the key. A garbage token must get
# one of these statuses (404, or the page's own answer for a dead link), never a 500.
PUBLIC: dict[str, tuple[int, ...]] = {
    "payform:pay": (404,),
    "payform:confirm": (404,),
    "payform:logo": (404,),
    "merchants:invitation_accept": (200, 404),  # a page saying the invitation is not valid
    "subscriptions:confirm": (404,),
    "subscriptions:unsubscribe": (404,),
    "subscriptions:file": (404,),
    "account_confirm_email": (200, 404),  # allauth: "this link is invalid or expired"
    "account_reset_password_from_key": (200, 302, 404),  # allauth: "bad token" page
}


@dataclass
class World:
    """One merchant with a member of every role and one of each object the portal names."""

    merchant: object
    users: dict[str, object]
    shop: object
    values: dict[str, object] = field(default_factory=dict)


def _paid_test_payment(shop) -> Payment:
    payment = payment_services.payment_create(
        shop=shop, test=True, amount=150_000, currency="AMD", order_id="iso-1"
    )
    payment_services.payment_transition(
        payment=payment,
        to=Payment.Status.PROCESSING,
        actor=Actor.FORM,
        fields={"method": "card", "card_brand": "visa", "card_last4": "4242"},
    )
    return payment_services.payment_transition(
        payment=payment, to=Payment.Status.SUCCEEDED, actor=Actor.FORM
    )


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "teal").save(buffer, "PNG")
    return buffer.getvalue()


def _build_world(label: str) -> World:
    owner = MembershipFactory(role=Role.OWNER, merchant__name=f"Isolation {label} LLC")
    merchant = owner.merchant
    merchant.legal_form = "llc"
    merchant.save(update_fields=["legal_form"])
    users = {Role.OWNER: owner.user}
    for role in (Role.ADMIN, Role.ACCOUNTANT, Role.DEVELOPER):
        users[role] = MembershipFactory(merchant=merchant, role=role).user
    shop = ShopFactory(merchant=merchant, name=f"Shop {label}", is_open=True)
    shop.logo.save("logo.png", ContentFile(_png()), save=True)
    key, _plaintext = api_key_create(shop=shop, kind=ApiKey.Kind.SECRET_TEST, by=owner.user)
    payment = _paid_test_payment(shop)
    delivery = WebhookDelivery.objects.create(
        shop=shop,
        payment=payment,
        type="payment.succeeded",
        test=True,
        url="https://shop.example.am/hook",
        body="{}",
    )
    document_services.document_upload(
        merchant=merchant,
        document_type=DocumentType.objects.get(code="charter"),
        files=[upload("charter.pdf", pdf_bytes(1), "application/pdf")],
        by=owner.user,
    )
    document_file = DocumentFile.objects.get(version__document__merchant=merchant)
    settlement = Settlement.objects.create(merchant=merchant, currency="AMD", day=date(2026, 3, 1))
    job = ExportJob.objects.create(
        merchant=merchant,
        user=owner.user,
        format=ExportJob.Format.CSV,
        status=ExportJob.Status.DONE,
        file_name="payments.csv",
    )
    job.file.save(f"exports/{job.public_id}.csv", ContentFile(b"id;amount\n"), save=True)
    colleague = MembershipFactory(merchant=merchant, role=Role.DEVELOPER)
    invitation, _token = merchant_services.invitation_create(
        merchant=merchant,
        email=f"invited-{label.lower()}@example.am",
        role=Role.ACCOUNTANT,
        by=owner,
    )
    subscription = ReportSubscription.objects.create(
        merchant=merchant,
        email=f"reports-{label.lower()}@example.am",
        frequency="daily",
        status="active",
        variants=["by-days"],
        formats=["pdf"],
    )
    values = {
        "shop": shop.pk,
        "key": key.pk,
        "payment": payment.public_id,
        "delivery": delivery.pk,
        "document_file": document_file.public_id,
        "settlement": settlement.pk,
        "export": job.public_id,
        "membership": colleague.pk,
        "invitation": invitation.pk,
        "subscription": subscription.public_id,
    }
    return World(merchant=merchant, users=users, shop=shop, values=values)


# (url name, argument) → what it is. A merchant-owned object names its World value; a
# shared argument (the same for every merchant: catalog slugs, document type codes, line
# names) gives a fixed value, and is checked for sign-in and permission but not for 404.
Owned = str


@dataclass(frozen=True)
class Shared:
    value: str


REGISTRY: dict[tuple[str, str], Owned | Shared] = {
    ("merchants:team_change_role", "pk"): "membership",
    ("merchants:team_remove", "pk"): "membership",
    ("merchants:team_revoke", "pk"): "invitation",
    **{
        (f"shops:{name}", "pk"): "shop"
        for name in (
            "detail",
            "section1",
            "submit",
            "set_open",
            "set_live",
            "history",
            "logo",
            "keys",
            "key_create",
            "key_roll",
            "key_revoke",
        )
    },
    ("shops:key_roll", "key_pk"): "key",
    ("shops:key_revoke", "key_pk"): "key",
    ("webhooks:log", "pk"): "shop",
    ("webhooks:test", "pk"): "shop",
    ("webhooks:resend", "pk"): "shop",
    ("webhooks:resend", "delivery_pk"): "delivery",
    ("integration:shop_guide", "pk"): "shop",
    ("integration:module", "slug"): Shared("wordpress"),
    ("integration:download", "slug"): Shared("wordpress"),
    ("integration:download", "version"): Shared("1.0.0"),
    ("documents:upload", "code"): Shared("charter"),
    ("documents:file", "public_id"): "document_file",
    ("documents:preview", "public_id"): "document_file",
    ("exports:job", "public_id"): "export",
    ("exports:status", "public_id"): "export",
    ("exports:download", "public_id"): "export",
    ("transactions:detail", "public_id"): "payment",
    ("transactions:refund", "public_id"): "payment",
    **{
        (f"subscriptions:{name}", "public_id"): "subscription"
        for name in ("edit", "pause", "resume", "resend", "delete")
    },
    ("settlements:line", "name"): Shared("gross"),
    ("settlements:settlement", "pk"): "settlement",
}

# Views whose permission is checked inside (not by require_perm), so it cannot be read off
# the decorator: the permission they enforce.
PERMS_INSIDE: dict[str, Perm] = {
    "documents:upload": Perm.MANAGE_ACCOUNT,
    "documents:file": Perm.MANAGE_ACCOUNT,
    "documents:preview": Perm.MANAGE_ACCOUNT,
}

# Pages without an argument that anyone may open.
PUBLIC_PAGES = {"landing", "healthz", "payments:api_reference"}


def _walked() -> list[Route]:
    return [r for r in walk() if not any(r.route.startswith(p) for p in EXCLUDED)]


ROUTES = _walked()
WITH_ARGS = [r for r in ROUTES if r.kwargs and r.name not in PUBLIC]
OWNED_ROUTES = [
    r for r in WITH_ARGS if any(isinstance(REGISTRY.get((r.name, k)), str) for k in r.kwargs)
]
ALL_TOKEN_ROUTES = [r for r in walk() if r.name in PUBLIC]
MEMBER_PAGES = [r for r in ROUTES if not r.kwargs and r.name not in PUBLIC_PAGES]
REGISTERED = [r for r in WITH_ARGS if all((r.name, k) in REGISTRY for k in r.kwargs)]


def _perm(route: Route) -> Perm | None:
    return PERMS_INSIDE.get(route.name) or required_perm(route.callback)


def _lacking(route: Route) -> list[str]:
    perm = _perm(route)
    return [role for role in ROLES if perm is not None and not role_has(role, perm)]


def _url(route: Route, world: World, other: World | None = None, *, from_world: str = "") -> str:
    """The route with `world`'s objects; with `other`, every argument but `from_world`'s
    comes from `other` (B's shop with A's key, for instance)."""
    kwargs = {}
    for name in route.kwargs:
        entry = REGISTRY[(route.name, name)]
        if isinstance(entry, Shared):
            kwargs[name] = entry.value
        elif other is not None and entry != from_world:
            kwargs[name] = other.values[entry]
        else:
            kwargs[name] = world.values[entry]
    return reverse(route.name, kwargs=kwargs)


def _client(user=None) -> Client:
    """Signed in and just reauthenticated, so key changes get as far as the access check."""
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
        reauthenticated(client, user)
    return client


def _methods_ok(route: Route, method: str) -> bool:
    allowed = allowed_methods(route.callback)
    return allowed is None or method.upper() in allowed


def _fails(route: Route, who: str, method: str, url: str, status: int, expected) -> str:
    return f"{route.name} {method.upper()} {url} as {who}: {status}, expected one of {expected}"


@pytest.fixture(scope="module")
def worlds(django_db_setup, django_db_blocker, tmp_path_factory):
    """Merchants A and B, built once for the module and rolled back after it."""
    media = tmp_path_factory.mktemp("isolation-media")
    with override_settings(MEDIA_ROOT=media), django_db_blocker.unblock(), transaction.atomic():
        a, b = _build_world("A"), _build_world("B")
        yield {"a": a, "b": b, "media": media}
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _isolated_files(settings, worlds):
    """The module's stored files (documents, exports) stay readable in every test."""
    settings.MEDIA_ROOT = worlds["media"]
    settings.OUTBOX_DIR = worlds["media"] / "outbox"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --------------------------------------------------------------------------- the registry
def test_every_route_with_an_argument_is_registered():
    missing = [
        f"{r.name or r.route} ({name})"
        for r in WITH_ARGS
        for name in r.kwargs
        if (r.name, name) not in REGISTRY
    ]
    assert not missing, (
        "new route with an id: add it to the isolation registry or the public allow-list "
        f"(tests/trust/test_isolation.py): {', '.join(missing)}"
    )
    unknown = set(PUBLIC) - {r.name for r in walk()}
    stale = {name for name, _arg in REGISTRY} - {r.name for r in ROUTES}
    assert not unknown and not stale, f"allow-list or registry names no route: {unknown | stale}"


def test_every_registered_view_names_its_permission():
    unguarded = [r.name for r in REGISTERED if _perm(r) is None]
    assert not unguarded, f"routes with an id but no permission to check: {unguarded}"


# --------------------------------------------------------------------------- merchant B
@pytest.mark.parametrize("route", OWNED_ROUTES, ids=lambda r: r.name)
def test_other_merchants_owner_gets_404(route, worlds):
    a, b = worlds["a"], worlds["b"]
    client = _client(b.users[Role.OWNER])
    urls = [_url(route, a)]
    # B's own parent with A's child (B's shop, A's key): the child must not be found either.
    owned = {REGISTRY[(route.name, k)] for k in route.kwargs} - {None}
    owned = {entry for entry in owned if isinstance(entry, str)}
    if len(owned) > 1:
        urls += [_url(route, a, b, from_world=entry) for entry in owned]
    failures = []
    for url in urls:
        for method in ("get", "post"):
            expected = (404,) if _methods_ok(route, method) else (404, 405)
            status = getattr(client, method)(url).status_code
            if status not in expected:
                failures.append(_fails(route, "B's owner", method, url, status, expected))
    assert not failures, "\n".join(failures)


# --------------------------------------------------------------------------- anonymous
def _anonymous_refused(client: Client, response) -> bool:
    if response.status_code in (403, 404, 405):
        return True
    if response.status_code != 302:
        return False
    location = response["Location"]
    if location.startswith(LOGIN):
        return True
    # A redirect to another page of the portal (documents' upload URL to its list) is fine
    # if that page in turn asks to sign in.
    then = client.get(location)
    return then.status_code == 302 and then["Location"].startswith(LOGIN)


@pytest.mark.parametrize("route", REGISTERED, ids=lambda r: r.name)
def test_anonymous_visitor_is_sent_to_sign_in(route, worlds):
    client = _client()
    url = _url(route, worlds["a"])
    failures = []
    for method in ("get", "post"):
        response = getattr(client, method)(url)
        if not _anonymous_refused(client, response):
            failures.append(_fails(route, "anonymous", method, url, response.status_code, "login"))
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("route", MEMBER_PAGES, ids=lambda r: r.id)
def test_anonymous_visitor_is_sent_to_sign_in_on_member_pages(route, db):
    client = _client()
    url = reverse(route.name)
    method = "get" if _methods_ok(route, "get") else "post"
    response = getattr(client, method)(url)
    assert _anonymous_refused(client, response), (route.name, response.status_code)


# --------------------------------------------------------------------------- roles of A
ROLE_CASES = [(r, role) for r in REGISTERED for role in _lacking(r)]


@pytest.mark.parametrize(("route", "role"), ROLE_CASES, ids=lambda x: getattr(x, "name", x))
def test_role_without_the_permission_is_refused(route, role, worlds):
    a = worlds["a"]
    client = _client(a.users[role])
    url = _url(route, a)
    failures = []
    for method in ("get", "post"):
        expected = (403, 404) if _methods_ok(route, method) else (403, 404, 405)
        response = getattr(client, method)(url)
        if response.status_code == 302:
            # documents' upload URL sends a GET to its list: that page must refuse in turn.
            response = client.get(response["Location"])
        if response.status_code not in expected:
            failures.append(_fails(route, role, method, url, response.status_code, expected))
    assert not failures, "\n".join(failures)


# --------------------------------------------------------------------------- control
@pytest.mark.parametrize("route", OWNED_ROUTES, ids=lambda r: r.name)
def test_owner_reaches_own_object(route, worlds):
    """The control: the registry builds real objects, so the 404s above are about access."""
    a = worlds["a"]
    client = _client(a.users[Role.OWNER])
    method = "get" if _methods_ok(route, "get") else "post"
    response = getattr(client, method)(_url(route, a))
    assert response.status_code not in (403, 404, 500), (route.name, response.status_code)


# --------------------------------------------------------------------------- public tokens
@pytest.mark.parametrize("route", ALL_TOKEN_ROUTES, ids=lambda r: r.name)
def test_garbage_token_gets_a_safe_answer(route, db):
    garbage = {"uidb36": "zz", "key": "set-password"}
    kwargs = {name: garbage.get(name, "x" * 40) for name in route.kwargs}
    url = reverse(route.name, kwargs=kwargs)
    client = _client()
    for method in ("get", "post"):
        status = getattr(client, method)(url).status_code
        expected = PUBLIC[route.name] if _methods_ok(route, method) else (*PUBLIC[route.name], 405)
        assert status in expected, (route.name, method, status)


def test_a_real_but_other_token_reveals_nothing_else(worlds):
    """The payment form takes only its own payment's token: A's payment id is not one."""
    response = _client().get(reverse("payform:pay", args=[worlds["a"].values["payment"]]))
    assert response.status_code == 404


# --------------------------------------------------------------------------- the JSON API
class _Api:
    def __init__(self, key: str | None) -> None:
        self.client = Client(raise_request_exception=False)
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}

    def call(self, method: str, path: str, body: str = "{}"):
        if method == "get":
            return self.client.get(path, **self.headers)
        return self.client.post(path, body, content_type="application/json", **self.headers)


API_ROUTES = [r for r in walk() if r.name.startswith("api_v1:") and "payment_id" in r.kwargs]


def _api_method(route: Route) -> str:
    return "get" if route.name == "api_v1:get_payment" else "post"


# A valid body for each, so that the answer is about the payment, not about the body.
API_BODIES = {
    "api_v1:create_refund": '{"amount": 100}',
    "api_v1:simulate_payment": '{"outcome": "succeeded"}',
}


def _api_key(shop, user) -> str:
    return api_key_create(shop=shop, kind=ApiKey.Kind.SECRET_TEST, by=user)[1]


def test_every_api_route_with_an_id_is_checked():
    assert {r.name for r in API_ROUTES} == {
        "api_v1:get_payment",
        "api_v1:cancel_payment",
        "api_v1:create_refund",
        "api_v1:simulate_payment",
    }
    assert all(r.kwargs == ("payment_id",) for r in API_ROUTES)


@pytest.mark.parametrize("route", API_ROUTES, ids=lambda r: r.name)
def test_api_another_shops_payment_is_404_and_no_key_is_401(route, worlds):
    a, b = worlds["a"], worlds["b"]
    path = reverse(route.name, kwargs={"payment_id": a.values["payment"]})
    method = _api_method(route)
    sibling = ShopFactory(merchant=a.merchant, name="Sibling", is_open=True)
    for key in (_api_key(b.shop, b.users[Role.OWNER]), _api_key(sibling, a.users[Role.OWNER])):
        response = _Api(key).call(method, path, API_BODIES.get(route.name, "{}"))
        assert response.status_code == 404, (route.name, response.content)
        assert response["Content-Type"].startswith("application/json")
        assert response.json()["error"]["type"] == "not_found_error"
    anonymous = _Api(None).call(method, path, API_BODIES.get(route.name, "{}"))
    assert anonymous.status_code == 401, (route.name, anonymous.content)
    assert anonymous["Content-Type"].startswith("application/json")
    assert Payment.objects.get(public_id=a.values["payment"]).status == Payment.Status.SUCCEEDED


def test_api_own_shop_reads_its_payment(worlds):
    a = worlds["a"]
    path = reverse("api_v1:get_payment", kwargs={"payment_id": a.values["payment"]})
    assert _Api(_api_key(a.shop, a.users[Role.OWNER])).call("get", path).status_code == 200
