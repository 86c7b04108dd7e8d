from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_landing_is_russian_by_default_with_connect_button(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.status_code == 200
    assert response["Content-Language"] == "ru"
    body = response.content.decode()
    assert "Подключиться" in body
    assert reverse("account_signup") in body


def test_language_switch_shows_english_and_is_remembered(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    response = client.get("/")
    assert response["Content-Language"] == "en"
    body = response.content.decode()
    assert "Connect" in body
    assert "Подключиться" not in body


def test_unknown_language_cookie_falls_back_to_russian(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "xx"
    assert client.get("/")["Content-Language"] == "ru"


def test_dashboard_asks_anonymous_visitor_to_sign_in(client):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_owner_sees_own_merchant_on_dashboard(owner_client, merchant, outsider):
    response = owner_client.get(reverse("dashboard"))
    assert response.status_code == 200
    body = response.content.decode()
    assert merchant.name in body
    assert outsider.memberships.get().merchant.name not in body


def test_staff_without_merchant_is_sent_to_admin(staff_client):
    response = staff_client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")


def test_pages_carry_security_headers(client):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_post_without_csrf_token_is_refused(db):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("account_login"), {"login": "a@b.am", "password": "x"})
    assert response.status_code == 403
