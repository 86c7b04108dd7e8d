"""Starting with bad production settings stops with one line; good ones pass check --deploy."""

from __future__ import annotations

import secrets
import subprocess
from pathlib import Path

import pytest

from tests.manage_process import manage

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_NAMES = [
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "REDIS_URL",
    "EMAIL_URL",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "TIME_ZONE",
    "MEDIA_ROOT",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
]


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    return manage(*args, clear=SETTINGS_NAMES, **env)


def _production(**overrides: str) -> dict[str, str]:
    env = {
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "portal.example.am",
    }
    env.update(overrides)
    return env


def _single_error_line(result: subprocess.CompletedProcess) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_missing_secret_key_stops_with_one_line():
    env = _production()
    del env["SECRET_KEY"]
    result = _manage("check", **env)
    assert result.returncode == 2
    assert "SECRET_KEY" in _single_error_line(result)


def test_short_secret_key_stops_with_one_line():
    result = _manage("check", **_production(SECRET_KEY="short"))
    assert result.returncode == 2
    assert "SECRET_KEY" in _single_error_line(result)


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("DATABASE_URL", "nosuchdb://x"),
        ("REDIS_URL", "http://127.0.0.1:6379/0"),
        ("EMAIL_URL", "pigeon://loft"),
        ("DEBUG", "perhaps"),
        ("SECURE_HSTS_SECONDS", "a year"),
        ("TIME_ZONE", "Mars/Olympus_Mons"),
        ("PRIVATE_STORAGE_OPTIONS", "{not json"),
    ],
)
def test_invalid_setting_is_named_in_one_line(setting, value):
    result = _manage("check", **_production(**{setting: value}))
    assert result.returncode == 2
    line = _single_error_line(result)
    assert line.startswith(f"Inecopay cannot start: {setting} ")


def test_media_root_inside_static_is_refused():
    result = _manage("check", **_production(MEDIA_ROOT=str(ROOT / "static")))
    assert result.returncode == 2
    assert "MEDIA_ROOT" in _single_error_line(result)


def test_check_deploy_is_clean_with_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **_production())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_debug_runs_without_any_setting():
    result = _manage("check", DEBUG="1")
    assert result.returncode == 0, result.stderr
