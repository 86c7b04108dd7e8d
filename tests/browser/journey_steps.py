"""The steps of the journey test (test_journey.py), one small function each, in the order a
new merchant, a staff member, a buyer and an accountant live through them.

The pages are found by names, values and ids that do not change with the language, so the
same steps run in Russian and in English; the few words checked per language are in TEXT.
"""

from __future__ import annotations

import io
import json
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, expect

from merchants.models import Merchant
from payments.webhooks import SIGNATURE_HEADER
from shops.models import Shop
from subscriptions.models import ReportSubscription
from tests.factories import PASSWORD as STAFF_PASSWORD
from tests.factories import totp_code
from tests.payments.test_webhooks import Receiver, _verify
from tests.websites import LocalSite

from .conftest import PreviewsOneAtATime, newest_in_outbox, watch_console
from .test_documents_pages import _pdf

DESKTOP = {"width": 1280, "height": 900}
PASSWORD = "Journey-secret-pass-42"
YEAR = (timezone.now().year + 3) % 100
PAID = 1_250_000  # 12 500.00 AMD, in minor units
DECLINED = 490_000
REFUND = 250_000  # 2 500.00 AMD
LLC_DOCUMENTS = (
    "charter",
    "registration_certificate",
    "director_appointment",
    "identity_document",
    "bank_account_confirmation",
)

# What each language must show where the journey checks wording.
TEXT = {
    "ru": {
        "connect": "Подключиться",
        "latest_payments": "Последние платежи",
        "reconciliation": "Сверка расчетов",
    },
    "en": {
        "connect": "Connect",
        "latest_payments": "Latest payments",
        "reconciliation": "Settlement reconciliation",
    },
}


@dataclass
class Journey:
    """Who is where: the merchant's browser page, the shop's site, the webhook receiver, and
    what the steps learn on the way (the shop, the keys, the payments)."""

    browser: Browser
    lang: str
    base_url: str
    site: LocalSite
    receiver: Receiver
    screenshot_dir: Path
    violations: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    contexts: list[BrowserContext] = field(default_factory=list)
    page: Page | None = None
    step: int = 0
    shop: Shop | None = None
    api_key: str = ""
    signing_secret: str = ""
    paid_id: str = ""
    declined_id: str = ""
    payment_urls: dict[str, str] = field(default_factory=dict)

    @property
    def email(self) -> str:
        return f"journey.{self.lang}@example.am"

    @property
    def accountant(self) -> str:
        return f"accountant.{self.lang}@example.am"

    @property
    def text(self) -> dict[str, str]:
        return TEXT[self.lang]

    def new_page(self, *, language_cookie: bool = True) -> Page:
        context = self.browser.new_context(
            viewport=DESKTOP,
            locale="ru-RU" if self.lang == "ru" else "en-US",
            accept_downloads=True,
        )
        if language_cookie:
            context.add_cookies(
                [{"name": settings.LANGUAGE_COOKIE_NAME, "value": self.lang, "url": self.base_url}]
            )
        self.contexts.append(context)
        page = context.new_page()
        watch_console(page, self.violations)
        # Which address a "Failed to load resource" in the console was.
        page.on(
            "response",
            lambda r: (
                self.failed_requests.append(f"{r.status} {r.url}") if r.status >= 400 else None
            ),
        )
        return page

    def shot(self, page: Page, name: str) -> None:
        """The whole page from the top, numbered in the journey's order."""
        self.step += 1
        page.evaluate("window.scrollTo(0, 0)")
        path = self.screenshot_dir / f"journey-{self.lang}-{self.step:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)

    def close(self) -> None:
        for context in self.contexts:
            context.close()


def _submit(page: Page, selector: str = "main form button[type=submit]") -> None:
    page.locator(selector).last.click()
    page.wait_for_load_state()


