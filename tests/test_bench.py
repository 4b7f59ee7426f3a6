"""The benchmarks still run, tiny: CI never judges speed, only that they work."""

from __future__ import annotations

import argparse
import importlib
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench import web_bench
from bench.burst_bench import Burst, burst_figures
from bench.fake_bot_api import Traffic
from bench.table import Figure, number, render

ROOT = Path(__file__).resolve().parent.parent

# Every figure issue #13 (and #16, the web view's pages built) sets a goal for, as the first
# words of its row.
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
    "web page /tong-quan ",
    "web page /tong-quan/bieu-do.png ",
    "web page /co-quan ",
    "web page /co-quan/{code} ",
    "web page /ke-hoach/{plan} ",
    "web page /ho-so ",
    "web page /cong-khai/ho-so-tre-han ",
    "web page /quan-tri/lich ",
    "web page /quan-tri/chat ",
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
    # Rows without a goal of the issue's, measured all the same.
    for start in ("XLSX files import", "reply → commit → answer, p95, limiter off"):
        assert any(c[0].startswith(start) and c[2] == "—" for c in cells), start
    # Each page of the web view on both registers, timed against its goal.
    web = [c for c in cells if c[0].startswith("web page ")]
    assert len(web) == 2 * len(web_bench.PAGES), web
    # The sizes each benchmark ran at.
    assert "sizes: burst 15 notices to 5 groups;" in done.stdout
    # Six rows, without and with latency.
    assert len([c for c in cells if c[0].startswith("burst")]) == 12
    assert "machine: " in done.stdout and "CPUs" in done.stdout and "Python 3." in done.stdout


@pytest.mark.parametrize(
    "command",
    [
        ["bench.burst_bench", "--groups", "3", "--latency", "0.01"],
        ["bench.digest_bench", "--agencies", "3", "--parts", "2"],
        ["bench.files_bench", "--rows", "50"],
        ["bench.files_bench", "--rows", "50", "--xlsx"],
        ["bench.plan_bench", "--sizes", "50", "--repeat", "1"],
        ["bench.reply_bench", "--replies", "3"],
        # More replies than one group may hear in a minute: spread over groups, none waits.
        ["bench.reply_bench", "--replies", "25", "--rate-limit"],
        ["bench.web_bench", "--parts", "300", "--repeat", "2"],
    ],
    ids=lambda command: command[0],
)
def test_each_benchmark_still_runs_on_its_own(command: list[str]) -> None:
    done = run(*command)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip(), "a benchmark prints its figures"


# Every numeric option of every entry point, with values it must refuse.
BAD_OPTIONS = [
    ("bench.__main__", ["--size", "0"]),
    ("bench.__main__", ["--size", "-1"]),
    ("bench.__main__", ["--size", "nan"]),
    ("bench.__main__", ["--size", "11"]),
    ("bench.__main__", ["--size", "1e-300"]),  # below the smallest every benchmark runs at
    ("bench.__main__", ["--size", "0.002"]),
    ("bench.burst_bench", ["--groups", "0"]),
    ("bench.burst_bench", ["--groups", "-3"]),
    ("bench.burst_bench", ["--groups", "2.5"]),
    ("bench.burst_bench", ["--latency", "-1"]),
    ("bench.burst_bench", ["--latency", "nan"]),
    ("bench.burst_bench", ["--latency", "inf"]),
    ("bench.burst_bench", ["--groups", "99999999999"]),  # gigabytes of notices
    ("bench.burst_bench", ["--groups", "100001"]),
    ("bench.burst_bench", ["--latency", "11"]),
    ("bench.digest_bench", ["--agencies", "0"]),
    ("bench.digest_bench", ["--parts", "0"]),
    ("bench.digest_bench", ["--parts", "-1"]),
    ("bench.files_bench", ["--rows", "0"]),
    ("bench.files_bench", ["--rows", "-5"]),
    ("bench.files_bench", ["--rows", "many"]),
    ("bench.files_bench", ["--rows", "99999999999"]),
    ("bench.files_bench", ["--rows", "10000001"]),
    ("bench.files_bench", ["--url", ""]),
    ("bench.files_bench", ["--url", "nonsense://x"]),
    ("bench.files_bench", ["--url", "not a url"]),
    ("bench.plan_bench", ["--sizes", "0"]),
    ("bench.plan_bench", ["--sizes", "50", "-1"]),
    ("bench.plan_bench", ["--repeat", "0"]),
    ("bench.plan_bench", ["--due", "-0.1"]),
    ("bench.plan_bench", ["--due", "1.5"]),
    ("bench.plan_bench", ["--due", "nan"]),
    ("bench.plan_bench", ["--sizes", "50", "10000001"]),
    ("bench.plan_bench", ["--repeat", "101"]),
    ("bench.reply_bench", ["--replies", "0"]),
    ("bench.reply_bench", ["--replies", "-300"]),
    ("bench.reply_bench", ["--replies", "3001"]),
    ("bench.web_bench", ["--parts", "0"]),
    ("bench.web_bench", ["--parts", "1000001"]),
    ("bench.web_bench", ["--repeat", "0"]),
    ("bench.web_bench", ["--repeat", "1001"]),
]


