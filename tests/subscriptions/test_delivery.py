"""Report subscriptions delivered: the sweeper queues each due period once (in the
merchant's zone, across DST and month ends), each run is sent at most once, reports are
rendered once per distinct file, failures back off and pause, access is re-checked."""

from __future__ import annotations

import csv
import io
import threading
from datetime import date, timedelta
from unittest import mock

import pytest
from django.core import mail
from django.db import connection
from openpyxl import load_workbook
from pypdf import PdfReader

from merchants.models import Membership
from reports import services as report_services
from subscriptions import delivery
from subscriptions.delivery import (
    CATCH_UP_PERIODS,
    STALE_AFTER,
    report_run_deliver,
    report_runs_deliver,
    subscriptions_sweep,
)
from subscriptions.delivery import _enqueue as queue  # the real one; tests patch it
from subscriptions.models import Frequency, RenderedReport, ReportRun, ReportSubscription
from tests.factories import MembershipFactory, ShopFactory

from . import delivery_fixtures
from .delivery_fixtures import (
    at,
    berlin,
    deliver_all,
    paid,
    refunded,
    reports_to,
    subscribe,
    sweep,
    sweep_and_send,
    utc,
)

# The fixtures these tests use, from the shared helpers module.
shop_merchant = delivery_fixtures.shop_merchant
accountant = delivery_fixtures.accountant
books = delivery_fixtures.books
music = delivery_fixtures.music
enqueued = delivery_fixtures.enqueued

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("enqueued")]


def _xlsx(message) -> tuple[str, object]:
    (name, content, _mimetype), *_ = [a for a in message.attachments if a[0].endswith(".xlsx")]
    return name, load_workbook(io.BytesIO(content))


def _runs(subscription) -> list[tuple]:
    return list(
        subscription.runs.order_by("period_start").values_list(
            "period_start", "period_end", "status"
        )
    )


# ---------------------------------------------------------------------------
# Schedules in the merchant's zone
# ---------------------------------------------------------------------------
def test_daily_reports_follow_berlin_local_days_across_the_spring_change(accountant, books):
    subscription = subscribe(accountant, started=utc(2026, 3, 27, 12, 0))
    paid(books, berlin(2026, 3, 28, 23, 30), 1_000_00, order_id="late-saturday")
    assert subscription.next_run_at == utc(2026, 3, 28, 8, 0)  # 09:00 CET

    assert sweep_and_send(utc(2026, 3, 28, 7, 59)) == []
    [friday] = sweep_and_send(utc(2026, 3, 28, 8, 0))
    subscription.refresh_from_db()
    # Sunday 29 March 09:00 is CEST now: 07:00 UTC.
    assert subscription.next_period_after == date(2026, 3, 29)
    assert subscription.next_run_at == utc(2026, 3, 29, 7, 0)
    assert sweep_and_send(utc(2026, 3, 29, 6, 59)) == []
    [saturday] = sweep_and_send(utc(2026, 3, 29, 7, 0))
    [sunday] = sweep_and_send(utc(2026, 3, 30, 7, 0))

    assert _runs(subscription) == [
        (utc(2026, 3, 26, 23, 0), utc(2026, 3, 27, 23, 0), "sent"),
        (utc(2026, 3, 27, 23, 0), utc(2026, 3, 28, 23, 0), "sent"),
        # The short Sunday: 23 hours.
        (utc(2026, 3, 28, 23, 0), utc(2026, 3, 29, 22, 0), "sent"),
    ]
    assert "27/03/2026" in friday.subject or "2026" in friday.subject
    name, book = _xlsx(saturday)
    assert name == "inecopay-by-days-2026-03-28_2026-03-28.xlsx"
    amd = book["AMD"]
    assert amd["A2"].value.date() == date(2026, 3, 28)
    assert amd["C2"].value == 1000  # 23:30 local is still Saturday
    _name, book = _xlsx(sunday)
    assert book["AMD"]["C2"].value == 0


