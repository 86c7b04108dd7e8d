"""Report subscriptions at volume: 10 000 due daily subscriptions of 1 000 merchants sent
by a real `celery worker --concurrency 2` against Redis and PostgreSQL.

    python -m benchmarks subscriptions

Uses a throwaway database (BENCH_SUBS_DATABASE, default inecopay_bench_subs) on the
PostgreSQL server of DATABASE_URL, Redis at REDIS_URL (default redis://127.0.0.1:6379/0),
and the dev outbox backend in a temporary folder, which the worker processes write every
email to as an .eml file. Each merchant's ten subscriptions share a few report shapes
(XLSX and CSV of «По дням», a PDF for every tenth merchant), so renders are shared.
BENCH_SUBS_MERCHANTS (1000) and BENCH_SUBS_PER_MERCHANT (10) scale it. Besides the elapsed
time it reports the worker's CPU time (all its processes) and the load average, since on
a shared machine the elapsed time follows the load.
"""

from __future__ import annotations

import email
import email.policy
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time as clock
from datetime import datetime, time, timedelta
from pathlib import Path

from .server import admin as _admin
from .server import database_url as _database_url

BASE_DIR = Path(__file__).resolve().parent.parent
DATABASE = os.environ.get("BENCH_SUBS_DATABASE", "inecopay_bench_subs")
MERCHANTS = int(os.environ.get("BENCH_SUBS_MERCHANTS", "1000"))
PER_MERCHANT = int(os.environ.get("BENCH_SUBS_PER_MERCHANT", "10"))
LIMIT_S = 300.0
TIMEOUT_S = float(os.environ.get("BENCH_SUBS_TIMEOUT", "900"))


def _shapes(n: int) -> list[str]:
    """The formats a merchant's subscriptions take turns on."""
    return ["xlsx", "csv", "pdf"] if n % 10 == 0 else ["xlsx", "csv"]


def _environment(work: Path) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "inecopay.settings",
            "DATABASE_URL": _database_url(DATABASE),
            "REDIS_URL": os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0",
            "DEBUG": "0",
            "SECRET_KEY": "bench-only-secret-key-0123456789abcdef0123456789abcdef",
            "SECURE_SSL_REDIRECT": "0",
            "LOG_LEVEL": "WARNING",
            "EMAIL_URL": "",
            "OUTBOX_DIR": str(work / "outbox"),
            "MEDIA_ROOT": str(work / "media"),
            "VAR_DIR": str(work / "var"),
        }
    )


def _seed(now: datetime) -> tuple[int, int]:
    """Merchants, members and due subscriptions by bulk_create; returns (subscriptions,
    distinct reports)."""
    from merchants.models import Membership, Merchant, User
    from shops.models import Shop
    from subscriptions.models import Frequency, ReportSubscription

    zones = ["Asia/Yerevan", "Europe/Berlin"]
    Merchant.objects.bulk_create(
        [
            Merchant(name=f"bench-{n}", time_zone=zones[n % 2], totals_time_zone=zones[n % 2])
            for n in range(MERCHANTS)
        ],
        batch_size=1000,
    )
    merchants = list(Merchant.objects.filter(name__startswith="bench-").order_by("pk"))
    Shop.objects.bulk_create(
        [Shop(merchant=m, name=f"Shop of {m.name}") for m in merchants], batch_size=1000
    )
    User.objects.bulk_create(
        [
            User(email=f"m{n}-{k}@bench.example", password="!")
            for n in range(MERCHANTS)
            for k in range(PER_MERCHANT)
        ],
        batch_size=2000,
    )
    users = {u.email: u for u in User.objects.filter(email__endswith="@bench.example")}
    Membership.objects.bulk_create(
        [
            Membership(
                merchant=m, user=users[f"m{n}-{k}@bench.example"], role=Membership.Role.ACCOUNTANT
            )
            for n, m in enumerate(merchants)
            for k in range(PER_MERCHANT)
        ],
        batch_size=2000,
    )
    memberships = {
        (ms.merchant_id, ms.user.email): ms
        for ms in Membership.objects.select_related("user").filter(merchant__in=merchants)
    }
    from subscriptions.schedule import due_at, next_due

    # One period due per subscription: the one before the first due after now.
    due = {}
    for zone in zones:
        after, _run_at = next_due(Frequency.DAILY, time(9, 0), zone, now)
        previous = after - timedelta(days=1)
        due[zone] = (previous, due_at(previous, time(9, 0), zone))
    subscriptions = []
    distinct = set()
    for n, merchant in enumerate(merchants):
        shapes = _shapes(n)
        for k in range(PER_MERCHANT):
            address = f"m{n}-{k}@bench.example"
            language = "en" if k % 2 else "ru"
            distinct.add((merchant.pk, shapes[k % len(shapes)], language))
            subscriptions.append(
                ReportSubscription(
                    merchant=merchant,
                    membership=memberships[(merchant.pk, address)],
                    email=address,
                    language=language,
                    variants=["by-days"],
                    formats=[shapes[k % len(shapes)]],
                    frequency=Frequency.DAILY,
                    status=ReportSubscription.Status.ACTIVE,
                    confirmed_at=now - timedelta(days=30),
                    send_time=time(9, 0),
                    next_period_after=due[merchant.time_zone][0],
                    next_run_at=due[merchant.time_zone][1],
                )
            )
    ReportSubscription.objects.bulk_create(subscriptions, batch_size=2000)
    # Each distinct (merchant's shops, variant, period, format, language): one render.
    return len(subscriptions), len(distinct)


