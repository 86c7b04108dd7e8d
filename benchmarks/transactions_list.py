"""The transactions pages at 5 million payments: «Последние платежи» (page 1, page 1 000,
a filtered page), the dashboard and a month's totals, for the owner of the merchant with
1 000 000 payments.

    DATABASE_URL=postgres://…/inecopay_bench python -m benchmarks.transactions_list

Runs on a PostgreSQL database whose name says bench (seeded by `seed_bench` if it is
empty, reused otherwise), through the Django test client and the whole middleware stack.
Beside each page: its median, p95, SQL query count, the bare SQL limit measured in the
same run, and whether any query's plan scans the payments table sequentially.
"""

from __future__ import annotations

import html
import json
import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from datetime import time as dtime
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inecopay.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdef0123456789abcdef")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "40"))
PAYMENTS = int(os.environ.get("BENCH_PAYMENTS", "5000000"))
TARGET_MS = 50
MAX_QUERIES = 10
NEXT = re.compile(r'<a[^>]*rel="next"[^>]*href="([^"]+)"|<a[^>]*href="([^"]+)"[^>]*rel="next"')


def _timings(call: Callable[[], object], rounds: int = ROUNDS) -> list[float]:
    for _ in range(3):
        call()
    timings = []
    for _ in range(rounds):
        start = time.perf_counter()
        call()
        timings.append((time.perf_counter() - start) * 1000)
    return sorted(timings)


def _p50_p95(timings: list[float]) -> tuple[float, float]:
    return statistics.median(timings), timings[max(int(len(timings) * 0.95) - 1, 0)]


def _seq_scans(queries: list[dict]) -> list[str]:
    """The payment queries whose plan reads transactions_payment by a sequential scan."""
    found = []
    with connection.cursor() as cursor:
        for query in queries:
            sql = query["sql"]
            if "transactions_payment" not in sql or not sql.lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
            plan = json.dumps(cursor.fetchone()[0])
            if re.search(
                r'"Node Type": "Seq Scan", [^}]*"Relation Name": "transactions_payment"', plan
            ):
                found.append(sql[:200])
    return found


def _page(client: Client, url: str) -> tuple[dict, object]:
    """Time a page, count its queries, check their plans."""

    def get():
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}")
        return response

    timings = _timings(get)
    with CaptureQueriesContext(connection) as captured:
        response = get()
    return {
        "timings": timings,
        "queries": len(captured),
        "seq_scans": _seq_scans(captured.captured_queries),
    }, response


def _next_url(response, base: str) -> str | None:
    match = NEXT.search(response.content.decode())
    if match is None:
        return None
    return urljoin(base, html.unescape(match.group(1) or match.group(2)))


