"""`python -m benchmarks.reports`: the «Отчеты» page at volume.

Needs PostgreSQL (DATABASE_URL). Uses a database of its own, `inecopay_reports_bench`
(BENCH_REPORTS_DATABASE names another; its name must say bench): migrated, then seeded
once, set-based, with one merchant whose shop has 1 000 000 live payments in one month
(October 2026 in Asia/Yerevan; a share refunded a day later, commission filled as
reconciliation does), a second shop with a few, test payments, and the daily and report
day totals rebuilt. A later run reuses the data (BENCH_REPORTS_RESEED=1 seeds it again).

Measured, each beside its limit:

- «По дням» (by-days) of that month for that shop, PDF and XLSX, end to end: a signed-in
  GET of /reports/download/ through the full Django stack (middleware, session, form,
  query, rendering) to the response's bytes; best of five after a warm-up. First read
  from the report day totals (reports.totals, rebuilt after seeding), then for reference
  counted from the payments and refunds (the fallback while the totals are not complete);
  the figures' query alone beside each;
- the payments registry PDF at 500, 2 000, 10 000 and 20 000 rows, each rendered in a fresh
  process (chunks of reports.registry_files.CHUNK_ROWS merged with pypdf): rows/s and the
  process's peak RSS (VmHWM).
"""

from __future__ import annotations

import json
import os
import sys
import time

DATABASE = os.environ.get("BENCH_REPORTS_DATABASE", "inecopay_reports_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inecopay.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdef0123456789abcdef")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SECURE_COOKIES", "0")
if os.environ.get("DATABASE_URL", "").startswith("postgres"):
    base, _sep, _name = os.environ["DATABASE_URL"].rpartition("/")
    os.environ["DATABASE_URL"] = f"{base}/{DATABASE}"

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

PAYMENTS = int(os.environ.get("BENCH_REPORTS_PAYMENTS", "1000000"))
YEAR, MONTH = 2026, 10
ZONE = "Asia/Yerevan"
OWNER = "bench-reports-owner@bench.inecopay.am"
PDF_LIMIT_S, XLSX_LIMIT_S = 1.0, 0.7
REGISTRY_SIZES = [
    int(n) for n in os.environ.get("BENCH_REGISTRY_ROWS", "500 2000 10000 20000").split()
]
RSS_LIMIT_MB, RATE_LIMIT = 400, 120
Row = tuple[str, str, str, str]


def _ensure_database() -> None:
    """Create the bench database if missing (from the server's maintenance database)."""
    import psycopg

    if "bench" not in DATABASE:
        raise SystemExit(f"refusing to use {DATABASE!r}: its name must contain 'bench'")
    settings = connection.settings_dict
    dsn = {
        "host": settings["HOST"] or None,
        "port": settings["PORT"] or None,
        "user": settings["USER"] or None,
        "password": settings["PASSWORD"] or None,
        "dbname": "postgres",
        "autocommit": True,
    }
    with psycopg.connect(**{k: v for k, v in dsn.items() if v is not None}) as admin:
        exists = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]
        ).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{DATABASE}"')


