"""The reminder ladder: each open part whose check day has come, asked of the policy.

Each notice (a part, a stage of its ladder, a period, a chat) has a unique key; the
notices not yet planned are grouped per chat into one message. Its cost follows what is
due: only the parts whose ``check_on`` day has come are read (an indexed column), and
``check_on`` moves to the day the next stage can fire. One part that cannot be handled
(a deadline whose arithmetic overflows, a record that cannot be read) is logged, the
admins are told once, and it is looked at again the next day; the others go on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, col

from bot.config import Settings
from bot.domain.calendar import WorkCalendar
from bot.domain.deadlines import DueDate, Recurring, from_record
from bot.domain.policy import Audience, Item, Notice, decide
from bot.domain.verbs import DONE, EXTEND, PROGRESS, button
from bot.models import CHECK_NEVER, Agency, Assignment, Chat, ChatRole, Plan, Role, Status, Task
from bot.render import answer, blocks, split_message
from bot.scheduler.planners.messages import (
    Planned,
    PlannedMessage,
    enqueue_notices,
    existing_keys,
)
from bot.scheduler.planners.routing import Routes
from bot.services.actions import alert_admins
from bot.services.register import parts_in_full

_MAX_BUTTON_ROWS = 8  # more tasks than this: the message says which commands to type
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Due:
    assignment: Assignment
    task: Task
    plan: Plan
    agency: Agency
    notice: Notice


def plan_ladder(session: Session, now: datetime, settings: Settings, cal: WorkCalendar) -> Planned:
    """Reminders and escalations due at ``now`` (``settings.ladder``), one message per chat."""
    today = cal.local(now).date()
    rows = session.exec(
        parts_in_full().where(Assignment.status == Status.OPEN, col(Assignment.check_on) <= today)
    ).all()
    due: list[_Due] = []
    for assignment, task, plan_row, agency in rows:
        try:
            item = Item(
                deadline=from_record(task.deadline_kind, task.deadline_detail),
                due=assignment.due_on,
                lead=assignment.role == Role.LEAD,
                last_report_period=assignment.last_report_period,
                starts_on=plan_row.issued_on,
            )
            decision = decide(item, today, cal, settings.ladder)
            found = [_Due(assignment, task, plan_row, agency, n) for n in decision.notices]
            for d in found:
                _view(d, None)  # what the message will show can be built, too
        except Exception as exc:  # isolate the part, whatever it is
            _part_failed(session, assignment, task, plan_row, agency, exc, today, now)
            continue
        assignment.check_on = decision.next_check or CHECK_NEVER
        session.add(assignment)
        due.extend(found)

    routes = Routes(session, {d.agency.id for d in due}) if due else None
    targets = [(d, routes.chats(d.agency.id, d.notice.stage.audience)) for d in due if routes]
    keys = [f"{d.assignment.id}:{d.notice.key}:{chat.id}" for d, chats in targets for chat in chats]
    existing = existing_keys(session, keys)
    per_chat: dict[int, tuple[Chat, list[tuple[str, _Due]]]] = {}
    for d, chats in targets:
        for chat in chats:
            key = f"{d.assignment.id}:{d.notice.key}:{chat.id}"
            if key in existing:
                continue
            existing.add(key)
            assert chat.id is not None
            per_chat.setdefault(chat.id, (chat, []))[1].append((key, d))
    messages = [_reminder(session, chat, items, now, cal, settings.zalo_bot_name)
                for chat, items in per_chat.values()]  # fmt: skip
    return Planned(messages, looked_at=len(rows))


def _part_failed(
    session: Session, assignment: Assignment, task: Task, plan_row: Plan, agency: Agency,
    exc: Exception, today: date, now: datetime,
) -> None:  # fmt: skip
    """Log a part the planner cannot handle, tell the admins once, look again tomorrow."""
    log.exception("planner: part %s failed", assignment.id)
    assignment.check_on = today + timedelta(days=1)
    session.add(assignment)
    text = answer("part_failed", code=f"NV{assignment.id}", plan=plan_row.number,
                  task_key=task.key, agency=agency.name, reason=f"{exc.__class__.__name__}: {exc}")  # fmt: skip
    alert_admins(session, f"plan-part:{assignment.id}", text, now)


def _reminder(
    session: Session, chat: Chat, items: list[tuple[str, _Due]], now: datetime, cal: WorkCalendar,
    bot_name: str = "",
) -> PlannedMessage:  # fmt: skip
    today = cal.local(now).date()
    items.sort(key=lambda kd: (-kd[1].notice.working_days, kd[1].plan.number, kd[1].task.position))
    views = [_view(d, chat) for _, d in items]
    agency = items[0][1].agency.name if chat.role in (ChatRole.GROUP, ChatRole.HEAD) else ""
    header = {"chat_role": chat.role, "agency": agency, "today": today, "count": len(views),
              "mention": _mention(chat, bot_name), "example": _example(items)}  # fmt: skip
    parts = split_message(blocks("reminders.html.j2", header, views))
    notices = {
        key: {"assignment_id": d.assignment.id, "stage": d.notice.stage.name,
              "period": d.notice.period}
        for key, d in items
    }  # fmt: skip
    enqueue_notices(session, chat, "reminder", parts, notices, now, _buttons(chat, items))
    return PlannedMessage(chat, "reminder", parts, views)


def _example(items: list[tuple[str, _Due]]) -> str:
    """The code shown in "/xong NV12": a part the chat's agency leads, if there is one."""
    leads = [d for _, d in items if d.assignment.role == Role.LEAD] or [d for _, d in items]
    return f"NV{leads[0].assignment.id}"


