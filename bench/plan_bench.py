"""How long one ``plan()`` takes, by register size and by how much is due.

    .venv/bin/python -m bench.plan_bench            # 100k and 1M parts (SQLite files)
    .venv/bin/python -m bench.plan_bench --sizes 20000 200000 --repeat 5

For each register: N parts over N/10 tasks and 1,000 agencies (one group chat each).
"Due" parts are on the day of their 3-days-ahead reminder; the rest are months away.
Each measured ``plan()`` runs in a transaction that is rolled back, so runs compare.
Prints figures and ratios; it asserts nothing. :func:`figures` gives ``python -m bench``
its rows: there each tick is committed, as the issue's goals count it.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert
from sqlmodel import Session

from bench.args import count, fraction, scaled
from bench.table import Figure
from bot.config import Settings
from bot.db import make_engine, upgrade
from bot.domain.calendar import VIETNAM, WorkCalendar
from bot.domain.deadlines import DueDate, to_record
from bot.models import CHECK_NOW, Agency, Assignment, Chat, Plan, Task
from bot.scheduler.planner import plan

NOW = datetime(2024, 12, 20, 8, 0, tzinfo=VIETNAM)
TODAY = NOW.date()
AGENCIES = 1000


def build(url: str, parts: int, due: int) -> None:
    upgrade(url)
    engine = make_engine(url)
    cal = WorkCalendar()
    soon = cal.add_working_days(TODAY, 3)  # the "before-3" stage fires today
    later = date(2025, 6, 30)
    # Ten parts a task; the due parts fill tasks of their own (the last maybe fewer), so
    # that any number of them is due, not only tens.
    due_tasks = -(-due // 10)
    tasks = due_tasks + -(-(parts - due) // 10)
    with engine.begin() as conn:
        conn.execute(insert(Plan), [{"number": "1/KH-BENCH", "issued_on": date(2024, 1, 2), "year": 2024,
                                     "title": "bench", "issuer": "", "source": ""}])  # fmt: skip
        conn.execute(insert(Agency), [{"code": f"a{i}", "name": f"Cơ quan {i}", "kind": "so", "aliases": []}
                                      for i in range(AGENCIES)])  # fmt: skip
        conn.execute(insert(Chat), [{"channel": "console", "chat_key": f"g{i}", "title": "", "agency_id": i + 1,
                                     "role": "group", "active": True, "created_at": NOW}
                                    for i in range(AGENCIES)])  # fmt: skip
        rows = []
        for t in range(tasks):
            on = soon if t < due_tasks else later
            rows.append({"plan_id": 1, "key": str(t), "number": str(t), "position": t, "indicator": "",
                         "text": f"Nhiệm vụ {t}", "target": "", "result": "Báo cáo", "deadline_text": "",
                         "deadline_kind": "date", "due_on": on, "recurrence": None,
                         "deadline_detail": to_record(DueDate(on)), "lead_text": "",
                         "coordinate_text": "", "source_line": t})  # fmt: skip
        conn.execute(insert(Task), rows)
        batch = []
        for p in range(parts):
            is_due = p < due
            t = p // 10 if is_due else due_tasks + (p - due) // 10
            batch.append({"task_id": t + 1, "agency_id": p % AGENCIES + 1, "role": "lead", "status": "open",
                          "progress": 0, "due_on": soon if is_due else later, "extended_to": None,
                          "check_on": CHECK_NOW if is_due else cal.add_working_days(later, -7),
                          "last_report_period": None, "created_at": NOW, "updated_at": NOW})  # fmt: skip
            if len(batch) == 50_000:
                conn.execute(insert(Assignment), batch)
                batch = []
        if batch:
            conn.execute(insert(Assignment), batch)
    engine.dispose()


def measure(url: str, repeat: int) -> tuple[float, int, int]:
    """Median seconds of one ``plan()`` and its flush, rolled back after each run; the parts
    looked at and the messages planned."""
    engine = make_engine(url)
    settings = Settings()
    cal = WorkCalendar()
    cal.is_working_day(TODAY)  # build the calendar's year tables outside the timing
    times = []
    checked = messages = 0
    for _ in range(repeat):
        with Session(engine) as session:
            start = time.perf_counter()
            result = plan(session, NOW, settings=settings, cal=cal)
            session.flush()
            times.append(time.perf_counter() - start)
            checked, messages = result.checked, len(result.messages)
            session.rollback()
    engine.dispose()
    return statistics.median(times), checked, messages


def committed_ticks(url: str, repeat: int = 5) -> tuple[float, float]:
    """Median seconds of one tick's ``plan()`` with its commit, then of the next tick a
    minute later, when nothing more is due (the idle tick); each run on its own copy of
    the register, so that every first tick finds the same work. Five runs, not three: a
    full collection of Python's garbage collector (about 70 ms in this process) falls in
    about one tick in three, and with three runs the median of either register could be
    one of those."""
    source = Path(url.removeprefix("sqlite:///"))
    settings, cal = Settings(), WorkCalendar()
    cal.is_working_day(TODAY)
    runs = []
    for i in range(repeat):
        copy = source.with_name(f"{source.stem}-{i}.db")
        shutil.copyfile(source, copy)
        engine = make_engine(f"sqlite:///{copy}")
        seconds = []
        for now in (NOW, NOW + timedelta(minutes=1)):
            with Session(engine) as session:
                start = time.perf_counter()
                planned = plan(session, now, settings=settings, cal=cal)
                session.commit()
                seconds.append(time.perf_counter() - start)
            if now == NOW:
                assert planned.messages, "the copy holds the register's due parts"
        engine.dispose()
        copy.unlink()
        runs.append(seconds)
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


ISSUE_PARTS, ISSUE_DUE = 100_000, 1000
MOST_PARTS = 10_000_000  # ten times the issue's larger register
MOST_REPEAT = 100


def sized(scale: float) -> tuple[int, int]:
    """The smaller register's parts and its due parts at ``scale`` (the larger holds ten
    times the parts)."""
    return scaled(ISSUE_PARTS, scale), scaled(ISSUE_DUE, scale)


def sizes(scale: float) -> str:
    parts, due = sized(scale)
    return f"tick {due:,} due over {parts:,} and {10 * parts:,} parts"


def figures(scale: float) -> list[Figure]:
    """Issue #13's planner goals at ``scale`` × its sizes: a tick with 1,000 due over
    100,000 parts (≤ 300 ms with the commit), the same due over ten times the register
    (≤ 1.5× the time), and an idle tick over that larger register (≤ 20 ms)."""
    parts, due = sized(scale)
    is_scaled = scale != 1
    rows = []
    with tempfile.TemporaryDirectory(prefix="dondoc-bench-") as tmp:
        ticks = []
        for i, size in enumerate((parts, 10 * parts)):
            url = f"sqlite:///{Path(tmp) / f'r{i}.db'}"
            build(url, size, due)
            ticks.append(committed_ticks(url))
    (small, _), (large, idle) = ticks
    rows.append(Figure(f"tick, {due:,} due over {parts:,} parts, with commit, median of 5", small * 1000, "ms",
                       300 * due / 1000, note=f"300 ms × {due:,}/1,000 due" if is_scaled else ""))  # fmt: skip
    rows.append(Figure(f"tick over {10 * parts:,} parts ÷ over {parts:,}, {due:,} due", large / small,
                       "×", 1.5))  # fmt: skip
    rows.append(Figure(f"idle tick over {10 * parts:,} parts (no files)", idle * 1000, "ms", 20,
                       note="goal for 1,000,000 parts and 1,000,000 files; files: next rows"))  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=count(MOST_PARTS), nargs="+", default=[100_000, 1_000_000],
                        help=f"parts in each register, 1 to {MOST_PARTS:,} each")  # fmt: skip
    parser.add_argument(
        "--due", type=fraction, default=0.01, help="fraction due in the first register"
    )
    parser.add_argument("--repeat", type=count(MOST_REPEAT), default=3,
                        help=f"ticks measured, 1 to {MOST_REPEAT} (default 3)")  # fmt: skip
    args = parser.parse_args()
    due = int(args.sizes[0] * args.due)
    cases = [(n, due) for n in args.sizes] + [(args.sizes[-1], int(args.sizes[-1] * args.due))]
    results = []
    with tempfile.TemporaryDirectory(prefix="dondoc-bench-") as tmp:
        for i, (size, n_due) in enumerate(dict.fromkeys(cases)):
            url = f"sqlite:///{Path(tmp) / f'r{i}.db'}"
            t0 = time.perf_counter()
            build(url, size, n_due)
            built = time.perf_counter() - t0
            seconds, checked, messages = measure(url, args.repeat)
            results.append((size, n_due, seconds))
            print(f"register {size:>9,} parts, {n_due:>6,} due: plan() {seconds * 1000:8.1f} ms "
                  f"(median of {args.repeat}; looked at {checked:,} parts, {messages:,} messages; "
                  f"built in {built:.0f} s)")  # fmt: skip
    base = results[0][2]
    for size, n_due, seconds in results[1:]:
        print(f"ratio {size:,} parts / {n_due:,} due vs {results[0][0]:,} / {results[0][1]:,}: "
              f"{seconds / base:.2f}×")  # fmt: skip


if __name__ == "__main__":
    main()
