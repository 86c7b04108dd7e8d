"""Background work on exports: thin tasks that call exports.services."""

from __future__ import annotations

from celery import shared_task

from .services import export_job_run, export_jobs_purge_expired, export_jobs_requeue_stale


@shared_task(acks_late=True, ignore_result=True)
def run_export_job(job_id: int) -> None:
    """Make one export's file. Safe to run twice: a finished or busy job is skipped."""
    export_job_run(job_id=job_id)


@shared_task(acks_late=True, ignore_result=True)
def sweep_exports() -> tuple[int, int]:
    """Run by beat: delete expired files, queue again the jobs whose worker died."""
    return export_jobs_purge_expired(), export_jobs_requeue_stale()