def _wait_until(condition, *, timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


# ---------------------------------------------------------------------------
# The merchant arrives and activates
# ---------------------------------------------------------------------------
def open_landing_and_choose_language(j: Journey) -> None:
    # No cookie: the language comes from the switch in the header, as a visitor picks it.
    page = j.page = j.new_page(language_cookie=False)
    page.goto(j.base_url + "/")
    if j.lang != "ru":  # Russian is the default
        page.locator("form.language-switch button[value=en]").first.click()
        page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", j.lang)
    j.shot(page, "landing")


def sign_up(j: Journey) -> None:
    page = j.page
    connect = page.locator(".hero-actions a[href='/accounts/signup/']")
    expect(connect).to_contain_text(j.text["connect"])
    connect.click()
    page.wait_for_url("**/accounts/signup/")
    page.locator("input[name=email]").fill(j.email)
    page.locator("input[name=password1]").fill(PASSWORD)
    page.locator("input[name=password2]").fill(PASSWORD)
    j.shot(page, "signup")
    _submit(page, "form button[type=submit]")


def confirm_email_from_the_activation_email(j: Journey) -> None:
    page = j.page
    [message] = [m for m in mail.outbox if m.to == [j.email]]
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", message.body)
    assert link, message.body
    page.goto(j.base_url + link.group(1))
    _submit(page)
    page.wait_for_url("**/dashboard/")
    j.shot(page, "email-confirmed")


def fill_in_company(j: Journey) -> None:
    page = j.page
    page.goto(j.base_url + "/activation/")
    page.wait_for_url("**/activation/company/")
    page.locator("select[name=legal_form]").select_option("llc")
    page.locator("input[name=legal_name]").fill("Ararat Trade LLC")
    page.locator("input[name=tax_id]").fill("01234567")
    page.locator("input[name=registration_number]").fill("273.110.01234")
    page.locator("input[name=legal_address]").fill("Yerevan, Abovyan 1")
    page.locator("input[name=same_address]").check()
    page.locator("input[name=director_name]").fill("Armen Sargsyan")
    j.shot(page, "wizard-company")
    _submit(page)
    page.wait_for_url("**/activation/website/")
    page.locator("input[name=website]").fill(j.site.url + "/")
    _submit(page)
    page.wait_for_url("**/activation/contacts/")


def confirm_phone_with_the_sms_code(j: Journey) -> None:
    page = j.page
    page.locator("input[name=phone]").fill("+374 91 234567")
    _submit(page, "form[action$='send-code/'] button[type=submit]")
    code = re.search(r"\b(\d{6})\b", newest_in_outbox("sms")).group(1)
    page.locator("input[name=code]").fill(code)
    _submit(page, "form[action$='verify-code/'] button[type=submit]")
    page.wait_for_url("**/activation/contacts/")


def verify_the_website(j: Journey) -> None:
    page = j.page
    token = Merchant.objects.get(memberships__user__email=j.email).website_token
    assert page.locator("#verify-token").input_value() == token
    j.site.serve_meta_tag(token)
    j.shot(page, "wizard-contacts")
    _submit(page, "form[action$='check-website/'] button[type=submit]")
    page.wait_for_url("**/activation/tariffs/")


def accept_the_tariffs(j: Journey) -> None:
    page = j.page
    page.locator("input[name=accept]").check()
    j.shot(page, "wizard-tariffs")
    _submit(page)
    page.wait_for_url("**/dashboard/")
    expect(page.locator(".alert-success")).to_be_visible()
    assert Merchant.objects.get(memberships__user__email=j.email).state == "activated"
    j.shot(page, "activated")


# ---------------------------------------------------------------------------
# The shop, Section 1 and the documents
# ---------------------------------------------------------------------------
def add_shop(j: Journey) -> None:
    page = j.page
    page.locator(".site-nav a[href='/shops/']").first.click()
    page.wait_for_url("**/shops/")
    page.locator("main a[href='/shops/add/']").first.click()
    page.wait_for_url("**/shops/add/")
    page.locator("main input[name=name]").fill("Ararat Books")
    _submit(page)
    page.wait_for_url("**/section-1/")
    j.shop = Shop.objects.get(merchant__memberships__user__email=j.email)


def fill_in_and_submit_section_1(j: Journey) -> None:
    """The shop's site takes the buyer back, and the receiver is its result (webhook) URL."""
    page = j.page
    page.locator("input[name=website]").fill(j.site.url)
    page.locator("select[name=mcc]").select_option("5942")
    page.locator("textarea[name=description]").fill("Books in Armenian, Russian and English.")
    page.locator("input[name=display_name]").fill("Ararat Books")
    page.locator("select[name=default_currency]").select_option("AMD")
    for method in ("card", "idram"):
        page.locator(f"input[name=payment_methods][value={method}]").check()
    page.locator("input[name=invoice_lifetime_value]").fill("30")
    page.locator("select[name=invoice_lifetime_unit]").select_option("minutes")
    page.locator("input[name=support_email]").fill("help@books.am")
    page.locator("input[name=support_phone]").fill("+374 91 234567")
    page.locator("input[name=success_url]").fill(j.site.url + "/paid")
    page.locator("input[name=fail_url]").fill(j.site.url + "/failed")
    page.locator("input[name=webhook_url]").fill(j.receiver.url)
    j.shot(page, "section-1")
    _submit(page, "main form button[formaction$='/submit/']")
    page.wait_for_url(f"**/shops/{j.shop.pk}/")
    j.shop.refresh_from_db()
    assert j.shop.review_status == Shop.Review.SUBMITTED
    assert j.shop.webhook_url == j.receiver.url


def upload_documents(j: Journey) -> None:
    page = j.page
    PreviewsOneAtATime(page)
    page.locator(".site-nav a[href='/documents/']").first.click()
    page.wait_for_url("**/documents/")
    expect(page.locator("article.doc-card")).to_have_count(len(LLC_DOCUMENTS))
    for code in LLC_DOCUMENTS:
        page.locator(f"#doc-{code}-files").set_input_files(
            [{"name": f"{code}.pdf", "mimeType": "application/pdf", "buffer": _pdf()}]
        )
        page.locator(f"#doc-{code} .doc-submit").click()
        page.wait_for_url(f"**/documents/#doc-{code}")
    page.wait_for_load_state("networkidle")
    j.shot(page, "documents-uploaded")


# ---------------------------------------------------------------------------
# Staff review in the admin, signed in with a TOTP code
# ---------------------------------------------------------------------------
def staff_signs_in_with_totp(j: Journey, staff) -> Page:
    # Staff read the admin in their own language (a preference that wins over the cookie).
    staff.language = j.lang
    staff.save(update_fields=["language"])
    # The staff user has the factory's TOTP secret, as every staff user must have one.
    page = j.new_page()
    page.goto(j.base_url + "/accounts/login/")
    page.locator("input[name=login]").fill(staff.email)
    page.locator("input[name=password]").fill(STAFF_PASSWORD)
    _submit(page, "form button[type=submit]")
    page.wait_for_url("**/accounts/2fa/authenticate/**")
    page.locator("input[name=code]").fill(totp_code())
    j.shot(page, "staff-totp")
    page.locator("form:has(input[name=code]) button[type=submit]").first.click()
    page.wait_for_url("**/admin/")
    return page


def staff_approves_documents(j: Journey, page: Page) -> None:
    page.goto(j.base_url + "/admin/documents/documentversion/")
    expect(page.locator("#result_list tbody tr")).to_have_count(len(LLC_DOCUMENTS))
    page.locator("#action-toggle").check()
    page.locator("select[name=action]").select_option("approve_versions")
    _submit(page, "#changelist-form button[name=index]")
    expect(page.locator(".messagelist")).to_contain_text(str(len(LLC_DOCUMENTS)))
    j.shot(page, "staff-documents-approved")
    merchant = j.shop.merchant
    assert {d.current_version.status for d in merchant.documents.all()} == {"approved"}


def staff_confirms_the_shop(j: Journey, page: Page) -> None:
    page.goto(f"{j.base_url}/admin/shops/shop/{j.shop.pk}/change/")
    page.locator(f"a[href$='/{j.shop.pk}/confirm/']").first.click()
    page.wait_for_url(f"**/{j.shop.pk}/confirm/")
    _submit(page, "#content-main form input[type=submit]")
    page.wait_for_url(f"**/admin/shops/shop/{j.shop.pk}/change/")
    expect(page.locator(".messagelist")).to_be_visible()
    j.shot(page, "staff-shop-confirmed")
    j.shop.refresh_from_db()
    assert j.shop.review_status == Shop.Review.CONFIRMED


def open_the_shop(j: Journey) -> None:
    page = j.page
    page.goto(f"{j.base_url}/shops/{j.shop.pk}/")
    _submit(page, "form[action$='/open/'] button[name=value][value=on]")
    expect(page.locator("form[action$='/open/'] button[name=value][value=off]")).to_be_visible()
    j.shot(page, "shop-open")
    j.shop.refresh_from_db()
    assert j.shop.is_open


# ---------------------------------------------------------------------------
# Integration: a test key and a webhook signing secret, each read once from the page
# ---------------------------------------------------------------------------
def _create_key(j: Journey, kind: str) -> str:
    page = j.page
    keys_url = f"{j.base_url}/shops/{j.shop.pk}/keys/"
    page.goto(keys_url)
    page.locator(f"#keys-{kind} form button[type=submit]").first.click()
    page.wait_for_load_state()
    if "/accounts/reauthenticate/" in page.url:
        # Keys are credentials: the first change asks for the password again.
        page.locator("input[name=password]").fill(PASSWORD)
        page.locator("form button[type=submit]").last.click()
    page.wait_for_url(keys_url)
    return page.locator("#new-key").input_value()


def create_test_api_key(j: Journey) -> None:
    j.api_key = _create_key(j, "sk_test")
    assert re.fullmatch(r"sk_test_[A-Za-z0-9]{40}", j.api_key)
    j.shot(j.page, "test-key-shown-once")


def create_webhook_signing_secret(j: Journey) -> None:
    j.signing_secret = _create_key(j, "whsec")
    assert j.signing_secret.startswith("whsec_")
    j.page.reload()
    assert j.signing_secret not in j.page.content()


# ---------------------------------------------------------------------------
# Payments: made through the API, paid by a buyer on the hosted form
# ---------------------------------------------------------------------------
def create_payment_through_the_api(j: Journey, *, order_id: str, amount: int, **extra) -> dict:
    body = {
        "amount": amount,
        "currency": "AMD",
        "order_id": order_id,
        "description": "Two books about Yerevan",
        "language": j.lang,
        **extra,
    }
    request = urllib.request.Request(
        j.base_url + "/api/v1/payments",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {j.api_key}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (live server)
            payment = json.load(response)
    except urllib.error.HTTPError as error:
        raise AssertionError(f"{error.code}: {error.read().decode()}") from error
    assert payment["status"] == "pending"
    j.payment_urls[payment["id"]] = payment["payment_url"]
    return payment


def _fill_card(page: Page, number: str) -> None:
    page.locator("input[name=card_number]").fill(number)
    page.locator("input[name=expiry]").fill(f"12{YEAR:02d}")
    page.locator("input[name=cvc]").fill("123")


def buyer_pays_with_the_success_card(j: Journey, payment: dict) -> None:
    j.paid_id = payment["id"]
    page = j.new_page(language_cookie=False)
    page.goto(payment["payment_url"])
    # Only the subset the API asked for, with the delivery fields.
    methods = page.locator("input[name=method]").evaluate_all("els => els.map(e => e.value)")
    assert sorted(methods) == ["card", "idram"]
    expect(page.locator("html")).to_have_attribute("lang", j.lang)
    _fill_card(page, "4242 4242 4242 4242")
    page.locator("input[name=recipient]").fill("Anna Petrosyan")
    page.locator("input[name=address]").fill("Abovyan 1, Yerevan")
    page.locator("input[name=phone]").fill("+374 10 123456")
    j.shot(page, "payform-filled")
    page.locator("button[data-pay-button]").click()
    page.wait_for_url(f"{j.site.url}/paid?payment_id={j.paid_id}")
    j.shot(page, "back-at-the-shop-paid")


def buyer_is_declined_with_the_decline_card(j: Journey, payment: dict) -> None:
    j.declined_id = payment["id"]
    page = j.new_page(language_cookie=False)
    page.goto(payment["payment_url"])
    _fill_card(page, "4000 0000 0000 0002")
    page.locator("button[data-pay-button]").click()
    page.wait_for_url(f"{j.site.url}/failed?payment_id={j.declined_id}")
    # The form itself now shows the outcome.
    page.goto(payment["payment_url"])
    expect(page.locator("[data-state=declined]")).to_be_visible()
    j.shot(page, "payform-declined")


def webhooks_arrive_signed(j: Journey) -> None:
    """The worker delivers each event to the shop's result URL, signed with the secret."""

    def events() -> set[str]:
        return {json.loads(body)["type"] for _headers, body in j.receiver.requests}

    _wait_until(lambda: {"payment.succeeded", "payment.declined"} <= events(), what="the webhooks")
    for headers, body in j.receiver.requests:
        assert _verify(headers[SIGNATURE_HEADER], body, j.signing_secret)
    bodies = [json.loads(body) for _headers, body in j.receiver.requests]
    succeeded = next(b for b in bodies if b["type"] == "payment.succeeded")
    assert succeeded["data"]["id"] == j.paid_id


# ---------------------------------------------------------------------------
# «Последние платежи» and a partial refund
# ---------------------------------------------------------------------------
def see_both_payments_in_latest_payments(j: Journey) -> None:
    page = j.page
    page.goto(j.base_url + "/transactions/?mode=test")
    expect(page.locator("h1")).to_have_text(j.text["latest_payments"])
    for public_id, status in ((j.paid_id, "succeeded"), (j.declined_id, "declined")):
        row = page.locator(f"tr.tx-row[data-id={public_id}]")
        expect(row.locator(".tx-status")).to_have_attribute("data-status", status)
    j.shot(page, "latest-payments")


def refund_part_of_the_paid_payment(j: Journey) -> None:
    page = j.page
    page.locator(f"tr.tx-row[data-id={j.paid_id}] .tx-order a").click()
    page.wait_for_url(f"**/transactions/{j.paid_id}/")
    page.locator(".tx-refund input[name=amount]").fill(str(REFUND // 100))
    page.locator(".tx-refund input[name=reason]").fill("one book damaged")
    _submit(page, ".tx-refund form button[type=submit]")
    j.shot(page, "refund-confirm")
    _submit(page, "main form button.btn-danger[type=submit]")
    page.wait_for_url(f"**/transactions/{j.paid_id}/")
    expect(page.locator(".alert-success")).to_be_visible()
    j.shot(page, "refunded")


def refund_webhook_arrives(j: Journey) -> None:
    _wait_until(
        lambda: any(
            json.loads(body)["type"] == "payment.partially_refunded"
            for _headers, body in j.receiver.requests
        ),
        what="the refund's webhook",
    )


# ---------------------------------------------------------------------------
# Reports: the by-days report of this month, test payments, as PDF and XLSX
# ---------------------------------------------------------------------------
def _month_names(j: Journey) -> tuple[str, ...]:
    """This month's name as a report may print it (Russian has two grammatical cases)."""
    from django.utils import dates, translation

    month = datetime.now(ZoneInfo(j.shop.merchant.time_zone)).month
    with translation.override(j.lang):
        return (str(dates.MONTHS[month]), str(dates.MONTHS_ALT[month]))


def _amounts(line: str) -> list[Decimal]:
    """The amounts with two decimals on a line, whatever its grouping and decimal mark
    (12\u00a0500,00 in Russian, 12,500.00 in English)."""
    found = re.findall(r"(?<![\d,.])\d{1,3}(?:[\u00a0\u202f,.]\d{3})*[,.]\d{2}(?![\d])", line)
    return [Decimal(re.sub(r"[\u00a0\u202f,.](?=\d{3})", "", a).replace(",", ".")) for a in found]


def download_by_days_reports(j: Journey) -> None:
    import pypdf

    page = j.page
    page.locator(".site-nav a[href='/reports/']").first.click()
    page.wait_for_url("**/reports/")
    # The payments are test payments: the report is asked for in test mode.
    page.locator("input[name=mode][value=test] + label").click()
    j.shot(page, "reports")
    files = {}
    for fmt in ("pdf", "xlsx"):
        with page.expect_download() as info:
            page.locator(f"button[name=file][value='by-days:{fmt}']").click()
        files[fmt] = Path(info.value.path()).read_bytes()

    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(files["pdf"])).pages)
    assert any(name.lower() in text.lower() for name in _month_names(j)), text
    # The totals line: paid, refunded, commission (0 until settled), to be paid out.
    paid, refunded = Decimal(PAID) / 100, Decimal(REFUND) / 100
    totals = [_amounts(line) for line in text.splitlines()]
    assert [paid, refunded, 0, paid - refunded] in totals, text

    _check_xlsx(files["xlsx"])


def _check_xlsx(data: bytes) -> None:
    """The AMD sheet holds numbers, not text, and a row (the day's and the total) with the
    paid amount, the refund and what is to be paid out."""
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data))
    rows = [
        [Decimal(str(v)) for v in row if isinstance(v, int | float | Decimal)]
        for row in book["AMD"].iter_rows(values_only=True)
    ]
    paid, refunded = Decimal(PAID) / 100, Decimal(REFUND) / 100
    matching = [row for row in rows if row[-4:] == [paid, refunded, 0, paid - refunded]]
    assert len(matching) == 2, rows  # the day and the total