def test_weekly_report_is_monday_to_sunday_across_the_autumn_change(accountant, books):
    subscription = subscribe(
        accountant, frequency=Frequency.WEEKLY, started=utc(2026, 10, 20, 12, 0)
    )
    assert subscription.next_period_after == date(2026, 10, 26)  # a Monday
    assert subscription.next_run_at == utc(2026, 10, 26, 8, 0)  # 09:00 CET after the change
    paid(books, berlin(2026, 10, 25, 2, 30), 500_00, order_id="twice-02-30")  # the second 02:30

    [email] = sweep_and_send(utc(2026, 10, 26, 8, 0))
    assert _runs(subscription) == [
        # Monday 19 October 00:00 CEST to Monday 26 October 00:00 CET: 7 days and an hour.
        (utc(2026, 10, 18, 22, 0), utc(2026, 10, 25, 23, 0), "sent"),
    ]
    subscription.refresh_from_db()
    assert subscription.next_run_at == utc(2026, 11, 2, 8, 0)
    name, book = _xlsx(email)
    assert name == "inecopay-by-days-2026-10-19_2026-10-25.xlsx"
    rows = list(book["AMD"].iter_rows(min_row=2, values_only=True))
    assert [row[0].date() for row in rows[:7]] == [date(2026, 10, 19 + n) for n in range(7)]
    assert rows[6][2] == 500  # Sunday 25th
    assert rows[7][2] == 500  # totals


def test_monthly_reports_from_january_31_into_a_leap_february(accountant, books):
    subscription = subscribe(
        accountant, frequency=Frequency.MONTHLY, started=utc(2028, 1, 31, 12, 0)
    )
    assert subscription.next_period_after == date(2028, 2, 1)
    paid(books, berlin(2028, 1, 31, 23, 59), 100_00, order_id="last-of-january")
    paid(books, berlin(2028, 2, 29, 12, 0), 200_00, order_id="leap-day")
    paid(books, berlin(2028, 3, 1, 0, 1), 400_00, order_id="march")

    [january] = sweep_and_send(utc(2028, 2, 1, 8, 0))
    assert sweep_and_send(utc(2028, 2, 29, 23, 0)) == []
    [february] = sweep_and_send(utc(2028, 3, 1, 8, 0))

    assert _runs(subscription) == [
        (utc(2027, 12, 31, 23, 0), utc(2028, 1, 31, 23, 0), "sent"),
        (utc(2028, 1, 31, 23, 0), utc(2028, 2, 29, 23, 0), "sent"),
    ]
    name, book = _xlsx(january)
    assert name == "inecopay-by-days-2028-01.xlsx"
    assert book["AMD"].max_row == 1 + 31 + 1
    assert book["AMD"]["C32"].value == 100
    name, book = _xlsx(february)
    assert name == "inecopay-by-days-2028-02.xlsx"
    amd = book["AMD"]
    assert amd.max_row == 1 + 29 + 1
    assert amd["A30"].value.date() == date(2028, 2, 29)
    assert amd["C30"].value == 200 and amd["C31"].value == 200  # March is not in it
    subscription.refresh_from_db()
    assert subscription.next_period_after == date(2028, 4, 1)
    assert subscription.next_run_at == utc(2028, 4, 1, 7, 0)  # CEST


# ---------------------------------------------------------------------------
# Exactly once
# ---------------------------------------------------------------------------
def test_running_the_sweeper_twice_sends_one_email_per_recipient_and_period(
    shop_merchant, accountant, books
):
    other = MembershipFactory(merchant=shop_merchant, role=Membership.Role.ADMIN)
    subscribe(accountant, started=utc(2026, 5, 1, 12, 0))
    subscribe(other, started=utc(2026, 5, 1, 12, 0))
    moment = utc(2026, 5, 2, 7, 0)

    first = sweep(moment)
    second = sweep(moment)
    deliver_all(moment)
    deliver_all(moment)

    assert first["periodic"] == 2 and second["periodic"] == 0
    assert len(mail.outbox) == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([accountant.user.email, other.user.email])
    assert ReportRun.objects.filter(status="sent").count() == 2


