"""Personal language and time zone: the preferences page and the middleware that applies them."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import available_timezones

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from inecopay.middleware import TimezoneMiddleware
from merchants import services
from merchants.models import Invitation
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("merchants:preferences")


def test_preferences_page_offers_languages_and_every_time_zone_sorted(owner_client, merchant):
    merchant.time_zone = "Asia/Tbilisi"
    merchant.save()

    response = owner_client.get(URL)

    assert response.status_code == 200
    form = response.context["form"]
    assert [code for code, _name in form.fields["language"].choices] == ["ru", "en"]
    zones = [value for value, _label in form.fields["time_zone"].choices]
    assert zones[0] == ""
    assert zones[1:] == sorted(available_timezones())
    assert "Asia/Tbilisi" in form.fields["time_zone"].choices[0][1]
    assert form.initial["time_zone"] == ""
    # The page sits in the settings menu, and the Settings section of the header is active.
    page = response.content.decode()
    assert f'href="{URL}" aria-current="page"' in page
    assert 'class="nav-link active" href="/accounts/email/"' in page


def test_saving_preferences_stores_them_and_sets_the_language_cookie(owner_client, owner):
    response = owner_client.post(URL, {"language": "en", "time_zone": "Europe/Berlin"})

    assert response.status_code == 302
    assert response["Location"] == URL
    owner.refresh_from_db()
    assert (owner.language, owner.time_zone) == ("en", "Europe/Berlin")
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "en"
    assert cookie["samesite"] == settings.LANGUAGE_COOKIE_SAMESITE
    assert bool(cookie["secure"]) == settings.LANGUAGE_COOKIE_SECURE
    assert cookie["path"] == settings.LANGUAGE_COOKIE_PATH
    # The next page speaks English.
    page = owner_client.get(URL)
    assert page["Content-Language"] == "en"
    assert "Your preferences are saved." in page.content.decode()


def test_empty_time_zone_means_the_merchants(owner_client, owner):
    owner.time_zone = "Europe/Berlin"
    owner.save()
    owner_client.post(URL, {"language": "ru", "time_zone": ""})
    owner.refresh_from_db()
    assert owner.time_zone == ""


def test_unknown_time_zone_is_refused(owner_client, owner):
    response = owner_client.post(URL, {"language": "en", "time_zone": "Mars/Olympus"})
    assert response.status_code == 200
    assert "is-invalid" in response.content.decode()
    owner.refresh_from_db()
    assert owner.time_zone == ""


def test_service_refuses_unknown_values(owner):
    with pytest.raises(services.ServiceError):
        services.user_set_preferences(user=owner, language="de", time_zone="")
    with pytest.raises(services.ServiceError):
        services.user_set_preferences(user=owner, language="en", time_zone="Nowhere/City")


def test_preferences_need_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_a_user_without_a_merchant_has_preferences_too(db):
    user = UserFactory()
    client = Client()
    client.force_login(user)
    assert client.get(URL).status_code == 200


# ---------------------------------------------------------------------------
# Language: the cookie first, then the user's saved language, then Russian
# ---------------------------------------------------------------------------
def test_saved_language_applies_without_a_cookie(owner):
    owner.language = "en"
    owner.save()
    client = Client()
    client.force_login(owner)
    response = client.get(reverse("dashboard"))
    assert response["Content-Language"] == "en"
    assert "Dashboard" in response.content.decode()


def test_the_cookie_wins_over_the_saved_language(owner):
    owner.language = "en"
    owner.save()
    client = Client()
    client.force_login(owner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    assert client.get(reverse("dashboard"))["Content-Language"] == "ru"


def test_russian_is_the_default(owner_client, client):
    assert owner_client.get(reverse("dashboard"))["Content-Language"] == "ru"
    assert client.get(reverse("landing"))["Content-Language"] == "ru"


def test_middleware_order_reads_the_user_after_authentication():
    chain = settings.MIDDLEWARE
    auth = chain.index("django.contrib.auth.middleware.AuthenticationMiddleware")
    assert chain.index("inecopay.middleware.LanguageMiddleware") < chain.index(
        "django.middleware.common.CommonMiddleware"
    )
    assert chain.index("inecopay.middleware.UserLanguageMiddleware") > auth
    assert chain.index("inecopay.middleware.TimezoneMiddleware") > auth


# ---------------------------------------------------------------------------
# Time zone: the user's, else the merchant's, else the portal's
# ---------------------------------------------------------------------------
def _zone_seen_by(user) -> str:
    seen = {}

    def view(request):
        seen["zone"] = timezone.get_current_timezone_name()
        return HttpResponse()

    request = RequestFactory().get("/")
    request.user = user
    TimezoneMiddleware(view)(request)
    return seen["zone"]


def test_user_time_zone_comes_first(owner, merchant):
    merchant.time_zone = "Asia/Tbilisi"
    merchant.save()
    owner.time_zone = "Europe/Paris"
    assert _zone_seen_by(owner) == "Europe/Paris"


def test_merchant_time_zone_when_the_user_has_none(owner, merchant):
    merchant.time_zone = "Asia/Tbilisi"
    merchant.save()
    assert _zone_seen_by(owner) == "Asia/Tbilisi"


def test_portal_time_zone_without_a_merchant_or_a_user(db, settings):
    from django.contrib.auth.models import AnonymousUser

    settings.DISPLAY_TIME_ZONE = "Asia/Yerevan"
    assert _zone_seen_by(UserFactory()) == "Asia/Yerevan"
    assert _zone_seen_by(AnonymousUser()) == "Asia/Yerevan"


def test_a_broken_zone_falls_back_instead_of_failing(owner, merchant):
    owner.time_zone = "Not/AZone"
    merchant.time_zone = "Asia/Dubai"
    merchant.save()
    assert _zone_seen_by(owner) == "Asia/Dubai"


def test_pages_show_times_in_the_users_zone(owner_client, owner, merchant, owner_membership):
    invitation, _token = services.invitation_create(
        merchant=merchant, email="guest@example.am", role="accountant", by=owner_membership
    )
    sent = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
    Invitation.objects.filter(pk=invitation.pk).update(
        created_at=sent, expires_at=datetime(2099, 1, 1, tzinfo=UTC)
    )
    # Yerevan (the merchant's zone) is UTC+4 ...
    assert "15 января 2026, 16:00" in owner_client.get(reverse("merchants:team")).content.decode()
    # ... New York, the user's own choice, UTC-5.
    owner.time_zone = "America/New_York"
    owner.save()
    assert "15 января 2026, 07:00" in owner_client.get(reverse("merchants:team")).content.decode()


# ---------------------------------------------------------------------------
# The settings pages share one side menu
# ---------------------------------------------------------------------------
SETTINGS_PAGES = [
    "account_email",
    "account_change_password",
    "mfa_index",
    "usersessions_list",
    "merchants:preferences",
    "merchants:team",
]


@pytest.mark.parametrize("name", SETTINGS_PAGES)
def test_every_settings_page_shows_the_whole_menu(owner_client, name):
    response = owner_client.get(reverse(name))
    assert response.status_code == 200
    page = response.content.decode()
    for other in SETTINGS_PAGES:
        assert f'href="{reverse(other)}"' in page, other
    assert f'href="{reverse(name)}" aria-current="page"' in page
    # And "Settings" is the active section of the header.
    assert f'class="nav-link active" href="{reverse("account_email")}"' in page


def test_team_is_not_in_the_menu_of_those_who_cannot_manage_it(merchant):
    from tests.factories import MembershipFactory

    client = Client()
    client.force_login(MembershipFactory(merchant=merchant, role="developer").user)
    page = client.get(URL).content.decode()
    assert reverse("merchants:team") not in page


def test_sessions_page_offers_signing_out_the_other_sessions(owner):
    first, second = Client(), Client()
    for client in (first, second):
        client.post(reverse("account_login"), {"login": owner.email, "password": PASSWORD})
    page = second.get(reverse("usersessions_list"))
    assert page.status_code == 200
    assert page.context["session_count"] == 2
    second.post(reverse("usersessions_list"))
    assert first.get(reverse("dashboard")).status_code == 302
    assert second.get(reverse("dashboard")).status_code == 200