# ---------------------------------------------------------------------------
# «Подписка на отчеты»: an accountant subscribed, confirmed, and sent a report by the worker
# ---------------------------------------------------------------------------
def subscribe_the_accountant(j: Journey) -> None:
    page = j.page
    page.locator(".site-nav a[href='/reports/']").first.click()
    page.wait_for_url("**/reports/")
    page.locator(".report-tabs a[href='/reports/subscriptions/']").click()
    page.wait_for_url("**/reports/subscriptions/")
    # Not the title: «Подписка на отчеты» has no Russian in locale/ru yet ("Report
    # subscriptions" is missing from the catalogue); the page is still served in Russian.
    expect(page.locator("html")).to_have_attribute("lang", j.lang)
    page.goto(j.base_url + "/reports/subscriptions/add/")
    page.locator("input[name=email]").fill(j.accountant)
    page.locator("input[name=frequency][value=monthly]").check()
    page.locator("input[name=send_time]").fill("08:00")
    page.locator("input[name=variants][value=by-days]").check()
    for fmt in ("pdf", "xlsx"):
        page.locator(f"input[name=formats][value={fmt}]").check()
    page.locator("input[name=mode][value=test] + label").click()
    j.shot(page, "subscription-form")
    _submit(page, ".subs-form-actions button[type=submit]")
    page.wait_for_url("**/reports/subscriptions/")
    subscription = ReportSubscription.objects.get(email=j.accountant)
    assert (subscription.status, subscription.test) == ("pending", True)


