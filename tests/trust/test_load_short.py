"""The short form of the load benchmark: 30 s of the mixed load (merchants' pages, API
creates, buyers paying) against a real gunicorn, PostgreSQL and Redis, with 0 errors.
The long form, rising until a latency target is missed, is `make bench BENCH=load`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
    or not os.environ.get("REDIS_URL"),
    reason="the load run needs PostgreSQL and Redis (DATABASE_URL, REDIS_URL)",
)


def test_mixed_load_for_30_seconds_answers_every_request():
    env = dict(os.environ, BENCH_LOAD_DATABASE="inecopay_load_short")
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "benchmarks.load", "--short"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    print(done.stdout)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "short form: 0 errors" in done.stdout
    for flow in ("Latest payments", "dashboard", "create payment", "success card"):
        assert flow in done.stdout
