"""Exports above the direct limit: a queued job, its progress, file, email and expiry."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from exports import services
from exports.models import ExportJob, private_storage
from exports.tasks import run_export_job, sweep_exports
from inecopay.lib.tabular import utf8_reader
from transactions.models import Payment

from .conftest import make_payments

URL = "/exports/payments/"


@pytest.fixture(autouse=True)
def _small_limit(monkeypatch):
    """Past 5 rows an export becomes a job here, so a handful of payments is enough."""
    monkeypatch.setattr("exports.views.DIRECT_LIMIT", 5)


@pytest.fixture
def queued(monkeypatch):
    """Messages to the broker are recorded instead of sent; the test runs the task."""
    sent = mock.Mock()
    monkeypatch.setattr(run_export_job, "delay", sent)
    return sent


def _request(client, fmt: str, filters: str = "mode=test") -> ExportJob:
    response = client.post(URL, {"format": fmt, "filters": filters})
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/exports/{job.public_id}/"
    return job


def test_more_rows_than_the_limit_queue_a_job_with_frozen_filters(
    owner_client, owner, merchant, shop, queued, django_capture_on_commit_callbacks
):
    make_payments(shop, 12, start=timezone.now() - timedelta(minutes=30))
    with django_capture_on_commit_callbacks(execute=True):
        job = _request(owner_client, "xlsx", "mode=test&period=month&status=nope")
    queued.assert_called_once_with(job.pk)
    assert (job.merchant, job.user, job.format, job.status) == (merchant, owner, "xlsx", "queued")
    # "This month" is stored as its dates: a job run later exports what was asked for.
    assert (
        "period=custom" in job.params and "from=" in job.params and "status=nope" not in job.params
    )
    assert timedelta(days=7) <= job.expires_at - job.created_at < timedelta(days=7, seconds=1)

    status = owner_client.get(f"/exports/{job.public_id}/status/").json()
    assert status["status"] == "queued" and status["percent"] == 0
    assert status["download_url"] is None
    page = owner_client.get(f"/exports/{job.public_id}/")
    assert page.status_code == 200
    assert b"js/exports" in page.content and b"data-export-status-url" in page.content


@pytest.mark.usefixtures("english")
def test_the_job_writes_the_file_and_emails_a_link_once(
    owner_client, owner, merchant, payments, queued, mailoutbox, django_capture_on_commit_callbacks
):
    job = _request(owner_client, "xlsx")
    with django_capture_on_commit_callbacks(execute=True):
        run_export_job.apply(args=[job.pk])
    job.refresh_from_db()
    assert job.status == "done" and job.rows_done == job.rows_total == len(payments)
    assert job.file.name.startswith(f"exports/{job.public_id}/")

    status = owner_client.get(f"/exports/{job.public_id}/status/").json()
    assert status["status"] == "done" and status["percent"] == 100
    assert status["download_url"] == f"/exports/{job.public_id}/download/"

    response = owner_client.get(status["download_url"])
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    ids = [row[0] for row in ws.iter_rows(min_row=2, values_only=True)]
    expected = Payment.objects.filter(merchant=merchant, test=True).order_by("-created_at", "-id")
    assert ids == [p.public_id for p in expected]
    amounts = [Decimal(str(row[9])) for row in ws.iter_rows(min_row=2, values_only=True)]
    assert sum(amounts) == Decimal(sum(p.amount for p in expected)).scaleb(-2)

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [owner.email]
    assert "export of payments is ready" in message.subject
    assert f"/exports/{job.public_id}/" in message.body

    # Run again (a duplicate message, a beat requeue): nothing is redone or resent.
    with django_capture_on_commit_callbacks(execute=True):
        run_export_job.apply(args=[job.pk])
    assert len(mailoutbox) == 1
    assert ExportJob.objects.get().file.name == job.file.name


def test_a_csv_job_file_matches_the_database(owner_client, merchant, payments, queued):
    job = _request(owner_client, "csv", "mode=test&currency=AMD")
    services.export_job_run(job_id=job.pk)
    job.refresh_from_db()
    with private_storage().open(job.file.name, "rb") as stored:
        rows = list(csv.reader(utf8_reader(io.BytesIO(stored.read())), delimiter=";"))[1:]
    expected = Payment.objects.filter(merchant=merchant, test=True, currency="AMD")
    assert sorted(row[0] for row in rows) == sorted(p.public_id for p in expected)
    assert {row[10] for row in rows} == {"AMD"}


def test_a_crashed_running_job_restarts_cleanly_and_a_live_one_is_left_alone(
    owner_client, payments, queued
):
    job = _request(owner_client, "csv")
    ExportJob.objects.filter(pk=job.pk).update(
        status="running", attempts=1, rows_done=3, heartbeat_at=timezone.now()
    )
    assert services.export_job_run(job_id=job.pk) is None  # a worker is on it
    assert ExportJob.objects.get().status == "running"

    ExportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=10))
    run_export_job.apply(args=[job.pk])
    job.refresh_from_db()
    assert (job.status, job.attempts, job.rows_done) == ("done", 2, len(payments))


def test_a_job_that_keeps_dying_is_given_up(owner_client, payments, queued):
    job = _request(owner_client, "csv")
    ExportJob.objects.filter(pk=job.pk).update(status="running", attempts=3, heartbeat_at=None)
    run_export_job.apply(args=[job.pk])
    job.refresh_from_db()
    assert job.status == "failed" and job.error
    assert owner_client.get(f"/exports/{job.public_id}/").status_code == 200


@pytest.mark.usefixtures("english")
def test_a_failing_export_is_marked_failed_with_a_message(
    owner_client, payments, queued, mailoutbox
):
    job = _request(owner_client, "xlsx")
    with mock.patch("exports.services.payments_xlsx_write", side_effect=RuntimeError("disk")):
        run_export_job.apply(args=[job.pk])
    job.refresh_from_db()
    assert job.status == "failed"
    assert job.error == "The export could not be made. Please try again."
    assert not mailoutbox


def test_outsider_gets_404_on_another_merchants_export(
    owner_client, outsider_client, payments, queued
):
    job = _request(owner_client, "csv")
    services.export_job_run(job_id=job.pk)
    for path in ("", "status/", "download/"):
        assert outsider_client.get(f"/exports/{job.public_id}/{path}").status_code == 404
    assert owner_client.get(f"/exports/{job.public_id}/download/").status_code == 200


def test_the_download_link_needs_a_login(client, owner_client, payments, queued):
    job = _request(owner_client, "csv")
    services.export_job_run(job_id=job.pk)
    response = client.get(f"/exports/{job.public_id}/download/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.usefixtures("english")
def test_after_seven_days_the_link_says_it_expired_and_the_sweep_deletes_the_file(
    owner_client, owner, payments, queued
):
    job = _request(owner_client, "csv")
    services.export_job_run(job_id=job.pk)
    job.refresh_from_db()
    storage = private_storage()
    assert storage.exists(job.file.name)

    almost = job.expires_at - timedelta(seconds=1)
    with mock.patch("django.utils.timezone.now", return_value=almost):
        owner_client.force_login(owner)  # a week later, the user signs in again
        assert owner_client.get(f"/exports/{job.public_id}/download/").status_code == 200
        assert sweep_exports.apply().get() == (0, 0)

    later = job.expires_at + timedelta(seconds=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        owner_client.force_login(owner)
        response = owner_client.get(f"/exports/{job.public_id}/download/")
        assert response.status_code == 410
        assert "This export has expired" in response.content.decode()
        assert owner_client.get(f"/exports/{job.public_id}/status/").json()["expired"] is True
        assert sweep_exports.apply().get() == (1, 0)
    assert not storage.exists(job.file.name)
    job.refresh_from_db()
    assert job.purged_at is not None and not job.file


def test_the_sweep_requeues_jobs_whose_worker_died(owner_client, payments, queued):
    job = _request(owner_client, "csv")
    queued.reset_mock()
    old = timezone.now() - timedelta(minutes=30)
    ExportJob.objects.filter(pk=job.pk).update(status="running", created_at=old, heartbeat_at=old)
    assert sweep_exports.apply().get() == (0, 1)
    queued.assert_called_once_with(job.pk)
