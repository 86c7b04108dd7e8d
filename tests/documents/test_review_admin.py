"""Reviewers decide on documents in the admin: the queue, its filters and search, the review
page with the company data, previews and the log, single and bulk decisions, and the
permission that every documents admin page needs. Staff decide; they never edit files."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from documents import services
from documents.models import Document, DocumentEvent, DocumentType, DocumentVersion, Status
from merchants.models import Merchant
from tests.factories import MembershipFactory, MerchantFactory

from .samples import passport_pdf, scan_jpeg, scan_png

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

CHANGELIST = "admin:documents_documentversion_changelist"
V = DocumentVersion.Status


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def reviewer_client(reviewer) -> Client:
    return _client(reviewer)


@pytest.fixture
def plain_staff_client(plain_staff) -> Client:
    return _client(plain_staff)


@pytest.fixture
def company(merchant) -> Merchant:
    merchant.name = "Ararat Books"
    merchant.legal_name = "Ararat Trade LLC"
    merchant.tax_id = "01234567"
    merchant.registration_number = "286.110.02345"
    merchant.legal_address = "1 Abovyan St, Yerevan"
    merchant.actual_address = "5 Tumanyan St, Yerevan"
    merchant.director_name = "Anna Petrosyan"
    merchant.save()
    return merchant


def _upload(merchant, document_type, owner, *files) -> DocumentVersion:
    return services.document_upload(
        merchant=merchant,
        document_type=document_type,
        files=list(files) or [passport_pdf()],
        by=owner,
    )


@pytest.fixture
def waiting(company, charter, owner) -> DocumentVersion:
    """The charter, two files, waiting for review."""
    return _upload(company, charter, owner, passport_pdf("charter.pdf", pages=2), scan_png())


def _ids(response) -> list[int]:
    return [version.pk for version in response.context["cl"].result_list]


def _action(client: Client, action: str, *versions, **extra):
    return client.post(
        reverse(CHANGELIST),
        {"action": action, "_selected_action": [v.pk for v in versions], **extra},
    )


def _messages(response) -> list[str]:
    return [str(message) for message in response.wsgi_request._messages]


def _text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


def _change(version: DocumentVersion) -> str:
    return reverse("admin:documents_documentversion_change", args=[version.pk])


def _decision_url(name: str, version: DocumentVersion) -> str:
    return reverse(f"admin:documents_documentversion_{name}", args=[version.pk])


# ---------------------------------------------------------------------------
# The queue
# ---------------------------------------------------------------------------
def test_queue_shows_open_versions_longest_waiting_first(
    reviewer_client, company, owner, charter, passport, reviewer
):
    now = timezone.now()
    newer = _upload(company, charter, owner)
    older = _upload(company, passport, owner)
    other = MembershipFactory(merchant=MerchantFactory(legal_form="sole_proprietor"))
    oldest = _upload(other.merchant, passport, other.user, scan_jpeg())
    decided = _upload(company, DocumentType.objects.get(code="bank_account_confirmation"), owner)
    services.document_approve(version=decided, reviewed_by=reviewer)
    for version, days in ((newer, 1), (older, 3), (oldest, 6), (decided, 9)):
        DocumentVersion.objects.filter(pk=version.pk).update(
            submitted_at=now - timedelta(days=days)
        )
    services.document_review_start(version=older, reviewer=reviewer)

    response = reviewer_client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert _ids(response) == [oldest.pk, older.pk, newer.pk]
    text = _text(response)
    assert "Documents to review" in text
    assert "6 days" in text and "3 days" in text and "1 day" in text
    assert "Ararat Trade LLC" in text and "Limited liability company (LLC)" in text
    assert "Sole proprietor" in text
    assert "Passport or ID card" in text and "Charter" in text
    assert "In review" in text and "Waiting for review" in text
    assert reviewer.email in text  # the reviewer of the version in review

    everything = reviewer_client.get(reverse(CHANGELIST), {"status": "all"})
    assert _ids(everything) == [decided.pk, oldest.pk, older.pk, newer.pk]
    approved = reviewer_client.get(reverse(CHANGELIST), {"status": "approved"})
    assert _ids(approved) == [decided.pk]
    in_review = reviewer_client.get(reverse(CHANGELIST), {"status": "in_review"})
    assert _ids(in_review) == [older.pk]
    sole = reviewer_client.get(
        reverse(CHANGELIST), {"document__merchant__legal_form__exact": "sole_proprietor"}
    )
    assert _ids(sole) == [oldest.pk]
    by_type = reviewer_client.get(reverse(CHANGELIST), {"document__type__id__exact": charter.pk})
    assert _ids(by_type) == [newer.pk]


def test_queue_counts_the_files_of_each_version(reviewer_client, waiting):
    response = reviewer_client.get(reverse(CHANGELIST))
    [row] = response.context["cl"].result_list
    assert row.files_total == 2


@pytest.mark.parametrize(
    "params",
    [
        {"status": "open"},
        {"status": "uploaded"},
        {"status": "rejected"},
        {"status": "superseded"},
        {"status": "all"},
        {"status": "bogus"},
        {"document__merchant__legal_form__exact": "llc"},
        {"document__merchant__legal_form__exact": "bogus"},
        {"document__type__id__exact": "1"},
        {"_facets": "1"},
        {"_facets": "1", "status": "all"},
        {"q": "Ararat"},
        {"q": "01234567"},
        {"q": "%_'\""},
        {"o": "2"},
        {"o": "-3.4"},
        {"o": "6"},
        {"o": "7"},
    ],
)
def test_queue_filters_sorting_and_search_never_fail(reviewer_client, waiting, params):
    assert reviewer_client.get(reverse(CHANGELIST), params).status_code == 200


def test_search_by_name_legal_name_and_tax_id(reviewer_client, waiting, passport):
    other = MembershipFactory(
        merchant=MerchantFactory(
            name="Sevan Fish", legal_name="Sevan Fish LLC", tax_id="07654321", legal_form="llc"
        )
    )
    theirs = _upload(other.merchant, passport, other.user)
    for query, expected in (
        ("Ararat Books", waiting),
        ("Ararat Trade", waiting),
        ("01234567", waiting),
        ("Sevan Fish LLC", theirs),
        ("0765", theirs),
    ):
        response = reviewer_client.get(reverse(CHANGELIST), {"q": query})
        assert _ids(response) == [expected.pk], query


def test_decision_log_admin_lists_who_decided_what(reviewer_client, reviewer, waiting, owner):
    services.document_reject(version=waiting, reviewed_by=reviewer, reason="Page 3 is missing.")
    url = reverse("admin:documents_documentevent_changelist")
    response = reviewer_client.get(url)
    assert response.status_code == 200
    text = _text(response)
    assert "Page 3 is missing." in text
    assert reviewer.email in text and owner.email in text
    rejected = reviewer_client.get(url, {"action__exact": "rejected"})
    assert [e.action for e in rejected.context["cl"].result_list] == ["rejected"]
    assert reviewer_client.get(url, {"q": "Ararat Trade"}).context["cl"].result_count == 2
    assert reviewer_client.get(url, {"q": "nobody"}).context["cl"].result_count == 0
    event = DocumentEvent.objects.get(action="rejected")
    assert reviewer_client.get(reverse("admin:documents_documentevent_add")).status_code == 403
    detail = reverse("admin:documents_documentevent_change", args=[event.pk])
    assert reviewer_client.get(detail).status_code == 200
    assert reviewer_client.post(detail, {"reason": "Changed."}).status_code == 403
    delete = reverse("admin:documents_documentevent_delete", args=[event.pk])
    assert reviewer_client.post(delete, {"post": "yes"}).status_code == 403
    event.refresh_from_db()
    assert event.reason == "Page 3 is missing."


# ---------------------------------------------------------------------------
# The review page
# ---------------------------------------------------------------------------
def test_review_page_shows_company_data_files_previews_and_log(
    reviewer_client, waiting, company, owner
):
    response = reviewer_client.get(_change(waiting))
    assert response.status_code == 200
    page = response.content.decode()
    text = _text(response)
    for value in (
        "Ararat Trade LLC",
        "Ararat Books",
        "Limited liability company (LLC)",
        "01234567",
        "286.110.02345",
        "1 Abovyan St, Yerevan",
        "5 Tumanyan St, Yerevan",
        "Anna Petrosyan",
    ):
        assert value in text, value
    # The document type and what is expected of it.
    assert "Charter" in text
    assert "The charter in force with all amendments" in text
    # Every file: its preview inline, opened in a new tab, or downloaded.
    for file in waiting.files.all():
        preview = reverse("documents:preview", args=[file.public_id])
        download = reverse("documents:file", args=[file.public_id])
        assert f'src="{preview}"' in page
        assert f'href="{download}?inline=1" target="_blank" rel="noopener"' in page
        assert f'href="{download}"' in page
        assert file.original_name in text
    assert "2 pages" in text
    # The log: who uploaded and when.
    assert "Uploaded" in text and owner.email in text
    # The decisions, while the version is open.
    for name in ("start_review", "approve", "reject"):
        assert _decision_url(name, waiting) in page
    # No inline script or style: the admin has a strict CSP too.
    assert "<script>" not in page and " style=" not in page
    # Read-only: no form field of the version and no save button.
    assert 'name="_save"' not in page
    assert 'name="reason"' not in page


def test_review_page_links_to_the_merchant_for_staff_who_may_see_it(staff_client, waiting):
    page = staff_client.get(_change(waiting)).content.decode()
    assert reverse("admin:merchants_merchant_change", args=[waiting.document.merchant_id]) in page


def test_review_page_shows_earlier_versions_with_their_decisions(
    reviewer_client, reviewer, waiting, company, charter, owner
):
    services.document_reject(version=waiting, reviewed_by=reviewer, reason="Stamp missing.")
    second = _upload(company, charter, owner, passport_pdf("charter-stamped.pdf"))
    response = reviewer_client.get(_change(second))
    text = _text(response)
    assert "Earlier versions" in text
    assert "Stamp missing." in text
    assert "Rejected" in text
    assert "charter.pdf" in text
    assert _change(waiting) in response.content.decode()


@pytest.mark.parametrize("status", [V.APPROVED, V.REJECTED, V.SUPERSEDED])
def test_decided_versions_offer_no_decision(reviewer_client, reviewer, waiting, status, company):
    if status == V.APPROVED:
        services.document_approve(version=waiting, reviewed_by=reviewer)
    elif status == V.REJECTED:
        services.document_reject(version=waiting, reviewed_by=reviewer, reason="Blurred.")
    else:
        _upload(company, waiting.document.type, waiting.uploaded_by)
    waiting.refresh_from_db()
    assert waiting.status == status
    page = reviewer_client.get(_change(waiting)).content.decode()
    for name in ("start_review", "approve", "reject"):
        assert _decision_url(name, waiting) not in page


def test_in_review_version_offers_approve_and_reject_but_not_start(
    reviewer_client, reviewer, waiting
):
    services.document_review_start(version=waiting, reviewer=reviewer)
    page = reviewer_client.get(_change(waiting)).content.decode()
    assert _decision_url("start_review", waiting) not in page
    assert _decision_url("approve", waiting) in page
    assert _decision_url("reject", waiting) in page


# ---------------------------------------------------------------------------
# Single decisions from the review page
# ---------------------------------------------------------------------------
def test_start_review_then_approve_from_the_review_page(
    reviewer_client, reviewer, waiting, mailoutbox, django_capture_on_commit_callbacks
):
    response = reviewer_client.post(_decision_url("start_review", waiting))
    assert response.status_code == 302
    assert response["Location"] == _change(waiting)
    waiting.refresh_from_db()
    assert (waiting.status, waiting.reviewer) == (V.IN_REVIEW, reviewer)
    assert waiting.document.status == Status.IN_REVIEW

    with django_capture_on_commit_callbacks(execute=True):
        response = reviewer_client.post(_decision_url("approve", waiting))
    assert response.status_code == 302
    waiting.refresh_from_db()
    assert (waiting.status, waiting.decided_by) == (V.APPROVED, reviewer)
    document = Document.objects.get(pk=waiting.document_id)
    assert document.status == Status.APPROVED
    assert document.approved_version_id == waiting.pk
    assert any("1 document approved." in m for m in _messages(response))
    assert list(
        DocumentEvent.objects.filter(version=waiting).order_by("pk").values_list("action", "actor")
    ) == [
        ("uploaded", waiting.uploaded_by_id),
        ("review_started", reviewer.pk),
        ("approved", reviewer.pk),
    ]
    # One required document of five: no "all approved" email yet.
    assert mailoutbox == []


def test_decision_urls_accept_only_post(reviewer_client, waiting):
    assert reviewer_client.get(_decision_url("start_review", waiting)).status_code == 405
    assert reviewer_client.get(_decision_url("approve", waiting)).status_code == 405
    waiting.refresh_from_db()
    assert waiting.status == V.UPLOADED


def test_reject_from_the_review_page_asks_for_a_reason(
    reviewer_client, reviewer, waiting, owner, mailoutbox, django_capture_on_commit_callbacks
):
    url = _decision_url("reject", waiting)
    page = reviewer_client.get(url)
    assert page.status_code == 200
    assert re.search(r"<textarea[^>]*name=\"reason\"[^>]*required", page.content.decode())
    assert "Charter" in _text(page)

    empty = reviewer_client.post(url, {"reason": "   "})
    assert empty.status_code == 200
    assert "This field is required" in empty.content.decode()
    waiting.refresh_from_db()
    assert waiting.status == V.UPLOADED

    with django_capture_on_commit_callbacks(execute=True):
        response = reviewer_client.post(url, {"reason": "The stamp is not readable."})
    assert response.status_code == 302
    assert response["Location"] == _change(waiting)
    waiting.refresh_from_db()
    assert waiting.status == V.REJECTED
    assert waiting.reason == "The stamp is not readable."
    [message] = mailoutbox
    assert message.to == [owner.email]
    assert "The stamp is not readable." in message.body


def test_a_second_decision_is_refused_with_the_service_message(
    reviewer_client, reviewer, waiting, mailoutbox, django_capture_on_commit_callbacks
):
    services.document_approve(version=waiting, reviewed_by=reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = reviewer_client.post(
            _decision_url("reject", waiting), {"reason": "Changed my mind."}
        )
    assert response.status_code == 302
    assert any("already been decided" in m for m in _messages(response))
    waiting.refresh_from_db()
    assert waiting.status == V.APPROVED
    assert mailoutbox == []
    again = reviewer_client.post(_decision_url("start_review", waiting))
    assert any("Only a document waiting for review" in m for m in _messages(again))


def test_decisions_on_missing_versions_are_404(reviewer_client):
    for name in ("start_review", "approve", "reject"):
        url = reverse(f"admin:documents_documentversion_{name}", args=[999999])
        assert reviewer_client.post(url, {"reason": "x"}).status_code == 404


# ---------------------------------------------------------------------------
# Bulk decisions from the queue
# ---------------------------------------------------------------------------
@pytest.fixture
def three(waiting, company, passport, owner) -> list[DocumentVersion]:
    second = _upload(company, passport, owner, scan_jpeg())
    third = _upload(
        company, DocumentType.objects.get(code="director_appointment"), owner, passport_pdf()
    )
    return [waiting, second, third]


def test_bulk_start_review_and_approve_report_done_and_skipped(
    reviewer_client, reviewer, three, django_capture_on_commit_callbacks
):
    first, second, third = three
    services.document_review_start(version=first, reviewer=reviewer)
    response = _action(reviewer_client, "start_review", *three)
    assert response.status_code == 302
    messages = _messages(response)
    assert "2 documents taken into review." in messages
    assert any(m.startswith("1 skipped:") and "Only a document waiting" in m for m in messages)
    assert set(DocumentVersion.objects.values_list("status", flat=True)) == {V.IN_REVIEW}
    reviewer_client.get(response["Location"])  # the queue shows (and so clears) the messages

    services.document_reject(version=third, reviewed_by=reviewer, reason="Unsigned.")
    with django_capture_on_commit_callbacks(execute=True):
        response = _action(reviewer_client, "approve_versions", *three)
    # The rejected one has left the queue the action works on: nothing to skip.
    assert _messages(response) == ["2 documents approved."]
    for version in three:
        version.refresh_from_db()
    assert [v.status for v in three] == [V.APPROVED, V.APPROVED, V.REJECTED]


def test_bulk_reject_asks_for_one_reason_for_all(
    reviewer_client, three, owner, mailoutbox, django_capture_on_commit_callbacks
):
    page = _action(reviewer_client, "reject_versions", *three)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'name="reason"' in body
    text = _text(page)
    assert "Charter" in text and "Passport or ID card" in text
    assert "Decision appointing the director" in text
    assert not DocumentVersion.objects.filter(status=V.REJECTED).exists()

    empty = _action(reviewer_client, "reject_versions", *three, apply="1", reason=" ")
    assert empty.status_code == 200
    assert "This field is required" in empty.content.decode()
    assert not DocumentVersion.objects.filter(status=V.REJECTED).exists()

    with django_capture_on_commit_callbacks(execute=True):
        done = _action(
            reviewer_client, "reject_versions", *three, apply="1", reason="Scans are blurred."
        )
    assert done.status_code == 302
    assert "3 documents rejected; the merchants are told why." in _messages(done)
    for version in three:
        version.refresh_from_db()
        assert (version.status, version.reason) == (V.REJECTED, "Scans are blurred.")
    assert len(mailoutbox) == 3
    assert all(m.to == [owner.email] and "Scans are blurred." in m.body for m in mailoutbox)


def test_bulk_action_on_decided_versions_only_reports_skipped(reviewer_client, reviewer, waiting):
    services.document_approve(version=waiting, reviewed_by=reviewer)
    response = reviewer_client.post(
        reverse(CHANGELIST) + "?status=all",
        {"action": "approve_versions", "_selected_action": [waiting.pk]},
    )
    [message] = _messages(response)
    assert message.startswith("1 skipped:")


# ---------------------------------------------------------------------------
# Staff decide; they never add, change or delete merchants' files
# ---------------------------------------------------------------------------
def test_versions_cannot_be_added_changed_or_deleted(reviewer_client, waiting):
    assert reviewer_client.get(reverse("admin:documents_documentversion_add")).status_code == 403
    delete = reverse("admin:documents_documentversion_delete", args=[waiting.pk])
    assert reviewer_client.post(delete, {"post": "yes"}).status_code == 403
    actions = reviewer_client.get(reverse(CHANGELIST)).content.decode()
    assert "delete_selected" not in actions
    deleted = _action(reviewer_client, "delete_selected", waiting, post="yes")
    assert deleted.status_code == 302  # back with "No action selected": there is no such action
    post = reviewer_client.post(
        _change(waiting), {"status": "approved", "reason": "x", "number": "7", "_save": "1"}
    )
    assert post.status_code == 403
    waiting.refresh_from_db()
    assert (waiting.status, waiting.number, waiting.reason) == (V.UPLOADED, 1, "")
    assert waiting.files.count() == 2
    assert DocumentVersion.objects.count() == 1


def test_reviewers_see_document_types_but_configuring_needs_model_permissions(
    reviewer_client, charter
):
    url = reverse("admin:documents_documenttype_changelist")
    assert reviewer_client.get(url).status_code == 200
    assert reviewer_client.get(reverse("admin:documents_documenttype_add")).status_code == 403
    change = reverse("admin:documents_documenttype_change", args=[charter.pk])
    assert reviewer_client.get(change).status_code == 200
    assert reviewer_client.post(change, {"name_en": "Statute"}).status_code == 403
    charter.refresh_from_db()
    assert charter.name_en == "Charter"


# ---------------------------------------------------------------------------
# Staff without the reviewer permission see nothing
# ---------------------------------------------------------------------------
def test_staff_without_the_permission_get_403_everywhere(plain_staff_client, waiting, charter):
    event = DocumentEvent.objects.first()
    for url in (
        reverse(CHANGELIST),
        _change(waiting),
        _decision_url("reject", waiting),
        reverse("admin:documents_documenttype_changelist"),
        reverse("admin:documents_documenttype_change", args=[charter.pk]),
        reverse("admin:documents_documenttype_add"),
        reverse("admin:documents_documentevent_changelist"),
        reverse("admin:documents_documentevent_change", args=[event.pk]),
    ):
        assert plain_staff_client.get(url).status_code == 403, url
    for name in ("start_review", "approve", "reject"):
        response = plain_staff_client.post(_decision_url(name, waiting), {"reason": "x"})
        assert response.status_code == 403, name
    assert _action(plain_staff_client, "approve_versions", waiting).status_code == 403
    waiting.refresh_from_db()
    assert waiting.status == V.UPLOADED
    # The admin index does not even list the documents app.
    assert (
        "Submitted documents" not in plain_staff_client.get(reverse("admin:index")).content.decode()
    )


def test_staff_without_the_permission_cannot_decide_even_with_model_permissions(waiting):
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    user = UserFactory(is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="documents",
            codename__in=["view_documentversion", "change_documentversion"],
        )
    )
    client = _client(user)
    assert client.get(reverse(CHANGELIST)).status_code == 403
    assert client.post(_decision_url("approve", waiting)).status_code == 403
    waiting.refresh_from_db()
    assert waiting.status == V.UPLOADED


def test_superusers_review_without_the_explicit_permission(
    staff_client, waiting, django_capture_on_commit_callbacks
):
    assert staff_client.get(reverse(CHANGELIST)).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert staff_client.post(_decision_url("approve", waiting)).status_code == 302
    waiting.refresh_from_db()
    assert waiting.status == V.APPROVED


def test_merchants_are_sent_to_the_admin_login(owner_client, waiting):
    response = owner_client.get(reverse(CHANGELIST))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]
    assert owner_client.post(_decision_url("approve", waiting)).status_code == 302
    waiting.refresh_from_db()
    assert waiting.status == V.UPLOADED


def test_previews_and_files_are_served_to_reviewers_only(
    reviewer_client, plain_staff_client, waiting
):
    file = waiting.files.get(kind="pdf")
    preview = reverse("documents:preview", args=[file.public_id])
    download = reverse("documents:file", args=[file.public_id])

    assert plain_staff_client.get(preview).status_code == 404
    assert plain_staff_client.get(download).status_code == 404
    assert plain_staff_client.get(download + "?inline=1").status_code == 404

    shown = reviewer_client.get(preview)
    assert shown.status_code == 200
    assert shown["Content-Type"] == "image/png"
    assert shown["Content-Disposition"].startswith("inline")
    assert b"".join(shown.streaming_content).startswith(b"\x89PNG")
    opened = reviewer_client.get(download + "?inline=1")
    assert opened.status_code == 200
    assert opened["Content-Type"] == "application/pdf"
    assert opened["Content-Disposition"].startswith("inline")
    assert opened["X-Content-Type-Options"] == "nosniff"
    assert opened["Cache-Control"] == "private, no-store"
    assert b"".join(opened.streaming_content).startswith(b"%PDF")
    downloaded = reviewer_client.get(download)
    assert downloaded["Content-Disposition"].startswith("attachment")


# ---------------------------------------------------------------------------
# Document types
# ---------------------------------------------------------------------------
def test_staff_configure_a_document_type_with_legal_form_checkboxes(staff_client, merchant):
    add = reverse("admin:documents_documenttype_add")
    form = staff_client.get(add).content.decode()
    for value in ("llc", "sole_proprietor", "jsc", "other"):
        assert f'type="checkbox" name="legal_forms" value="{value}"' in form
    response = staff_client.post(
        add,
        {
            "code": "licence",
            "name_ru": "Лицензия",
            "name_en": "Licence",
            "description_ru": "Лицензия на вид деятельности.",
            "description_en": "The licence for the activity.",
            "legal_forms": ["sole_proprietor", "llc"],
            "required": "on",
            "position": "60",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    licence = DocumentType.objects.get(code="licence")
    assert licence.legal_forms == ["llc", "sole_proprietor"]
    assert licence.required and licence.is_active
    # The merchant's legal form now asks for it.
    assert licence in DocumentType.objects.for_legal_form("llc")

    listing = _text(staff_client.get(reverse("admin:documents_documenttype_changelist")))
    assert "Licence" in listing
    assert "Limited liability company (LLC), Sole proprietor" in listing

    change = reverse("admin:documents_documenttype_change", args=[licence.pk])
    response = staff_client.post(
        change,
        {
            "name_ru": "Лицензия",
            "name_en": "Licence",
            "legal_forms": ["jsc"],
            "position": "60",
            "code": "renamed",
        },
    )
    assert response.status_code == 302
    licence.refresh_from_db()
    # Unchecked boxes are not sent: optional and inactive now; the code is set once.
    assert (licence.legal_forms, licence.required, licence.is_active) == (["jsc"], False, False)
    assert licence.code == "licence"


def test_a_document_type_needs_a_legal_form(staff_client):
    response = staff_client.post(
        reverse("admin:documents_documenttype_add"),
        {"code": "x", "name_ru": "X", "name_en": "X", "position": "1", "legal_forms": ["bogus"]},
    )
    assert response.status_code == 200
    assert not DocumentType.objects.filter(code="x").exists()


def test_a_document_type_in_use_cannot_be_deleted(staff_client, waiting, charter):
    delete = reverse("admin:documents_documenttype_delete", args=[charter.pk])
    assert staff_client.post(delete, {"post": "yes"}).status_code == 403
    assert DocumentType.objects.filter(pk=charter.pk).exists()


def _queries(client: Client, url: str, params: dict | None = None) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params or {}).status_code == 200
    return len(captured)


def test_queue_and_review_page_queries_do_not_grow_with_rows(
    reviewer_client, reviewer, waiting, company, passport, owner
):
    _queries(reviewer_client, reverse(CHANGELIST))  # warm the per-process caches
    few = _queries(reviewer_client, reverse(CHANGELIST))
    for _ in range(3):
        other = MembershipFactory(merchant=MerchantFactory(legal_form="llc"))
        _upload(other.merchant, passport, other.user, scan_jpeg(), scan_png())
    assert _queries(reviewer_client, reverse(CHANGELIST)) == few

    def reject_new_version(reason: str) -> DocumentVersion:
        version = _upload(company, waiting.document.type, owner, passport_pdf(), scan_png())
        services.document_review_start(version=version, reviewer=reviewer)
        return services.document_reject(version=version, reviewed_by=reviewer, reason=reason)

    latest = reject_new_version("First.")
    _queries(reviewer_client, _change(latest))
    page = _queries(reviewer_client, _change(latest))
    for reason in ("Second.", "Third."):
        reject_new_version(reason)
    assert _queries(reviewer_client, _change(latest)) == page