@pytest.mark.parametrize(
    ("module", "args"), BAD_OPTIONS, ids=lambda v: " ".join(v) if isinstance(v, list) else v
)
def test_a_bad_number_is_a_usage_error_before_anything_runs(
    module: str,
    args: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    main = importlib.import_module(module).main
    monkeypatch.setattr(sys, "argv", [module, *args])
    parse = argparse.ArgumentParser.parse_args

    def refusing(*a: Any, **k: Any) -> Any:  # a value let through would start a long run
        parsed = parse(*a, **k)
        raise AssertionError(f"argparse accepted {args}: {parsed}")

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", refusing)
    with pytest.raises(SystemExit) as ended:
        main()
    assert ended.value.code == 2
    said = capsys.readouterr()
    assert f"error: argument {args[0]}: " in said.err, said.err
    assert said.err.startswith("usage: ") and "Traceback" not in said.err
    assert said.out == ""


def test_every_size_option_says_its_maximum_in_its_help() -> None:
    for module, option, most in [
        ("bench", "--size", "to 10 "),
        ("bench.burst_bench", "--groups", "1 to 100,000"),
        ("bench.burst_bench", "--latency", "0 to 10"),
        ("bench.files_bench", "--rows", "1 to 10,000,000"),
        ("bench.plan_bench", "--sizes", "1 to 10,000,000"),
        ("bench.plan_bench", "--repeat", "1 to 100"),
        ("bench.reply_bench", "--replies", "1 to 3,000"),
        ("bench.web_bench", "--parts", "1 to 1,000,000"),
        ("bench.web_bench", "--repeat", "1 to 1,000"),
    ]:
        shown = " ".join(run(module, "--help").stdout.split())
        assert option in shown and most in shown, (module, option, shown)


def test_files_into_a_database_that_is_not_empty_is_refused(tmp_path: Path) -> None:
    import sqlite3

    with sqlite3.connect(tmp_path / "used.db") as db:
        db.execute("create table agency (id integer)")
    done = run("bench.files_bench", "--rows", "5", "--url", f"sqlite:///{tmp_path / 'used.db'}")
    assert done.returncode == 2, done.stderr[-2000:]
    assert "is not empty (1 tables: agency)" in done.stderr
    assert "Traceback" not in done.stderr and not done.stdout


def test_a_bad_number_as_a_process_exits_2_without_a_traceback() -> None:
    for command in (["bench.burst_bench", "--latency", "-1"], ["bench", "--size", "0"]):
        done = run(*command)
        assert done.returncode == 2, done.stderr[-2000:]
        assert f"error: argument {command[1]}: " in done.stderr
        assert "Traceback" not in done.stderr and not done.stdout


@pytest.mark.parametrize(
    "command",
    [
        ["bench.digest_bench", "--agencies", "1", "--parts", "1"],  # no part done: no audit row
        ["bench.plan_bench", "--sizes", "15", "1", "--repeat", "1", "--due", "1"],  # not tens
        ["bench.web_bench", "--parts", "1", "--repeat", "1", "--only", "large"],  # one part
    ],
    ids=lambda command: " ".join(command),
)
def test_the_smallest_sizes_run(command: list[str]) -> None:
    done = run(*command)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip()


def burst(messages: int, seconds: float) -> Burst:
    traffic = Traffic(messages=messages, too_many=0, first=0.0, last=seconds,
                      max_per_second=min(messages, 30), max_per_group_minute=3)  # fmt: skip
    return Burst(groups=messages // 3, notices=messages, latency=0.0, sent=messages,
                 seconds=seconds, traffic=traffic, reply_seconds=0.05)  # fmt: skip


@pytest.mark.parametrize(
    ("messages", "seconds", "shown", "note"),
    [
        (9, 0.1, 100.0, "capped: 300 % measured, 9 messages in 0.10 s"),  # within one window
        (3000, 99.5, 100.0, "capped: 101 % measured"),  # 30 at once, then 30 a second
        (3000, 120.0, 83.3, ""),
    ],
)
def test_the_share_of_30_msg_s_never_claims_more_than_the_ceiling(
    messages: int, seconds: float, shown: float, note: str
) -> None:
    (row,) = [f for f in burst_figures(burst(messages, seconds)) if "share of 30" in f.name]
    assert row.measured == pytest.approx(shown, abs=0.05)
    assert row.note.startswith(note) and bool(row.note) == bool(note), row.note
    table = render([row], "burst")
    assert "| 100 %" in table or f"| {shown:.1f} %" in table, table


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        (2.0, "messages", "2 messages"),  # counts are whole
        (0.0, "", "0"),
        (30.0, "msg", "30 msg"),
        (1234.0, "msg", "1,234 msg"),
        (14.56, "ms", "14.6 ms"),  # measures: about three figures
        (1.234, "s", "1.23 s"),
        (183.4, "MB", "183 MB"),
        (57_321.7, "rows/s", "57,322 rows/s"),
        (95.04, "%", "95.0 %"),
        (1.234, "×", "1.23 ×"),
    ],
)
def test_numbers_print_as_their_unit_wants(value: float, unit: str, shown: str) -> None:
    assert number(value, unit) == shown


