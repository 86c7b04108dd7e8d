"""The «Документы» page through the real HTTP stack: the documents each legal form is asked
for, their statuses, the reviewer's reason, the progress, the history and the language."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from documents import services
from documents.models import DocumentType, DocumentVersion
from merchants.models import Merchant
from tests.documents.samples import passport_pdf, scan_jpeg, scan_png

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

URL = reverse("documents:list")
LLC_CODES = [
    "charter",
    "registration_certificate",
    "director_appointment",
    "identity_document",
    "bank_account_confirmation",
]


def _upload(merchant: Merchant, code: str, by, *files) -> DocumentVersion:
    return services.document_upload(
        merchant=merchant,
        document_type=DocumentType.objects.get(code=code),
        files=list(files) or [passport_pdf()],
        by=by,
    )


def _card(html: str, code: str) -> str:
    """The HTML of one document's card."""
    match = re.search(rf'<article[^>]*id="doc-{code}".*?</article>', html, re.S)
    assert match, f"no card for {code}"
    return match.group(0)


def _text(html: str) -> str:
    """Visible text with whitespace collapsed, for reading sentences across tags."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def test_an_llc_sees_its_five_documents_all_missing(owner_client, merchant):
    response = owner_client.get(URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert re.findall(r'<article[^>]*id="doc-([a-z_]+)"', html) == LLC_CODES
    for code, name in (
        ("charter", "Charter"),
        ("registration_certificate", "State registration certificate"),
        ("director_appointment", "Decision appointing the director"),
        ("identity_document", "Passport or ID card"),
        ("bank_account_confirmation", "Bank account confirmation"),
    ):
        card = _card(html, code)
        assert name in card
        assert "Required" in card
        assert "doc-status-missing" in card and "Not uploaded" in card
        assert f'action="{reverse("documents:upload", args=[code])}"' in card
        assert 'enctype="multipart/form-data"' in card
        assert 'name="files"' in card and " multiple" in card
        assert 'accept=".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"' in card
        assert "csrfmiddlewaretoken" in card
        assert "doc-history" not in card
    assert "The charter in force with all amendments, every page." in html
    text = _text(html)
    assert "0 of 5 required documents approved" in text
    assert "PDF, JPEG or PNG, at most 10 MB a file, up to 10 files at once" in text
    assert "seen only by Inecopay staff who review them" in text
    assert 'src="/static/js/documents.js"' in html or "js/documents." in html


def test_a_sole_proprietor_sees_three_documents(owner_client, merchant):
    merchant.legal_form = "sole_proprietor"
    merchant.save(update_fields=["legal_form"])

    html = owner_client.get(URL).content.decode()

    assert re.findall(r'<article[^>]*id="doc-([a-z_]+)"', html) == [
        "registration_certificate",
        "identity_document",
        "bank_account_confirmation",
    ]
    assert "0 of 3 required documents approved" in _text(html)


def test_an_optional_document_is_marked_and_not_counted(owner_client, merchant):
    DocumentType.objects.create(
        code="licence",
        name_ru="Лицензия",
        name_en="Licence",
        legal_forms=["llc"],
        required=False,
        position=99,
    )

    html = owner_client.get(URL).content.decode()

    assert "Optional" in _card(html, "licence")
    assert "0 of 5 required documents approved" in _text(html)


def test_without_a_legal_form_the_page_links_to_the_company_step(owner_client, merchant):
    merchant.legal_form = ""
    merchant.save(update_fields=["legal_form"])

    response = owner_client.get(URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert "First tell us your company's legal form" in html
    assert f'href="{reverse("merchants:activation_company")}"' in html
    assert "<article" not in html
    assert "required documents approved" not in html


def test_partly_uploaded_documents_show_their_status_files_and_progress(
    owner_client, owner, merchant, reviewer
):
    _upload(merchant, "charter", owner, passport_pdf("charter.pdf", pages=3), scan_png("p2.png"))
    in_review = _upload(merchant, "identity_document", owner, scan_jpeg("passport.jpg"))
    services.document_review_start(version=in_review, reviewer=reviewer)
    approved = _upload(merchant, "bank_account_confirmation", owner)
    services.document_approve(version=approved, reviewed_by=reviewer)

    html = owner_client.get(URL).content.decode()

    charter = _card(html, "charter")
    assert "doc-status-uploaded" in charter and "Waiting for review" in charter
    files = list(DocumentVersion.objects.get(document__type__code="charter").files.all())
    assert [f.original_name for f in files] == ["charter.pdf", "p2.png"]
    for f in files:
        assert f'src="{reverse("documents:preview", args=[f.public_id])}"' in charter
        assert f'href="{reverse("documents:file", args=[f.public_id])}"' in charter
        assert f'alt="{f.original_name}"' in charter
    assert "3 pages" in _text(charter)
    assert "120×80" in charter
    assert "A new upload replaces the files waiting for review." in _text(charter)

    passport = _card(html, "identity_document")
    assert "doc-status-in_review" in passport and "In review" in passport
    assert 'name="files"' not in passport
    assert "You can upload a new version once the review is finished." in _text(passport)

    bank = _card(html, "bank_account_confirmation")
    assert "doc-status-approved" in bank and "Approved" in bank
    assert 'name="files"' in bank

    assert "doc-status-missing" in _card(html, "director_appointment")
    assert "1 of 5 required documents approved" in _text(html)


def test_a_rejected_document_shows_the_reason_and_can_be_uploaded_again(
    owner_client, owner, merchant, reviewer
):
    version = _upload(merchant, "charter", owner)
    services.document_reject(
        version=version, reviewed_by=reviewer, reason="Page 4 with the amendments is missing."
    )

    card = _card(owner_client.get(URL).content.decode(), "charter")

    assert "doc-status-rejected" in card and "Rejected" in card
    assert '<blockquote class="doc-reason">Page 4 with the amendments is missing.</blockquote>' in (
        card
    )
    assert "Correct what is asked and upload the document again." in card
    assert 'name="files"' in card
    # The reviewer stays anonymous: the decision is Inecopay's.
    assert reviewer.email not in card


def test_the_reason_is_escaped(owner_client, owner, merchant, reviewer):
    version = _upload(merchant, "charter", owner)
    services.document_reject(
        version=version, reviewed_by=reviewer, reason="<script>alert(1)</script>"
    )

    card = _card(owner_client.get(URL).content.decode(), "charter")

    assert "<script>alert(1)" not in card
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in card


def test_an_approved_version_stays_valid_while_a_new_one_waits(
    owner_client, owner, merchant, reviewer
):
    first = _upload(merchant, "charter", owner)
    services.document_approve(version=first, reviewed_by=reviewer)
    DocumentVersion.objects.filter(pk=first.pk).update(
        decided_at=dt.datetime(2025, 3, 1, 10, 0, tzinfo=dt.UTC)
    )
    _upload(merchant, "charter", owner, passport_pdf("charter-2025.pdf"))

    html = owner_client.get(URL).content.decode()
    card = _card(html, "charter")

    assert "doc-status-uploaded" in card
    assert "The version approved on 1 March 2025 stays valid until the new one is reviewed." in (
        _text(card)
    )
    # Only the new version's files are shown; the approved one is still counted.
    assert "charter-2025.pdf" in card
    assert "1 of 5 required documents approved" in _text(html)


def test_every_required_document_approved_completes_the_progress(
    owner_client, owner, merchant, reviewer
):
    for code in LLC_CODES:
        services.document_approve(version=_upload(merchant, code, owner), reviewed_by=reviewer)

    text = _text(owner_client.get(URL).content.decode())

    assert "5 of 5 required documents approved" in text
    assert "this item of the go-live checklist is done" in text


def test_the_history_lists_versions_in_the_users_time_zone(owner_client, owner, merchant, reviewer):
    owner.time_zone = "Asia/Tokyo"
    owner.save(update_fields=["time_zone"])
    first = _upload(merchant, "charter", owner)
    _upload(merchant, "charter", owner)  # replaces the first before review
    third = _upload(merchant, "charter", owner)
    services.document_reject(version=third, reviewed_by=reviewer, reason="Blurred scan.")
    DocumentVersion.objects.filter(pk=first.pk).update(
        submitted_at=dt.datetime(2025, 3, 1, 10, 0, tzinfo=dt.UTC)
    )
    DocumentVersion.objects.filter(pk=third.pk).update(
        decided_at=dt.datetime(2025, 3, 2, 20, 30, tzinfo=dt.UTC)
    )

    card = _card(owner_client.get(URL).content.decode(), "charter")
    history = re.search(r'<details class="doc-history">.*?</details>', card, re.S).group(0)
    rows = [_text(row) for row in re.findall(r"<tr>.*?</tr>", history, re.S)[1:]]

    assert "History: 3 versions" in _text(history)
    assert len(rows) == 3
    assert rows[0].startswith("Version 3")
    assert "Rejected" in rows[0]
    # 20:30 UTC is 05:30 the next day in Tokyo.
    assert "Inecopay, 3 March 2025, 05:30" in rows[0]
    assert "Blurred scan." in rows[0]
    assert rows[1].startswith("Version 2") and "Replaced before review" in rows[1]
    assert rows[2].startswith("Version 1") and "1 March 2025, 19:00" in rows[2]
    assert "Replaced before review" in rows[2]


def test_the_page_costs_the_same_queries_however_many_versions(
    owner_client, owner, merchant, reviewer
):
    _upload(merchant, "charter", owner)
    owner_client.get(URL)  # the first request of a session writes to it
    with CaptureQueriesContext(connection) as few:
        owner_client.get(URL)
    for code in LLC_CODES:
        for _ in range(2):
            _upload(merchant, code, owner, passport_pdf(), scan_png())
    with CaptureQueriesContext(connection) as many:
        response = owner_client.get(URL)

    assert response.status_code == 200
    assert len(many) == len(few)


def test_the_page_speaks_russian_by_default(client: Client, owner, merchant):
    client.force_login(owner)
    client.cookies["inecopay_language"] = "ru"

    response = client.get(URL)

    html = response.content.decode()
    assert "<title>Документы · Inecopay</title>" in html
    assert "<h1>Документы</h1>" in html
    # The document types' own names come from admin in both languages.
    for name in (
        "Устав",
        "Свидетельство о государственной регистрации",
        "Решение о назначении директора",
        "Паспорт или ID-карта",
        "Подтверждение банковского счета",
    ):
        assert name in html
    assert "Действующая редакция устава со всеми изменениями, все страницы." in html
