"""The benchmarks still run, tiny: CI never judges speed, only that they work."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Every figure issue #13 sets a goal for, as the first words of its row.
ROWS = [
    "burst: end to end",
    "burst: share of 30 msg/s",
    "burst: 429 answers",
    "burst: most in a 1-s window",
    "burst: most to a group in 60 s",
    "burst: reply answered",
    "tick, ",
    "tick over ",
    "idle tick over ",
    "files import",
    "peak RSS",
    "idle tick over the files",
    "every digest with its chart",
    "Monday step with charts",
    "reply → commit → answer, p95, limiter on",
]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_one_command_prints_every_figure_with_its_goal() -> None:
    done = run("bench", "--size", "tiny")
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ")][1:]
    cells = [[c.strip() for c in row.strip("|").split("|")] for row in rows]
    for start in ROWS:
        found = [c for c in cells if c[0].startswith(start)]
        assert found, f"no row for {start!r} in:\n{done.stdout}"
        for name, measured, goal, ratio, _note in found:
            assert re.match(r"-?[\d,.]+", measured), f"{name}: {measured!r} is not a number"
            assert re.search(r"\d", goal), f"{name}: no goal"
            assert re.fullmatch(r"[\d.]+|∞", ratio), f"{name}: ratio {ratio!r}"
    # Six rows, without and with latency.
    assert len([c for c in cells if c[0].startswith("burst")]) == 12
    assert "machine: " in done.stdout and "CPUs" in done.stdout and "Python 3." in done.stdout


@pytest.mark.parametrize(
    "command",
    [
        ["bench.burst_bench", "--groups", "3", "--latency", "0.01"],
        ["bench.digest_bench", "--agencies", "3", "--parts", "2"],
        ["bench.files_bench", "--rows", "50"],
        ["bench.plan_bench", "--sizes", "50", "--repeat", "1"],
        ["bench.reply_bench", "--replies", "3"],
    ],
    ids=lambda command: command[0],
)
def test_each_benchmark_still_runs_on_its_own(command: list[str]) -> None:
    done = run(*command)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip(), "a benchmark prints its figures"
