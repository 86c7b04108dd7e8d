"""Company documents: the types staff require, each merchant's uploads, versions and decisions."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from merchants.models import AppendOnlyModel, LegalForm, Merchant


class DocumentTypeQuerySet(models.QuerySet):
    def for_legal_form(self, legal_form: str) -> DocumentTypeQuerySet:
        """Active types that apply to the legal form, in display order.

        The JSON list is filtered in Python: there are a handful of types, and a
        `contains` lookup on JSON is not portable between SQLite and PostgreSQL.
        """
        ids = [
            pk
            for pk, forms in self.filter(is_active=True).values_list("pk", "legal_forms")
            if legal_form in (forms or [])
        ]
        return self.filter(pk__in=ids).order_by("position", "pk")


class DocumentType(models.Model):
    """A document staff ask for, configured in admin."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name_ru = models.CharField(_("name (Russian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    description_ru = models.TextField(_("what is expected (Russian)"), blank=True)
    description_en = models.TextField(_("what is expected (English)"), blank=True)
    legal_forms = models.JSONField(
        _("legal forms"),
        default=list,
        blank=True,
        help_text=_("The legal forms that must or may provide this document."),
    )
    required = models.BooleanField(
        _("required"), default=True, help_text=_("Optional documents do not block live mode.")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    objects = DocumentTypeQuerySet.as_manager()

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("document type")
        verbose_name_plural = _("document types")

    def __str__(self) -> str:
        return str(self.name)

    @property
    def name(self) -> str:
        return self.name_ru if (get_language() or "ru").startswith("ru") else self.name_en

    @property
    def description(self) -> str:
        if (get_language() or "ru").startswith("ru"):
            return self.description_ru
        return self.description_en

    def legal_form_labels(self) -> list[str]:
        labels = dict(LegalForm.choices)
        return [str(labels.get(form, form)) for form in self.legal_forms or []]


class Status(models.TextChoices):
    """A document's status, shown to the merchant; a version has the same ones plus superseded."""

    MISSING = "missing", _("Not uploaded")
    UPLOADED = "uploaded", _("Waiting for review")
    IN_REVIEW = "in_review", _("In review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class Document(models.Model):
    """One merchant's document of one type: its current version and the approved one."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="documents")
    type = models.ForeignKey(DocumentType, on_delete=models.PROTECT, related_name="documents")
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.MISSING
    )
    current_version = models.ForeignKey(
        "DocumentVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Stays set while a newer upload waits for review: an approved document is never
    # replaced silently, so the shop keeps its live mode until a decision on the new one.
    approved_version = models.ForeignKey(
        "DocumentVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        constraints = [
            models.UniqueConstraint(fields=["merchant", "type"], name="document_one_per_type")
        ]

    def __str__(self) -> str:
        return f"{self.type} — {self.merchant}"


class DocumentVersion(models.Model):
    """The files uploaded together as one version of a document, and the decision on them."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Waiting for review")
        IN_REVIEW = "in_review", _("In review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        SUPERSEDED = "superseded", _("Replaced before review")

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.UPLOADED
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    review_started_at = models.DateTimeField(_("review started"), null=True, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewer"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    reason = models.TextField(_("reason for rejection"), blank=True)

    class Meta:
        ordering = ["-number"]
        verbose_name = _("submitted document")
        verbose_name_plural = _("submitted documents")
        permissions = [("review_document", _("Can review merchants' documents"))]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="document_version_number")
        ]
        indexes = [models.Index(fields=["status", "submitted_at"])]

    def __str__(self) -> str:
        return f"{self.document} · v{self.number}"


def _file_id() -> str:
    return secrets.token_urlsafe(18)


class DocumentFile(models.Model):
    """One stored file of a version; reachable only through access-checked views."""

    class Kind(models.TextChoices):
        PDF = "pdf", "PDF"
        PNG = "png", "PNG"
        JPEG = "jpeg", "JPEG"

    version = models.ForeignKey(DocumentVersion, on_delete=models.CASCADE, related_name="files")
    public_id = models.CharField(max_length=32, unique=True, default=_file_id)
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    # Server-generated names; the merchant's file name is kept for display only.
    storage_name = models.CharField(max_length=255)
    preview_name = models.CharField(max_length=255, blank=True)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    pages = models.PositiveIntegerField(_("pages"), null=True, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("file")
        verbose_name_plural = _("files")

    def __str__(self) -> str:
        return self.original_name

    @property
    def content_type(self) -> str:
        return {"pdf": "application/pdf", "png": "image/png", "jpeg": "image/jpeg"}[self.kind]


class DocumentEvent(AppendOnlyModel):
    """Who did what to a document and when: uploads, reviews and decisions."""

    class Action(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        SUPERSEDED = "superseded", _("Replaced before review")
        REVIEW_STARTED = "review_started", _("Review started")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="events")
    version = models.ForeignKey(
        DocumentVersion, on_delete=models.CASCADE, related_name="events", null=True
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("by"),
    )
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("document decision log entry")
        verbose_name_plural = _("document decision log")
        indexes = [models.Index(fields=["document", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_action_display()} · {self.document}"
