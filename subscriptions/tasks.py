"""Background work on report subscriptions: thin tasks that call subscriptions.delivery."""

from __future__ import annotations

from celery import shared_task

from .delivery import report_run_deliver, report_runs_deliver, subscriptions_sweep
from .rendering import rendered_reports_purge


@shared_task(acks_late=True)
def sweep_report_subscriptions() -> dict[str, int]:
    """Run by beat every minute: queue due periods, busy minutes, due retries, lost runs."""
    return subscriptions_sweep()


@shared_task(acks_late=True, ignore_result=True)
def deliver_report_run(run_id: int) -> str:
    """Send one run's email. Safe to run twice or at once: the run is claimed under lock.
    The sweeper queues chunks now (deliver_report_runs); this serves messages queued before."""
    return report_run_deliver(run_id=run_id)


@shared_task(acks_late=True, ignore_result=True)
def deliver_report_runs(run_ids: list[int]) -> list[str]:
    """Send a chunk of runs' emails (what the sweeper queues); each run claimed under lock."""
    return report_runs_deliver(run_ids=run_ids)


@shared_task(acks_late=True, ignore_result=True)
def purge_report_files() -> int:
    """Run by beat hourly: delete report files past their download lifetime."""
    return rendered_reports_purge()
