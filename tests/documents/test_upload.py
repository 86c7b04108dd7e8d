"""Uploading documents through the real HTTP stack: good files are kept under random names in
private storage; each bad input from the issue is refused next to its field, nothing is
stored, and an earlier approved version is untouched."""

from __future__ import annotations

import hashlib
import html
import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from documents import services
from documents.inspection import MAX_FILE_SIZE
from documents.models import Document, DocumentFile, DocumentType, DocumentVersion, Status
from documents.selectors import required_documents_approved
from merchants.models import Merchant
from tests.documents.samples import image_bytes, passport_pdf, pdf_bytes, png_bomb

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

LIST_URL = reverse("documents:list")
BOUNDARY = "InecopayTestBoundary7MA4YWxkTrZu0gW"
CONTENT_TYPES = {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg"}
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def upload_url(code: str = "charter") -> str:
    return reverse("documents:upload", args=[code])


def multipart(*files: tuple[str, bytes], field: str = "files") -> bytes:
    """A multipart body written by hand, so the file name reaches the server byte for byte.

    The test client's own encoder keeps only the base name, which would hide exactly the
    names these tests send.
    """
    body = b""
    for name, data in files:
        extension = name.rsplit(".", 1)[-1].lower()
        content_type = CONTENT_TYPES.get(extension, "application/octet-stream")
        body += (
            (
                f"--{BOUNDARY}\r\n"
                f'Content-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
                f"Content-Type: {content_type}\r\n\r\n"
            ).encode()
            + data
            + b"\r\n"
        )
    return body + f"--{BOUNDARY}--\r\n".encode()


def post_files(client: Client, code: str, *files: tuple[str, bytes]):
    return client.post(
        upload_url(code),
        data=multipart(*files),
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
    )


def stored_files(settings) -> set[Path]:
    root = Path(settings.MEDIA_ROOT)
    return {path for path in root.rglob("*") if path.is_file()} if root.exists() else set()


def card(response, code: str = "charter") -> str:
    match = re.search(
        rf'<article[^>]*id="doc-{code}".*?</article>', response.content.decode(), re.S
    )
    assert match, f"no card for {code}"
    return match.group(0)


def card_errors(response, code: str = "charter") -> list[str]:
    """The messages in the card's alert list, as the merchant reads them."""
    match = re.search(
        r'<ul class="doc-errors"[^>]*role="alert">(.*?)</ul>', card(response, code), re.S
    )
    assert match, f"no error list in the {code} card"
    return [
        html.unescape(item).strip() for item in re.findall(r"<li>(.*?)</li>", match.group(1), re.S)
    ]


def approve(merchant: Merchant, code: str, owner, reviewer) -> DocumentVersion:
    version = services.document_upload(
        merchant=merchant,
        document_type=DocumentType.objects.get(code=code),
        files=[passport_pdf("approved.pdf")],
        by=owner,
    )
    return services.document_approve(version=version, reviewed_by=reviewer)


def test_good_pdf_png_and_jpeg_are_stored_under_random_names(owner_client, merchant, settings):
    files = (
        ("Charter of Ararat Books.pdf", pdf_bytes(2)),
        ("page-two.png", image_bytes("PNG")),
        ("page-three.jpg", image_bytes("JPEG")),
    )

    response = post_files(owner_client, "charter", *files)

    assert response.status_code == 302
    assert response["Location"] == LIST_URL + "#doc-charter"
    document = Document.objects.get(merchant=merchant, type__code="charter")
    assert document.status == Status.UPLOADED
    version = document.current_version
    assert (version.number, version.status) == (1, DocumentVersion.Status.UPLOADED)
    rows = list(version.files.order_by("position"))
    assert [(f.original_name, f.kind) for f in rows] == [
        ("Charter of Ararat Books.pdf", "pdf"),
        ("page-two.png", "png"),
        ("page-three.jpg", "jpeg"),
    ]
    assert rows[0].pages == 2
    assert (rows[1].width, rows[1].height) == (120, 80)

    on_disk = stored_files(settings)
    root = Path(settings.MEDIA_ROOT)
    assert on_disk == {root / name for f in rows for name in (f.storage_name, f.preview_name)}
    for f, (original, data) in zip(rows, files, strict=True):
        stored = root / f.storage_name
        assert stored.read_bytes() == data
        assert f.sha256 == hashlib.sha256(data).hexdigest() and f.size == len(data)
        assert Path(original).stem.lower() not in f.storage_name.lower()
        assert re.fullmatch(r"documents/[0-9a-f]{2}/[0-9a-f]{32}\.(pdf|png|jpeg)", f.storage_name)
        assert (root / f.preview_name).read_bytes().startswith(PNG_MAGIC)

    page = owner_client.get(response["Location"])
    assert "«Charter» is uploaded and waits for review." in html.unescape(page.content.decode())
    assert "Waiting for review" in card(page)


HOSTILE = [
    pytest.param(
        [("contract.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 2048 + b"This program")],
        "«contract.pdf» is not a PDF, JPEG or PNG file (its contents were checked, not its name).",
        id="executable-renamed-to-pdf",
    ),
    pytest.param(
        [("scan.png", PNG_MAGIC + b"<html><script>alert(document.cookie)</script></html>")],
        "«scan.png» is damaged or is not a real PNG image.",
        id="html-with-png-header",
    ),
    pytest.param(
        [("charter.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ngarbage, no xref\n")],
        "«charter.pdf» is damaged or is not a real PDF file.",
        id="corrupt-pdf",
    ),
    pytest.param(
        [("charter.pdf", pdf_bytes(user_password="secret"))],
        "«charter.pdf» is protected by a password. Save it without protection and upload it again.",
        id="pdf-with-user-password",
    ),
    pytest.param(
        [("charter.pdf", pdf_bytes(owner_password="owner-only"))],
        "«charter.pdf» is encrypted. Save it without protection and upload it again.",
        id="pdf-with-owner-password-only",
    ),
    pytest.param(
        [("scan.png", png_bomb())],
        "«scan.png» has more than 50 million pixels. Scan it at a lower resolution.",
        id="png-bomb-30000x30000",
    ),
    pytest.param(
        [("scan.png", png_bomb(8000, 7000))],
        "«scan.png» is 8000 × 7000 pixels; at most 50 million pixels are accepted. Scan it at "
        "a lower resolution.",
        id="png-over-the-pixel-cap",
    ),
    pytest.param([("empty.pdf", b"")], "«empty.pdf» is empty.", id="empty-file"),
    pytest.param(
        [("big.pdf", pdf_bytes() + b"%" + b"0" * MAX_FILE_SIZE + b"\n")],
        "«big.pdf» is 10.0 MB; a file can be at most 10 MB.",
        id="over-10-mb",
    ),
    pytest.param(
        [(f"page-{n}.pdf", pdf_bytes()) for n in range(11)],
        "11 files were chosen; at most 10 can be uploaded at once.",
        id="eleven-files",
    ),
    pytest.param(
        [("../../etc/passwd.pdf", pdf_bytes())],
        "The file name '../../etc/passwd.pdf' contains a path or control characters. Rename "
        "the file and upload it again.",
        id="unix-path-in-name",
    ),
    pytest.param(
        [("..\\..\\x.pdf", pdf_bytes())],
        "The file name '..\\\\..\\\\x.pdf' contains a path or control characters. Rename the "
        "file and upload it again.",
        id="windows-path-in-name",
    ),
    pytest.param(
        [("scan\x07.pdf", pdf_bytes())],
        "The file name 'scan\\x07.pdf' contains a path or control characters. Rename the file "
        "and upload it again.",
        id="control-character-in-name",
    ),
    pytest.param(
        [("invoice\u202efdp.pdf", pdf_bytes())],
        "The file name 'invoice\\u202efdp.pdf' contains a path or control characters. Rename "
        "the file and upload it again.",
        id="right-to-left-override-in-name",
    ),
]


@pytest.mark.parametrize(("files", "message"), HOSTILE)
def test_bad_input_is_refused_next_to_the_field_and_nothing_is_stored(
    files, message, owner_client, owner, merchant, reviewer, settings
):
    approved = approve(merchant, "charter", owner, reviewer)
    before = stored_files(settings)
    versions, rows = DocumentVersion.objects.count(), DocumentFile.objects.count()

    response = post_files(owner_client, "charter", *files)

    assert response.status_code == 400
    assert card_errors(response) == [message]
    assert 'aria-invalid="true"' in card(response)
    # Only the card of the refused document carries the message.
    assert "doc-errors" not in card(response, "identity_document")
    assert DocumentVersion.objects.count() == versions
    assert DocumentFile.objects.count() == rows
    assert stored_files(settings) == before
    document = Document.objects.get(merchant=merchant, type__code="charter")
    assert document.status == Status.APPROVED
    assert document.current_version == document.approved_version == approved
    approved.refresh_from_db()
    assert approved.status == DocumentVersion.Status.APPROVED
    assert required_documents_approved(merchant) is False  # four more are required
    assert "doc-status-approved" in card(response)


def test_bad_input_on_a_new_document_creates_no_version(owner_client, merchant, settings):
    response = post_files(owner_client, "identity_document", ("passport.pdf", b"MZ\x90\x00"))

    assert response.status_code == 400
    assert card_errors(response, "identity_document") == [
        "«passport.pdf» is not a PDF, JPEG or PNG file (its contents were checked, not its name)."
    ]
    assert not DocumentVersion.objects.exists()
    assert stored_files(settings) == set()
    assert "Not uploaded" in card(response, "identity_document")


def test_one_bad_file_among_good_ones_refuses_the_whole_upload(owner_client, merchant, settings):
    response = post_files(
        owner_client,
        "identity_document",
        ("photo-page.jpg", image_bytes("JPEG")),
        ("setup.pdf", b"MZ\x90\x00" + b"\x00" * 512),
        ("registration-page.png", image_bytes("PNG")),
        ("blank.png", b""),
    )

    assert response.status_code == 400
    assert card_errors(response, "identity_document") == [
        "«setup.pdf» is not a PDF, JPEG or PNG file (its contents were checked, not its name).",
        "«blank.png» is empty.",
    ]
    assert not DocumentVersion.objects.exists()
    assert not DocumentFile.objects.exists()
    assert stored_files(settings) == set()


def test_a_path_in_one_name_refuses_the_files_beside_it(owner_client, merchant, settings):
    response = post_files(
        owner_client, "charter", ("charter.pdf", pdf_bytes()), ("../charter-p2.pdf", pdf_bytes())
    )

    assert response.status_code == 400
    assert card_errors(response) == [
        "The file name '../charter-p2.pdf' contains a path or control characters. Rename the "
        "file and upload it again."
    ]
    assert not DocumentVersion.objects.exists()
    assert stored_files(settings) == set()


def test_no_file_chosen_is_refused(owner_client, merchant):
    response = owner_client.post(upload_url("charter"), {})

    assert response.status_code == 400
    assert card_errors(response) == ["Choose at least one file to upload."]
    assert not DocumentVersion.objects.exists()


def test_ten_files_at_once_are_accepted(owner_client, merchant):
    response = post_files(
        owner_client, "charter", *[(f"page-{n}.png", image_bytes("PNG")) for n in range(10)]
    )

    assert response.status_code == 302
    assert DocumentFile.objects.count() == 10


def test_a_re_upload_while_waiting_supersedes_the_waiting_version(owner_client, merchant):
    post_files(owner_client, "charter", ("first.pdf", pdf_bytes()))
    response = post_files(owner_client, "charter", ("second.pdf", pdf_bytes()))

    assert response.status_code == 302
    document = Document.objects.get(merchant=merchant, type__code="charter")
    first, second = document.versions.order_by("number")
    assert first.status == DocumentVersion.Status.SUPERSEDED
    assert second.status == DocumentVersion.Status.UPLOADED
    assert document.current_version == second and document.status == Status.UPLOADED
    page = owner_client.get(LIST_URL)
    assert "second.pdf" in card(page) and "first.pdf" not in card(page)
    assert "Replaced before review" in card(page)


def test_an_upload_while_in_review_is_refused(owner_client, owner, merchant, reviewer, settings):
    post_files(owner_client, "charter", ("charter.pdf", pdf_bytes()))
    version = DocumentVersion.objects.get()
    services.document_review_start(version=version, reviewer=reviewer)
    before = stored_files(settings)

    response = post_files(owner_client, "charter", ("charter-fixed.pdf", pdf_bytes()))

    assert response.status_code == 400
    assert card_errors(response) == [
        "Inecopay is reviewing this document now. You can upload a new version once the "
        "review is finished."
    ]
    assert DocumentVersion.objects.get() == version
    assert DocumentFile.objects.count() == 1
    # The files were checked and written before the lock was taken; they are removed again.
    assert stored_files(settings) == before
    version.refresh_from_db()
    assert version.status == DocumentVersion.Status.IN_REVIEW


def test_a_rejected_document_is_uploaded_again_and_the_history_keeps_both(
    owner_client, merchant, reviewer
):
    post_files(owner_client, "charter", ("blurred.jpg", image_bytes("JPEG")))
    services.document_reject(
        version=DocumentVersion.objects.get(), reviewed_by=reviewer, reason="The scan is blurred."
    )

    response = post_files(owner_client, "charter", ("sharp.pdf", pdf_bytes()))

    assert response.status_code == 302
    document = Document.objects.get(merchant=merchant, type__code="charter")
    first, second = document.versions.order_by("number")
    assert (first.status, first.reason) == (DocumentVersion.Status.REJECTED, "The scan is blurred.")
    assert second.status == DocumentVersion.Status.UPLOADED
    assert document.status == Status.UPLOADED and document.current_version == second
    page = card(owner_client.get(LIST_URL))
    assert "History: 2 versions" in page
    assert "The scan is blurred." in page  # in the history, no longer as the current reason
    assert "doc-reason" not in page


def test_a_new_upload_of_an_approved_document_starts_a_new_review(
    owner_client, owner, merchant, reviewer
):
    approved = approve(merchant, "charter", owner, reviewer)

    response = post_files(owner_client, "charter", ("charter-2025.pdf", pdf_bytes()))

    assert response.status_code == 302
    document = Document.objects.get(merchant=merchant, type__code="charter")
    assert document.status == Status.UPLOADED
    assert document.approved_version == approved
    assert document.current_version.number == 2


def test_a_document_not_asked_of_the_legal_form_cannot_be_uploaded(owner_client, merchant):
    merchant.legal_form = "sole_proprietor"
    merchant.save(update_fields=["legal_form"])

    response = post_files(owner_client, "charter", ("charter.pdf", pdf_bytes()))

    assert response.status_code == 404
    assert post_files(owner_client, "no-such-type", ("x.pdf", pdf_bytes())).status_code == 404
    assert not DocumentVersion.objects.exists()


def test_the_upload_url_opened_with_get_leads_back_to_the_card(owner_client, merchant):
    # A refused upload renders the list at the upload URL; switching the language there
    # (or reloading) comes back with GET.
    response = owner_client.get(upload_url("charter"))

    assert response.status_code == 302
    assert response["Location"] == LIST_URL + "#doc-charter"
    assert owner_client.put(upload_url("charter")).status_code == 405
    assert not DocumentVersion.objects.exists()


def test_switching_the_language_after_a_refused_upload_shows_the_list(owner_client, merchant):
    post_files(owner_client, "charter", ("charter.pdf", b"MZ"))

    response = owner_client.post(
        reverse("set_language"), {"language": "ru", "next": upload_url("charter")}, follow=True
    )

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == LIST_URL + "#doc-charter"
    assert "Устав" in response.content.decode()
