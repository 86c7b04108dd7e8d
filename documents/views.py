"""«Документы»: the merchant's document list and uploads; file downloads and previews."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST, require_safe

from merchants.access import require_perm
from merchants.roles import Perm
from merchants.services import ServiceError

from . import services
from .inspection import MAX_FILE_SIZE, MAX_FILES
from .models import DocumentFile, DocumentType
from .selectors import can_review, document_rows, get_file_for_user
from .uploads import UnsafeNameRecorder


def _render_list(
    request: HttpRequest, *, errors: dict[int, list[str]] | None = None, status: int = 200
) -> HttpResponse:
    merchant = request.membership.merchant
    return render(
        request,
        "documents/list.html",
        {
            "merchant": merchant,
            "rows": document_rows(merchant) if merchant.legal_form else [],
            "errors": errors or {},
            "max_files": MAX_FILES,
            "max_file_mb": MAX_FILE_SIZE // 1024 // 1024,
        },
        status=status,
    )


@require_perm(Perm.MANAGE_ACCOUNT)
@require_safe
def document_list(request: HttpRequest) -> HttpResponse:
    return _render_list(request)


@csrf_exempt
def upload(request: HttpRequest, code: str) -> HttpResponse:
    # The recorder must be in place before anything reads the body, so the CSRF
    # check runs inside, after it (Django's documented pattern for upload handlers).
    if request.method in ("GET", "HEAD"):
        # A refused upload renders the list at this URL; the language switch and a reload
        # come back here with GET, and find the document's card on the list.
        return redirect(reverse("documents:list") + f"#doc-{code}")
    recorder = UnsafeNameRecorder(request)
    if request.method == "POST":
        request.upload_handlers.insert(0, recorder)
    return _upload(request, code, recorder)


@csrf_protect
@require_perm(Perm.MANAGE_ACCOUNT)
@require_POST
def _upload(request: HttpRequest, code: str, recorder: UnsafeNameRecorder) -> HttpResponse:
    merchant = request.membership.merchant
    document_type = get_object_or_404(
        DocumentType.objects.for_legal_form(merchant.legal_form), code=code
    )
    try:
        services.document_upload(
            merchant=merchant,
            document_type=document_type,
            files=request.FILES.getlist("files"),
            by=request.user,
            unsafe_names=recorder.unsafe_names,
        )
    except services.UploadRefused as refused:
        return _render_list(request, errors={document_type.pk: refused.messages}, status=400)
    except ServiceError as error:
        return _render_list(request, errors={document_type.pk: [error.message]}, status=400)
    messages.success(
        request,
        _("«%(name)s» is uploaded and waits for review.") % {"name": document_type.name},
    )
    return redirect(reverse("documents:list") + f"#doc-{document_type.code}")


def _file_response(
    file: DocumentFile, *, storage_name: str, content_type: str, filename: str, inline: bool
) -> FileResponse:
    try:
        handle = services.private_storage().open(storage_name, "rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404 from exc
    response = FileResponse(
        handle, content_type=content_type, as_attachment=not inline, filename=filename
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    # Even a file shown in the browser may run nothing and load nothing.
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'"
    return response


@require_safe
def file_download(request: HttpRequest, public_id: str) -> FileResponse:
    """The stored file: an attachment for merchants; reviewers may open it inline."""
    file = get_file_for_user(request.user, public_id)
    inline = request.GET.get("inline") == "1" and can_review(request.user)
    return _file_response(
        file,
        storage_name=file.storage_name,
        content_type=file.content_type,
        filename=file.original_name,
        inline=inline,
    )


@require_safe
def file_preview(request: HttpRequest, public_id: str) -> FileResponse:
    """The first page or the image as a small PNG; inline only for reviewers.

    An <img> shows it either way: Content-Disposition only matters when it is opened.
    """
    file = get_file_for_user(request.user, public_id)
    stem = file.original_name.rsplit(".", 1)[0]
    return _file_response(
        file,
        storage_name=file.preview_name,
        content_type="image/png",
        filename=f"{stem}-preview.png",
        inline=can_review(request.user),
    )
