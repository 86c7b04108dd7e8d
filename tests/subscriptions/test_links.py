"""The recipient's links, with no sign-in: confirm (GET shows, POST confirms), unsubscribe
(GET shows, POST or a mail client's one-click POST unsubscribes), unknown tokens, and the
page's language."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse

from subscriptions import schedule
from subscriptions.models import ReportSubscription

from .conftest import NOW, at

pytestmark = pytest.mark.django_db

Status = ReportSubscription.Status


def _confirm(subscription: ReportSubscription) -> str:
    return reverse("subscriptions:confirm", args=[subscription.confirm_token])


def _unsubscribe(subscription: ReportSubscription) -> str:
    return reverse("subscriptions:unsubscribe", args=[subscription.unsubscribe_token])


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_emailed_link_confirms_without_signing_in(
    owner_client, merchant, django_capture_on_commit_callbacks, english
):
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(
            reverse("subscriptions:add"),
            {
                "email": "accountant@example.am",
                "frequency": "weekly",
                "send_time": "08:00",
                "variants": ["by-days"],
                "formats": ["xlsx"],
                "mode": "live",
            },
        )
    [message] = mail.outbox
    link = re.search(r"https?://\S+/reports/subscriptions/confirm/\S+/", message.body)[0]
    path = link.removeprefix(settings.SITE_URL)

    visitor = Client()
    later = NOW + timedelta(hours=3)  # Sunday 13:00 in Yerevan
    with at(later):
        response = visitor.get(path)
    assert response.status_code == 200
    page = _text(response)
    assert "Confirm the report subscription" in page
    assert f"{merchant.display_name} would like to email reports" in page
    assert "Every Monday at 08:00, for the last Monday to Sunday" in page
    assert 'By days <span class="subs-formats">(XLSX)</span>' in page and "All shops" in page
    assert '<button type="submit" class="btn btn-primary btn-lg">Confirm</button>' in page
    subscription = ReportSubscription.objects.get()
    assert subscription.status == Status.PENDING  # opening the link changes nothing

    with at(later):
        response = visitor.post(path)
    assert response.status_code == 200
    assert "Subscription confirmed" in _text(response)
    subscription.refresh_from_db()
    assert subscription.status == Status.ACTIVE
    assert subscription.confirmed_at == later
    after, run_at = schedule.next_due("weekly", time(8, 0), merchant.time_zone, later)
    assert (subscription.next_period_after, subscription.next_run_at) == (after, run_at)
    # Monday 30 November, 08:00 in Yerevan, for 23–29 November.
    assert run_at == datetime(2026, 11, 30, 4, 0, tzinfo=UTC)
    assert "The first email comes on 30 November 2026, 08:00 (Asia/Yerevan time)." in (
        _text(response)
    )


def test_confirming_after_the_send_time_waits_for_the_next_period(
    make_subscription, merchant, english
):
    subscription = make_subscription()
    evening = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)  # Monday 19:00, after 09:00
    with at(evening):
        Client().post(_confirm(subscription))
    subscription.refresh_from_db()
    assert subscription.next_run_at == datetime(2026, 12, 1, 5, 0, tzinfo=UTC)
    assert subscription.next_period_after == evening.date() + timedelta(days=1)


def test_confirming_each_payment_covers_payments_from_then_on(make_subscription, english):
    subscription = make_subscription(frequency="each_payment", variants=[], formats=[])
    response = Client().post(_confirm(subscription))
    assert response.status_code == 200
    assert "An email comes within a minute of each payment from now on." in _text(response)
    subscription.refresh_from_db()
    assert subscription.status == Status.ACTIVE
    assert subscription.covered_until == NOW
    assert subscription.next_run_at is None and subscription.next_period_after is None


def test_confirming_twice_says_it_is_already_confirmed(make_subscription, english):
    subscription = make_subscription(Status.ACTIVE)
    confirmed = subscription.confirmed_at
    page = _text(Client().get(_confirm(subscription)))
    assert "This subscription is already confirmed" in page and "btn-lg" not in page
    with at(NOW + timedelta(hours=1)):
        response = Client().post(_confirm(subscription))
    assert response.status_code == 200
    assert "Already confirmed" in _text(response)
    subscription.refresh_from_db()
    assert subscription.confirmed_at == confirmed


def test_a_paused_subscription_is_not_resumed_by_the_confirm_link(make_subscription, english):
    subscription = make_subscription(Status.PAUSED)
    response = Client().post(_confirm(subscription))
    assert "paused by the team" in _text(response)
    subscription.refresh_from_db()
    assert subscription.status == Status.PAUSED and subscription.next_run_at is None


def test_unsubscribe_shows_one_button_then_unsubscribes(make_subscription, merchant, english):
    subscription = make_subscription(Status.ACTIVE)
    visitor = Client(enforce_csrf_checks=True)
    response = visitor.get(_unsubscribe(subscription))
    assert response.status_code == 200
    page = _text(response)
    assert f"Stop emailing these reports of {merchant.display_name} to accountant@example.am?" in (
        page
    )
    assert page.count('type="submit"') == 1 + 2  # the button, and the header's language switch
    subscription.refresh_from_db()
    assert subscription.status == Status.ACTIVE

    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    response = visitor.post(_unsubscribe(subscription), {"csrfmiddlewaretoken": token})
    assert response.status_code == 200
    assert "You have unsubscribed" in _text(response)
    subscription.refresh_from_db()
    assert subscription.status == Status.UNSUBSCRIBED
    assert subscription.next_run_at is None and subscription.next_period_after is None


def test_one_click_unsubscribe_from_a_mail_client_needs_no_csrf_token(make_subscription):
    subscription = make_subscription(Status.ACTIVE)
    mail_client = Client(enforce_csrf_checks=True)
    response = mail_client.post(
        _unsubscribe(subscription),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    subscription.refresh_from_db()
    assert subscription.status == Status.UNSUBSCRIBED


def test_unsubscribing_again_changes_nothing(make_subscription, english):
    subscription = make_subscription(Status.UNSUBSCRIBED)
    updated = subscription.updated_at
    page = _text(Client().get(_unsubscribe(subscription)))
    assert "is already unsubscribed" in page and "btn-danger" not in page
    with at(NOW + timedelta(hours=1)):
        response = Client().post(
            _unsubscribe(subscription),
            "List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )
    assert response.status_code == 200
    assert "Already unsubscribed" in _text(response)
    subscription.refresh_from_db()
    assert subscription.status == Status.UNSUBSCRIBED and subscription.updated_at == updated


def test_a_pending_recipient_may_unsubscribe_and_then_gets_no_reminders(
    owner_client, make_subscription, django_capture_on_commit_callbacks, english
):
    subscription = make_subscription()
    Client().post(_unsubscribe(subscription))
    subscription.refresh_from_db()
    assert subscription.status == Status.UNSUBSCRIBED
    mail.outbox.clear()
    with at(NOW + timedelta(hours=1)), django_capture_on_commit_callbacks(execute=True):
        owner_client.force_login(subscription.created_by)
        owner_client.post(reverse("subscriptions:resend", args=[subscription.public_id]))
    assert mail.outbox == []


def test_an_unsubscribed_recipient_confirming_again_is_subscribed_again(
    make_subscription, merchant, english
):
    subscription = make_subscription(Status.UNSUBSCRIBED)
    page = _text(Client().get(_confirm(subscription)))
    assert "You unsubscribed accountant@example.am" in page
    later = NOW + timedelta(days=1, hours=2)  # Monday 12:00: Monday's 09:00 is past
    with at(later):
        Client().post(_confirm(subscription))
    subscription.refresh_from_db()
    assert subscription.status == Status.ACTIVE and subscription.confirmed_at == later
    assert subscription.next_run_at == datetime(2026, 12, 1, 5, 0, tzinfo=UTC)


@pytest.mark.parametrize("name", ["confirm", "unsubscribe"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_an_unknown_token_is_not_found(make_subscription, name, method):
    subscription = make_subscription(Status.ACTIVE)
    for token in (
        "no-such-token",
        subscription.confirm_token.upper(),  # exact match only
        subscription.confirm_token[:-1],
        # Each link takes only its own token.
        subscription.unsubscribe_token if name == "confirm" else subscription.confirm_token,
    ):
        url = reverse(f"subscriptions:{name}", args=[token])
        assert getattr(Client(), method)(url).status_code == 404
    subscription.refresh_from_db()
    assert subscription.status == Status.ACTIVE


def test_link_pages_speak_the_subscriptions_language_unless_the_visitor_chose(
    owner_client, make_subscription, django_capture_on_commit_callbacks
):
    owner_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the member reads English
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(
            reverse("subscriptions:add"),
            {"email": "accountant@example.am", "frequency": "each_payment", "mode": "live"},
        )
    subscription = ReportSubscription.objects.get()
    assert subscription.language == "en"
    assert "Hello!" in mail.outbox[0].body

    for url in (_confirm(subscription), _unsubscribe(subscription)):
        response = Client().get(url)
        assert response["Content-Language"] == "en"
        assert '<html lang="en">' in response.content.decode()
        # The visitor's own choice (the language switch) wins.
        chooser = Client()
        chooser.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
        response = chooser.get(url)
        assert response["Content-Language"] == "ru"
        assert '<html lang="ru">' in response.content.decode()


def test_link_pages_have_no_merchant_menu(make_subscription, owner_client):
    subscription = make_subscription()
    for url in (_confirm(subscription), _unsubscribe(subscription)):
        response = Client().get(url)
        page = response.content.decode()
        assert "site-nav" not in page and "report-tabs" not in page
        assert response["Cache-Control"].startswith("max-age=0")
        assert '<meta name="robots" content="noindex">' in page
        assert "<script>" not in page
