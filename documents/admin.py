"""Staff admin for documents: the types asked of each legal form, the review queue and the
decision log.

Reviewers decide, they do not edit: a merchant's files and versions are read-only here,
and every decision goes through documents.services, which checks the reviewer, records
the event and emails the merchant. Every page needs the `documents.review_document`
permission, so staff without it see nothing of merchants' documents.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from merchants.models import LegalForm, Merchant
from merchants.services import ServiceError

from . import services
from .models import DocumentEvent, DocumentType, DocumentVersion
from .selectors import can_review

OPEN_STATUSES = (DocumentVersion.Status.UPLOADED, DocumentVersion.Status.IN_REVIEW)


class ReviewerOnlyMixin:
    """Every documents admin page is for reviewers: other staff get 403, not a glimpse."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_review(request.user)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return can_review(request.user)


# ---------------------------------------------------------------------------
# Document types
# ---------------------------------------------------------------------------
class DocumentTypeForm(forms.ModelForm):
    legal_forms = forms.MultipleChoiceField(
        label=_("Legal forms"),
        choices=LegalForm.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The legal forms that must or may provide this document."),
    )

    class Meta:
        model = DocumentType
        fields = [
            "code",
            "name_ru",
            "name_en",
            "description_ru",
            "description_en",
            "legal_forms",
            "required",
            "position",
            "is_active",
        ]

    def clean_legal_forms(self) -> list[str]:
        # Stored in the order of the choices, whatever order the browser sent them in.
        chosen = set(self.cleaned_data["legal_forms"])
        return [value for value in LegalForm.values if value in chosen]


