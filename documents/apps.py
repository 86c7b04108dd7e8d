from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "documents"
    verbose_name = _("Documents")

    def ready(self) -> None:
        from merchants.selectors import register_golive_item

        from .selectors import documents_golive_item

        register_golive_item(documents_golive_item)