def accountant_confirms_from_the_email(j: Journey) -> None:
    [message] = [m for m in mail.outbox if m.to == [j.accountant]]
    link = re.search(r"https?://\S+/reports/subscriptions/confirm/\S+/", message.body)[0]
    page = j.new_page(language_cookie=False)  # the accountant's own browser, not signed in
    page.goto(link)
    _submit(page, ".subs-public button[type=submit]")
    j.shot(page, "subscription-confirmed")
    assert ReportSubscription.objects.get(email=j.accountant).status == "active"


def scheduler_sends_the_report(j: Journey) -> None:
    """The sweeper runs on the real worker, which then sends the report email."""
    from subscriptions.tasks import sweep_report_subscriptions

    # Time travel (mock.patch of timezone.now) cannot be shared safely with the live
    # server's and the worker's threads, so the schedule is moved instead: the period due
    # now is this month (the one with the journey's payments), as it would be at 08:00 on
    # the 1st of next month.
    subscription = ReportSubscription.objects.get(email=j.accountant)
    assert subscription.next_period_after is not None
    zone = ZoneInfo(j.shop.merchant.time_zone)
    today = timezone.localtime(timezone.now(), zone).date()
    next_first = (today.replace(day=28) + timedelta(days=5)).replace(day=1)
    ReportSubscription.objects.filter(pk=subscription.pk).update(
        next_period_after=next_first, next_run_at=timezone.now() - timedelta(minutes=1)
    )
    counts = sweep_report_subscriptions.delay().get(timeout=30)
    assert counts["periodic"] == 1

    def report_email():
        return next((m for m in mail.outbox if m.to == [j.accountant] and m.attachments), None)

    _wait_until(lambda: report_email() is not None, what="the report email")
    attachments = {
        name.rsplit(".", 1)[1]: content for name, content, _t in report_email().attachments
    }
    assert sorted(attachments) == ["pdf", "xlsx"]
    assert attachments["pdf"][:5] == b"%PDF-"
    _check_xlsx(attachments["xlsx"])


# ---------------------------------------------------------------------------
# «Сверка расчетов»
# ---------------------------------------------------------------------------
def reconciliation_balances(j: Journey) -> None:
    """Test payments never reach the live ledger, so the period's identity holds with every
    line at zero; the page must still show it as balanced, with no warning."""
    page = j.page
    page.goto(j.base_url + "/reconciliation/")
    expect(page.locator("h1")).to_have_text(j.text["reconciliation"])
    expect(page.locator(".recon-lines")).to_be_visible()
    expect(page.locator(".recon-ok")).to_be_visible()
    expect(page.locator(".recon-problems")).to_have_count(0)
    j.shot(page, "reconciliation")
