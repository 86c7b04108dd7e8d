"""The portal under a mixed load: merchants browsing «Последние платежи» and the
dashboard, API clients creating payments, buyers paying on the hosted form — all at once,
against gunicorn + PostgreSQL + Redis on loopback, with the bare-Django ceiling measured
by the same gunicorn in the same run.

    python -m benchmarks load           # rising rates until a target is missed
    python -m benchmarks.load --short   # 30 s at a low rate; fails on any error (CI)

Visitors arrive at a fixed rate (open loop, benchmarks/loadgen.py) in this mix, of every
ten: 3 merchants opening Latest payments, 2 the dashboard, 4 API clients creating a
payment, 1 buyer opening the form and paying with the success card (two requests).
Targets: 0 errors, p99 < 200 ms for pages and the form, < 100 ms for the API. The long
form raises the rate by half each step (BENCH_LOAD_START, default 10 visitors/s; steps of
BENCH_LOAD_SECONDS, default 15 s after 3 s warm-up) until a step misses a target, and
reports the highest rate that met them all.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import uuid

from . import loadgen, server

DATABASE = os.environ.get("BENCH_LOAD_DATABASE", "inecopay_load")
WORKERS = int(os.environ.get("BENCH_WORKERS", str(2 * (os.cpu_count() or 1))))
THREADS = int(os.environ.get("BENCH_THREADS", "4"))
START = float(os.environ.get("BENCH_LOAD_START", "10"))
STEP_SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "15"))
MAX_STEPS = int(os.environ.get("BENCH_LOAD_STEPS", "12"))
SHORT_RATE = float(os.environ.get("BENCH_LOAD_SHORT_RATE", "8"))
SHORT_SECONDS = float(os.environ.get("BENCH_LOAD_SHORT_SECONDS", "30"))
# Payments seeded for buyers to pay, one each.
BUYER_PAYMENTS = int(os.environ.get("BENCH_LOAD_PAYMENTS", "3000"))

PAGE_P99_MS = 200.0
API_P99_MS = 100.0


def _seed(count: int) -> None:
    """Inside the bench environment: demo data, an open shop, a test key, a merchant's
    session, and `count` pending payments for buyers."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse

    from inecopay.demo import seed_demo
    from merchants.models import User
    from shops.models import ApiKey, Shop
    from shops.services import api_key_create
    from transactions.services import payment_create

    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    logins = seed_demo()
    owner = User.objects.get(email=logins.merchant_email)
    shop = Shop.objects.filter(merchant__memberships__user=owner).order_by("pk").first()
    Shop.objects.filter(pk=shop.pk).update(is_open=True)
    shop.refresh_from_db()
    _row, key = api_key_create(shop=shop, kind=ApiKey.Kind.SECRET_TEST, by=owner)
    tokens = [
        payment_create(
            shop=shop,
            test=True,
            amount=990000,
            currency="AMD",
            order_id=f"load-buyer-{n}",
            description="Load test order",
            expires_in=7 * 86400,
            delivery_enabled=False,
            success_url="https://shop.example/thanks",
            fail_url="https://shop.example/failed",
        ).form_token
        for n in range(count)
    ]
    browser = Client()
    browser.force_login(owner)
    print(
        json.dumps(
            {
                "key": key,
                "session": browser.cookies["sessionid"].value,
                "tokens": tokens,
                "list": reverse("transactions:list"),
                "dashboard": reverse("dashboard"),
            }
        )
    )


def _flows(seeded: dict) -> list[loadgen.Flow]:
    page = {"Cookie": f"sessionid={seeded['session']}", "Accept-Language": "ru"}
    auth = {"Authorization": f"Bearer {seeded['key']}", "Content-Type": "application/json"}
    tokens = seeded["tokens"]
    csrf = uuid.uuid4().hex  # a 32-character CSRF secret, sent as cookie and field
    buyers = iter(range(len(tokens)))

    def ok(*statuses: int):
        return lambda status: status in statuses

    def latest(_n: int):
        return [(loadgen.request_bytes("GET", seeded["list"], page), ok(200))]

    def dashboard(_n: int):
        return [(loadgen.request_bytes("GET", seeded["dashboard"], page), ok(200))]

    def create(n: int):
        body = json.dumps(
            {"amount": 1500000, "currency": "AMD", "order_id": f"load-{n}", "description": "Load"}
        ).encode()
        headers = auth | {"Idempotency-Key": uuid.uuid4().hex}
        return [(loadgen.request_bytes("POST", "/api/v1/payments", headers, body), ok(201))]

    def buyer(_n: int):
        token = tokens[next(buyers)]
        form = f"/pay/{token}/"
        body = (
            f"csrfmiddlewaretoken={csrf}&method=card&card_number=4242+4242+4242+4242"
            "&expiry=12%2F30&cvc=123"
        ).encode()
        headers = {
            "Cookie": f"csrftoken={csrf}",
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept-Language": "ru",
        }
        return [
            (loadgen.request_bytes("GET", form, {"Accept-Language": "ru"}), ok(200)),
            (loadgen.request_bytes("POST", form, headers, body), ok(302)),
        ]

    return [
        loadgen.Flow("merchant: Latest payments", 3, latest, PAGE_P99_MS),
        loadgen.Flow("merchant: dashboard", 2, dashboard, PAGE_P99_MS),
        loadgen.Flow("API: create payment", 4, create, API_P99_MS),
        loadgen.Flow("buyer: form + success card", 1, buyer, PAGE_P99_MS),
    ]


