"""The benchmarks still run: each one, tiny (CI never judges speed, only that they work)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "command",
    [
        ["bench.digest_bench", "--agencies", "3", "--parts", "2"],
        ["bench.files_bench", "--rows", "50"],
        ["bench.plan_bench", "--sizes", "50", "--repeat", "1"],
        ["bench.reply_bench", "--replies", "3"],
    ],
    ids=lambda command: command[0],
)
def test_a_benchmark_runs_tiny(command: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip(), "a benchmark prints its figures"
