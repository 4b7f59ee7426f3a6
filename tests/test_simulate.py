"""`dondoc simulate` on the seed plans: its counts by stage are what the ladder says."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections import Counter
from datetime import date, time, timedelta
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.channels.console import ConsoleChannel
from bot.config import Settings
from bot.db import make_engine, session_scope, upgrade
from bot.domain.deadlines import from_record
from bot.domain.policy import Audience, Item, decide
from bot.models import Assignment, Chat, ChatRole, Plan, Role, Status, Task
from bot.scheduler.simulate import replay
from bot.services.calendar import load_calendar
from bot.services.demo import seed_demo
from tests.province import SETTINGS

FIRST, LAST = date(2024, 12, 2), date(2025, 1, 17)


def expected_by_stage(engine: Engine, settings: Settings) -> Counter[str]:
    """Day by day, every part through the pure policy; each new notice times its chats."""
    with Session(engine) as s:
        cal = load_calendar(s, settings.hours)
        chats = s.exec(select(Chat).where(Chat.active == True)).all()  # noqa: E712
        rows = s.exec(
            select(Assignment, Task, Plan)
            .join(Task, col(Assignment.task_id) == col(Task.id))
            .join(Plan, col(Task.plan_id) == col(Plan.id))
            .where(Assignment.status == Status.OPEN)
        ).all()
    per_audience = {
        Audience.COORDINATOR: sum(c.role == ChatRole.COORDINATOR for c in chats),
        Audience.ADMINS: sum(c.role == ChatRole.ADMIN for c in chats),
    }
    groups = Counter(
        (c.agency_id, c.role) for c in chats if c.role in (ChatRole.GROUP, ChatRole.HEAD)
    )
    counts: Counter[str] = Counter()
    for part, task, plan in rows:
        item = Item(from_record(task.deadline_kind, task.deadline_detail), part.due_on,
                    lead=part.role == Role.LEAD, starts_on=plan.issued_on)  # fmt: skip
        seen: set[str] = set()
        day = FIRST
        while day <= LAST:
            for notice in decide(item, day, cal, settings.ladder).notices:
                if notice.key in seen:
                    continue
                seen.add(notice.key)
                for audience in notice.stage.audience:
                    if audience in (Audience.GROUP, Audience.HEAD):
                        counts[notice.stage.name] += groups[(part.agency_id, audience.value)]
                    else:
                        counts[notice.stage.name] += per_audience[audience]
            day += timedelta(days=1)
    return counts


def test_simulation_counts_match_the_ladder(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sim.db'}"
    upgrade(url)
    engine = make_engine(url)
    with session_scope(engine) as s:
        seed_demo(s, SETTINGS)
    settings = Settings()
    expected = expected_by_stage(engine, settings)
    console = ConsoleChannel(quiet=True)
    summary = asyncio.run(replay(engine, {"console": console}, FIRST, LAST, at=time(8),
                                 settings=settings))  # fmt: skip
    assert summary.stages == dict(expected)
    assert {"before-7", "before-3", "before-1", "due", "late-1", "late-3", "late-7"} <= set(
        summary.stages
    )
    assert summary.messages == len(console.sent) + len(console.documents)  # texts, charts, letters
    # One admin chat, every Monday of the period but 30/12/2024: a day off in seed/calendar.csv.
    assert summary.unspecified_lists == 6
    engine.dispose()


def test_simulate_command_prints_a_json_summary(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "simulate", "--from", "2024-12-23", "--to", "2024-12-27",
         "--format", "json"],
        env={**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.db'}"}, cwd=tmp_path,
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    summary = json.loads(result.stdout)
    assert summary["stages"]["before-3"] > 0 and summary["messages"] > 0
    assert not (tmp_path / "unused.db").exists()  # the replay ran on its own database
