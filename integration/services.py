"""Writes to the modules catalog."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import transaction

from .models import Cms, CmsModule, ModuleRelease

KITS_DIR = Path(__file__).resolve().parent / "kits"
# Fixed times inside the archive, so the same kit always gives the same bytes.
_ZIP_TIME = (2026, 1, 1, 0, 0, 0)


def kit_archive(name: str) -> bytes:
    """The shipped kit folder `kits/<name>/` as a zip, byte for byte reproducible."""
    root = KITS_DIR / name
    if not root.is_dir():
        raise FileNotFoundError(root)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(f"{name}/{path.relative_to(root).as_posix()}", _ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


@transaction.atomic
def release_publish(
    *,
    module: CmsModule,
    version: str,
    package: bytes,
    package_name: str,
    instructions: str,
    changelog: str = "",
    cms_versions: str = "",
) -> ModuleRelease:
    """Add a release with its package, or return the existing one of that version."""
    existing = ModuleRelease.objects.filter(module=module, version=version).first()
    if existing is not None:
        return existing
    release = ModuleRelease(
        module=module,
        version=version,
        cms_versions=cms_versions,
        package_name=package_name,
        instructions=instructions,
        changelog=changelog,
    )
    release.package.save(package_name, ContentFile(package), save=False)
    release.save()
    return release


def publish_php_kit() -> ModuleRelease:
    """The PHP integration kit the project ships, as a catalog entry (idempotent)."""
    module, _created = CmsModule.objects.get_or_create(
        slug="inecopay-php",
        defaults={
            "cms": Cms.CUSTOM_PHP,
            "name": "Inecopay PHP kit",
            "summary": "Create payments and verify webhook signatures from any PHP 7.4+ site.",
        },
    )
    root = KITS_DIR / "inecopay-php"
    return release_publish(
        module=module,
        version="1.0.0",
        package=kit_archive("inecopay-php"),
        package_name="inecopay-php-1.0.0.zip",
        instructions=(root / "README.md").read_text(encoding="utf-8"),
        changelog=(root / "CHANGELOG.md").read_text(encoding="utf-8"),
        cms_versions="PHP 7.4 – 8.3",
    )
