from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"

    def ready(self) -> None:
        from exports.models import ExportJob
        from exports.services import register_job_writer

        from .jobs import registry_job_write

        # Long payments registries are made by the exports app's background jobs.
        register_job_writer(ExportJob.Kind.REGISTRY, registry_job_write)
