"""Reads of documents, scoped to the merchant or the reviewer who asks."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from merchants.models import Merchant, User
from merchants.roles import Perm, role_has
from merchants.selectors import ChecklistItem, membership_for_user

from .models import Document, DocumentFile, DocumentType, DocumentVersion, Status


@dataclass(frozen=True)
class DocumentRow:
    """One line of the merchant's «Документы» page."""

    type: DocumentType
    document: Document | None

    @property
    def status(self) -> str:
        return self.document.status if self.document else Status.MISSING

    @property
    def status_label(self) -> str:
        return Status(self.status).label

    @property
    def current(self) -> DocumentVersion | None:
        return self.document.current_version if self.document else None

    @property
    def approved(self) -> DocumentVersion | None:
        return self.document.approved_version if self.document else None

    @property
    def versions(self) -> list[DocumentVersion]:
        return list(self.document.versions.all()) if self.document else []


def document_rows(merchant: Merchant) -> list[DocumentRow]:
    """Every document the merchant's legal form asks for, with what was uploaded."""
    types = list(DocumentType.objects.for_legal_form(merchant.legal_form))
    files = Prefetch("files", queryset=DocumentFile.objects.order_by("position", "pk"))
    documents = {
        document.type_id: document
        for document in Document.objects.filter(merchant=merchant, type__in=types)
        .select_related("current_version", "approved_version")
        .prefetch_related(
            Prefetch(
                "versions",
                queryset=DocumentVersion.objects.select_related("decided_by").prefetch_related(
                    files
                ),
            ),
        )
    }
    return [DocumentRow(type=t, document=documents.get(t.pk)) for t in types]


def required_documents_approved(merchant: Merchant) -> bool:
    """Each required document of the legal form has an approved version."""
    if not merchant.legal_form:
        return False
    required = [
        t.pk for t in DocumentType.objects.for_legal_form(merchant.legal_form) if t.required
    ]
    approved = Document.objects.filter(
        merchant=merchant, type__in=required, approved_version__isnull=False
    ).count()
    return approved == len(required)


def documents_golive_item(merchant: Merchant) -> ChecklistItem:
    return ChecklistItem(
        "documents",
        _("Required documents approved"),
        required_documents_approved(merchant),
        "documents:list",
    )


def get_file_for_user(user: User, public_id: str) -> DocumentFile:
    """A stored file for its merchant's owners and administrators, or for reviewers; else 404."""
    file = (
        DocumentFile.objects.select_related("version__document__merchant")
        .filter(public_id=public_id)
        .first()
    )
    if file is None or not user.is_authenticated:
        raise Http404
    if can_review(user):
        return file
    membership = membership_for_user(user)
    if (
        membership is None
        or membership.merchant_id != file.version.document.merchant_id
        or not role_has(membership.role, Perm.MANAGE_ACCOUNT)
    ):
        raise Http404
    return file


def can_review(user: User) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and user.is_staff
        and user.has_perm("documents.review_document")
    )