def test_missed_periods_are_caught_up_each_once(accountant, books):
    subscription = subscribe(accountant, started=utc(2026, 5, 1, 12, 0))
    # Workers were down from the 2nd to the 5th: four days are due at once.
    emails = sweep_and_send(utc(2026, 5, 5, 12, 0))
    assert len(emails) == 4
    assert [m.attachments[0][0] for m in emails] == [
        f"inecopay-by-days-2026-05-0{d}_2026-05-0{d}.xlsx" for d in range(1, 5)
    ]
    subscription.refresh_from_db()
    assert subscription.next_period_after == date(2026, 5, 6)
    assert sweep_and_send(utc(2026, 5, 5, 12, 1)) == []


def test_catch_up_is_capped_at_the_last_31_periods(accountant, books):
    subscription = subscribe(accountant, started=utc(2026, 1, 1, 12, 0), formats=("csv",))
    sweep(utc(2026, 3, 1, 12, 0))  # 59 days missed
    runs = list(subscription.runs.order_by("period_start"))
    assert len(runs) == CATCH_UP_PERIODS
    assert runs[-1].period_start == berlin(2026, 2, 28)
    assert runs[0].period_start == berlin(2026, 1, 29)


def test_a_stale_claim_is_taken_over_and_an_interrupted_send_sent_again_with_its_id(
    accountant, books
):
    subscribe(accountant, started=utc(2026, 5, 1, 12, 0))
    subscribe(
        MembershipFactory(merchant=accountant.merchant, role=Membership.Role.OWNER),
        started=utc(2026, 5, 1, 12, 0),
    )
    moment = utc(2026, 5, 2, 7, 0)
    sweep(moment)
    died_rendering, died_sending = ReportRun.objects.order_by("pk")
    ReportRun.objects.filter(pk=died_rendering.pk).update(status="rendering", claimed_at=moment)
    ReportRun.objects.filter(pk=died_sending.pk).update(
        status="rendering", claimed_at=moment, sending_at=moment
    )

    # Claims younger than STALE_AFTER belong to a live worker.
    assert deliver_all(moment + timedelta(minutes=1)) == ["skipped", "skipped"]
    later = moment + STALE_AFTER + timedelta(minutes=1)
    assert deliver_all(later) == ["sent", "sent"]
    assert len(mail.outbox) == 2
    died_sending.refresh_from_db()
    assert died_sending.status == "sent"
    # The message of a run has one Message-ID whatever the attempt.
    resent = next(m for m in mail.outbox if m.to == [died_sending.subscription.email])
    assert resent.extra_headers["Message-ID"] == delivery.run_message_id(died_sending)
    assert deliver_all(later + timedelta(hours=2)) == ["skipped", "skipped"]


# ---------------------------------------------------------------------------
# Files: rendered once, read back
# ---------------------------------------------------------------------------
def test_a_report_shared_by_two_recipients_is_rendered_once(shop_merchant, accountant, books):
    other = MembershipFactory(merchant=shop_merchant, role=Membership.Role.OWNER)
    for member in (accountant, other):
        subscribe(member, started=utc(2026, 5, 1, 12, 0), formats=("xlsx", "csv"))
    paid(books, berlin(2026, 5, 1, 10, 0), 700_00)

    with mock.patch(
        "subscriptions.rendering.render_file", wraps=report_services.render_file
    ) as spy:
        sweep_and_send(utc(2026, 5, 2, 7, 0))
    assert len(mail.outbox) == 2
    assert spy.call_count == 2  # one XLSX and one CSV, for both recipients
    assert RenderedReport.objects.count() == 2
    first, second = mail.outbox
    assert [a[1] for a in first.attachments] == [a[1] for a in second.attachments]


