"""Uploading company documents and deciding on them. Views, admin and tests call these."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from merchants.models import Merchant, User
from merchants.services import ServiceError, merchant_notify_owners

from .inspection import MAX_FILES, FileRefused, InspectedFile, inspect_upload
from .models import Document, DocumentEvent, DocumentFile, DocumentType, DocumentVersion, Status
from .selectors import required_documents_approved

REVIEW_PERMISSION = "documents.review_document"


class UploadRefused(ServiceError):
    """One or more files were refused; nothing of the upload was kept."""

    def __init__(self, messages: Sequence[str]) -> None:
        super().__init__(" ".join(messages), field="files")
        self.messages = list(messages)


def private_storage():
    return storages["private"]


def _storage_name(extension: str) -> str:
    token = secrets.token_hex(16)
    return f"documents/{token[:2]}/{token}.{extension}"


def _inspect_all(files: Sequence, unsafe_names: Iterable[str]) -> list[InspectedFile]:
    """Every file checked before any is stored: one bad file refuses the whole upload."""
    errors = [
        _(
            "The file name %(name)s contains a path or control characters. Rename the file "
            "and upload it again."
        )
        % {"name": repr(name)}
        for name in unsafe_names
    ]
    if not files and not errors:
        raise UploadRefused([_("Choose at least one file to upload.")])
    if len(files) > MAX_FILES:
        raise UploadRefused(
            [
                _("%(count)d files were chosen; at most %(limit)d can be uploaded at once.")
                % {"count": len(files), "limit": MAX_FILES}
            ]
        )
    inspected = []
    for upload in files:
        try:
            inspected.append(inspect_upload(upload))
        except FileRefused as refused:
            errors.append(refused.message)
    if errors:
        raise UploadRefused(errors)
    return inspected


def _store(inspected: list[InspectedFile]) -> list[tuple[InspectedFile, str, str]]:
    storage = private_storage()
    stored = []
    try:
        for item in inspected:
            name = storage.save(_storage_name(item.kind), ContentFile(item.data))
            preview = storage.save(_storage_name("png"), ContentFile(item.preview_png))
            stored.append((item, name, preview))
    except Exception:
        _delete_stored(stored)
        raise
    return stored


def _delete_stored(stored: list[tuple[InspectedFile, str, str]]) -> None:
    storage = private_storage()
    for _item, name, preview in stored:
        storage.delete(name)
        storage.delete(preview)


def _log(
    document: Document, version: DocumentVersion | None, action: str, actor: User, reason: str = ""
) -> None:
    DocumentEvent.objects.create(
        document=document, version=version, action=action, actor=actor, reason=reason
    )


def document_upload(
    *,
    merchant: Merchant,
    document_type: DocumentType,
    files: Sequence,
    by: User,
    unsafe_names: Iterable[str] = (),
) -> DocumentVersion:
    """Store the files as the document's new version, waiting for review.

    A version still waiting is replaced; a version in review cannot be; an approved
    version stays approved until staff decide on the new one.
    """
    if document_type.pk not in {
        t.pk for t in DocumentType.objects.for_legal_form(merchant.legal_form)
    }:
        raise ServiceError(_("This document is not asked of your company."))
    inspected = _inspect_all(files, unsafe_names)
    stored = _store(inspected)
    try:
        with transaction.atomic():
            document, _created = Document.objects.get_or_create(
                merchant=merchant, type=document_type
            )
            document = Document.objects.select_for_update().get(pk=document.pk)
            current = document.current_version
            if current is not None and current.status == DocumentVersion.Status.IN_REVIEW:
                raise ServiceError(
                    _(
                        "Inecopay is reviewing this document now. You can upload a new version "
                        "once the review is finished."
                    )
                )
            if current is not None and current.status == DocumentVersion.Status.UPLOADED:
                current.status = DocumentVersion.Status.SUPERSEDED
                current.save(update_fields=["status"])
                _log(document, current, DocumentEvent.Action.SUPERSEDED, by)
            number = (document.versions.aggregate(n=Max("number"))["n"] or 0) + 1
            version = DocumentVersion.objects.create(
                document=document, number=number, uploaded_by=by
            )
            DocumentFile.objects.bulk_create(
                DocumentFile(
                    version=version,
                    position=position,
                    kind=item.kind,
                    storage_name=name,
                    preview_name=preview,
                    original_name=item.name,
                    size=item.size,
                    sha256=item.sha256,
                    pages=item.pages,
                    width=item.width,
                    height=item.height,
                )
                for position, (item, name, preview) in enumerate(stored)
            )
            document.current_version = version
            document.status = Status.UPLOADED
            document.save(update_fields=["current_version", "status", "updated_at"])
            _log(document, version, DocumentEvent.Action.UPLOADED, by)
    except Exception:
        _delete_stored(stored)
        raise
    return version


def _check_reviewer(user: User) -> None:
    if not (user.is_active and user.is_staff and user.has_perm(REVIEW_PERMISSION)):
        raise ServiceError(_("Only Inecopay staff who review documents can decide on them."))


def _locked_version(version: DocumentVersion) -> tuple[DocumentVersion, Document]:
    document = Document.objects.select_for_update().get(pk=version.document_id)
    version = DocumentVersion.objects.select_for_update().get(pk=version.pk)
    return version, document


_OPEN = (DocumentVersion.Status.UPLOADED, DocumentVersion.Status.IN_REVIEW)


@transaction.atomic
def document_review_start(*, version: DocumentVersion, reviewer: User) -> DocumentVersion:
    """A reviewer takes a waiting version; the merchant sees it is in review."""
    _check_reviewer(reviewer)
    version, document = _locked_version(version)
    if version.status != DocumentVersion.Status.UPLOADED:
        raise ServiceError(_("Only a document waiting for review can be taken into review."))
    version.status = DocumentVersion.Status.IN_REVIEW
    version.review_started_at = timezone.now()
    version.reviewer = reviewer
    version.save(update_fields=["status", "review_started_at", "reviewer"])
    if document.current_version_id == version.pk:
        document.status = Status.IN_REVIEW
        document.save(update_fields=["status", "updated_at"])
    _log(document, version, DocumentEvent.Action.REVIEW_STARTED, reviewer)
    return version


def _documents_url() -> str:
    return settings.SITE_URL + reverse("documents:list")


@transaction.atomic
def document_approve(*, version: DocumentVersion, reviewed_by: User) -> DocumentVersion:
    """Approve a waiting or in-review version; the last required one unlocks live mode."""
    _check_reviewer(reviewed_by)
    version, document = _locked_version(version)
    if version.status not in _OPEN:
        raise ServiceError(_("This version has already been decided on or replaced."))
    merchant = document.merchant
    # Lock the merchant so two approvals at once cannot both miss (or both send) the email.
    Merchant.objects.select_for_update().filter(pk=merchant.pk).first()
    was_complete = required_documents_approved(merchant)
    now = timezone.now()
    version.status = DocumentVersion.Status.APPROVED
    version.decided_at = now
    version.decided_by = reviewed_by
    version.reviewer = version.reviewer or reviewed_by
    version.review_started_at = version.review_started_at or now
    version.save(
        update_fields=["status", "decided_at", "decided_by", "reviewer", "review_started_at"]
    )
    document.approved_version = version
    if document.current_version_id == version.pk:
        document.status = Status.APPROVED
    document.save(update_fields=["approved_version", "status", "updated_at"])
    _log(document, version, DocumentEvent.Action.APPROVED, reviewed_by)
    if not was_complete and required_documents_approved(merchant):
        merchant_notify_owners(
            merchant=merchant,
            template="documents_approved",
            context={"documents_url": _documents_url()},
        )
    return version


@transaction.atomic
def document_reject(*, version: DocumentVersion, reviewed_by: User, reason: str) -> DocumentVersion:
    """Reject a waiting or in-review version with a reason the merchant reads."""
    _check_reviewer(reviewed_by)
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Say why the document is rejected."), field="reason")
    version, document = _locked_version(version)
    if version.status not in _OPEN:
        raise ServiceError(_("This version has already been decided on or replaced."))
    now = timezone.now()
    version.status = DocumentVersion.Status.REJECTED
    version.decided_at = now
    version.decided_by = reviewed_by
    version.reason = reason
    version.reviewer = version.reviewer or reviewed_by
    version.review_started_at = version.review_started_at or now
    version.save(
        update_fields=[
            "status",
            "decided_at",
            "decided_by",
            "reason",
            "reviewer",
            "review_started_at",
        ]
    )
    if document.current_version_id == version.pk:
        document.status = Status.REJECTED
        document.save(update_fields=["status", "updated_at"])
    _log(document, version, DocumentEvent.Action.REJECTED, reviewed_by, reason)
    merchant_notify_owners(
        merchant=document.merchant,
        template="document_rejected",
        context={
            "document": document,
            "reason": reason,
            "documents_url": _documents_url(),
        },
    )
    return version
