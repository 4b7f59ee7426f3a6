"""Time to build every weekly digest for a province of 1,000 agencies.

    .venv/bin/python -m bench.digest_bench [--agencies 1000 --parts 20 --files 100]

Each agency has a group and a head chat (and the province a coordinator chat), and ``--parts`` lead parts over a year of due
dates, a third of them done (some late, with their audit rows), and ``--files``
administrative files whose appointment fell in the coordinator digest's two quarters:
most still open and late, some returned (on time or not), a third of the late ones with
an approved apology letter (timely or after the fact). Measures all the heads'
digests, the coordinator's, and the planner step that writes them all to the outbox on a
Monday morning, and the drawing of the charts that step attached, in the dispatcher's
pool of worker processes (it draws them when it sends). SQLite file in a temporary folder; prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, select

from bench.args import count
from bench.table import Figure
from bot.config import Settings
from bot.db import make_engine, upgrade
from bot.domain.calendar import VIETNAM, WorkCalendar
from bot.domain.deadlines import DueDate, to_record
from bot.models import (
    Agency,
    Apology,
    Assignment,
    Chat,
    Outbox,
    Plan,
    StatusUpdate,
    Task,
    TthcFile,
)
from bot.reports.chart_kinds import Rows
from bot.reports.charts import close_workers, draw_agency_bars
from bot.reports.digest import coordinator_digest, head_digests
from bot.scheduler.planner import plan

MONDAY = datetime(2024, 12, 23, 8, 0, tzinfo=VIETNAM)


def build(url: str, agencies: int, parts: int, files: int = 0) -> None:
    upgrade(url)
    engine = make_engine(url)
    rng = random.Random(3)
    with engine.begin() as conn:
        conn.execute(insert(Plan), [{"number": "1/KH", "issued_on": date(2024, 1, 2), "year": 2024, "title": "",
                                     "issuer": "", "source": ""}])  # fmt: skip
        conn.execute(insert(Agency), [{"code": f"a{i}", "name": f"Cơ quan {i}", "kind": "so", "aliases": []}
                                      for i in range(agencies)])  # fmt: skip
        conn.execute(insert(Chat), [{"channel": "console", "chat_key": f"{role}{i}", "title": "", "agency_id": i + 1,
                                     "role": role, "active": True, "created_at": MONDAY}
                                    for i in range(agencies) for role in ("group", "head")]
                                   + [{"channel": "console", "chat_key": "coordinator", "title": "", "agency_id": None,
                                       "role": "coordinator", "active": True, "created_at": MONDAY}])  # fmt: skip
        tasks, rows, audit = [], [], []
        for t in range(agencies * parts):
            due = date(2024, 6, 1) + timedelta(days=rng.randint(0, 300))
            tasks.append({"plan_id": 1, "key": str(t), "number": str(t), "position": t, "indicator": "",
                          "text": f"Nhiệm vụ {t}", "target": "", "result": "", "deadline_text": "",
                          "deadline_kind": "date", "due_on": due, "recurrence": None,
                          "deadline_detail": to_record(DueDate(due)), "lead_text": "", "coordinate_text": "",
                          "source_line": t})  # fmt: skip
            done = rng.random() < 0.33
            rows.append({"task_id": t + 1, "agency_id": t % agencies + 1, "role": "lead",
                         "status": "done" if done else "open", "progress": 100 if done else 0, "due_on": due,
                         "extended_to": None, "check_on": due, "last_report_period": None,
                         "created_at": MONDAY, "updated_at": MONDAY})  # fmt: skip
            if done:
                when = datetime.combine(
                    due + timedelta(days=rng.randint(-10, 10)), datetime.min.time(), VIETNAM
                )
                audit.append({"assignment_id": t + 1, "at": min(when, MONDAY), "actor": "telegram:1", "chat_id": None,
                              "message_id": None, "field": "status", "old": "open", "new": "done", "note": ""})  # fmt: skip
        conn.execute(insert(Task), tasks)
        conn.execute(insert(Assignment), rows)
        if audit:  # a small register may have no part done
            conn.execute(insert(StatusUpdate), audit)
        late_files(conn, rng, agencies, files)
    engine.dispose()


def late_files(conn: Any, rng: random.Random, agencies: int, files: int) -> None:
    """``files`` per agency, appointments from July to the Friday before ``MONDAY`` (the
    coordinator digest's window): 80 % still open, so late; the rest returned, half on
    time; a third of the late ones with an approved letter, before or after the day."""
    rows, letters = [], []
    for n in range(agencies * files):
        due = date(2024, 7, 3) + timedelta(days=rng.randint(0, 170))
        received = datetime.combine(due - timedelta(days=10), datetime.min.time(), VIETNAM)
        returned = None
        if rng.random() < 0.2:
            returned = datetime.combine(due + timedelta(days=rng.choice((-1, 3))),
                                        datetime.min.time(), VIETNAM)  # fmt: skip
        rows.append({"code": f"HS-{n}", "procedure": "Cấp giấy phép", "field": "", "applicant_name": f"Người nộp {n}",
                     "applicant_address": "", "applicant_phone": "", "agency_id": n % agencies + 1,
                     "received_at": received, "processing_days": 5, "original_due_on": due, "due_on": due,
                     "status": "returned" if returned else "open", "status_text": "", "returned_at": returned,
                     "check_on": due, "source_line": n, "updated_at": MONDAY})  # fmt: skip
        if returned is None and rng.random() < 0.33:
            approved = datetime.combine(
                due + timedelta(days=rng.choice((-2, 2))), datetime.min.time(), VIETNAM
            )
            letters.append({"file_id": n + 1, "agency_id": n % agencies + 1, "state": "approved", "reason": "",
                            "new_due_on": due + timedelta(days=10), "original_due_on": due,
                            "number": f"{n}/PXL", "started_by": "telegram:1", "chat_id": None,
                            "started_at": approved, "decided_by": "telegram:2", "approved_at": approved,
                            "note": ""})  # fmt: skip
    if rows:
        conn.execute(insert(TthcFile), rows)
    if letters:
        conn.execute(insert(Apology), letters)


@dataclass
class DigestRun:
    agencies: int
    parts: int
    files: int  # administrative files per agency
    heads: float  # seconds: every head's digest
    coordinator: float  # seconds: the coordinator's digest
    monday: float  # seconds: Monday's planner step (every digest rendered into the outbox)
    charts: float  # seconds: drawing every chart that step attached
    drawn: int  # charts drawn


def draw(attachments: list[Mapping[str, Any]]) -> float:
    """Seconds to draw every chart as the dispatcher does, in its pool of worker processes.
    The pool is started first: ``dondoc run`` starts it at the first chart it sends and
    keeps it, so a Monday does not pay for it."""

    async def every(charts: Sequence[tuple[Rows, str]]) -> None:
        await asyncio.gather(*(draw_agency_bars(rows, title) for rows, title in charts))

    # One part at least in each: a chart with none is not drawn.
    warm_up = [
        ([("Cơ quan", {"on_time": i + 1})], f"{i}") for i in range(2 * (os.cpu_count() or 1))
    ]
    charts = [([(str(n), dict(c)) for n, c in a["rows"]], str(a["title"])) for a in attachments]
    try:
        asyncio.run(every(warm_up))
        started = time.perf_counter()
        asyncio.run(every(charts))
        return time.perf_counter() - started
    finally:
        close_workers()


def run(agencies: int, parts: int, files: int = 100) -> DigestRun:
    with tempfile.TemporaryDirectory(prefix="dondoc-digest-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'digest.db'}"
        build(url, agencies, parts, files)
        engine = make_engine(url)
        cal = WorkCalendar()
        with Session(engine) as s:
            found = s.exec(select(Agency)).all()
            t0 = time.perf_counter()
            head_digests(s, found, MONDAY, cal)  # as the Monday step builds them: all at once
            heads = time.perf_counter() - t0
            t0 = time.perf_counter()
            coordinator_digest(s, MONDAY, cal)
            province = time.perf_counter() - t0
        with Session(engine) as s:
            t0 = time.perf_counter()
            plan(s, MONDAY, settings=Settings(), cal=cal)
            planned = time.perf_counter() - t0
            attachments = [
                a for a in s.exec(select(Outbox.attachment)).all() if a and a.get("kind") == "chart"
            ]
            charts = draw(attachments)
            s.rollback()
        engine.dispose()
    return DigestRun(len(found), parts, files, heads, province, planned, charts, len(attachments))


# Ten times the province at most: a bigger register is another benchmark's job.
MOST_AGENCIES = 10_000
MOST_PER_AGENCY = 1_000


def figures(scale: float) -> list[Figure]:
    """Issue #13's digest goals at ``scale`` × its 1,000 agencies (20 parts and 100 late
    files each): every head's digest and the coordinator's, with charts, < 10 s; the Monday
    step < 20 s."""
    n = max(3, round(1000 * scale))
    r = run(n, 20, 100)
    note = "" if n == 1000 else f"× {n:,}/1,000 agencies"
    return [
        Figure(
            f"every digest with its chart, {n:,} agencies × 20 parts, 100 files",
            r.heads + r.coordinator + r.charts,
            "s",
            10 * n / 1000,
            note=("10 s " + note).strip(),
            strict=True,
        ),
        Figure(
            f"Monday step with charts, {n:,} agencies",
            r.monday + r.charts,
            "s",
            20 * n / 1000,
            note=("20 s " + note).strip(),
            strict=True,
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--agencies", type=count(MOST_AGENCIES), default=1000,
                        help=f"agencies, 1 to {MOST_AGENCIES:,} (default 1,000)")  # fmt: skip
    parser.add_argument("--parts", type=count(MOST_PER_AGENCY), default=20,
                        help=f"parts per agency, 1 to {MOST_PER_AGENCY:,} (default 20)")  # fmt: skip
    parser.add_argument("--files", type=count(MOST_PER_AGENCY), default=100,
                        help=f"files per agency, 1 to {MOST_PER_AGENCY:,} (default 100)")  # fmt: skip
    args = parser.parse_args()
    r = run(args.agencies, args.parts, args.files)
    n = r.agencies
    print(f"{n:,} agencies, {n * args.parts:,} parts, {n * args.files:,} files: all heads' digests {r.heads:.1f} s "
          f"({r.heads / n * 1000:.1f} ms each); coordinator's digest {r.coordinator:.1f} s; "
          f"Monday's planner step (digests rendered into the outbox, plus due reminders) {r.monday:.1f} s; "
          f"its {r.drawn:,} charts drawn in {r.charts:.1f} s")  # fmt: skip


if __name__ == "__main__":
    main()
