"""«Подписка на отчеты» over HTTP: the list, adding and editing with every refusal kept on
the same form, pause and resume, the confirmation email, delete, and who may do what."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from merchants.models import Membership
from subscriptions import schedule, services
from subscriptions.models import ReportSubscription
from tests.factories import MembershipFactory, ShopFactory

from .conftest import NOW, at, cleaned, form_data

pytestmark = pytest.mark.django_db

LIST = reverse("subscriptions:list")
ADD = reverse("subscriptions:add")
REPORTS = reverse("reports:index")
Status = ReportSubscription.Status


def _url(name: str, subscription: ReportSubscription) -> str:
    return reverse(f"subscriptions:{name}", args=[subscription.public_id])


def _add(client: Client, callbacks, **overrides):
    with callbacks(execute=True):
        return client.post(ADD, form_data(**overrides))


# ---------------------------------------------------------------------------
# The list and the tabs
# ---------------------------------------------------------------------------
def test_empty_list_explains_subscriptions_and_offers_add(owner_client, english):
    response = owner_client.get(LIST)
    assert response.status_code == 200
    page = response.content.decode()
    assert "No report subscriptions yet" in page
    assert "A subscription emails reports" in page
    assert f'href="{ADD}"' in page
    assert "<script>" not in page


def test_reports_section_has_both_tabs_on_both_pages(owner_client, accountant_client, english):
    for client in (owner_client, accountant_client):
        for url in (REPORTS, LIST):
            page = client.get(url).content.decode()
            assert 'class="report-tabs"' in page
            assert f'href="{REPORTS}"' in page and f'href="{LIST}"' in page
    page = owner_client.get(LIST).content.decode()
    assert f'<a class="nav-link active" href="{LIST}" aria-current="page">' in page
    page = owner_client.get(REPORTS).content.decode()
    assert f'<a class="nav-link active" href="{REPORTS}" aria-current="page">' in page


def test_list_shows_each_subscription_in_the_merchants_zone(
    owner_client, make_subscription, shop, other_shop, english
):
    active = make_subscription(
        Status.ACTIVE, variants=["by-days", "statement"], formats=["pdf", "xlsx"], shops=[shop]
    )
    ReportSubscription.objects.filter(pk=active.pk).update(
        last_sent_at=datetime(2026, 11, 28, 5, 0, tzinfo=UTC),
        last_error="SMTP 451: try again later",
        last_error_at=datetime(2026, 11, 27, 5, 1, tzinfo=UTC),
    )
    make_subscription(Status.PENDING, email="boss@example.am", frequency="weekly", test=True)
    make_subscription(
        Status.ACTIVE, email="ops@example.am", frequency="each_payment", variants=[], formats=[]
    )
    paused = make_subscription(Status.PAUSED, email="old@example.am", frequency="monthly")
    ReportSubscription.objects.filter(pk=paused.pk).update(
        paused_reason="Paused after 5 failed sendings."
    )
    make_subscription(Status.UNSUBSCRIBED, email="gone@example.am")

    page = owner_client.get(LIST).content.decode()
    text = re.sub(r"\s+", " ", page)
    for label in ("Active", "Awaiting confirmation", "Paused", "Unsubscribed"):
        assert f"</span>{label}</span>" in page
    assert "Daily at 09:00, for the day before" in text
    assert "Every Monday at 09:00, for the last Monday to Sunday" in text
    assert "On the 1st of every month at 09:00, for the last month" in text
    assert "Within a minute of each payment" in text
    assert "By days, Reconciliation statement" in text and "(PDF, XLSX)" in text
    assert "Books" in text and "All shops" in text and "Գրքեր" not in text
    assert "Test payments" in text and "Live payments" in text
    # Sent at 05:00 UTC = 09:00 in Yerevan; next on Monday 30 November, 09:00 local.
    assert "28 November 2026, 09:00" in text
    assert "30 November 2026, 09:00" in text
    assert "27 November 2026, 09:01:" in text and "SMTP 451: try again later" in text
    assert "Paused after 5 failed sendings." in text
    assert "After confirmation" in text
    assert "Times are those of your time zone: Asia/Yerevan." in text
    # The actions that fit each status.
    assert _url("pause", active) in page and _url("resume", active) not in page
    assert _url("resume", paused) in page and _url("pause", paused) not in page
    assert page.count("/resend/") == 1


def test_list_is_one_merchants_and_costs_few_queries(
    owner_client, make_subscription, outsider, shop, django_assert_max_num_queries
):
    for n in range(5):
        make_subscription(email=f"r{n}@example.am", shops=[shop])
    other = Membership.objects.get(user=outsider)
    services.subscription_create(membership=other, data=cleaned(email="theirs@example.am"))
    with django_assert_max_num_queries(12):
        page = owner_client.get(LIST).content.decode()
    assert page.count('class="card subs-card"') == 5
    assert "theirs@example.am" not in page


# ---------------------------------------------------------------------------
# Adding
# ---------------------------------------------------------------------------
def test_add_form_offers_variants_formats_shops_and_defaults(owner_client, shop, english):
    page = owner_client.get(ADD).content.decode()
    for value in ("by-days", "by-months", "statement", "pdf", "xlsx", "csv"):
        assert f'value="{value}"' in page
    assert f'name="shops" id="id_shops_0" value="{shop.pk}"' in page
    assert 'value="live" checked' in page
    assert 'value="daily" checked' in page
    assert 'name="send_time" value="09:00"' in page
    assert "Yesterday&#x27;s report, every day." in page
    assert "Last Monday to Sunday, every Monday." in page
    assert "Last month, on the 1st of every month." in page
    assert "None ticked: all shops, including shops added later." in page
    assert "<script>" not in page


def test_add_saves_pending_and_emails_the_confirmation_link(
    owner_client, owner, merchant, shop, django_capture_on_commit_callbacks, english
):
    response = _add(
        owner_client,
        django_capture_on_commit_callbacks,
        email="  Accountant@Example.AM ",
        variants=["by-days", "by-months"],
        formats=["pdf", "csv"],
        shops=[shop.pk],
        mode="test",
        frequency="weekly",
        send_time="08:30",
    )
    assert response.status_code == 302 and response["Location"] == LIST
    subscription = ReportSubscription.objects.get()
    assert subscription.merchant == merchant
    assert subscription.email == "accountant@example.am"
    assert subscription.status == Status.PENDING
    assert subscription.frequency == "weekly" and subscription.send_time == time(8, 30)
    assert subscription.variants == ["by-days", "by-months"]
    assert subscription.formats == ["pdf", "csv"]
    assert list(subscription.shops.all()) == [shop]
    assert subscription.test is True
    assert subscription.language == "en"
    assert subscription.created_by == owner
    assert subscription.membership.user == owner  # the recipient is not in the team
    assert subscription.confirmation_sent_at == NOW
    assert subscription.next_run_at is None and subscription.confirmed_at is None

    [message] = mail.outbox
    assert message.to == ["accountant@example.am"]
    assert merchant.display_name in message.subject
    confirm = f"/reports/subscriptions/confirm/{subscription.confirm_token}/"
    assert re.search(rf"https?://[^\s]+{re.escape(confirm)}", message.body)
    assert owner.email in message.body
    assert "By days, By months (PDF, CSV)" in message.body
    assert "Every Monday at 08:30, for the last Monday to Sunday" in message.body
    assert "Books" in message.body and "Test payments" in message.body
    assert "Nothing is sent to you unless you confirm." in message.body
    html = message.alternatives[0][0]
    assert confirm in html and "Confirm the subscription" in html

    page = owner_client.get(LIST).content.decode()
    assert "We emailed accountant@example.am a link to confirm it." in page


def test_confirmation_link_starts_with_the_site_url(
    owner_client, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://portal.inecopay.example"
    _add(owner_client, django_capture_on_commit_callbacks)
    token = ReportSubscription.objects.get().confirm_token
    assert (
        f"https://portal.inecopay.example/reports/subscriptions/confirm/{token}/"
        in mail.outbox[0].body
    )


def test_confirmation_email_is_in_the_adding_members_language(
    owner_client, django_capture_on_commit_callbacks
):
    _add(owner_client, django_capture_on_commit_callbacks)
    subscription = ReportSubscription.objects.get()
    assert subscription.language == "ru"  # the portal's default, no switch used
    body = mail.outbox[0].body
    assert body.startswith("Здравствуйте!") and "Реальные платежи" in body


def test_a_team_member_recipient_gets_reports_by_their_own_access(
    owner_client, merchant, django_capture_on_commit_callbacks
):
    colleague = MembershipFactory(merchant=merchant, role=Membership.Role.ACCOUNTANT)
    _add(owner_client, django_capture_on_commit_callbacks, email=colleague.user.email.upper())
    assert ReportSubscription.objects.get().membership == colleague


def test_each_payment_needs_no_reports_formats_or_time(
    owner_client, django_capture_on_commit_callbacks
):
    response = _add(
        owner_client,
        django_capture_on_commit_callbacks,
        frequency="each_payment",
        variants=None,
        formats=None,
        send_time="",
    )
    assert response.status_code == 302
    subscription = ReportSubscription.objects.get()
    assert subscription.frequency == "each_payment"
    assert subscription.variants == [] and subscription.formats == []
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"email": "not-an-email"}, "email", "Enter a valid email address"),
        ({"email": ""}, "email", "Enter the email address the reports go to."),
        ({"variants": None}, "variants", "Choose at least one report."),
        ({"formats": None}, "formats", "Choose at least one format."),
        ({"variants": ["by-days", "by-weeks"]}, "variants", "There is no such report: by-weeks."),
        ({"formats": ["pdf", "docx"]}, "formats", "There is no such format: docx."),
        ({"send_time": ""}, "send_time", "Choose the time the reports are sent at."),
        ({"send_time": "25:61"}, "send_time", "Enter a time as HH:MM"),
        ({"frequency": "hourly"}, "frequency", "Choose how often the reports are sent."),
        ({"mode": "both"}, "mode", "Choose live or test payments."),
        (
            {"variants": ["statement"], "formats": ["csv"]},
            "formats",
            "“Reconciliation statement” comes only as PDF, XLSX: choose one of them too.",
        ),
    ],
)
def test_bad_input_keeps_typed_values_and_saves_nothing(
    owner_client, shop, overrides, field, message, english
):
    data = form_data(
        **{"email": "typed@example.am", "shops": [shop.pk], "mode": "test", **overrides}
    )
    response = owner_client.post(ADD, data)
    assert response.status_code == 400
    assert ReportSubscription.objects.count() == 0
    assert mail.outbox == []
    form = response.context["form"]
    assert field in form.errors
    page = response.content.decode().replace("&#x27;", "'")
    assert message in page
    assert "Nothing was saved. Please correct what is marked below." in page
    # What was typed and ticked is still there.
    if data.get("email"):
        assert f'name="email" value="{data["email"]}"' in page
    assert f'value="{shop.pk}" checked' in page
    if data.get("mode") == "test":
        assert 'value="test" checked' in page
    for value in data.get("variants", []):
        if value != "by-weeks":
            assert f'value="{value}" checked' in page


def test_another_merchants_shop_is_an_invalid_choice(owner_client, shop, english):
    theirs = ShopFactory(name="Their shop")
    response = owner_client.post(ADD, form_data(shops=[shop.pk, theirs.pk]))
    assert response.status_code == 400
    assert ReportSubscription.objects.count() == 0
    page = response.content.decode()
    assert f"Choose shops from the list: {theirs.pk} is not one of them." in page
    assert "Their shop" not in page


def test_the_same_email_and_frequency_twice_is_refused(
    owner_client, make_subscription, django_capture_on_commit_callbacks, english
):
    make_subscription(email="accountant@example.am", frequency="daily")
    mail.outbox.clear()
    response = _add(owner_client, django_capture_on_commit_callbacks, email="ACCOUNTANT@example.am")
    assert response.status_code == 400
    page = response.content.decode()
    assert "accountant@example.am already gets reports with the frequency “Daily”." in page
    assert ReportSubscription.objects.count() == 1 and mail.outbox == []
    # Another frequency for the same address is another subscription.
    response = _add(owner_client, django_capture_on_commit_callbacks, frequency="monthly")
    assert response.status_code == 302
    assert ReportSubscription.objects.count() == 2


def test_a_duplicate_the_form_missed_is_caught_by_the_service(
    owner_membership, make_subscription, english
):
    make_subscription()
    with pytest.raises(services.ServiceError) as refused:
        services.subscription_create(membership=owner_membership, data=cleaned())
    assert refused.value.field == "email"
    assert "already gets reports" in refused.value.message
    assert ReportSubscription.objects.count() == 1


def test_the_same_email_at_another_merchant_is_no_duplicate(
    owner_client, outsider, django_capture_on_commit_callbacks
):
    theirs = Membership.objects.get(user=outsider)
    services.subscription_create(membership=theirs, data=cleaned())
    response = _add(owner_client, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert ReportSubscription.objects.count() == 2


# ---------------------------------------------------------------------------
# Editing
# ---------------------------------------------------------------------------
def test_edit_shows_the_current_choices(owner_client, make_subscription, shop, english):
    subscription = make_subscription(
        Status.ACTIVE, frequency="monthly", send_time=time(7, 15), shops=[shop], test=True
    )
    page = owner_client.get(_url("edit", subscription)).content.decode()
    assert 'name="email" value="accountant@example.am"' in page
    assert 'value="monthly" checked' in page
    assert 'name="send_time" value="07:15"' in page
    assert 'value="by-days" checked' in page and 'value="pdf" checked' in page
    assert f'value="{shop.pk}" checked' in page
    assert 'value="test" checked' in page


def test_changed_email_must_confirm_again_with_new_links(
    owner_client, make_subscription, django_capture_on_commit_callbacks, english
):
    subscription = make_subscription(Status.ACTIVE)
    old_confirm, old_unsubscribe = subscription.confirm_token, subscription.unsubscribe_token
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            _url("edit", subscription), form_data(email="New.Person@example.am")
        )
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.email == "new.person@example.am"
    assert subscription.status == Status.PENDING
    assert subscription.confirmed_at is None and subscription.next_run_at is None
    assert subscription.confirm_token != old_confirm
    assert subscription.unsubscribe_token != old_unsubscribe
    [message] = mail.outbox
    assert message.to == ["new.person@example.am"]
    assert subscription.confirm_token in message.body
    # The old address's links no longer work.
    assert Client().get(reverse("subscriptions:confirm", args=[old_confirm])).status_code == 404
    assert (
        Client().post(reverse("subscriptions:unsubscribe", args=[old_unsubscribe])).status_code
        == 404
    )


def test_changed_time_of_an_active_subscription_moves_its_next_send(
    owner_client, make_subscription, merchant, django_capture_on_commit_callbacks
):
    subscription = make_subscription(Status.ACTIVE)
    assert subscription.next_run_at == datetime(2026, 11, 30, 5, 0, tzinfo=UTC)
    mail.outbox.clear()
    later = NOW + timedelta(hours=2)
    with at(later), django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            _url("edit", subscription), form_data(frequency="monthly", send_time="18:00")
        )
    assert response.status_code == 302
    subscription.refresh_from_db()
    after, run_at = schedule.next_due("monthly", time(18, 0), merchant.time_zone, later)
    assert (subscription.next_period_after, subscription.next_run_at) == (after, run_at)
    assert run_at == datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
    assert subscription.status == Status.ACTIVE and mail.outbox == []


def test_edit_to_each_payment_covers_payments_from_now(
    owner_client, make_subscription, django_capture_on_commit_callbacks
):
    subscription = make_subscription(Status.ACTIVE)
    later = NOW + timedelta(minutes=5)
    with at(later):
        owner_client.post(
            _url("edit", subscription),
            form_data(frequency="each_payment", variants=None, formats=None),
        )
    subscription.refresh_from_db()
    assert subscription.covered_until == later
    assert subscription.next_run_at is None and subscription.next_period_after is None


def test_edit_into_a_duplicate_is_refused(owner_client, make_subscription, english):
    make_subscription(email="a@example.am", frequency="weekly")
    subscription = make_subscription(email="a@example.am", frequency="daily")
    response = owner_client.post(
        _url("edit", subscription), form_data(email="a@example.am", frequency="weekly")
    )
    assert response.status_code == 400
    assert "already gets reports with the frequency “Weekly”" in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.frequency == "daily"


def test_edit_with_bad_input_saves_nothing(owner_client, make_subscription, english):
    subscription = make_subscription(Status.ACTIVE)
    response = owner_client.post(
        _url("edit", subscription), form_data(email="changed@example.am", formats=None)
    )
    assert response.status_code == 400
    assert 'name="email" value="changed@example.am"' in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.email == "accountant@example.am" and subscription.formats == ["pdf"]


# ---------------------------------------------------------------------------
# Pause, resume, resend, delete
# ---------------------------------------------------------------------------
def test_pause_then_resume_sends_only_from_the_resume_on(
    owner_client, owner, make_subscription, merchant, english
):
    subscription = make_subscription(Status.ACTIVE)
    response = owner_client.post(_url("pause", subscription))
    assert response.status_code == 302 and response["Location"] == LIST
    subscription.refresh_from_db()
    assert subscription.status == Status.PAUSED and subscription.next_run_at is None

    ReportSubscription.objects.filter(pk=subscription.pk).update(
        consecutive_failures=3, paused_reason="Paused after failures."
    )
    # Monday 30 November, 16:00 in Yerevan: that morning's sending was missed while paused
    # and is not sent now; the next is Tuesday's, for Monday.
    resumed_at = NOW + timedelta(hours=30)
    with at(resumed_at):
        owner_client.force_login(owner)  # the session from Sunday has expired by now
        response = owner_client.post(_url("resume", subscription))
    assert response.status_code == 302 and response["Location"] == LIST
    subscription.refresh_from_db()
    assert subscription.status == Status.ACTIVE
    assert subscription.consecutive_failures == 0 and subscription.paused_reason == ""
    after, run_at = schedule.next_due("daily", time(9, 0), merchant.time_zone, resumed_at)
    assert (subscription.next_period_after, subscription.next_run_at) == (after, run_at)
    assert run_at == datetime(2026, 12, 1, 5, 0, tzinfo=UTC)
    with at(resumed_at):
        page = owner_client.get(LIST).content.decode()
    assert "resumed" in page


def test_only_an_active_subscription_pauses_and_only_a_paused_one_resumes(
    owner_client, make_subscription, english
):
    pending = make_subscription()
    response = owner_client.post(_url("pause", pending), follow=True)
    assert "Only an active subscription can be paused." in response.content.decode()
    response = owner_client.post(_url("resume", pending), follow=True)
    assert "Only a paused subscription can be resumed." in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == Status.PENDING


@pytest.mark.parametrize("name", ["pause", "resume", "resend", "delete"])
def test_actions_do_nothing_on_get(owner_client, make_subscription, name):
    subscription = make_subscription(Status.ACTIVE)
    assert owner_client.get(_url(name, subscription)).status_code == 405
    subscription.refresh_from_db()
    assert subscription.status == Status.ACTIVE


def test_resend_confirmation_to_a_pending_subscription(
    owner_client, make_subscription, django_capture_on_commit_callbacks, english
):
    subscription = make_subscription()
    mail.outbox.clear()
    # Too soon after the first email: refused, nothing sent.
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(_url("resend", subscription), follow=True)
    assert "sent less than a minute ago" in response.content.decode()
    assert mail.outbox == []
    with at(NOW + timedelta(minutes=2)), django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(_url("resend", subscription), follow=True)
    assert "The confirmation link was emailed to accountant@example.am again." in (
        response.content.decode()
    )
    [message] = mail.outbox
    assert subscription.confirm_token in message.body


def test_resend_is_for_pending_subscriptions_only(
    owner_client, make_subscription, django_capture_on_commit_callbacks, english
):
    subscription = make_subscription(Status.ACTIVE)
    mail.outbox.clear()
    with at(NOW + timedelta(hours=1)), django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(_url("resend", subscription), follow=True)
    assert "This subscription is not awaiting confirmation." in response.content.decode()
    assert mail.outbox == []


def test_delete_asks_first_then_deletes(owner_client, make_subscription, english):
    subscription = make_subscription(Status.ACTIVE)
    response = owner_client.post(_url("delete", subscription))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Stop and delete the subscription for accountant@example.am?" in page
    assert 'name="confirm" value="yes"' in page
    assert ReportSubscription.objects.filter(pk=subscription.pk).exists()

    response = owner_client.post(_url("delete", subscription), {"confirm": "yes"})
    assert response.status_code == 302 and response["Location"] == LIST
    assert not ReportSubscription.objects.filter(pk=subscription.pk).exists()
    assert "Subscription for accountant@example.am deleted." in (
        owner_client.get(LIST).content.decode()
    )


# ---------------------------------------------------------------------------
# Who may
# ---------------------------------------------------------------------------
MEMBER_URLS = [
    ("get", "edit"),
    ("post", "edit"),
    ("post", "pause"),
    ("post", "resume"),
    ("post", "resend"),
    ("post", "delete"),
]


@pytest.mark.parametrize(("method", "name"), MEMBER_URLS)
def test_another_merchants_subscription_is_not_found(
    outsider_client, make_subscription, method, name
):
    subscription = make_subscription(Status.ACTIVE)
    data = form_data(email="hijack@example.am") if name == "edit" else {"confirm": "yes"}
    response = getattr(outsider_client, method)(_url(name, subscription), data)
    assert response.status_code == 404
    subscription.refresh_from_db()
    assert subscription.email == "accountant@example.am"
    assert subscription.status == Status.ACTIVE


def test_another_merchants_subscription_is_not_on_the_list(outsider_client, make_subscription):
    make_subscription()
    assert "accountant@example.am" not in outsider_client.get(LIST).content.decode()


def test_developer_gets_403_everywhere_and_no_tab(developer_client, make_subscription):
    subscription = make_subscription(Status.ACTIVE)
    assert developer_client.get(LIST).status_code == 403
    assert developer_client.get(ADD).status_code == 403
    assert developer_client.post(ADD, form_data(email="dev@example.am")).status_code == 403
    for method, name in MEMBER_URLS:
        assert getattr(developer_client, method)(_url(name, subscription)).status_code == 403
    assert ReportSubscription.objects.count() == 1
    page = developer_client.get(reverse("dashboard")).content.decode()
    assert f'href="{LIST}"' not in page and "report-tabs" not in page


def test_anonymous_visitor_is_sent_to_sign_in(make_subscription):
    subscription = make_subscription()
    for url in (LIST, ADD, _url("edit", subscription)):
        response = Client().get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    response = Client().post(_url("delete", subscription), {"confirm": "yes"})
    assert response.status_code == 302
    assert ReportSubscription.objects.filter(pk=subscription.pk).exists()