def _seed() -> tuple[int, int]:
    """The merchant and its big shop; seeds them on the first run. Returns their ids."""
    from django.core.management import call_command

    from merchants.models import Membership, Merchant, User
    from reports.totals import totals_complete
    from shops.models import Shop
    from transactions.totals import daily_totals_rebuild

    call_command("migrate", verbosity=0, interactive=False)
    merchant = Merchant.objects.filter(name="Reports bench LLC").first()
    if merchant is not None and not os.environ.get("BENCH_REPORTS_RESEED"):
        if not totals_complete(merchant, merchant.time_zone):
            _report_totals_rebuild(merchant.pk)  # data seeded before the report totals
        return merchant.pk, Shop.objects.get(merchant=merchant, name="Bench books").pk
    if merchant is not None:
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM transactions_refund WHERE payment_id IN "
                "(SELECT id FROM transactions_payment WHERE merchant_id = %s)",
                [merchant.pk],
            )
            for table in ("transactions_payment", "transactions_dailytotal",
                          "transactions_monthlytotal", "transactions_totaldelta"):  # fmt: skip
                cursor.execute(f"DELETE FROM {table} WHERE merchant_id = %s", [merchant.pk])  # noqa: S608  # nosec B608  # a fixed list of our table names; the id is a parameter
        Shop.objects.filter(merchant=merchant).delete()
        Membership.objects.filter(merchant=merchant).delete()
        merchant.delete()
    merchant = Merchant.objects.create(
        name="Reports bench LLC", state=Merchant.State.ACTIVATED, time_zone=ZONE
    )
    user = User.objects.filter(email=OWNER).first() or User.objects.create_user(OWNER, None)
    Membership.objects.create(merchant=merchant, user=user, role=Membership.Role.OWNER)
    shop = Shop.objects.create(merchant=merchant, name="Bench books", is_open=True, live_mode=True)
    small = Shop.objects.create(merchant=merchant, name="Bench café", is_open=True, live_mode=True)
    start = time.perf_counter()
    with connection.cursor() as cursor:
        # `n` payments of a shop spread evenly over the month, local to the merchant's zone.
        insert = """
            INSERT INTO transactions_payment (
                public_id, form_token, shop_id, merchant_id, test, status, amount, currency,
                order_id, description, payment_methods, delivery_enabled, delivery,
                customer_email, customer_phone, language, success_url, fail_url, metadata,
                expires_at, method, card_brand, card_last4, refunded_amount, commission_amount,
                created_at, updated_at, succeeded_at
            )
            SELECT
                'pay_' || %(prefix)s || lpad(i::text, 20, '0'), md5(%(prefix)s || i::text),
                %(shop)s, %(merchant)s, %(test)s, st,
                amt, cur, 'ORD-' || i,
                CASE WHEN i %% 3 = 0 THEN '' ELSE 'Order ' || i || '; books' END,
                '[]', false, '{}', '', '', '', '', '', '{}',
                ts + interval '15 minutes',
                (ARRAY['card','card','apple_pay','idram','telcell'])[1 + i %% 5],
                CASE WHEN i %% 5 < 2 THEN 'visa' ELSE '' END,
                CASE WHEN i %% 5 < 2 THEN lpad((i %% 10000)::text, 4, '0') ELSE '' END,
                CASE st WHEN 'refunded' THEN amt WHEN 'partially_refunded' THEN amt / 2
                        ELSE 0 END,
                CASE WHEN NOT %(test)s AND st IN
                    ('succeeded','refunded','partially_refunded') THEN amt * 2 / 100 END,
                ts, ts,
                CASE WHEN st IN ('succeeded','refunded','partially_refunded')
                     THEN ts + interval '20 seconds' END
            FROM (
                SELECT i,
                    (ARRAY['succeeded','succeeded','succeeded','succeeded','declined',
                           'expired','refunded','partially_refunded'])[1 + i %% 8] AS st,
                    100 + (i::bigint * 7919) %% 5000000 AS amt,
                    (ARRAY['AMD','AMD','AMD','AMD','USD','EUR','RUB'])[1 + i %% 7] AS cur,
                    (%(first)s::timestamp AT TIME ZONE %(zone)s)
                        + (i - 1) * (%(span)s / %(n)s) * interval '1 second' AS ts
                FROM generate_series(1, %(n)s) AS i
            ) AS s
        """
        first = f"{YEAR:04d}-{MONTH:02d}-01 00:00:00"
        span = 31 * 86_400 - 60  # October has 31 days; the last payment a minute before
        for prefix, shop_id, n, test in (
            ("b", shop.pk, PAYMENTS, False),
            ("s", small.pk, 1_000, False),
            ("t", shop.pk, 5_000, True),
        ):
            cursor.execute(
                insert,
                {"prefix": prefix, "shop": shop_id, "merchant": merchant.pk, "test": test,
                 "n": n, "first": first, "zone": ZONE, "span": span},
            )  # fmt: skip
        # A refund a day after each refunded payment (some the month after).
        cursor.execute(
            """
            INSERT INTO transactions_refund
                (public_id, payment_id, amount, reason, status, created_by, created_at)
            SELECT 'ref_' || p.id, p.id, p.refunded_amount, '', 'succeeded', 'user',
                   p.succeeded_at + interval '1 day'
            FROM transactions_payment p
            WHERE p.merchant_id = %s AND p.refunded_amount > 0
            """,
            [merchant.pk],
        )
        cursor.execute("ANALYZE transactions_payment")
        cursor.execute("ANALYZE transactions_refund")
    daily_totals_rebuild(merchant_id=merchant.pk)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE transactions_dailytotal")
    _report_totals_rebuild(merchant.pk)
    print(f"seeded {PAYMENTS:,} payments in {time.perf_counter() - start:.0f} s", flush=True)
    return merchant.pk, shop.pk


def _report_totals_rebuild(merchant_id: int) -> None:
    """The report day totals recounted from the payments and refunds, as after deploy."""
    from reports.totals import report_totals_rebuild

    start = time.perf_counter()
    rows = report_totals_rebuild(merchant_id=merchant_id)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE reports_reportdaytotal")
    print(f"report totals rebuilt: {rows} rows in {time.perf_counter() - start:.1f} s", flush=True)


def _best(call, repeat: int = 5, clock=time.perf_counter) -> float:
    call()  # warm-up: templates, fonts, connection
    times = []
    for _ in range(repeat):
        start = clock()
        call()
        times.append(clock() - start)
    return min(times)


