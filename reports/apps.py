from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from exports.models import ExportJob
        from exports.services import register_job_writer
        from merchants.models import Merchant
        from settlements.ledger import commission_charged
        from transactions.signals import payment_event_written

        from .jobs import registry_job_write
        from .totals import on_commission_charged, on_merchant_saved, on_payment_event_written

        # Long payments registries are made by the exports app's background jobs.
        register_job_writer(ExportJob.Kind.REGISTRY, registry_job_write)
        # The report day totals, kept in the transaction of each change (reports.totals).
        # Commission comes by settlements' own hook: its ledger receiver of
        # payment_event_written runs after ours (INSTALLED_APPS order), so it tells us.
        payment_event_written.connect(on_payment_event_written, dispatch_uid="reports.totals")
        commission_charged.connect(on_commission_charged, dispatch_uid="reports.totals")
        post_save.connect(on_merchant_saved, sender=Merchant, dispatch_uid="reports.totals")
