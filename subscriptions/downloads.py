"""A report too large to attach, downloaded through the expiring link in its email.

The link is public (the token is the secret, as for the unsubscribe link): 404 for a token
that never existed, a page saying it expired (410) after its week.
"""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from .models import ReportDownload


@require_safe
def report_file(request: HttpRequest, token: str) -> HttpResponse:
    download = ReportDownload.objects.select_related("report").filter(token=token[:64]).first()
    if download is None:
        raise Http404
    if download.is_expired:
        response = render(
            request, "subscriptions/file_expired.html", {"download": download}, status=410
        )
    else:
        report = download.report
        response = FileResponse(
            report.file.open("rb"),
            as_attachment=True,
            filename=report.filename,
            content_type=report.mimetype or "application/octet-stream",
        )
    response["Cache-Control"] = "private, no-store"
    return response
