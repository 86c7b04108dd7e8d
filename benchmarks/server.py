"""What the HTTP benchmarks share: a throwaway PostgreSQL database, the environment of a
production-like portal (DEBUG off, Redis, the bench URLconf with its ceiling views) and a
gunicorn on a free loopback port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent


def server_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        url = "postgres://postgres@127.0.0.1:5432/postgres"
    return url


def database_url(name: str) -> str:
    parts = urlsplit(server_url())
    return urlunsplit(parts._replace(path=f"/{name}"))


def admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(database_url("postgres"), autocommit=True) as connection:
        # A DROP DATABASE can wait on the whole server (another session's backend that
        # does not answer the barrier): give up rather than hang the benchmark.
        connection.execute("SET statement_timeout = '60s'")
        connection.execute(sql)


def drop(name: str, *, strict: bool) -> None:
    import psycopg

    try:
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except psycopg.errors.QueryCanceled:
        if strict:
            raise SystemExit(f"could not drop the old {name}: choose another name") from None
        print(f"note: {name} could not be dropped in time; the next run drops it")


def create(name: str) -> None:
    drop(name, strict=True)
    admin(f'CREATE DATABASE "{name}"')


def bench_env(name: str, **extra: str) -> dict[str, str]:
    """The portal's environment against the database `name`, production-like."""
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
            "DATABASE_URL": database_url(name),
            "REDIS_URL": os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0",
            "DEBUG": "0",
            "SECRET_KEY": "bench-only-secret-key-0123456789abcdef0123456789abcdef",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_COOKIES": "0",
            "SECURE_HSTS_SECONDS": "0",
            "LOG_LEVEL": "WARNING",
            "VAR_DIR": str(BASE_DIR / "var" / "bench"),
            **extra,
        }
    )
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("gunicorn stopped before answering")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/bare", timeout=2):  # noqa: S310  # nosec B310  # a fixed http://127.0.0.1 URL of the benchmark's own gunicorn
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not answer in time")


def start_gunicorn(
    env: dict[str, str], *, workers: int, threads: int
) -> tuple[subprocess.Popen, int]:
    """gunicorn gthread serving the portal on a free port, answering before this returns."""
    port = free_port()
    process = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "gunicorn",
            "inecopay.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "gthread",
            "--threads",
            str(threads),
            "--keep-alive",
            "75",
            "--log-level",
            "warning",
        ],
        cwd=BASE_DIR,
        env=env,
        start_new_session=True,
    )
    wait_ready(port, process)
    return process, port


def stop_gunicorn(process: subprocess.Popen | None) -> None:
    if process is None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """utime + stime of each process, from /proc (Linux)."""
    ticks = os.sysconf("SC_CLK_TCK")
    seconds = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        seconds[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return seconds