def _step(port: int, flows: list[loadgen.Flow], rate: float, seconds: float):
    results = loadgen.open_loop(port=port, flows=flows, rate=rate, seconds=seconds, warmup=3)
    met = all(
        r.errors == 0 and r.latencies_ms and r.p99 < f.target_p99_ms
        for f, r in ((f, results[f.name]) for f in flows)
    )
    return results, met


def _print_step(rate: float, results: dict[str, loadgen.Result], met: bool) -> None:
    total = sum(len(r.latencies_ms) for r in results.values())
    seconds = next(iter(results.values())).seconds
    print(
        f"### {rate:.0f} visitors/s: {total / seconds:.0f} requests/s answered — "
        f"{'all targets met' if met else 'a target MISSED'}"
    )
    print("| flow | requests | p50 ms | p99 ms | errors | statuses |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for r in results.values():
        print(
            f"| {r.name} | {len(r.latencies_ms)} | {r.p50:.1f} | {r.p99:.1f} | {r.errors} "
            f"| {dict(sorted(r.statuses.items()))} |"
        )
    print(flush=True)


def main(short: bool) -> int:
    count = int(SHORT_RATE * (SHORT_SECONDS + 3) / 10) + 50 if short else BUYER_PAYMENTS
    env = server.bench_env(DATABASE, API_RATE_LIMIT="1000000/s")
    server.create(DATABASE)
    gunicorn = None
    try:
        seeded = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "benchmarks.load", "seed", str(count)],
            cwd=server.BASE_DIR,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        flows = _flows(json.loads(seeded.stdout.strip().splitlines()[-1]))
        gunicorn, port = server.start_gunicorn(env, workers=WORKERS, threads=THREADS)
        print(
            f"load: {platform.node()}, {os.cpu_count()} cores, python {sys.version.split()[0]}, "
            f"gunicorn gthread {WORKERS}×{THREADS}, load average "
            f"{os.getloadavg()[0]:.1f} at the start"
        )
        if short:
            results, _met = _step(port, flows, SHORT_RATE, SHORT_SECONDS)
            _print_step(SHORT_RATE, results, _met)
            errors = sum(r.errors for r in results.values())
            print(f"short form: {errors} errors")
            return 1 if errors else 0
        bare = loadgen.run(
            "bare",
            port=port,
            make=lambda _n: loadgen.request_bytes("GET", "/bench/bare", {}),
            ok=lambda status: status == 200,
            concurrency=32,
            seconds=5,
            warmup=1,
        )
        print(
            f"bare-Django ceiling (32 keep-alive clients, 5 s): {bare.rps:.0f} requests/s, "
            f"p99 {bare.p99:.1f} ms\n"
        )
        rate, best = START, None
        for _n in range(MAX_STEPS):
            results, met = _step(port, flows, rate, STEP_SECONDS)
            _print_step(rate, results, met)
            if not met:
                break
            best = (rate, sum(len(r.latencies_ms) for r in results.values()) / STEP_SECONDS)
            rate *= 1.5
        if best is None:
            print("no rate met the targets")
        else:
            print(
                f"highest rate meeting every target: {best[0]:.0f} visitors/s = {best[1]:.0f} "
                f"requests/s ({best[1] / bare.rps:.0%} of the bare ceiling {bare.rps:.0f}); "
                f"load average at the end {os.getloadavg()[0]:.1f}"
            )
        return 0
    finally:
        server.stop_gunicorn(gunicorn)
        server.drop(DATABASE, strict=False)


if __name__ == "__main__":
    if sys.argv[1:2] == ["seed"]:
        _seed(int(sys.argv[2]))
    else:
        sys.exit(main(short="--short" in sys.argv[1:]))
