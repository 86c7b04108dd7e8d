from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .markup import render_markdown
from .models import CmsModule, ModuleRelease


class ModuleReleaseInline(admin.StackedInline):
    model = ModuleRelease
    extra = 0
    fields = [
        "version",
        "cms_versions",
        "package",
        "package_name",
        "released_at",
        "downloads",
        "instructions",
        "changelog",
    ]
    readonly_fields = ["downloads"]


@admin.register(CmsModule)
class CmsModuleAdmin(admin.ModelAdmin):
    list_display = ["name", "cms", "is_published", "latest_version", "total_downloads"]
    list_filter = ["cms", "is_published"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ModuleReleaseInline]

    @admin.display(description=_("latest version"))
    def latest_version(self, obj: CmsModule) -> str:
        release = obj.latest_release()
        return release.version if release else "—"

    @admin.display(description=_("downloads"))
    def total_downloads(self, obj: CmsModule) -> int:
        return sum(release.downloads for release in obj.releases.all())

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("releases")


@admin.register(ModuleRelease)
class ModuleReleaseAdmin(admin.ModelAdmin):
    list_display = ["module", "version", "released_at", "downloads"]
    list_filter = ["module__cms"]
    readonly_fields = ["downloads", "instructions_preview"]

    @admin.display(description=_("instructions as merchants see them"))
    def instructions_preview(self, obj: ModuleRelease) -> str:
        return format_html("<div>{}</div>", render_markdown(obj.instructions))
