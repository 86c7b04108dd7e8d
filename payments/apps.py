from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("Payments API")

    def ready(self) -> None:
        from transactions.selectors import register_timeline_source
        from transactions.signals import payment_event_written

        from .timeline import payment_webhook_entries
        from .webhooks import on_payment_event_written

        # In the event's own transaction: the delivery row is an outbox entry.
        payment_event_written.connect(on_payment_event_written, dispatch_uid="payments.webhooks")
        register_timeline_source(payment_webhook_entries)
