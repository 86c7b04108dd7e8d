"""The whole way through HTTP: the owner uploads on «Документы», a reviewer decides in the
admin, the owner sees the status and the reason, and the emails go out — a rejection each
time, in the owner's language; "all approved" once, when the last required one is approved."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client
from django.urls import reverse

from documents.models import Document, DocumentType, DocumentVersion, Status
from tests.factories import MembershipFactory

from .samples import passport_pdf, scan_jpeg, scan_png

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

V = DocumentVersion.Status
LLC_REQUIRED = [
    "charter",
    "registration_certificate",
    "director_appointment",
    "identity_document",
    "bank_account_confirmation",
]


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def reviewer_client(reviewer) -> Client:
    return _client(reviewer)


def _text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


def _upload(client: Client, code: str, *files) -> DocumentVersion:
    response = client.post(
        reverse("documents:upload", args=[code]), {"files": list(files) or [passport_pdf()]}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return DocumentVersion.objects.filter(document__type__code=code).order_by("-pk").first()


def _approve(client: Client, version: DocumentVersion, capture) -> None:
    with capture(execute=True):
        response = client.post(
            reverse("admin:documents_documentversion_approve", args=[version.pk])
        )
    assert response.status_code == 302


def _reject(client: Client, version: DocumentVersion, reason: str, capture) -> None:
    with capture(execute=True):
        response = client.post(
            reverse("admin:documents_documentversion_reject", args=[version.pk]),
            {"reason": reason},
        )
    assert response.status_code == 302


def _card(response, code: str) -> str:
    """The text of one document's card on the merchant's page."""
    body = response.content.decode()
    match = re.search(rf'<article[^>]*id="doc-{code}".*?</article>', body, flags=re.S)
    assert match, f"no card for {code}"
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(0))))


def test_upload_reject_reupload_approve(
    owner_client,
    owner,
    merchant,
    reviewer_client,
    reviewer,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    documents = reverse("documents:list")

    # The owner uploads the charter: two pages as two files.
    first = _upload(owner_client, "charter", passport_pdf("charter.pdf", pages=2), scan_png())
    assert first.files.count() == 2
    assert "Waiting for review" in _card(owner_client.get(documents), "charter")

    # It is in the reviewer's queue, with its files.
    queue = reviewer_client.get(reverse("admin:documents_documentversion_changelist"))
    assert [v.pk for v in queue.context["cl"].result_list] == [first.pk]
    page = reviewer_client.get(reverse("admin:documents_documentversion_change", args=[first.pk]))
    assert "charter.pdf" in page.content.decode()

    # The reviewer takes it, and the owner sees it is in review.
    reviewer_client.post(reverse("admin:documents_documentversion_start_review", args=[first.pk]))
    assert "In review" in _card(owner_client.get(documents), "charter")

    # Rejected with a reason: the owner reads it on the page and in the email.
    _reject(
        reviewer_client,
        first,
        "Page 3 with the amendments is missing.",
        django_capture_on_commit_callbacks,
    )
    card = _card(owner_client.get(documents), "charter")
    assert "Rejected" in card
    assert "Page 3 with the amendments is missing." in card
    assert "Inecopay rejected this document" in card
    [rejected] = mailoutbox
    assert rejected.to == [owner.email]
    assert "Charter" in rejected.subject and "rejected" in rejected.subject
    assert "Page 3 with the amendments is missing." in rejected.body
    assert "/documents/" in rejected.body
    assert "Page 3 with the amendments is missing." in rejected.alternatives[0][0]

    # A new version starts a new review; approving it shows on the page. One required
    # document of five is not all of them: no "all approved" email.
    second = _upload(owner_client, "charter", passport_pdf("charter-full.pdf", pages=3))
    assert second.number == 2
    assert "Waiting for review" in _card(owner_client.get(documents), "charter")
    _approve(reviewer_client, second, django_capture_on_commit_callbacks)
    card = _card(owner_client.get(documents), "charter")
    assert "Approved" in card
    assert "Inecopay rejected this document" not in card  # the history keeps the old reason
    assert len(mailoutbox) == 1
    document = Document.objects.get(merchant=merchant, type__code="charter")
    assert document.status == Status.APPROVED
    assert document.approved_version_id == second.pk
    assert list(document.versions.values_list("number", "status")) == [
        (2, V.APPROVED),
        (1, V.REJECTED),
    ]


def test_all_approved_email_once_when_the_last_required_document_is_approved(
    owner_client, owner, merchant, reviewer_client, mailoutbox, django_capture_on_commit_callbacks
):
    optional = DocumentType.objects.create(
        code="price_list",
        name_ru="Прайс-лист",
        name_en="Price list",
        legal_forms=["llc"],
        required=False,
        position=99,
    )
    versions = [_upload(owner_client, code) for code in LLC_REQUIRED]
    for version in versions[:-1]:
        _approve(reviewer_client, version, django_capture_on_commit_callbacks)
    assert mailoutbox == []

    # The optional one neither blocks nor triggers the email.
    extra = _upload(owner_client, optional.code, scan_jpeg())
    _approve(reviewer_client, extra, django_capture_on_commit_callbacks)
    assert mailoutbox == []

    _approve(reviewer_client, versions[-1], django_capture_on_commit_callbacks)
    [approved] = mailoutbox
    assert approved.to == [owner.email]
    assert approved.subject == "Your documents are approved"
    assert "/documents/" in approved.body

    # A later version of an approved document, approved again: no second email.
    again = _upload(owner_client, "charter", passport_pdf("charter-2026.pdf"))
    assert "Waiting for review" in _card(owner_client.get(reverse("documents:list")), "charter")
    _approve(reviewer_client, again, django_capture_on_commit_callbacks)
    assert len(mailoutbox) == 1


def test_decision_emails_are_in_each_recipients_language(
    owner_client, owner, merchant, reviewer_client, mailoutbox, django_capture_on_commit_callbacks
):
    owner.language = "ru"
    owner.save()
    admin_user = MembershipFactory(merchant=merchant, role="admin").user
    admin_user.language = "en"
    admin_user.save()
    MembershipFactory(merchant=merchant, role="accountant")  # accountants are not told

    version = _upload(owner_client, "charter")
    _reject(
        reviewer_client,
        version,
        "Нет печати. / The stamp is missing.",
        django_capture_on_commit_callbacks,
    )

    by_recipient = {tuple(message.to): message for message in mailoutbox}
    assert set(by_recipient) == {(owner.email,), (admin_user.email,)}
    russian = by_recipient[(owner.email,)]
    english = by_recipient[(admin_user.email,)]
    # The document's name and the greeting follow the recipient's language.
    assert "Устав" in russian.subject
    assert "Здравствуйте!" in russian.body
    assert '<html lang="ru">' in russian.alternatives[0][0]
    assert "Charter" in english.subject
    assert "Hello!" in english.body
    assert '<html lang="en">' in english.alternatives[0][0]
    for message in (russian, english):
        assert "Нет печати. / The stamp is missing." in message.body


def test_sole_proprietor_needs_three_documents_for_the_email(
    owner_client, owner, merchant, reviewer_client, mailoutbox, django_capture_on_commit_callbacks
):
    merchant.legal_form = "sole_proprietor"
    merchant.save()
    text = _text(owner_client.get(reverse("documents:list")))
    assert "Charter" not in text
    # A company document is not asked of a sole proprietor.
    response = owner_client.post(
        reverse("documents:upload", args=["charter"]), {"files": [passport_pdf()]}
    )
    assert response.status_code == 404

    codes = ["registration_certificate", "identity_document", "bank_account_confirmation"]
    versions = [_upload(owner_client, code) for code in codes]
    for version in versions[:2]:
        _approve(reviewer_client, version, django_capture_on_commit_callbacks)
    assert mailoutbox == []
    _approve(reviewer_client, versions[2], django_capture_on_commit_callbacks)
    assert [m.subject for m in mailoutbox] == ["Your documents are approved"]


def test_an_upload_while_in_review_is_refused_and_the_review_goes_on(
    owner_client, merchant, reviewer_client
):
    version = _upload(owner_client, "charter")
    reviewer_client.post(reverse("admin:documents_documentversion_start_review", args=[version.pk]))
    response = owner_client.post(
        reverse("documents:upload", args=["charter"]), {"files": [passport_pdf()]}
    )
    assert response.status_code == 400
    assert "reviewing this document now" in _text(response)
    version.refresh_from_db()
    assert version.status == V.IN_REVIEW
    assert DocumentVersion.objects.count() == 1


def test_a_replaced_upload_leaves_the_queue(owner_client, merchant, reviewer_client):
    first = _upload(owner_client, "charter")
    second = _upload(owner_client, "charter", scan_png())
    first.refresh_from_db()
    assert first.status == V.SUPERSEDED
    queue = reviewer_client.get(reverse("admin:documents_documentversion_changelist"))
    assert [v.pk for v in queue.context["cl"].result_list] == [second.pk]
