"""Time to build every weekly digest for a province of 1,000 agencies.

    .venv/bin/python -m bench.digest_bench [--agencies 1000 --parts 20]

Each agency has a group and a head chat and ``--parts`` lead parts over a year of due
dates, a third of them done (some late, with their audit rows). Measures all the heads'
digests, the coordinator's, and the planner step that writes them all to the outbox on a
Monday morning. SQLite file in a temporary folder; prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert
from sqlmodel import Session, select

from bot.config import Settings
from bot.db import make_engine, upgrade
from bot.domain.calendar import VIETNAM, WorkCalendar
from bot.domain.deadlines import DueDate, to_record
from bot.models import Agency, Assignment, Chat, Plan, StatusUpdate, Task
from bot.reports.digest import coordinator_digest, head_digest
from bot.scheduler.planner import plan

MONDAY = datetime(2024, 12, 23, 8, 0, tzinfo=VIETNAM)


def build(url: str, agencies: int, parts: int) -> None:
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
                                    for i in range(agencies) for role in ("group", "head")])  # fmt: skip
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
        conn.execute(insert(StatusUpdate), audit)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--agencies", type=int, default=1000)
    parser.add_argument("--parts", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dondoc-digest-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'digest.db'}"
        build(url, args.agencies, args.parts)
        engine = make_engine(url)
        cal = WorkCalendar()
        with Session(engine) as s:
            agencies = s.exec(select(Agency)).all()
            t0 = time.perf_counter()
            for agency in agencies:
                head_digest(s, agency, MONDAY, cal)
            heads = time.perf_counter() - t0
            t0 = time.perf_counter()
            coordinator_digest(s, MONDAY, cal)
            province = time.perf_counter() - t0
        with Session(engine) as s:
            t0 = time.perf_counter()
            plan(s, MONDAY, settings=Settings(), cal=cal)
            planned = time.perf_counter() - t0
            s.rollback()
        n = len(agencies)
        print(f"{n:,} agencies, {n * args.parts:,} parts: all heads' digests {heads:.1f} s "
              f"({heads / n * 1000:.1f} ms each); coordinator's digest {province:.1f} s; "
              f"Monday's planner step (digests rendered into the outbox, plus due reminders) {planned:.1f} s")  # fmt: skip
        engine.dispose()


if __name__ == "__main__":
    main()
