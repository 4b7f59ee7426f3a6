"""``plan(session, now)``: turn what is due into outbox rows, and nothing else.

The tick runs each planner of :data:`PLANNERS` in turn, each independent of the others
and each in a savepoint: one that fails is undone, logged and reported to the admins
once a day, and the others go on. Everything is written in the caller's transaction: a
crash before the commit leaves nothing behind, and the next tick plans the same notices
again (each has a unique key, so nothing is planned twice). Nothing is planned outside
the sending window (office hours on working days).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from bot.config import Settings
from bot.domain.calendar import WorkCalendar
from bot.scheduler.planners.digests import plan_digests
from bot.scheduler.planners.ladder import plan_ladder
from bot.scheduler.planners.late_files import plan_late_files
from bot.scheduler.planners.messages import Planned, PlannedMessage, Planner, isolated
from bot.scheduler.planners.unspecified import plan_unspecified

#: What a tick plans, in this order, each named (in Vietnamese) for the admins' alert
#: when it fails.
PLANNERS: tuple[tuple[str, Planner], ...] = (
    ("nhắc việc theo thời hạn", plan_ladder),
    ("danh sách việc chưa có hạn", plan_unspecified),
    ("báo cáo tuần", plan_digests),
    ("cảnh báo hồ sơ TTHC", plan_late_files),
)


@dataclass
class PlanResult:
    """A tick's plan: every message put in the outbox, and how many parts and files
    whose check day had come were looked at."""

    messages: list[PlannedMessage] = field(default_factory=list)
    checked: int = 0


def plan(session: Session, now: datetime, *, settings: Settings, cal: WorkCalendar) -> PlanResult:
    """Run every planner at ``now`` (aware) with the province's ``cal``."""
    result = PlanResult()
    if not cal.in_window(now):
        return result  # quiet hours, weekends, holidays: the next window will do it
    for name, planner in PLANNERS:
        done = isolated(session, now, name, Planned,
                        lambda planner=planner: planner(session, now, settings, cal))  # type: ignore[misc]  # fmt: skip
        result.messages.extend(done.messages)
        result.checked += done.looked_at
    session.flush()
    return result
