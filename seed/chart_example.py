"""Draw ``docs/chart-example.png``: the plan report's chart of the demo province, with
officers' answers played in (the seed plans hold no answers).

    python -m seed.chart_example docs/chart-example.png

The demo province as at 31/03/2025 in a temporary SQLite file; of plan 126/KH-UBND's
lead parts due by then, a fixed random share is closed on time, a share late, the rest
left open, each closed by its agency's group as an officer would with "/xong"; then the
report's chart for 2025-Q1, as ``dondoc report --chart`` draws it. Deterministic.
"""

from __future__ import annotations

import random
import sys
import tempfile
from datetime import datetime, time, timedelta
from pathlib import Path

from sqlmodel import Session, col, select

from bot.config import Settings
from bot.db import make_engine, session_scope, upgrade
from bot.domain.calendar import VIETNAM
from bot.models import Assignment, Chat, ChatRole, Role, Status, Task
from bot.reports.charts import agency_bars
from bot.reports.plan_report import build, period_bounds
from bot.services.actions import Sender, close
from bot.services.calendar import load_calendar
from bot.services.demo import seed_demo
from bot.services.register import plan_by_number

PLAN, PERIOD = "126/KH-UBND", "2025-Q1"
AS_AT = datetime(2025, 3, 31, 17, 0, tzinfo=VIETNAM)


def answer_some(session: Session, rng: random.Random) -> None:
    """Close about half of the plan's lead parts due by ``AS_AT`` on time, a fifth late."""
    plan = plan_by_number(session, PLAN)
    assert plan is not None
    parts = session.exec(
        select(Assignment).join(Task).where(
            col(Task.plan_id) == plan.id, Assignment.role == Role.LEAD,
            Assignment.status == Status.OPEN, col(Assignment.due_on) <= AS_AT.date(),
        ).order_by(col(Assignment.id))
    ).all()  # fmt: skip
    groups = {c.agency_id: c for c in session.exec(select(Chat).where(Chat.role == ChatRole.GROUP))}
    for part in parts:
        chat, draw = groups.get(part.agency_id), rng.random()
        if chat is None or part.due_on is None or draw > 0.7:
            continue
        day = part.due_on - timedelta(days=rng.randint(0, 10)) if draw < 0.5 else (
            min(part.due_on + timedelta(days=rng.randint(1, 30)), AS_AT.date()))  # fmt: skip
        when = datetime.combine(day, time(10), VIETNAM)
        officer = Sender(chat.channel, chat.chat_key, "1", "Cán bộ (mô phỏng)")
        close(session, chat, officer, part, when, "Đã gửi báo cáo (mô phỏng)")


def main(target: Path) -> None:
    settings = Settings()
    with tempfile.TemporaryDirectory(prefix="dondoc-chart-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'demo.db'}"
        upgrade(url)
        engine = make_engine(url)
        with session_scope(engine) as session:
            seed_demo(session, settings, AS_AT)
            answer_some(session, random.Random(126))
        with Session(engine) as session:
            plan = plan_by_number(session, PLAN)
            assert plan is not None
            start, end = period_bounds(PERIOD)
            report = build(session, plan, start, end, load_calendar(session, settings.hours))
        engine.dispose()
    title = f"Kế hoạch {PLAN}: phần việc chủ trì theo kết quả, đến {end:%d/%m/%Y}"
    target.write_bytes(agency_bars(report.by_agency(), title))
    print(f"{target}: {len(report.by_agency())} cơ quan")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/chart-example.png"))
