"""Create-payment throughput and latency under gunicorn with PostgreSQL, side by side
with two ceilings served by the same gunicorn (benchmarks/urls.py): a bare JSON view and
one INSERT … RETURNING that commits; then the hosted form page's median time.

    python -m benchmarks payments_api

Uses a throwaway database (BENCH_DATABASE, default inecopay_bench) on the PostgreSQL
server of DATABASE_URL (default postgres://postgres@127.0.0.1:5432), Redis at REDIS_URL
(default redis://127.0.0.1:6379/0) for the cache and broker, a free local port, and drops
the database afterwards. Knobs: BENCH_CONCURRENCY (32), BENCH_SECONDS (10 per
measurement), BENCH_WARMUP (2), BENCH_WORKERS (gunicorn processes, 2 × cores),
BENCH_THREADS (threads per process, 4), BENCH_ROUNDS (3: the requests take turns).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import uuid
from pathlib import Path

from . import loadgen, server

BASE_DIR = Path(__file__).resolve().parent.parent
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "32"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
WARMUP = float(os.environ.get("BENCH_WARMUP", "2"))
WORKERS = int(os.environ.get("BENCH_WORKERS", str(2 * (os.cpu_count() or 1))))
THREADS = int(os.environ.get("BENCH_THREADS", "4"))
# The three requests take turns, round after round, so that a change in the machine's speed
# (a shared VM's neighbours) falls on all three alike rather than on whichever ran then.
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
DATABASE = os.environ.get("BENCH_DATABASE", "inecopay_bench")
FORM_ROUNDS = int(os.environ.get("BENCH_FORM_ROUNDS", "500"))

TARGET_RATIO = 0.5
TARGET_P99_MS = 50.0
TARGET_FORM_MS = 20.0


def _env() -> dict[str, str]:
    # The per-key limit (100/s by default) is still counted on every request, but set out
    # of reach: the benchmark measures the work, not the refusal.
    return server.bench_env(DATABASE, API_RATE_LIMIT="1000000/s")


def _seed() -> None:
    """Run inside the bench environment: demo data, an open shop, a test key."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from inecopay.demo import seed_demo
    from merchants.models import User
    from shops.models import ApiKey, Shop
    from shops.services import api_key_create
    from transactions.services import payment_create

    from .urls import CREATE_TABLE

    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    logins = seed_demo()
    owner = User.objects.get(email=logins.merchant_email)
    shop = Shop.objects.filter(merchant__memberships__user=owner).order_by("pk").first()
    Shop.objects.filter(pk=shop.pk).update(is_open=True)
    shop.refresh_from_db()
    _row, key = api_key_create(shop=shop, kind=ApiKey.Kind.SECRET_TEST, by=owner)
    payment = payment_create(
        shop=shop,
        test=True,
        amount=1250000,
        currency="AMD",
        order_id="bench-form",
        description="Two books about Yerevan",
        expires_in=7 * 86400,
    )
    with connection.cursor() as cursor:
        cursor.execute(CREATE_TABLE)
    print(json.dumps({"key": key, "form_token": payment.form_token}))


def _server_pids(gunicorn_pid: int) -> tuple[list[int], list[int]]:
    """The gunicorn workers and the PostgreSQL backends serving the bench database."""
    import psycopg

    workers = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == gunicorn_pid:
                workers.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    with psycopg.connect(server.database_url("postgres"), autocommit=True) as connection:
        backends = [
            row[0]
            for row in connection.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", [DATABASE]
            )
        ]
    return workers, backends


def _ok(expected: int):
    return lambda status: status == expected


def main() -> None:
    env = _env()
    server.create(DATABASE)
    gunicorn = None
    try:
        seeded = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "benchmarks.payments_api", "seed"],
            cwd=BASE_DIR,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        secrets = json.loads(seeded.stdout.strip().splitlines()[-1])
        gunicorn, port = server.start_gunicorn(env, workers=WORKERS, threads=THREADS)
        rows, ratios = _measure(port, secrets, gunicorn.pid)
        alone = loadgen.sequential_ms(
            port=port, make=_create_request(secrets), count=FORM_ROUNDS, expect=201
        )
        form = loadgen.sequential_ms(
            port=port,
            make=lambda _n: loadgen.request_bytes(
                "GET", f"/pay/{secrets['form_token']}/", {"Accept-Language": "ru"}
            ),
            count=FORM_ROUNDS,
        )
    finally:
        server.stop_gunicorn(gunicorn)
        server.drop(DATABASE, strict=False)
    _report(rows, ratios, alone, form)


def _create_request(secrets: dict[str, str]):
    auth = {"Authorization": f"Bearer {secrets['key']}", "Content-Type": "application/json"}

    def create(n: int) -> bytes:
        body = json.dumps(
            {
                "amount": 1500000,
                "currency": "AMD",
                "order_id": f"bench-{n}",
                "description": "Benchmark order",
                "metadata": {"cart": str(n)},
            }
        ).encode()
        headers = auth | {"Idempotency-Key": uuid.uuid4().hex}
        return loadgen.request_bytes("POST", "/api/v1/payments", headers, body)

    return create


