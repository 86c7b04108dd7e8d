"""`make bench`: request latency of the portal's pages through the full middleware stack.

Runs against a throwaway test database on the configured engine (SQLite by default,
PostgreSQL when DATABASE_URL is set) and prints a table to paste into docs/PERFORMANCE.md.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inecopay.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdef0123456789abcdef")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

import django  # noqa: E402

django.setup()

from django.test import Client  # noqa: E402
from django.test.utils import (  # noqa: E402
    setup_databases,
    setup_test_environment,
    teardown_databases,
    teardown_test_environment,
)

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "300"))


def measure(
    name: str, call: Callable[[], int], rounds: int = ROUNDS
) -> tuple[str, float, float, float]:
    for _ in range(10):
        call()
    timings = []
    for _ in range(rounds):
        start = time.perf_counter()
        status = call()
        timings.append((time.perf_counter() - start) * 1000)
        if status >= 400:
            raise SystemExit(f"{name}: HTTP {status}")
    timings.sort()
    p50 = statistics.median(timings)
    p95 = timings[int(len(timings) * 0.95) - 1]
    return name, p50, p95, 1000 / statistics.mean(timings)


def main() -> None:
    from django.core.management import call_command

    from inecopay.demo import seed_demo

    setup_test_environment()
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        call_command("collectstatic", "--noinput", verbosity=0)
        logins = seed_demo()
        anonymous = Client()
        merchant = Client()
        merchant.post(
            "/accounts/login/",
            {"login": logins.merchant_email, "password": logins.merchant_password},
        )
        rows = [
            measure("GET / (landing)", lambda: anonymous.get("/").status_code),
            measure("GET /healthz", lambda: anonymous.get("/healthz").status_code),
            measure("GET /dashboard/ (signed in)", lambda: merchant.get("/dashboard/").status_code),
        ]
    finally:
        teardown_databases(old_config, verbosity=0)
        teardown_test_environment()
    engine = django.db.connection.vendor
    print(f"engine: {engine}, rounds: {ROUNDS}, python {sys.version.split()[0]}")
    print("| request | p50 ms | p95 ms | req/s (one process) |")
    print("| --- | ---: | ---: | ---: |")
    for name, p50, p95, rps in rows:
        print(f"| {name} | {p50:.2f} | {p95:.2f} | {rps:.0f} |")


if __name__ == "__main__":
    main()
    __import__("benchmarks.exports", fromlist=["main"]).main()
