from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SettlementsConfig(AppConfig):
    name = "settlements"
    verbose_name = _("Settlements")

    def ready(self) -> None:
        from transactions.signals import payment_event_written

        from .ledger import on_payment_event_written

        payment_event_written.connect(on_payment_event_written, dispatch_uid="settlements.ledger")