def _measure(
    port: int, secrets: dict[str, str], gunicorn_pid: int
) -> tuple[list[loadgen.Result], list[float]]:
    create = _create_request(secrets)

    def insert(n: int) -> bytes:
        body = json.dumps({"order_id": f"bench-{n}"}).encode()
        headers = {"Content-Type": "application/json"}
        return loadgen.request_bytes("POST", "/bench/insert", headers, body)

    def bare(_n: int) -> bytes:
        return loadgen.request_bytes("GET", "/bench/bare", {})

    scenarios = [
        ("bare Django JSON view (ceiling)", bare, 200),
        ("one INSERT … RETURNING + commit (ceiling)", insert, 201),
        ("POST /api/v1/payments (create payment)", create, 201),
    ]
    results = {name: loadgen.Result(name=name, seconds=0.0) for name, _make, _status in scenarios}
    ratios = []
    for _round in range(ROUNDS):
        done = {}
        for name, make, status in scenarios:
            before = [server.cpu_seconds(pids) for pids in _server_pids(gunicorn_pid)]
            result = loadgen.run(
                name,
                port=port,
                make=make,
                ok=_ok(status),
                concurrency=CONCURRENCY,
                seconds=SECONDS / ROUNDS,
                warmup=WARMUP,
            )
            after = [server.cpu_seconds(pids) for pids in _server_pids(gunicorn_pid)]
            result.web_cpu, result.db_cpu = (
                sum(cpu - then.get(pid, 0.0) for pid, cpu in now.items())
                for then, now in zip(before, after, strict=True)
            )
            results[name].add(result)
            done[name] = result
        insert, create = (done[name] for name, _make, _status in scenarios[1:])
        ratios.append(create.rps / insert.rps if insert.rps else 0.0)
    return list(results.values()), ratios


def _report(
    rows: list[loadgen.Result], ratios: list[float], alone: list[float], form: list[float]
) -> None:
    import statistics

    bare, insert, create = rows
    print(
        f"payments_api: {platform.node()}, {os.cpu_count()} cores, python "
        f"{sys.version.split()[0]}, gunicorn gthread {WORKERS}×{THREADS}, "
        f"{CONCURRENCY} keep-alive clients, {SECONDS:.0f} s each after {WARMUP:.0f} s warm-up, "
        f"in {ROUNDS} alternating rounds"
    )
    print(
        "| request | req/s | p50 ms | p99 ms | errors "
        "| server CPU ms/request (gunicorn + PostgreSQL) |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        print(
            f"| {row.name} | {row.rps:.0f} | {row.p50:.1f} | {row.p99:.1f} | {row.errors} "
            f"| {row.cpu_ms:.2f} ({row.per_request(row.web_cpu):.2f} + "
            f"{row.per_request(row.db_cpu):.2f}) |"
        )
    ratio = create.rps / insert.rps if insert.rps else 0.0
    load = os.getloadavg()[0]
    form_median = statistics.median(form)

    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    print()
    print(
        f"load average at the end: {load:.1f}; server CPU per create / per insert: "
        f"{create.cpu_ms / insert.cpu_ms:.1f}×"
    )
    print(
        f"create / insert ceiling: {ratio:.0%} (target ≥ {TARGET_RATIO:.0%}: "
        f"{verdict(ratio >= TARGET_RATIO)}); create / bare: {create.rps / bare.rps:.0%}; "
        f"per round: {', '.join(f'{r:.0%}' for r in ratios)}"
    )
    print(
        f"create p99: {create.p99:.1f} ms (target < {TARGET_P99_MS:.0f}: "
        f"{verdict(create.p99 < TARGET_P99_MS)}; the one-insert ceiling's own p99 at "
        f"{CONCURRENCY} clients: {insert.p99:.1f} ms); errors: {create.errors} "
        f"({verdict(create.errors == 0)})"
    )
    # Little's law: a closed loop of N clients waits N / throughput on average, whatever
    # each request costs; one client alone shows the time a create itself takes.
    print(
        f"create alone, one connection, {len(alone)} requests: median "
        f"{statistics.median(alone):.2f} ms, p99 {_p99(alone):.2f} ms; "
        f"{CONCURRENCY} clients / create req/s = {CONCURRENCY / create.rps * 1000:.0f} ms mean"
    )
    print(
        f"GET /pay/<token>/ one connection, {len(form)} requests: median "
        f"{form_median:.2f} ms, p95 {sorted(form)[int(len(form) * 0.95)]:.2f} ms "
        f"(target < {TARGET_FORM_MS:.0f}: {verdict(form_median < TARGET_FORM_MS)})"
    )
    for row in rows:
        unexpected = {s: c for s, c in row.statuses.items() if s >= 300}
        if unexpected:
            print(f"  {row.name}: unexpected statuses {unexpected}")


def _p99(values: list[float]) -> float:
    return sorted(values)[min(len(values) - 1, int(len(values) * 0.99))]


if __name__ == "__main__":
    if sys.argv[1:] == ["seed"]:
        _seed()
    else:
        main()
