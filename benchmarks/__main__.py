"""`make bench` (or `make bench BENCH=payments_api`): run the benchmarks, each a module of
this package with a main(), in a process of its own, and print their tables for
docs/PERFORMANCE.md.

    python -m benchmarks                  # all of them
    python -m benchmarks payments_api     # one (or several, by name)
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# Each a module here; in the order they run.
BENCHMARKS = [
    "pages",
    "payments_api",
    "transactions_list",
    "exports",
    "settlements",
    "reports",
    "subscriptions",
    "load",
]


def main(names: list[str]) -> int:
    names = names or os.environ.get("BENCH", "").split() or BENCHMARKS
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
        return 2
    failed = 0
    for name in names:
        print(f"## {name}", flush=True)
        done = subprocess.run(  # noqa: S603
            [sys.executable, "-m", f"benchmarks.{name}"],
            cwd=Path(__file__).resolve().parent.parent,
            check=False,
        )
        failed += done.returncode != 0
        print(flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
