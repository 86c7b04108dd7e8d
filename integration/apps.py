from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationConfig(AppConfig):
    """«Техническая интеграция»: the CMS modules catalog and each shop's integration guide."""

    name = "integration"
    verbose_name = _("Integration")