def test_a_strict_goal_prints_as_the_issue_states_it_and_is_missed_at_the_goal() -> None:
    p95 = Figure("reply p95", 20.0, "ms", 20, strict=True)
    share = Figure("share", 95.0, "%", 95, at_most=False)
    assert "| < 20.0 ms " in render([p95], "t") and "| ≥ 95.0 % " in render([share], "t")
    assert p95.met() is False and share.met() is True
    assert Figure("reply p95", 19.9, "ms", 20, strict=True).met() is True
    assert Figure("x", 1.0, "s").met() is None


def test_a_reply_never_answered_is_a_clear_error_and_the_bot_is_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not "This Application is still running!" from the context's shutdown."""
    import asyncio

    from bench import reply_bench
    from bot.db import make_engine, upgrade
    from tests.fake_telegram import FakeTelegram

    async def never(self: FakeTelegram, count: int) -> None:
        raise TimeoutError

    monkeypatch.setattr(FakeTelegram, "wait_sent", never)
    url = f"sqlite:///{tmp_path / 'reply.db'}"
    upgrade(url)
    engine = make_engine(url)
    plan = reply_bench.build(engine, 2)
    with pytest.raises(RuntimeError, match=r"^reply 1 of 2 not answered in 10 s$"):
        asyncio.run(reply_bench.answer_all(engine, plan, rate_limit=True))
    engine.dispose()
