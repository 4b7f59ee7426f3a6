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
from bot.domain.policy import Audience, Item, Ladder, decide, fixed_stages, stage_label
from bot.models import Assignment, Chat, ChatRole, Plan, Role, Status, Task
from bot.scheduler.simulate import Summary, replay
from bot.services.calendar import load_calendar
from bot.services.demo import seed_demo
from tests.province import SETTINGS, at

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
        seed_demo(s, SETTINGS, at(FIRST))
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


# What `dondoc simulate` printed for the default ladder before labels came from the stages.
DEFAULT_LABELS = {
    "before-7": "Trước hạn 7 ngày làm việc",
    "before-3": "Trước hạn 3 ngày làm việc",
    "before-1": "Trước hạn 1 ngày làm việc",
    "due": "Đúng ngày hạn",
    "late-1": "Quá hạn 1 ngày (nhóm)",
    "late-3": "Quá hạn 3 ngày (nhóm, Thủ trưởng)",
    "late-7": "Quá hạn 7 ngày (cả cơ quan đôn đốc, quản trị)",
    "late-12": "Nhắc lại khi vẫn quá hạn (nhóm, Thủ trưởng)",
    "late-17": "Nhắc lại khi vẫn quá hạn (nhóm, Thủ trưởng)",
}


def test_stage_labels_come_from_the_ladder() -> None:
    assert {name: stage_label(name, Ladder()) for name in DEFAULT_LABELS} == DEFAULT_LABELS
    assert [s.label for s in fixed_stages(Ladder())] == list(DEFAULT_LABELS.values())[:7]
    later = Ladder(late_head=5)
    assert stage_label("late-5", later) == "Quá hạn 5 ngày (nhóm, Thủ trưởng)"
    assert stage_label("late-3", later) == "Quá hạn 3 ngày"  # sent before the ladder changed
    assert stage_label("late-12", later) == "Nhắc lại khi vẫn quá hạn (nhóm, Thủ trưởng)"
    assert stage_label("before-2", later) == "Trước hạn 2 ngày làm việc"
    summary = Summary(stages={"due": 1, "late-1": 2, "late-5": 3, "late-7": 4, "late-12": 5,
                              "late-17": 6}, file_stages={"late_head": 2, "due_soon": 1},
                      letters=0, unspecified_lists=0, messages=0, chats=0)  # fmt: skip
    assert summary.rungs(later) == {
        "Đúng ngày hạn": 1,
        "Quá hạn 1 ngày (nhóm)": 2,
        "Quá hạn 5 ngày (nhóm, Thủ trưởng)": 3,
        "Quá hạn 7 ngày (cả cơ quan đôn đốc, quản trị)": 4,
        "Nhắc lại khi vẫn quá hạn (nhóm, Thủ trưởng)": 11,
    }
    assert summary.file_rungs() == {
        "Hồ sơ đến hạn chưa có kết quả (báo Thủ trưởng)": 2,
        "Hồ sơ TTHC sắp đến hạn": 1,
    }


def test_simulate_shows_the_configured_ladder_s_stages(tmp_path: Path) -> None:
    (tmp_path / "dondoc.toml").write_text("[escalation]\nhead_after = 5\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "simulate", "--from", "08/01/2025", "--to", "08/01/2025",
         "--quiet", "--khong-xin-loi"],
        env={**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.db'}",
             "COLUMNS": "200", "DONDOC_CONFIG": str(tmp_path / "dondoc.toml")},
        cwd=tmp_path, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "Quá hạn 5 ngày (nhóm, Thủ trưởng)" in result.stdout
    assert "Quá hạn 3 ngày" not in result.stdout
    assert "late-" not in result.stdout and "before-" not in result.stdout
