from __future__ import annotations

import secrets

from django.db import models
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Cms(models.TextChoices):
    WOOCOMMERCE = "woocommerce", "WooCommerce"
    OPENCART = "opencart", "OpenCart"
    BITRIX = "bitrix", "1C-Bitrix"
    PRESTASHOP = "prestashop", "PrestaShop"
    MAGENTO = "magento", "Magento 2"
    VIRTUEMART = "virtuemart", "Joomla VirtueMart"
    TILDA = "tilda", "Tilda"
    CUSTOM_PHP = "php", _("Any PHP site")
    OTHER = "other", _("Other")


def _release_path(instance: ModuleRelease, filename: str) -> str:
    suffix = ".zip" if filename.lower().endswith(".zip") else ""
    return f"modules/{secrets.token_hex(16)}{suffix}"


class CmsModuleQuerySet(models.QuerySet):
    def published(self) -> CmsModuleQuerySet:
        return self.filter(is_published=True)


class CmsModule(models.Model):
    """A payment module for one CMS (База модулей оплаты)."""

    cms = models.CharField(_("CMS"), max_length=20, choices=Cms.choices)
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), unique=True)
    summary = models.CharField(_("summary"), max_length=255, blank=True)
    is_published = models.BooleanField(_("published"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CmsModuleQuerySet.as_manager()

    class Meta:
        verbose_name = _("CMS module")
        verbose_name_plural = _("CMS modules")
        ordering = ["cms", "name"]

    def __str__(self) -> str:
        return self.name

    def latest_release(self) -> ModuleRelease | None:
        return self.releases.order_by("-released_at", "-pk").first()


class ModuleRelease(models.Model):
    """One downloadable version of a module, with its instructions and changelog (Markdown)."""

    module = models.ForeignKey(CmsModule, on_delete=models.CASCADE, related_name="releases")
    version = models.CharField(_("version"), max_length=32)
    cms_versions = models.CharField(_("supported CMS versions"), max_length=120, blank=True)
    package = models.FileField(_("package file"), upload_to=_release_path, blank=True)
    package_name = models.CharField(_("file name for download"), max_length=120, blank=True)
    instructions = models.TextField(_("installation instructions (Markdown)"), blank=True)
    changelog = models.TextField(_("changelog (Markdown)"), blank=True)
    released_at = models.DateTimeField(_("released"), default=timezone.now)
    downloads = models.PositiveIntegerField(_("downloads"), default=0)

    class Meta:
        verbose_name = _("module release")
        verbose_name_plural = _("module releases")
        ordering = ["module", "-released_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["module", "version"], name="modulerelease_unique_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.module} {self.version}"

    def count_download(self) -> None:
        type(self).objects.filter(pk=self.pk).update(downloads=F("downloads") + 1)
