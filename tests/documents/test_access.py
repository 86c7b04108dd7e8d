"""Who may see the «Документы» page, upload, and download or preview a stored file, and the
headers a stored file is sent with."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from documents import services
from documents.models import Document, DocumentFile, DocumentType, DocumentVersion
from tests.documents.samples import image_bytes, pdf_bytes, upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

LIST_URL = reverse("documents:list")
UPLOAD_URL = reverse("documents:upload", args=["charter"])
PDF = pdf_bytes(2)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def a_pdf(name: str = "charter.pdf"):
    return upload(name, PDF, "application/pdf")


@pytest.fixture
def stored(merchant, owner) -> DocumentFile:
    """The owner's charter, uploaded and waiting for review."""
    services.document_upload(
        merchant=merchant,
        document_type=DocumentType.objects.get(code="charter"),
        files=[a_pdf()],
        by=owner,
    )
    return DocumentFile.objects.get()


def file_url(f: DocumentFile) -> str:
    return reverse("documents:file", args=[f.public_id])


def preview_url(f: DocumentFile) -> str:
    return reverse("documents:preview", args=[f.public_id])


def body(response) -> bytes:
    return b"".join(response.streaming_content)


# ----------------------------------------------------------------- the page and uploads
@pytest.mark.parametrize("who", ["owner", "admin_member"])
def test_owner_and_admin_see_the_page_and_upload(who, request, merchant):
    client = client_for(request.getfixturevalue(who))

    assert client.get(LIST_URL).status_code == 200
    response = client.post(UPLOAD_URL, {"files": [a_pdf()]})

    assert response.status_code == 302
    assert Document.objects.get(merchant=merchant, type__code="charter").versions.count() == 1


@pytest.mark.parametrize("who", ["member", "developer"])
def test_accountant_and_developer_get_403(who, request, merchant):
    client = client_for(request.getfixturevalue(who))

    assert client.get(LIST_URL).status_code == 403
    assert client.post(UPLOAD_URL, {"files": [a_pdf()]}).status_code == 403
    assert not DocumentVersion.objects.exists()


def test_anonymous_is_sent_to_sign_in(client, merchant):
    response = client.get(LIST_URL)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={LIST_URL}"

    response = client.post(UPLOAD_URL, {"files": [a_pdf()]})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert not DocumentVersion.objects.exists()


def test_staff_without_a_membership_get_403_on_the_merchant_page(reviewer, merchant):
    assert client_for(reviewer).get(LIST_URL).status_code == 403


def test_an_outsider_cannot_upload_to_this_merchant(outsider_client, outsider, merchant):
    # The upload URL names no merchant: it always goes to the signed-in member's own.
    # The outsider's company has no legal form yet, so nothing is asked of it.
    response = outsider_client.post(UPLOAD_URL, {"files": [a_pdf()]})
    assert response.status_code == 404

    theirs = outsider.memberships.get().merchant
    theirs.legal_form = "llc"
    theirs.save(update_fields=["legal_form"])
    response = outsider_client.post(UPLOAD_URL, {"files": [a_pdf()]})

    assert response.status_code == 302
    assert not Document.objects.filter(merchant=merchant).exists()
    assert Document.objects.get().merchant == theirs


def test_the_outsiders_page_shows_only_their_own_documents(
    outsider_client, outsider, merchant, stored
):
    theirs = outsider.memberships.get().merchant
    theirs.legal_form = "llc"
    theirs.save(update_fields=["legal_form"])

    html = outsider_client.get(LIST_URL).content.decode()

    assert stored.public_id not in html
    assert "Not uploaded" in html and "Waiting for review" not in html


def test_an_upload_without_the_csrf_token_is_refused(owner, merchant):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)

    response = client.post(UPLOAD_URL, {"files": [a_pdf()]})

    assert response.status_code == 403
    assert not DocumentVersion.objects.exists()


# ------------------------------------------------------------------ files and previews
@pytest.mark.parametrize("who", ["owner", "admin_member"])
def test_owner_and_admin_download_as_an_attachment(who, request, stored):
    client = client_for(request.getfixturevalue(who))

    response = client.get(file_url(stored))

    assert response.status_code == 200
    assert body(response) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="charter.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Security-Policy"].startswith("sandbox")


def test_a_merchant_never_gets_a_file_inline(owner_client, stored):
    response = owner_client.get(file_url(stored) + "?inline=1")

    assert response["Content-Disposition"] == 'attachment; filename="charter.pdf"'


def test_the_merchants_preview_is_an_attachment_png(owner_client, stored):
    response = owner_client.get(preview_url(stored))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert body(response).startswith(b"\x89PNG\r\n\x1a\n")
    assert response["Content-Disposition"] == 'attachment; filename="charter-preview.png"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"


def test_the_reviewer_opens_files_inline_only_when_asked_and_previews_inline(reviewer, stored):
    client = client_for(reviewer)

    attachment = client.get(file_url(stored))
    inline = client.get(file_url(stored) + "?inline=1")
    preview = client.get(preview_url(stored))

    assert attachment.status_code == inline.status_code == preview.status_code == 200
    assert attachment["Content-Disposition"] == 'attachment; filename="charter.pdf"'
    assert inline["Content-Disposition"] == 'inline; filename="charter.pdf"'
    assert body(inline) == PDF
    assert preview["Content-Disposition"] == 'inline; filename="charter-preview.png"'
    for response in (attachment, inline, preview):
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("who", ["member", "developer", "plain_staff", "outsider"])
def test_others_get_404_on_files_and_previews(who, request, stored):
    client = client_for(request.getfixturevalue(who))

    assert client.get(file_url(stored)).status_code == 404
    assert client.get(preview_url(stored)).status_code == 404
    assert client.get(file_url(stored) + "?inline=1").status_code == 404


def test_anonymous_gets_404_on_files_and_previews(client, stored):
    # Not a sign-in redirect: that would tell a stranger the file exists.
    assert client.get(file_url(stored)).status_code == 404
    assert client.get(preview_url(stored)).status_code == 404


def test_an_unknown_file_is_404_even_for_the_reviewer(reviewer, stored):
    assert client_for(reviewer).get(reverse("documents:file", args=["nope"])).status_code == 404


def test_files_cannot_be_changed_through_their_urls(owner_client, stored):
    assert owner_client.post(file_url(stored)).status_code == 405
    assert owner_client.delete(file_url(stored)).status_code == 405


def test_the_download_name_is_safe_and_follows_the_content(owner_client, merchant, owner):
    services.document_upload(
        merchant=merchant,
        document_type=DocumentType.objects.get(code="identity_document"),
        files=[
            upload("Паспорт директора.pdf", PDF, "application/pdf"),
            # A PNG that calls itself a PDF is sent as the PNG it is.
            upload('photo "page".pdf', image_bytes("PNG"), "application/pdf"),
        ],
        by=owner,
    )
    russian, photo = DocumentFile.objects.order_by("position")

    first = owner_client.get(file_url(russian))
    second = owner_client.get(file_url(photo))

    assert first["Content-Disposition"] == (
        "attachment; filename*=utf-8''%D0%9F%D0%B0%D1%81%D0%BF%D0%BE%D1%80%D1%82%20"
        "%D0%B4%D0%B8%D1%80%D0%B5%D0%BA%D1%82%D0%BE%D1%80%D0%B0.pdf"
    )
    assert second["Content-Type"] == "image/png"
    assert second["Content-Disposition"] == 'attachment; filename="photo \\"page\\".png"'