def _outbox(folder: Path) -> list[str]:
    recipients = []
    for path in folder.glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        recipients.append(str(message["To"]))
    return recipients


def run() -> list[tuple[str, str, str]]:
    work = Path(tempfile.mkdtemp(prefix="bench-subs-"))
    _environment(work)
    _admin(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{DATABASE}"')
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from inecopay.celery import app
    from subscriptions.models import RenderedReport, ReportRun

    call_command("migrate", verbosity=0)
    from django.utils import timezone

    now = timezone.now()
    start = clock.perf_counter()
    count, distinct = _seed(now)
    seeded = clock.perf_counter() - start
    app.control.purge()

    load_before = os.getloadavg()
    worker = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "inecopay",
            "worker",
            "--concurrency",
            "2",
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=BASE_DIR,
        env=dict(os.environ),
        start_new_session=True,
    )
    try:
        deadline = clock.monotonic() + 60
        while not app.control.ping(timeout=1):
            if clock.monotonic() > deadline or worker.poll() is not None:
                raise SystemExit("the celery worker did not start")
        from subscriptions.tasks import sweep_report_subscriptions

        start = clock.perf_counter()
        swept = sweep_report_subscriptions.delay().get(timeout=600)
        queued_s = clock.perf_counter() - start
        sent = 0
        while clock.perf_counter() - start < TIMEOUT_S:
            sent = ReportRun.objects.filter(status="sent").count()
            if sent >= count:
                break
            clock.sleep(1)
        elapsed = clock.perf_counter() - start
    finally:
        load_after = os.getloadavg()
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
    # The worker and its pool processes (reaped by it): what the sending cost in CPU,
    # which the machine's load does not change as much as the elapsed time.
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    worker_cpu = usage.ru_utime + usage.ru_stime

    recipients = _outbox(work / "outbox")
    runs = ReportRun.objects.count()
    rendered = RenderedReport.objects.count()
    files = sum(1 for p in (work / "media" / "subscriptions").rglob("*") if p.is_file())
    failed = ReportRun.objects.exclude(status="sent").count()
    connection.close()
    _admin(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')

    assert swept["periodic"] == count, swept
    assert runs == count and sent == count and failed == 0, (runs, sent, failed)
    assert rendered == distinct and files == distinct, (rendered, files, distinct)
    assert len(recipients) == count and len(set(recipients)) == count, len(recipients)
    return [
        (f"seed {MERCHANTS:,} merchants, {count:,} due subscriptions", f"{seeded:.1f} s", "—"),
        ("sweep: lock, write the runs, queue the tasks", f"{queued_s:.1f} s", "—"),
        (
            f"{count:,} emails sent by 2 worker processes (sweep to last sent)",
            f"{elapsed:.1f} s",
            f"< {LIMIT_S:.0f} s",
        ),
        ("emails per second", f"{count / elapsed:.1f}", "—"),
        (
            "worker CPU, all its processes (per email)",
            f"{worker_cpu:.0f} s ({worker_cpu / count * 1000:.1f} ms)",
            "—",
        ),
        (
            "load average (1 min) at the worker's start / at the last email",
            f"{load_before[0]:.1f} / {load_after[0]:.1f}",
            "—",
        ),
        (
            f"distinct reports rendered (once each; files in storage: {files:,})",
            f"{rendered:,}",
            f"= {distinct:,}",
        ),
        ("emails in the outbox (each recipient once)", f"{len(recipients):,}", f"= {count:,}"),
    ]


def main() -> None:
    rows = run()
    print("| measure | result | limit |")
    print("| --- | ---: | ---: |")
    for name, value, limit in rows:
        print(f"| {name} | {value} | {limit} |")


if __name__ == "__main__":
    main()
