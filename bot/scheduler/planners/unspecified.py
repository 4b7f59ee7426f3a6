"""Once a week, the admins' list of tasks whose deadline could not be read to a date.

They are the tasks nobody is reminded of until an admin sets a date (``dondoc tasks
set-deadline``); the day and hour are ``settings.unspecified`` (Monday 08:00 by default).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from sqlmodel import Session

from bot.config import Settings
from bot.domain.calendar import WorkCalendar
from bot.render import blocks, split_message
from bot.scheduler.planners.messages import Planned, PlannedMessage, weekly_key
from bot.services.actions import admin_chats
from bot.services.deadlines import unspecified_tasks
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
    tasks = unspecified_tasks(session)
    if not tasks:
        return Planned()
    views = [{**asdict(t), "leads": ", ".join(t.leads)} for t in tasks]
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
