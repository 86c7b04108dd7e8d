from django.apps import AppConfig


class InecopayConfig(AppConfig):
    """The project package as an app: shared templates, tasks and management commands."""

    name = "inecopay"
    verbose_name = "Inecopay"
