from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from .models import CmsModule, ModuleRelease


def catalog() -> QuerySet[CmsModule]:
    """Published modules with their releases, newest release first."""
    return CmsModule.objects.published().prefetch_related(
        Prefetch("releases", queryset=ModuleRelease.objects.order_by("-released_at", "-pk"))
    )


def get_module(slug: str) -> CmsModule:
    return get_object_or_404(catalog(), slug=slug)


def get_release(module: CmsModule, version: str) -> ModuleRelease:
    return get_object_or_404(ModuleRelease, module=module, version=version)