@admin.register(DocumentType)
class DocumentTypeAdmin(ReviewerOnlyMixin, admin.ModelAdmin):
    form = DocumentTypeForm
    list_display = [
        "name_display",
        "code",
        "legal_forms_display",
        "required",
        "is_active",
        "position",
    ]
    list_filter = ["required", "is_active"]
    search_fields = ["code", "name_ru", "name_en"]
    ordering = ["position", "pk"]
    fieldsets = (
        (None, {"fields": ("code", "name_ru", "name_en")}),
        (_("What is expected"), {"fields": ("description_ru", "description_en")}),
        (_("Who provides it"), {"fields": ("legal_forms", "required", "position", "is_active")}),
    )

    # Configuring what merchants must upload needs Django's model permissions as well.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return can_review(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return can_review(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # A type merchants have uploaded for stays (the uploads point at it); deactivate it.
        if obj is not None and obj.documents.exists():
            return False
        return can_review(request.user) and super().has_delete_permission(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        # The code is in the merchants' upload URLs and anchors: set once.
        return ["code"] if obj is not None else []

    @admin.display(description=_("name"), ordering="name_en")
    def name_display(self, obj: DocumentType) -> str:
        return obj.name

    @admin.display(description=_("legal forms"))
    def legal_forms_display(self, obj: DocumentType) -> str:
        return ", ".join(obj.legal_form_labels()) or "—"


# ---------------------------------------------------------------------------
# The review queue
# ---------------------------------------------------------------------------
class QueueStatusFilter(admin.SimpleListFilter):
    """By default the queue: versions waiting or in review; "All" shows decided ones too."""

    title = _("status")
    parameter_name = "status"
    OPEN = "open"
    ALL = "all"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        return [
            (self.OPEN, _("Waiting and in review")),
            *DocumentVersion.Status.choices,
            (self.ALL, _("All")),
        ]

    def _current(self) -> str:
        value = self.value()
        valid = {lookup for lookup, _title in self.lookup_choices}
        return value if value in valid else self.OPEN

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self._current()
        if value == self.ALL:
            return queryset
        if value == self.OPEN:
            return queryset.filter(status__in=OPEN_STATUSES)
        return queryset.filter(status=value)

    def choices(self, changelist):
        # No plain "All" that means "no parameter": no parameter is the queue.
        counts = self.get_facet_queryset(changelist) if changelist.add_facets else None
        current = self._current()
        for index, (lookup, title) in enumerate(self.lookup_choices):
            if counts is not None:
                title = f"{title} ({counts.get(f'{index}__c', '-')})"
            yield {
                "selected": current == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for rejection"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5, "cols": 80}),
        help_text=_(
            "The merchant reads this on the Documents page and in the email: say what is wrong "
            "and what to upload instead."
        ),
    )


@admin.register(DocumentVersion)
class DocumentReviewAdmin(ReviewerOnlyMixin, admin.ModelAdmin):
    list_display = [
        "type_display",
        "waiting",
        "merchant_display",
        "number",
        "status",
        "files_count",
        "reviewer",
    ]
    list_display_links = ["type_display"]
    list_filter = [QueueStatusFilter, "document__merchant__legal_form", "document__type"]
    search_fields = [
        "document__merchant__name",
        "document__merchant__legal_name",
        "document__merchant__tax_id",
    ]
    list_select_related = ["document__merchant", "document__type", "reviewer"]
    # The queue: the longest-waiting submission first.
    ordering = ["submitted_at", "pk"]
    actions = ["start_review", "approve_versions", "reject_versions"]
    change_form_template = "admin/documents/documentversion/change_form.html"

    def get_fieldsets(self, request: HttpRequest, obj=None) -> list:
        # Only what has happened to this version: no rows of dashes for steps not taken.
        fields = ["status", "number", "submitted_at", "uploaded_by"]
        if obj is not None:
            for name in ("reviewer", "review_started_at", "decided_by", "decided_at", "reason"):
                if getattr(obj, name):
                    fields.append(name)
        return [(_("This version"), {"fields": fields})]

    # ---- permissions: reviewers look and decide; the files change only in the portal.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_review_permission(self, request: HttpRequest) -> bool:
        return can_review(request.user)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .select_related("document__merchant", "document__type", "reviewer", "uploaded_by")
            .annotate(files_total=Count("files"))
        )

    # ---- columns
    @admin.display(description=_("waiting"), ordering="submitted_at")
    def waiting(self, obj: DocumentVersion) -> str:
        if obj.status not in OPEN_STATUSES:
            return "—"
        return timesince(obj.submitted_at, timezone.now(), depth=1)

    @admin.display(description=_("merchant"), ordering="document__merchant__legal_name")
    def merchant_display(self, obj: DocumentVersion) -> str:
        merchant = obj.document.merchant
        return format_html(
            '{}<br><span class="quiet">{}</span>',
            merchant.display_name,
            merchant.get_legal_form_display() or "—",
        )

    @admin.display(description=_("document"), ordering="document__type__position")
    def type_display(self, obj: DocumentVersion) -> str:
        return obj.document.type.name

    @admin.display(description=_("files"), ordering="files_total")
    def files_count(self, obj: DocumentVersion) -> int:
        return obj.files_total

    # ---- pages
    def get_urls(self) -> list:
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/start-review/",
                wrap(self.start_review_view),
                name="documents_documentversion_start_review",
            ),
            path(
                "<int:pk>/approve/",
                wrap(self.approve_view),
                name="documents_documentversion_approve",
            ),
            path(
                "<int:pk>/reject/",
                wrap(self.reject_view),
                name="documents_documentversion_reject",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context=None):
        extra_context = {"title": _("Documents to review"), **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        version = self.get_object(request, object_id)
        extra: dict = {}
        if version is not None and self.has_view_permission(request, version):
            extra = self._review_context(request, version)
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def _review_context(self, request: HttpRequest, version: DocumentVersion) -> dict:
        document = version.document
        merchant = document.merchant
        merchant_url = None
        merchant_admin = self.admin_site._registry.get(Merchant)
        if merchant_admin is not None and merchant_admin.has_view_permission(request, merchant):
            merchant_url = reverse("admin:merchants_merchant_change", args=[merchant.pk])
        earlier = (
            document.versions.exclude(pk=version.pk)
            .select_related("decided_by", "reviewer")
            .prefetch_related("files")
            .order_by("-number")
        )
        events = document.events.select_related("actor", "version").order_by("-created_at", "-pk")
        return {
            "title": _("Review a document"),
            "version": version,
            "document": document,
            "merchant": merchant,
            "merchant_url": merchant_url,
            "files": list(version.files.order_by("position", "pk")),
            "earlier_versions": earlier,
            "events": events,
            "approved_version": document.approved_version,
            "is_open": version.status in OPEN_STATUSES,
            "can_start_review": version.status == DocumentVersion.Status.UPLOADED,
            "can_review": self.has_review_permission(request),
        }

    def _change_url(self, version: DocumentVersion) -> str:
        return reverse("admin:documents_documentversion_change", args=[version.pk])

    def _version_for_decision(self, request: HttpRequest, pk: int) -> DocumentVersion:
        # The permission first: staff without it learn nothing, not even which ids exist.
        if not self.has_review_permission(request):
            raise PermissionDenied
        return get_object_or_404(
            DocumentVersion.objects.select_related("document__merchant", "document__type"), pk=pk
        )

    # ---- decisions, one service call per version, with a summary
    def _decide(self, request: HttpRequest, versions, decide, done_message) -> int:
        done = 0
        skipped: list[str] = []
        for version in versions:
            try:
                decide(version)
            except ServiceError as error:
                skipped.append(f"{version}: {error.message}")
            else:
                done += 1
        if done:
            self.message_user(request, done_message(done), messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d skipped: %(why)s",
                    "%(count)d skipped: %(why)s",
                    len(skipped),
                )
                % {"count": len(skipped), "why": " · ".join(skipped)},
                messages.ERROR if not done else messages.WARNING,
            )
        return done

    def _start_review(self, request: HttpRequest, versions) -> int:
        return self._decide(
            request,
            versions,
            lambda version: services.document_review_start(version=version, reviewer=request.user),
            lambda count: (
                ngettext(
                    "%(count)d document taken into review.",
                    "%(count)d documents taken into review.",
                    count,
                )
                % {"count": count}
            ),
        )

    def _approve(self, request: HttpRequest, versions) -> int:
        return self._decide(
            request,
            versions,
            lambda version: services.document_approve(version=version, reviewed_by=request.user),
            lambda count: (
                ngettext("%(count)d document approved.", "%(count)d documents approved.", count)
                % {"count": count}
            ),
        )

    def _reject(self, request: HttpRequest, versions, reason: str) -> int:
        return self._decide(
            request,
            versions,
            lambda version: services.document_reject(
                version=version, reviewed_by=request.user, reason=reason
            ),
            lambda count: (
                ngettext(
                    "%(count)d document rejected; the merchant is told why.",
                    "%(count)d documents rejected; the merchants are told why.",
                    count,
                )
                % {"count": count}
            ),
        )

    @admin.action(description=_("Start review"), permissions=["review"])
    def start_review(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._start_review(request, queryset)

    @admin.action(description=_("Approve selected"), permissions=["review"])
    def approve_versions(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._approve(request, queryset)

    @admin.action(description=_("Reject selected…"), permissions=["review"])
    def reject_versions(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        versions = list(queryset)
        form = RejectForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            self._reject(request, versions, form.cleaned_data["reason"])
            return None  # back to the changelist, with the messages
        return self._render_reject_page(request, versions, form, bulk=True)

    def _render_reject_page(
        self, request: HttpRequest, versions: list[DocumentVersion], form: RejectForm, *, bulk: bool
    ) -> TemplateResponse:
        return TemplateResponse(
            request,
            "admin/documents/documentversion/reject.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": _("Reject with reason"),
                "versions": versions,
                "version": None if bulk else versions[0],
                "form": form,
                "bulk": bulk,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            },
        )

    def start_review_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        version = self._version_for_decision(request, pk)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        self._start_review(request, [version])
        return HttpResponseRedirect(self._change_url(version))

    def approve_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        version = self._version_for_decision(request, pk)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        self._approve(request, [version])
        return HttpResponseRedirect(self._change_url(version))

    def reject_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        version = self._version_for_decision(request, pk)
        form = RejectForm(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            self._reject(request, [version], form.cleaned_data["reason"])
            return HttpResponseRedirect(self._change_url(version))
        return self._render_reject_page(request, [version], form, bulk=False)


# ---------------------------------------------------------------------------
# The decision log
# ---------------------------------------------------------------------------
@admin.register(DocumentEvent)
class DocumentEventAdmin(ReviewerOnlyMixin, admin.ModelAdmin):
    list_display = [
        "created_at",
        "merchant_display",
        "type_display",
        "version_link",
        "action",
        "actor",
        "reason_short",
    ]
    list_filter = ["action", "document__type"]
    search_fields = [
        "document__merchant__name",
        "document__merchant__legal_name",
        "document__merchant__tax_id",
        "actor__email",
    ]
    list_select_related = ["document__merchant", "document__type", "version", "actor"]
    ordering = ["-created_at", "-pk"]
    fields = ["created_at", "document", "version", "action", "actor", "reason"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description=_("merchant"), ordering="document__merchant__legal_name")
    def merchant_display(self, obj: DocumentEvent) -> str:
        return obj.document.merchant.display_name

    @admin.display(description=_("document"))
    def type_display(self, obj: DocumentEvent) -> str:
        return obj.document.type.name

    @admin.display(description=_("version"))
    def version_link(self, obj: DocumentEvent) -> str:
        if obj.version is None:
            return "—"
        url = reverse("admin:documents_documentversion_change", args=[obj.version_id])
        return format_html('<a href="{}">v{}</a>', url, obj.version.number)

    @admin.display(description=_("reason"))
    def reason_short(self, obj: DocumentEvent) -> str:
        return Truncator(obj.reason).chars(80) or "—"