def test_attachments_state_the_figures_and_dates_in_every_format(accountant, books, music):
    subscribe(
        accountant,
        frequency=Frequency.MONTHLY,
        started=utc(2026, 4, 15, 12, 0),
        formats=("pdf", "xlsx", "csv"),
    )
    paid(books, berlin(2026, 4, 3, 10, 0), 1_500_00)
    paid(music, berlin(2026, 4, 3, 11, 0), 250_00)
    refunded(paid(books, berlin(2026, 4, 20, 9, 0), 800_00), berlin(2026, 4, 21, 9, 0), 300_00)

    [email] = sweep_and_send(utc(2026, 5, 1, 7, 0))
    files = {name: (content, mimetype) for name, content, mimetype in email.attachments}
    assert sorted(files) == [
        "inecopay-by-days-2026-04.csv",
        "inecopay-by-days-2026-04.pdf",
        "inecopay-by-days-2026-04.xlsx",
    ]
    assert files["inecopay-by-days-2026-04.pdf"][1] == "application/pdf"

    book = load_workbook(io.BytesIO(files["inecopay-by-days-2026-04.xlsx"][0]))
    amd = book["AMD"]
    assert amd["A4"].value.date() == date(2026, 4, 3)
    assert amd["B4"].value == 2 and amd["C4"].value == 1750
    totals = [cell.value for cell in amd[32]]
    assert totals[1:4] == [3, 2550, 300]
    about = {row[0]: row[1] for row in book["Report"].iter_rows(min_row=2, values_only=True)}
    assert about["Period"].startswith("[2026-04-01 00:00, 2026-05-01 00:00) Europe/Berlin")

    content = files["inecopay-by-days-2026-04.csv"][0]
    # Django hands text/* attachments over decoded; the BOM stays as its character.
    text = (content if isinstance(content, str) else content.decode()).removeprefix("\ufeff")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:4] == ["Currency", "Date", "Successful payments", "Gross"]
    by_day = {row[1]: row for row in rows[1:] if len(row) > 2}
    assert by_day["2026-04-03"][2:4] == ["2", "1750.00"] or by_day["2026-04-03"][2] == "2"
    assert by_day["Total"][2] == "3"

    reader = PdfReader(io.BytesIO(files["inecopay-by-days-2026-04.pdf"][0]))
    pdf_text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Kiosk GmbH" in pdf_text
    assert "April 2026" in pdf_text
    assert "2,550" in pdf_text or "2 550" in pdf_text

    assert "Kiosk GmbH" in email.subject and "April 2026" in email.subject
    assert "inecopay-by-days-2026-04.pdf" in email.body


def test_email_carries_one_click_unsubscribe_headers_and_link(accountant, books, settings):
    subscription = subscribe(accountant, started=utc(2026, 5, 1, 12, 0))
    [email] = sweep_and_send(utc(2026, 5, 2, 7, 0))
    url = f"{settings.SITE_URL}/reports/subscriptions/unsubscribe/{subscription.unsubscribe_token}/"
    assert email.extra_headers["List-Unsubscribe"] == f"<{url}>"
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert url in email.body
    assert url in email.alternatives[0][0]
    assert email.message()["List-Unsubscribe"] == f"<{url}>"
    subscription.refresh_from_db()
    assert subscription.last_sent_at == utc(2026, 5, 2, 7, 0)


