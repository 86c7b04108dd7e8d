"""«Техническая интеграция»: the CMS modules catalog and each shop's integration guide."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from merchants.access import require_perm
from merchants.roles import Perm
from shops.models import ApiKey
from shops.selectors import get_shop_for_member, shops_for_member
from shops.views import render_shop_page

from . import selectors
from .guide import guide_examples
from .models import Cms


@require_perm(Perm.VIEW_SHOPS)
@require_safe
def index(request: HttpRequest) -> HttpResponse:
    modules = list(selectors.catalog())
    chosen = request.GET.get("cms", "")
    if chosen and chosen in Cms.values:
        modules = [module for module in modules if module.cms == chosen]
    else:
        chosen = ""
    available = sorted({module.cms for module in selectors.catalog()})
    return render(
        request,
        "integration/index.html",
        {
            "modules": modules,
            "cms_filters": [(value, Cms(value).label) for value in available],
            "chosen_cms": chosen,
            "shops": shops_for_member(request.membership),
        },
    )


@require_perm(Perm.VIEW_SHOPS)
@require_safe
def module_detail(request: HttpRequest, slug: str) -> HttpResponse:
    module = selectors.get_module(slug)
    releases = list(module.releases.all())
    return render(
        request,
        "integration/module.html",
        {"module": module, "latest": releases[0] if releases else None, "older": releases[1:]},
    )


@require_perm(Perm.VIEW_SHOPS)
@require_safe
def download(request: HttpRequest, slug: str, version: str) -> FileResponse:
    release = selectors.get_release(selectors.get_module(slug), version)
    if not release.package or not default_storage.exists(release.package.name):
        raise Http404
    release.count_download()
    filename = release.package_name or f"{slug}-{release.version}.zip"
    return FileResponse(
        default_storage.open(release.package.name, "rb"),
        as_attachment=True,
        filename=filename,
        content_type="application/zip",
    )


@require_perm(Perm.MANAGE_INTEGRATION)
@require_safe
def shop_guide(request: HttpRequest, pk: int) -> HttpResponse:
    shop = get_shop_for_member(request.membership, pk)
    test_key = (
        ApiKey.objects.usable()
        .filter(shop=shop, kind=ApiKey.Kind.SECRET_TEST)
        .order_by("-created_at")
        .first()
    )
    return render_shop_page(
        request,
        "integration/shop_guide.html",
        shop,
        "guide",
        {
            "test_key": test_key,
            "examples": guide_examples(shop=shop, request=request),
            "php_kit": selectors.catalog().filter(cms=Cms.CUSTOM_PHP).first(),
        },
    )