def _by_days(merchant_id: int, shop_id: int) -> list[Row]:
    from django.test import Client
    from django.test.utils import setup_test_environment

    from merchants.models import Merchant, User
    from reports.models import ReportTotalsState
    from reports.periods import month_period
    from reports.registry import ReportRequest
    from reports.selectors import daily_figures
    from shops.models import Shop

    setup_test_environment()
    client = Client()
    client.force_login(User.objects.get(email=OWNER))
    merchant = Merchant.objects.get(pk=merchant_id)
    query = {"shop": shop_id, "mode": "live", "month": f"{YEAR:04d}-{MONTH:02d}", "year": YEAR}
    request = ReportRequest(
        merchant=merchant,
        shops=(Shop.objects.get(pk=shop_id),),
        period=month_period(YEAR, MONTH, merchant.time_zone),
    )
    rows: list[Row] = []

    def get(fmt: str) -> None:
        response = client.get("/reports/download/", {**query, "file": f"by-days:{fmt}"})
        assert response.status_code == 200, response.status_code
        assert len(response.content) > 1000

    def measure(path: str) -> None:
        seconds = _best(lambda: daily_figures(request))
        rows.append((f"«По дням» figures alone ({path})", f"{seconds * 1000:.1f} ms", "", ""))
        for fmt, limit in (("pdf", PDF_LIMIT_S), ("xlsx", XLSX_LIMIT_S)):
            seconds = _best(lambda fmt=fmt: get(fmt))
            # This process's CPU time for one request: what the wall time would be on an
            # idle machine, less the database's own work (ms from the totals).
            cpu = _best(lambda fmt=fmt: get(fmt), clock=time.process_time)
            rows.append(
                (
                    f"«По дням» {fmt.upper()}, {PAYMENTS:,} payments in the month, one shop "
                    f"({path})",
                    f"{seconds:.2f} s (CPU {cpu:.2f} s)",
                    f"< {limit} s",
                    "ok" if seconds < limit else "FAIL",
                )
            )

    state = ReportTotalsState.objects.get(merchant_id=merchant_id)
    measure("report day totals")
    # For reference, the fallback: the same report counted from the payments and refunds
    # (totals not complete in the zone, as before a rebuild).
    ReportTotalsState.objects.filter(pk=state.pk).update(time_zone="-")
    try:
        measure("counted from payments, totals pending")
    finally:
        ReportTotalsState.objects.filter(pk=state.pk).update(time_zone=state.time_zone)
    return rows


def _registry_child(size: int) -> None:
    """Render a registry PDF of `size` rows and print seconds, pages and peak RSS."""
    import io
    from datetime import date

    from django.utils import translation

    from merchants.models import Merchant
    from reports import registry_files
    from reports.payments_registry import RegistryRows
    from reports.periods import Period, PeriodKind
    from reports.registry import ReportRequest, get_variant
    from reports.services import report_build
    from shops.models import Shop

    translation.activate("ru")
    merchant = Merchant.objects.get(name="Reports bench LLC")
    shop = Shop.objects.get(merchant=merchant, name="Bench books")
    # A day of the big shop holds ~32 000 payments: its first `size` AMD ones.
    period = Period(PeriodKind.RANGE, date(YEAR, MONTH, 2), date(YEAR, MONTH, 3), ZONE)
    request = ReportRequest(merchant=merchant, shops=(shop,), period=period)
    report = report_build(variant=get_variant("registry"), request=request)
    section = report.sections[0]
    payments = section.rows.payments[:size]
    section.rows = RegistryRows(payments, section.rows.zone, size)
    section.totals = {"count": size, "amount": 0, "refunded": 0}
    report.sections = [section]
    start = time.perf_counter()
    buffer = io.BytesIO()
    pages = registry_files.registry_pdf_write(buffer, report)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "pages": pages, "bytes": buffer.tell(),
                      "peak_mb": _peak_mb()}))  # fmt: skip


def _peak_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _registry(size: int) -> Row:
    import subprocess

    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "benchmarks.reports", "--registry", str(size)],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    rate = size / result["seconds"]
    ok = rate >= RATE_LIMIT and result["peak_mb"] < RSS_LIMIT_MB
    return (
        f"registry PDF, {size:,} rows ({result['pages']} pages, "
        f"{result['bytes'] / 1e6:.1f} MB, {result['seconds']:.1f} s)",
        f"{rate:,.0f} rows/s, peak RSS {result['peak_mb']:.0f} MB",
        f"≥ {RATE_LIMIT} rows/s, < {RSS_LIMIT_MB} MB",
        "ok" if ok else "FAIL",
    )


def main() -> None:
    if connection.vendor != "postgresql":
        print("| reports | skipped | needs PostgreSQL (DATABASE_URL) | |")
        return
    _ensure_database()
    merchant_id, shop_id = _seed()
    rows = _by_days(merchant_id, shop_id)
    connection.close()
    rows += [_registry(size) for size in REGISTRY_SIZES]
    print(f"engine: {connection.vendor}, python {sys.version.split()[0]}, load {os.getloadavg()}")
    print("| report | measured | limit | |")
    print("| --- | ---: | ---: | --- |")
    for name, value, limit, verdict in rows:
        print(f"| {name} | {value} | {limit} | {verdict} |", flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--seed"]:
        _ensure_database()
        print(_seed())
    elif sys.argv[1:2] == ["--registry"]:
        _registry_child(int(sys.argv[2]))
    else:
        main()