def test_large_reports_go_as_a_link_that_downloads_then_expires(
    accountant, books, client, settings, english
):
    settings.REPORT_ATTACHMENT_LIMIT = 1_000
    subscribe(accountant, started=utc(2026, 5, 1, 12, 0), formats=("xlsx", "csv"))
    moment = utc(2026, 5, 2, 7, 0)
    [email] = sweep_and_send(moment)
    assert email.attachments == []
    links = [
        line.split(": ")[-1]
        for line in email.body.splitlines()
        if "/reports/subscriptions/files/" in line
    ]
    assert len(links) == 2
    path = links[0].removeprefix(settings.SITE_URL)

    with at(moment + timedelta(days=6)):
        response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert response["Cache-Control"] == "private, no-store"
    content = b"".join(response.streaming_content)
    assert content.startswith(b"PK") or content.startswith(b"\xef\xbb\xbf")

    with at(moment + timedelta(days=7, minutes=1)):
        expired = client.get(path)
    assert expired.status_code == 410
    assert b"The link has expired" in expired.content
    assert client.get("/reports/subscriptions/files/no-such-token/").status_code == 404


# ---------------------------------------------------------------------------
# Failures and access
# ---------------------------------------------------------------------------
def test_smtp_failures_retry_with_backoff_then_pause_and_tell_the_owners(
    accountant, books, settings, english
):
    settings.EMAIL_BACKEND = "tests.subscriptions.delivery_fixtures.RefusingBackend"
    subscription = subscribe(accountant, started=utc(2026, 5, 1, 12, 0))
    moment = utc(2026, 5, 2, 7, 0)
    sweep(moment)
    [run] = ReportRun.objects.all()
    waits = []
    for attempt in range(1, 6):
        assert deliver_all(moment) == ["failed"]
        run.refresh_from_db()
        subscription.refresh_from_db()
        assert run.attempts == attempt and run.status == "failed"
        assert subscription.consecutive_failures == attempt
        assert "SMTPDataError" in subscription.last_error
        assert subscription.last_error_at == moment
        if run.retry_at is None:
            break
        waits.append(run.retry_at - moment)
        # Not before its time, then once it is due.
        assert deliver_all(run.retry_at - timedelta(seconds=1)) == ["skipped"]
        assert sweep(run.retry_at)["requeued"] == 1
        assert sweep(run.retry_at)["requeued"] == 0
        moment = run.retry_at
    assert waits == [timedelta(minutes=m) for m in (1, 5, 15, 60)]
    assert subscription.status == ReportSubscription.Status.PAUSED
    assert "5 times" in subscription.paused_reason
    [notice] = mail.outbox
    assert notice.to == ["owner@kiosk.example"]
    assert accountant.user.email in notice.subject
    assert "5 times" in notice.body
    assert sweep_and_send(utc(2026, 5, 3, 7, 0)) == []  # paused: nothing more


