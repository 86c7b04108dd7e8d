from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TransactionsConfig(AppConfig):
    name = "transactions"
    verbose_name = _("Payments")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from merchants.models import Merchant

        from .totals import on_merchant_saved

        post_save.connect(on_merchant_saved, sender=Merchant, dispatch_uid="transactions.totals")
