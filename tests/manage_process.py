"""Run `manage.py` in a process of its own, with the environment a test chooses."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def manage(*args: str, clear: Iterable[str], **env: str) -> subprocess.CompletedProcess:
    """`python manage.py *args` with the settings named in `clear` dropped from this
    process's environment and `env` set instead."""
    dropped = set(clear)
    base = {k: v for k, v in os.environ.items() if k not in dropped}
    base.update(env)
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )
