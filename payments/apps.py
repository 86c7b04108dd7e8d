from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("Payments API")

    def ready(self) -> None:
        from transactions.selectors import register_timeline_source
        from transactions.signals import payment_event_recorded

        from .timeline import payment_webhook_entries
        from .webhooks import on_payment_event

        payment_event_recorded.connect(on_payment_event, dispatch_uid="payments.webhooks")
        register_timeline_source(payment_webhook_entries)
