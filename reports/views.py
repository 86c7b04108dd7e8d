"""«Отчеты»: choose reports, a period, a shop and the mode; download a file or a ZIP."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from exports.models import ExportJob
from merchants.access import require_perm
from merchants.roles import Perm

from . import services
from .forms import ReportForm


def _render_index(request: HttpRequest, form: ReportForm, *, status: int = 200) -> HttpResponse:
    return render(
        request,
        "reports/index.html",
        {"merchant": request.membership.merchant, "form": form, "rows": form.rows()},
        status=status,
    )


@require_perm(Perm.VIEW_REPORTS)
@require_safe
def index(request: HttpRequest) -> HttpResponse:
    form = ReportForm(membership=request.membership)
    today = form.today
    form.initial.update({"mode": "live", "month": f"{today:%Y-%m}", "year": today.year})
    return _render_index(request, form)


@require_perm(Perm.VIEW_REPORTS)
@require_safe
def download(request: HttpRequest) -> HttpResponse:
    form = ReportForm(request.GET, membership=request.membership)
    if not form.is_valid():
        return _render_index(request, form, status=400)
    shop = form.cleaned_data["shop"]
    try:
        rendered = services.reports_download(
            merchant=request.membership.merchant,
            shops=(shop,) if shop else (),
            chosen=form.cleaned_data["chosen"],
            period_for=form.period_for,
            test=form.cleaned_data["mode"] == "test",
            user=request.user,
            now=timezone.now(),
        )
    except services.ReportTooLarge as refused:
        # The typed values stay on the page with the reason; nothing was queued.
        form.add_error(None, refused.message)
        return _render_index(request, form, status=400)
    if isinstance(rendered, ExportJob):
        return redirect("exports:job", public_id=rendered.public_id)
    response = HttpResponse(rendered.content, content_type=rendered.mimetype)
    response["Content-Disposition"] = content_disposition_header(True, rendered.filename)
    # Figures of a merchant: kept by no cache between the portal and the member.
    response["Cache-Control"] = "private, no-store"
    return response