def test_a_success_after_a_failure_resets_the_failure_count(accountant, books, settings):
    settings.EMAIL_BACKEND = "tests.subscriptions.delivery_fixtures.RefusingBackend"
    subscription = subscribe(accountant, started=utc(2026, 5, 1, 12, 0))
    moment = utc(2026, 5, 2, 7, 0)
    sweep(moment)
    assert deliver_all(moment) == ["failed"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert deliver_all(moment + timedelta(minutes=1)) == ["sent"]
    subscription.refresh_from_db()
    assert subscription.consecutive_failures == 0
    assert subscription.last_sent_at == moment + timedelta(minutes=1)
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("change", ["removed", "developer"])
def test_a_recipient_without_access_gets_nothing_and_the_subscription_pauses(
    accountant, books, change
):
    subscription = subscribe(accountant, started=utc(2026, 5, 1, 12, 0))
    moment = utc(2026, 5, 2, 7, 0)
    sweep(moment)
    if change == "removed":
        accountant.delete()
    else:
        Membership.objects.filter(pk=accountant.pk).update(role=Membership.Role.DEVELOPER)
    assert deliver_all(moment) == ["stopped"]
    subscription.refresh_from_db()
    run = subscription.runs.get()
    assert run.status == "failed" and run.retry_at is None
    assert subscription.status == ReportSubscription.Status.PAUSED
    assert subscription.paused_reason == run.error
    assert reports_to(subscription.email) == []
    [notice] = mail.outbox
    assert notice.to == ["owner@kiosk.example"]
    assert sweep_and_send(utc(2026, 5, 3, 7, 0)) == []


@pytest.mark.parametrize(
    "status",
    [
        ReportSubscription.Status.PENDING,
        ReportSubscription.Status.PAUSED,
        ReportSubscription.Status.UNSUBSCRIBED,
    ],
)
def test_only_active_subscriptions_get_reports(accountant, books, status):
    subscribe(accountant, started=utc(2026, 5, 1, 12, 0), status=status)
    subscribe(
        accountant, started=utc(2026, 5, 1, 12, 0), frequency=Frequency.EACH_PAYMENT, status=status
    )
    paid(books, utc(2026, 5, 1, 13, 0, 10), 100_00)
    assert sweep_and_send(utc(2026, 5, 2, 7, 0)) == []
    assert ReportRun.objects.count() == 0


def test_a_run_queued_before_a_pause_is_not_sent(accountant, books):
    subscription = subscribe(accountant, started=utc(2026, 5, 1, 12, 0))
    moment = utc(2026, 5, 2, 7, 0)
    sweep(moment)
    ReportSubscription.objects.filter(pk=subscription.pk).update(status="paused")
    assert deliver_all(moment) == ["skipped"]
    assert subscription.runs.get().status == "failed"
    assert mail.outbox == []


def test_chosen_shops_no_longer_the_merchants_are_ignored(accountant, books, music):
    foreign = ShopFactory(name="Foreign", is_open=True, live_mode=True)
    subscription = subscribe(accountant, started=utc(2026, 5, 1, 12, 0), shops=[books, foreign])
    paid(books, berlin(2026, 5, 1, 10, 0), 100_00)
    paid(music, berlin(2026, 5, 1, 10, 0), 900_00)
    paid(foreign, berlin(2026, 5, 1, 10, 0), 5_000_00)
    [email] = sweep_and_send(utc(2026, 5, 2, 7, 0))
    _name, book = _xlsx(email)
    about = {row[0]: row[1] for row in book["Report"].iter_rows(min_row=2, values_only=True)}
    assert about["Shops"] == "Books"
    assert book["AMD"]["C2"].value == 100

    subscription.shops.set([foreign])  # none of them the merchant's: nothing is sent
    assert sweep_and_send(utc(2026, 5, 3, 7, 0)) == []
    assert subscription.runs.order_by("-period_start").first().status == "failed"


# ---------------------------------------------------------------------------
# On each payment
# ---------------------------------------------------------------------------
def test_a_busy_minute_of_payments_and_refunds_is_one_email(accountant, books, music, settings):
    subscription = subscribe(
        accountant, frequency=Frequency.EACH_PAYMENT, started=utc(2026, 5, 4, 9, 0, 30)
    )
    assert subscription.covered_until == utc(2026, 5, 4, 9, 0)
    earlier = paid(books, utc(2026, 5, 4, 8, 0), 300_00, order_id="yesterday-ish")
    paid(books, utc(2026, 5, 4, 9, 1, 5), 1_000_00, order_id="A-1")
    paid(music, utc(2026, 5, 4, 9, 1, 40), 12_50, "USD", order_id="A-2")
    paid(books, utc(2026, 5, 4, 9, 1, 59), 2_000_00, order_id="A-3")
    refunded(earlier, utc(2026, 5, 4, 9, 1, 30), 100_00)
    paid(books, utc(2026, 5, 4, 9, 2, 10), 50_00, order_id="next-minute")

    assert sweep_and_send(utc(2026, 5, 4, 9, 1, 50)) == []  # 09:01 is still running
    [email] = sweep_and_send(utc(2026, 5, 4, 9, 2, 3))
    assert email.to == [accountant.user.email]
    for text in (
        "A-1",
        "A-2",
        "A-3",
        "yesterday-ish",
        "Books",
        "Music",
        "12.50 USD",
        "1,000.00 AMD",
    ):
        assert text in email.body
    assert "next-minute" not in email.body
    assert "11:01:05" in email.body  # CEST, the merchant's zone
    payment_url = f"{settings.SITE_URL}/transactions/"
    assert email.body.count(payment_url) == 4
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    subscription.refresh_from_db()
    assert subscription.covered_until == utc(2026, 5, 4, 9, 2)
    [run] = subscription.runs.all()
    assert (run.period_start, run.period_end) == (utc(2026, 5, 4, 9, 1), utc(2026, 5, 4, 9, 2))

    [after] = sweep_and_send(utc(2026, 5, 4, 9, 3, 0))
    assert "next-minute" in after.body and "A-1" not in after.body
    assert sweep_and_send(utc(2026, 5, 4, 9, 5, 0)) == []  # quiet minutes: nothing
    subscription.refresh_from_db()
    assert subscription.covered_until == utc(2026, 5, 4, 9, 5)


# ---------------------------------------------------------------------------
# Concurrency, on PostgreSQL
# ---------------------------------------------------------------------------
def _at_once(target, count: int = 2) -> list:
    barrier = threading.Barrier(count)
    results: list = []
    errors: list = []

    def work():
        try:
            barrier.wait()
            results.append(target())
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


@pytest.mark.django_db(transaction=True)
def test_one_run_delivered_by_two_threads_at_once_is_sent_once(accountant, books, enqueued):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    subscribe(accountant, started=utc(2026, 5, 1, 12, 0), formats=("xlsx", "csv"))
    moment = utc(2026, 5, 2, 7, 0)
    sweep(moment)
    [run] = ReportRun.objects.all()
    with at(moment):
        outcomes = _at_once(lambda: report_run_deliver(run_id=run.pk))
    assert sorted(outcomes) == ["sent", "skipped"]
    assert len(mail.outbox) == 1
    assert RenderedReport.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_queue_each_period_once(shop_merchant, accountant, books, enqueued):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    for _n in range(30):
        member = MembershipFactory(merchant=shop_merchant, role=Membership.Role.ACCOUNTANT)
        subscribe(member, started=utc(2026, 5, 1, 12, 0), formats=("csv",))
    moment = utc(2026, 5, 4, 7, 0)  # three days due each
    with at(moment):
        counts = _at_once(subscriptions_sweep)
    assert sum(c["periodic"] for c in counts) == 90
    assert ReportRun.objects.count() == 90
    assert len(enqueued) == 90 and len(set(enqueued)) == 90


@pytest.mark.django_db(transaction=True)
def test_two_workers_rendering_the_same_report_render_it_once(shop_merchant, books, enqueued):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    members = [
        MembershipFactory(merchant=shop_merchant, role=Membership.Role.ACCOUNTANT) for _ in range(2)
    ]
    for member in members:
        subscribe(member, started=utc(2026, 5, 1, 12, 0), formats=("pdf",))
    moment = utc(2026, 5, 2, 7, 0)
    sweep(moment)
    first, second = ReportRun.objects.order_by("pk").values_list("pk", flat=True)
    ids = iter([first, second])
    lock = threading.Lock()

    def deliver_next():
        with lock:
            run_id = next(ids)
        return report_run_deliver(run_id=run_id)

    with (
        at(moment),
        mock.patch("subscriptions.rendering.render_file", wraps=report_services.render_file) as spy,
    ):
        outcomes = _at_once(deliver_next)
    assert outcomes == ["sent", "sent"]
    assert spy.call_count == 1
    assert RenderedReport.objects.count() == 1
    assert len(mail.outbox) == 2
    assert mail.outbox[0].attachments[0][1] == mail.outbox[1].attachments[0][1]


# ---------------------------------------------------------------------------
# Chunks: the sweeper queues a message per DELIVERY_CHUNK runs
# ---------------------------------------------------------------------------
def test_the_sweeper_queues_one_message_per_chunk_of_runs(shop_merchant, monkeypatch):
    from subscriptions.tasks import deliver_report_runs

    sent = []
    monkeypatch.setattr(deliver_report_runs, "apply_async", lambda args, **kw: sent.append(args))
    queue(list(range(1, delivery.DELIVERY_CHUNK * 2 + 2)))
    assert [len(args[0]) for args in sent] == [delivery.DELIVERY_CHUNK] * 2 + [1]
    assert [pk for args in sent for pk in args[0]] == list(
        range(1, delivery.DELIVERY_CHUNK * 2 + 2)
    )


def test_a_chunk_is_sent_once_each_and_shares_its_lookups(
    shop_merchant, accountant, books, django_assert_max_num_queries
):
    members = [accountant] + [
        MembershipFactory(merchant=shop_merchant, role=Membership.Role.ACCOUNTANT) for _ in range(5)
    ]
    for member in members:
        subscribe(member, started=utc(2026, 5, 1, 12, 0), formats=("xlsx", "csv"))
    paid(books, berlin(2026, 5, 1, 10, 0), 700_00)
    moment = utc(2026, 5, 2, 7, 0)
    sweep(moment)
    ids = list(ReportRun.objects.order_by("pk").values_list("pk", flat=True))
    # Rendered once: the later runs find both files in the chunk's cache.
    report_runs_deliver(run_ids=ids[:1], now=moment)
    # The chunk's runs with their subscriptions and shops, the two files looked up once,
    # three writes per run (claim, sending, sent), the subscriptions' last sending.
    with django_assert_max_num_queries(2 + 2 + 3 * 5 + 1):
        outcomes = report_runs_deliver(run_ids=ids[1:], now=moment)
    assert outcomes == ["sent"] * 5
    assert sorted(m.to[0] for m in mail.outbox) == sorted(s.email for s in subscriptions(ids))
    for subscription in subscriptions(ids):
        assert subscription.last_sent_at is not None and subscription.consecutive_failures == 0
    # A chunk queued again (a lost message requeued) sends nothing more.
    assert report_runs_deliver(run_ids=ids, now=moment) == ["skipped"] * 6
    assert len(mail.outbox) == 6


def subscriptions(run_ids: list[int]) -> list[ReportSubscription]:
    return list(ReportSubscription.objects.filter(runs__pk__in=run_ids))


def test_a_run_of_a_paused_subscription_in_a_chunk_is_not_sent(accountant, books):
    subscription = subscribe(accountant, started=utc(2026, 5, 1, 12, 0), formats=("csv",))
    moment = utc(2026, 5, 2, 7, 0)
    sweep(moment)
    [run] = ReportRun.objects.all()
    ReportSubscription.objects.filter(pk=subscription.pk).update(status="paused")
    assert report_runs_deliver(run_ids=[run.pk], now=moment) == ["skipped"]
    run.refresh_from_db()
    assert run.status == "failed" and not mail.outbox


@pytest.mark.django_db(transaction=True)
def test_one_chunk_delivered_by_two_workers_at_once_sends_each_run_once(
    shop_merchant, books, enqueued
):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    for _n in range(8):
        member = MembershipFactory(merchant=shop_merchant, role=Membership.Role.ACCOUNTANT)
        subscribe(member, started=utc(2026, 5, 1, 12, 0), formats=("csv",))
    moment = utc(2026, 5, 2, 7, 0)
    sweep(moment)
    ids = list(ReportRun.objects.order_by("pk").values_list("pk", flat=True))
    with at(moment):
        outcomes = _at_once(lambda: report_runs_deliver(run_ids=ids))
    assert sorted(outcomes[0] + outcomes[1]) == ["sent"] * 8 + ["skipped"] * 8
    assert len(mail.outbox) == 8 and len({m.to[0] for m in mail.outbox}) == 8
    assert set(ReportRun.objects.values_list("status", flat=True)) == {"sent"}