def _mention(chat: Chat, bot_name: str) -> str | None:
    """How to address the bot in this chat: ``None`` where it reads every message; in a
    Zalo group the bot's display name ("" if not known), since the bot receives there
    only the messages that mention it ("Bot sẽ nhận được sự kiện khi người dùng gõ @ và
    chọn tên của Bot", Zalo Bot docs, "Tương tác với Bot trong Nhóm") or quote it."""
    return bot_name if chat.channel == "zalo" and chat.kind == "group" else None


def _buttons(chat: Chat, items: list[tuple[str, _Due]]) -> list[list[list[str]]]:
    """✅ 📝 ⏳ for each task of a group's reminder."""
    if chat.role != ChatRole.GROUP:
        return []
    ids = list(dict.fromkeys(d.assignment.id for _, d in items if d.assignment.role == Role.LEAD))
    if not ids or len(ids) > _MAX_BUTTON_ROWS:
        return []

    def label(i: int | None) -> str:
        return f" {DONE.code(i)}" if len(ids) > 1 else ""

    return [[list(button(verb, i, label(i))) for verb in (DONE, PROGRESS, EXTEND)] for i in ids]


def _view(d: _Due, chat: Chat | None) -> dict[str, Any]:
    deadline = from_record(d.task.deadline_kind, d.task.deadline_detail)
    audience = d.notice.stage.audience
    escalated = (
        "all" if Audience.COORDINATOR in audience else "head" if Audience.HEAD in audience else ""
    )
    return {
        "code": f"NV{d.assignment.id}",
        "assignment_id": d.assignment.id,
        "stage": d.notice.stage.name,
        "period": d.notice.period,
        "period_label": _period_label(d.notice.period) if isinstance(deadline, Recurring) else "",
        "working_days": d.notice.working_days,
        "escalated_to": escalated,
        "due": d.notice.due,
        # Why this date, while it is still the plan's own (not an extension or a period).
        "reading": deadline.reading
        if isinstance(deadline, DueDate)
        and d.notice.due == deadline.on
        and not d.assignment.extended_to
        else "",
        "plan": d.plan.number,
        "plan_date": d.plan.issued_on,
        "task_key": d.task.key,
        "task": d.task.text,
        "result": d.task.result or d.task.target,
        "scope": d.assignment.scope,
        "agency": d.agency.name,
        "role_label": Role(d.assignment.role).label.lower(),
        "chat_role": chat.role if chat else "",
    }


def _period_label(period: str) -> str:
    year, _, part = period.partition("-")
    if part.startswith("Q"):
        return f"quý {('I', 'II', 'III', 'IV')[int(part[1]) - 1]}/{year}"
    if part.startswith("H"):
        return f"6 tháng {'đầu' if part == 'H1' else 'cuối'} năm {year}"
    if part:
        return f"tháng {int(part)}/{year}"
    return f"năm {year}"
