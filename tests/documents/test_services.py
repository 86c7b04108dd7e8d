"""The document services on their own: who may decide, which decision is allowed from which
state, the append-only log of who did what, and that no stored file outlives a refused or
failed upload."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.files.storage import storages

from documents import services
from documents.models import Document, DocumentEvent, DocumentFile, DocumentVersion, Status
from merchants.services import ServiceError
from tests.factories import UserFactory

from .samples import image_bytes, passport_pdf, scan_png, upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

V = DocumentVersion.Status
A = DocumentEvent.Action


def _stored(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


@pytest.fixture
def waiting(merchant, charter, owner) -> DocumentVersion:
    return services.document_upload(
        merchant=merchant, document_type=charter, files=[passport_pdf(), scan_png()], by=owner
    )


# ---------------------------------------------------------------------------
# Who may decide
# ---------------------------------------------------------------------------
def _non_reviewers():
    perm = Permission.objects.get(codename="review_document")
    staff_without = UserFactory(is_staff=True)
    not_staff = UserFactory(is_staff=False)
    not_staff.user_permissions.add(perm)
    inactive = UserFactory(is_staff=True, is_active=False)
    inactive.user_permissions.add(perm)
    return {
        "staff without the permission": staff_without,
        "not staff": not_staff,
        "inactive": inactive,
    }


@pytest.mark.parametrize(
    "decide",
    [
        lambda v, u: services.document_review_start(version=v, reviewer=u),
        lambda v, u: services.document_approve(version=v, reviewed_by=u),
        lambda v, u: services.document_reject(version=v, reviewed_by=u, reason="No."),
    ],
    ids=["review_start", "approve", "reject"],
)
def test_only_active_staff_reviewers_decide(waiting, decide, mailoutbox):
    for label, user in _non_reviewers().items():
        with pytest.raises(ServiceError, match="Only Inecopay staff who review documents"):
            decide(waiting, user)
        waiting.refresh_from_db()
        assert waiting.status == V.UPLOADED, label
    assert list(DocumentEvent.objects.values_list("action", flat=True)) == [A.UPLOADED]
    assert mailoutbox == []


def test_plain_staff_fixture_is_refused(waiting, plain_staff):
    with pytest.raises(ServiceError):
        services.document_approve(version=waiting, reviewed_by=plain_staff)


def test_superusers_may_decide(waiting):
    boss = UserFactory(is_staff=True, is_superuser=True)
    services.document_approve(version=waiting, reviewed_by=boss)
    waiting.refresh_from_db()
    assert waiting.status == V.APPROVED


# ---------------------------------------------------------------------------
# Which decision from which state
# ---------------------------------------------------------------------------
def test_review_start_only_from_uploaded(waiting, reviewer, merchant, charter, owner):
    services.document_review_start(version=waiting, reviewer=reviewer)
    with pytest.raises(ServiceError, match="Only a document waiting for review"):
        services.document_review_start(version=waiting, reviewer=reviewer)
    services.document_approve(version=waiting, reviewed_by=reviewer)
    with pytest.raises(ServiceError, match="Only a document waiting for review"):
        services.document_review_start(version=waiting, reviewer=reviewer)

    first = services.document_upload(
        merchant=merchant, document_type=charter, files=[passport_pdf()], by=owner
    )
    services.document_upload(
        merchant=merchant, document_type=charter, files=[passport_pdf()], by=owner
    )
    first.refresh_from_db()
    assert first.status == V.SUPERSEDED
    with pytest.raises(ServiceError):
        services.document_review_start(version=first, reviewer=reviewer)


def test_approve_twice_is_refused(waiting, reviewer, mailoutbox):
    services.document_approve(version=waiting, reviewed_by=reviewer)
    with pytest.raises(ServiceError, match="already been decided"):
        services.document_approve(version=waiting, reviewed_by=reviewer)
    with pytest.raises(ServiceError, match="already been decided"):
        services.document_reject(version=waiting, reviewed_by=reviewer, reason="Late.")
    assert DocumentEvent.objects.filter(action=A.APPROVED).count() == 1
    assert DocumentEvent.objects.filter(action=A.REJECTED).count() == 0


def test_reject_twice_is_refused_and_a_rejected_version_is_not_approved(waiting, reviewer):
    services.document_reject(version=waiting, reviewed_by=reviewer, reason="Blurred.")
    for decide in (
        lambda: services.document_reject(version=waiting, reviewed_by=reviewer, reason="Again."),
        lambda: services.document_approve(version=waiting, reviewed_by=reviewer),
    ):
        with pytest.raises(ServiceError):
            decide()
    waiting.refresh_from_db()
    assert (waiting.status, waiting.reason) == (V.REJECTED, "Blurred.")


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_reject_needs_a_reason(waiting, reviewer, reason):
    with pytest.raises(ServiceError) as refused:
        services.document_reject(version=waiting, reviewed_by=reviewer, reason=reason)
    assert refused.value.field == "reason"
    waiting.refresh_from_db()
    assert waiting.status == V.UPLOADED


def test_a_superseded_version_cannot_be_decided(waiting, reviewer, merchant, charter, owner):
    services.document_upload(
        merchant=merchant, document_type=charter, files=[passport_pdf()], by=owner
    )
    with pytest.raises(ServiceError):
        services.document_approve(version=waiting, reviewed_by=reviewer)
    with pytest.raises(ServiceError):
        services.document_reject(version=waiting, reviewed_by=reviewer, reason="x")


def test_deciding_an_older_version_keeps_the_documents_status(
    waiting, reviewer, merchant, charter, owner
):
    """An approved document with a newer version in review: approving the old one again is
    impossible, and deciding the new one sets the status the merchant sees."""
    services.document_approve(version=waiting, reviewed_by=reviewer)
    newer = services.document_upload(
        merchant=merchant, document_type=charter, files=[passport_pdf()], by=owner
    )
    document = Document.objects.get(pk=waiting.document_id)
    assert (document.status, document.approved_version_id) == (Status.UPLOADED, waiting.pk)
    services.document_reject(version=newer, reviewed_by=reviewer, reason="Older is better.")
    document.refresh_from_db()
    assert (document.status, document.approved_version_id) == (Status.REJECTED, waiting.pk)


# ---------------------------------------------------------------------------
# The log
# ---------------------------------------------------------------------------
def test_every_step_is_logged_with_actor_and_reason(waiting, reviewer, owner, merchant, charter):
    services.document_review_start(version=waiting, reviewer=reviewer)
    services.document_reject(version=waiting, reviewed_by=reviewer, reason="Page 2 missing.")
    second = services.document_upload(
        merchant=merchant, document_type=charter, files=[passport_pdf()], by=owner
    )
    third = services.document_upload(
        merchant=merchant, document_type=charter, files=[passport_pdf()], by=owner
    )
    services.document_approve(version=third, reviewed_by=reviewer)

    rows = list(
        DocumentEvent.objects.order_by("pk").values_list("action", "actor", "version", "reason")
    )
    assert rows == [
        (A.UPLOADED, owner.pk, waiting.pk, ""),
        (A.REVIEW_STARTED, reviewer.pk, waiting.pk, ""),
        (A.REJECTED, reviewer.pk, waiting.pk, "Page 2 missing."),
        (A.UPLOADED, owner.pk, second.pk, ""),
        (A.SUPERSEDED, owner.pk, second.pk, ""),
        (A.UPLOADED, owner.pk, third.pk, ""),
        (A.APPROVED, reviewer.pk, third.pk, ""),
    ]
    assert {event.document_id for event in DocumentEvent.objects.all()} == {waiting.document_id}
    waiting.refresh_from_db()
    assert (waiting.reviewer, waiting.decided_by) == (reviewer, reviewer)
    assert waiting.review_started_at <= waiting.decided_at


def test_the_log_cannot_be_changed_or_deleted(waiting, reviewer):
    services.document_reject(version=waiting, reviewed_by=reviewer, reason="Blurred.")
    event = DocumentEvent.objects.get(action=A.REJECTED)
    event.reason = "Nothing happened."
    with pytest.raises(ValidationError):
        event.save()
    with pytest.raises(ValidationError):
        event.delete()
    event.refresh_from_db()
    assert event.reason == "Blurred."
    assert DocumentEvent.objects.count() == 2


# ---------------------------------------------------------------------------
# Storage: nothing is left behind
# ---------------------------------------------------------------------------
def test_a_refused_upload_stores_nothing(merchant, charter, owner, settings):
    bad = upload("evil.pdf", b"MZ\x90\x00" + b"\x00" * 200, "application/pdf")
    with pytest.raises(services.UploadRefused) as refused:
        services.document_upload(
            merchant=merchant, document_type=charter, files=[passport_pdf(), bad], by=owner
        )
    assert "evil.pdf" in refused.value.message
    assert _stored(settings) == []
    assert not DocumentVersion.objects.exists()
    assert not DocumentFile.objects.exists()


def test_a_refused_upload_leaves_the_approved_version_untouched(
    waiting, reviewer, merchant, charter, owner, settings
):
    services.document_approve(version=waiting, reviewed_by=reviewer)
    before = _stored(settings)
    assert len(before) == 4  # two files and two previews
    with pytest.raises(services.UploadRefused):
        services.document_upload(
            merchant=merchant,
            document_type=charter,
            files=[upload("empty.png", b"", "image/png")],
            by=owner,
        )
    assert _stored(settings) == before
    document = Document.objects.get(pk=waiting.document_id)
    assert (document.status, document.current_version_id) == (Status.APPROVED, waiting.pk)


def test_an_upload_refused_inside_the_transaction_removes_its_files(
    waiting, reviewer, merchant, charter, owner, settings
):
    """Files are stored before the rows; a refusal after that must delete them again."""
    services.document_review_start(version=waiting, reviewer=reviewer)
    before = _stored(settings)
    with pytest.raises(ServiceError, match="reviewing this document now"):
        services.document_upload(
            merchant=merchant, document_type=charter, files=[scan_png()], by=owner
        )
    assert _stored(settings) == before
    assert DocumentVersion.objects.count() == 1


def test_a_failing_database_write_removes_the_stored_files(
    merchant, charter, owner, settings, monkeypatch
):
    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "_log", broken)
    with pytest.raises(RuntimeError):
        services.document_upload(
            merchant=merchant, document_type=charter, files=[passport_pdf(), scan_png()], by=owner
        )
    assert _stored(settings) == []
    assert not DocumentVersion.objects.exists()
    assert not DocumentFile.objects.exists()


def test_a_failing_storage_removes_what_it_had_already_stored(
    merchant, charter, owner, settings, monkeypatch
):
    storage = storages["private"]
    real_save = storage.save
    calls = {"n": 0}

    def flaky(name, content, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:  # the second file, after one file and its preview
            raise OSError("disk full")
        return real_save(name, content, **kwargs)

    monkeypatch.setattr(storage, "save", flaky)
    with pytest.raises(OSError):
        services.document_upload(
            merchant=merchant,
            document_type=charter,
            files=[passport_pdf(), upload("b.png", image_bytes("PNG"), "image/png")],
            by=owner,
        )
    assert calls["n"] == 3
    assert _stored(settings) == []
    assert not DocumentVersion.objects.exists()


def test_a_document_not_asked_of_the_legal_form_is_refused_before_storing(
    merchant, owner, settings
):
    from documents.models import DocumentType

    merchant.legal_form = "sole_proprietor"
    merchant.save()
    with pytest.raises(ServiceError, match="not asked of your company"):
        services.document_upload(
            merchant=merchant,
            document_type=DocumentType.objects.get(code="charter"),
            files=[passport_pdf()],
            by=owner,
        )
    assert _stored(settings) == []