def _bare_sql(merchant_id: int, before: tuple[datetime, int] | None, offset: int) -> list[float]:
    table = "transactions_payment"
    if before is None:
        sql = (
            f"SELECT * FROM {table} WHERE merchant_id = %s AND NOT test "  # noqa: S608  # nosec B608  # the model's table name; the offset is an int, the id a parameter
            f"ORDER BY created_at DESC, id DESC LIMIT 50 OFFSET {offset:d}"
        )
        params: list = [merchant_id]
    else:
        sql = (
            f"SELECT * FROM {table} WHERE merchant_id = %s AND NOT test "  # noqa: S608  # nosec B608  # the model's table name; values are parameters
            "AND (created_at, id) < (%s, %s) ORDER BY created_at DESC, id DESC LIMIT 50"
        )
        params = [merchant_id, *before]
    with connection.cursor() as cursor:

        def run():
            cursor.execute(sql, params)
            return cursor.fetchall()

        return _timings(run, rounds=ROUNDS if offset == 0 else max(ROUNDS // 4, 5))


def run() -> None:
    from merchants.models import Merchant
    from transactions.management.commands.seed_bench import BENCH_NAME, is_throwaway
    from transactions.models import Payment
    from transactions.totals import payment_totals

    if connection.vendor != "postgresql" or not is_throwaway(connection.settings_dict["NAME"]):
        raise SystemExit(
            "transactions_list needs a PostgreSQL bench database: set DATABASE_URL to one whose "
            "name contains 'bench' (it is seeded with seed_bench when empty)."
        )
    setup_test_environment()
    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    clock = time.monotonic()
    call_command("seed_bench", "--payments", str(PAYMENTS), "--merchants", "20", "--months", "12")
    seeded = time.monotonic() - clock
    merchant = Merchant.objects.filter(name__startswith=BENCH_NAME).order_by("name").first()
    owner = merchant.memberships.get().user
    count = Payment.objects.filter(merchant=merchant).count()
    client = Client()
    client.force_login(owner)
    client.get("/dashboard/")  # the session's first request also records it

    rows: list[tuple[str, dict, str]] = []
    list_url = "/transactions/?mode=live"
    has_list = Client().get("/transactions/").status_code != 404
    if has_list:
        first, response = _page(client, list_url)
        # Walk to page 1 000 once by the pages' own next links, then time that page.
        url, walked = list_url, 1
        while walked < 1000:
            url = _next_url(response, url)
            if url is None:
                raise SystemExit(f"no rel=next link on page {walked}")
            response = client.get(url)
            walked += 1
        deep, _response = _page(client, url)
        cursor_row = (
            Payment.objects.filter(merchant=merchant, test=False)
            .order_by("-created_at", "-id")
            .values_list("created_at", "id")[49_950]
        )
        keyset = _bare_sql(merchant.pk, cursor_row, 0)
        offset = _bare_sql(merchant.pk, None, 500_000)
        filtered, _response = _page(client, list_url + "&status=succeeded&period=month")
        keyset_ms = statistics.median(keyset)
        offset_ms = statistics.median(offset)
        rows += [
            ("List, page 1", first, f"keyset 50 rows {keyset_ms:.2f} ms"),
            (
                "List, page 1 000 (by rel=next)",
                deep,
                f"keyset 50 rows {keyset_ms:.2f} ms; OFFSET 500000: {offset_ms:.1f} ms",
            ),  # fmt: skip
            ("List, status=succeeded & period=month", filtered, ""),
        ]
    dashboard, _response = _page(client, "/dashboard/")
    rows.append(("Dashboard", dashboard, ""))

    zone = ZoneInfo(merchant.time_zone)
    today = datetime.now(zone).date()
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    start = datetime.combine(last_month, dtime.min, tzinfo=zone)
    end = datetime.combine(today.replace(day=1), dtime.min, tzinfo=zone)

    def month_totals():
        return payment_totals(merchant=merchant, test=False, start=start, end=end)

    totals = month_totals()
    with CaptureQueriesContext(connection) as captured:
        month_totals()
    with connection.cursor() as cursor:

        def live_count():
            cursor.execute(
                "SELECT currency, COUNT(*), SUM(amount) FROM transactions_payment "
                "WHERE merchant_id = %s AND NOT test AND created_at >= %s AND created_at < %s "
                "GROUP BY currency",
                [merchant.pk, start, end],
            )
            return cursor.fetchall()

        live = _timings(live_count, rounds=max(ROUNDS // 4, 5))
    month = {
        "timings": _timings(month_totals),
        "queries": len(captured),
        "seq_scans": _seq_scans(captured.captured_queries),
    }
    rows.append(
        (
            f"Month's totals ({last_month:%Y-%m}: {totals.count} payments)",
            month,
            f"COUNT/SUM over the payments: {statistics.median(live):.1f} ms",
        )
    )

    print(
        f"engine: postgresql {connection.pg_version // 10000}, database "
        f"{connection.settings_dict['NAME']}, {Payment.objects.count():,} payments; merchant "
        f"{merchant.name}: {count:,}; rounds {ROUNDS}; seed/reuse {seeded:.1f} s; "
        f"python {sys.version.split()[0]}"
    )
    if not has_list:
        print("(the list page /transactions/ is not installed: list rows skipped)")
    print("| what | p50 ms | p95 ms | SQL queries | seq scan of payments | limit in the same run |")
    print("| --- | ---: | ---: | ---: | --- | --- |")
    failed = []
    for name, figures, limit in rows:
        p50, p95 = _p50_p95(figures["timings"])
        scans = "none" if not figures["seq_scans"] else f"{len(figures['seq_scans'])} ⚠"
        print(f"| {name} | {p50:.1f} | {p95:.1f} | {figures['queries']} | {scans} | {limit} |")
        if p50 >= TARGET_MS:
            failed.append(f"{name}: p50 {p50:.1f} ms ≥ {TARGET_MS}")
        if name.startswith("List") and figures["queries"] > MAX_QUERIES:
            failed.append(f"{name}: {figures['queries']} queries > {MAX_QUERIES}")
        for sql in figures["seq_scans"]:
            failed.append(f"{name}: sequential scan in {sql}")
    for line in failed:
        print("MISSED:", line)


main = run

if __name__ == "__main__":
    run()
