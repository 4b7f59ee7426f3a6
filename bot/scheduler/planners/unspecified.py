"""Once a week, the admins' list of tasks whose deadline could not be read to a date.

They are the tasks nobody is reminded of until an admin sets a date (``dondoc tasks
set-deadline``); the day and hour are ``settings.unspecified`` (Monday 08:00 by default).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from bot.config import Settings
from bot.domain.calendar import WorkCalendar
from bot.domain.deadlines import Unspecified, from_record
from bot.models import Agency, Assignment, Plan, Role, Status, Task
from bot.render import blocks, split_message
from bot.scheduler.planners.messages import Planned, PlannedMessage, weekly_key
from bot.services.actions import admin_chats
from bot.services.outbox import enqueue, queued


def plan_unspecified(
    session: Session, now: datetime, settings: Settings, cal: WorkCalendar
) -> Planned:
    """The list, to each active admin chat that has not had this week's yet."""
    key = weekly_key("unspecified", now, settings.unspecified, cal)
    if key is None:
        return Planned()
    todo = [a for a in admin_chats(session) if not queued(session, f"{key}:{a.id}")]
    if not todo:
        return Planned()
    rows = session.exec(
        select(Task, Plan, Agency, Assignment.id)
        .join(Plan, col(Task.plan_id) == col(Plan.id))
        .join(Assignment, col(Assignment.task_id) == col(Task.id))
        .join(Agency, col(Assignment.agency_id) == col(Agency.id))
        .where(
            Task.deadline_kind == Unspecified.kind,
            Assignment.status == Status.OPEN,
            Assignment.role == Role.LEAD,
        )
        .order_by(col(Plan.number), col(Task.position))
    ).all()
    tasks: dict[int | None, dict[str, Any]] = {}
    for task, plan_row, agency, part_id in rows:
        reason = from_record(task.deadline_kind, task.deadline_detail)
        entry = tasks.setdefault(
            task.id,
            {"plan": plan_row.number, "task_key": task.key, "task": task.text,
             "deadline_text": task.deadline_text or "(trống)", "leads": [],
             "code": f"NV{part_id}",
             "reason": reason.reason if isinstance(reason, Unspecified) else ""},
        )  # fmt: skip
        entry["leads"].append(agency.name)
    if not tasks:
        return Planned()
    views = [{**t, "leads": ", ".join(t["leads"])} for t in tasks.values()]
    header = {"today": cal.local(now).date(), "count": len(views)}
    parts = split_message(blocks("unspecified.html.j2", header, views))
    planned = Planned()
    for admin in todo:
        enqueue(session, key=f"{key}:{admin.id}", chat=admin, kind="unspecified", parts=parts,
                now=now)  # fmt: skip
        planned.messages.append(
            PlannedMessage(admin, "unspecified", parts, [{"stage": "unspecified"}])
        )
    return planned
