"""Portal pages of the payments app: the API reference."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from .api import api
from .reference import build_reference, render_markup


@require_safe
def api_reference(request: HttpRequest) -> HttpResponse:
    """The HTTP API, readable: every endpoint, parameter, schema and error, rendered on the
    server from the OpenAPI document (no CDN, no scripts)."""
    document = api.get_openapi_schema()
    operations, schemas = build_reference(document)
    return render(
        request,
        "payments/api_reference.html",
        {
            "document": document,
            "overview": render_markup(document.get("info", {}).get("description", "")),
            "operations": operations,
            "schemas": schemas,
            "openapi_url": reverse("api_v1:openapi-json"),
            "api_base": request.build_absolute_uri("/api/v1").rstrip("/"),
        },
    )
