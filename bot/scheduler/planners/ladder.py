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
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Row, select
from sqlmodel import Session, col

from bot.config import Settings
from bot.domain.calendar import WorkCalendar
from bot.domain.deadlines import Deadline, DueDate, Recurring, from_record
from bot.domain.policy import Audience, Decision, Item, Notice, decide
from bot.domain.verbs import DONE, EXTEND, PROGRESS, button
from bot.models import (
    CHECK_NEVER,
    Agency,
    Assignment,
    ChatRole,
    Plan,
    Role,
    Status,
    Task,
    shown_key,
)
from bot.render import answer, blocks, split_message
from bot.scheduler.planners.messages import (
    Outgoing,
    Planned,
    PlannedMessage,
    existing_keys,
    move_check_on,
    write_messages,
)
from bot.scheduler.planners.routing import Recipient, Routes
from bot.services.actions import alert_admins

_MAX_BUTTON_ROWS = 8  # more tasks than this: the message says which commands to type
log = logging.getLogger(__name__)


#: What the ladder reads of a part, its task, plan and agency: plain columns, no models.
_COLUMNS: tuple[Any, ...] = (
    col(Assignment.id).label("id"), col(Assignment.role).label("role"),
    col(Assignment.due_on).label("due_on"), col(Assignment.extended_to).label("extended_to"),
    col(Assignment.scope).label("scope"),
    col(Assignment.last_report_period).label("last_report_period"),
    col(Task.id).label("task_id"), col(Task.key).label("task_key"), col(Task.text).label("task"),
    col(Task.result).label("result"), col(Task.target).label("target"),
    col(Task.position).label("position"), col(Task.deadline_kind).label("deadline_kind"),
    col(Task.deadline_detail).label("deadline_detail"), col(Plan.number).label("plan"),
    col(Plan.issued_on).label("plan_date"), col(Agency.id).label("agency_id"),
    col(Agency.name).label("agency"),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Due:
    part: Row[Any]  # the columns of ``_COLUMNS``
    notice: Notice
    view: dict[str, Any]  # what the message shows of it, built once


class _Policy:
    """The policy's decision for each part of one tick, asked once per distinct question:
    a task's parts share its deadline, and those with the same due date, role and last
    report share their notices and next check day (a decision is immutable)."""

    def __init__(self, today: date, cal: WorkCalendar, settings: Settings) -> None:
        self.today, self.cal, self.ladder = today, cal, settings.ladder
        self._deadlines: dict[int, Deadline] = {}
        self._decisions: dict[Item, Decision] = {}

    def decide(self, part: Row[Any]) -> tuple[Deadline, Decision]:
        deadline = self._deadlines.get(part.task_id)
        if deadline is None:
            deadline = from_record(part.deadline_kind, part.deadline_detail)
            self._deadlines[part.task_id] = deadline
        item = Item(
            deadline=deadline,
            due=part.due_on,
            lead=part.role == Role.LEAD,
            last_report_period=part.last_report_period,
            starts_on=part.plan_date,
        )
        decision = self._decisions.get(item)
        if decision is None:
            decision = decide(item, self.today, self.cal, self.ladder)
            self._decisions[item] = decision
        return deadline, decision


def plan_ladder(session: Session, now: datetime, settings: Settings, cal: WorkCalendar) -> Planned:
    """Reminders and escalations due at ``now`` (``settings.ladder``), one message per chat.

    Reads only the open parts whose ``check_on`` day has come, as plain rows; moves each
    part's ``check_on`` with one UPDATE per distinct day; writes every message and notice
    in bulk (:func:`~bot.scheduler.planners.messages.write_messages`).
    """
    today = cal.local(now).date()
    rows = session.execute(
        select(*_COLUMNS)
        .join(Task, col(Assignment.task_id) == col(Task.id))
        .join(Plan, col(Task.plan_id) == col(Plan.id))
        .join(Agency, col(Assignment.agency_id) == col(Agency.id))
        .where(col(Assignment.status) == Status.OPEN, col(Assignment.check_on) <= today)
    ).all()
    due: list[_Due] = []
    next_check: dict[date, list[int]] = defaultdict(list)
    policy = _Policy(today, cal, settings)
    for part in rows:
        try:
            deadline, decision = policy.decide(part)
            found = [_Due(part, n, _view(part, deadline, n)) for n in decision.notices]
        except Exception as exc:  # isolate the part, whatever it is
            _part_failed(session, part, exc, today, now)
            next_check[today + timedelta(days=1)].append(part.id)
            continue
        next_check[decision.next_check or CHECK_NEVER].append(part.id)
        due.extend(found)
    move_check_on(session, Assignment, next_check)

    if not due:
        return Planned(looked_at=len(rows))
    routes = Routes(session, {d.part.agency_id for d in due})
    # Routed twice rather than kept: a list of chats per notice, held to the end of the
    # tick, would be a thousand more objects for the garbage collector's oldest generation.

    def routed(d: _Due) -> list[Recipient]:
        return routes.chats(d.part.agency_id, d.notice.stage.audience)

    existing = existing_keys(
        session, [f"{d.part.id}:{d.notice.key}:{c.id}" for d in due for c in routed(d)]
    )
    chats: dict[int, Recipient] = {}
    per_chat: dict[int, list[tuple[str, _Due]]] = {}
    for d in due:
        for chat in routed(d):
            key = f"{d.part.id}:{d.notice.key}:{chat.id}"
            if key in existing:
                continue
            existing.add(key)
            chats[chat.id] = chat
            per_chat.setdefault(chat.id, []).append((key, d))
    outgoing = [_reminder(chats[chat_id], items, now, cal, settings.zalo_bot_name)
                for chat_id, items in per_chat.items()]  # fmt: skip
    return Planned(write_messages(session, outgoing, now, today), looked_at=len(rows))


def _part_failed(
    session: Session, part: Row[Any], exc: Exception, today: date, now: datetime
) -> None:
    """Log a part the planner cannot handle, tell the admins once; it is looked at again
    tomorrow."""
    log.exception("planner: part %s failed", part.id)
    text = answer("part_failed", code=f"NV{part.id}", plan=part.plan, task_key=shown_key(part.task_key),
                  agency=part.agency, reason=f"{exc.__class__.__name__}: {exc}")  # fmt: skip
    alert_admins(session, f"plan-part:{part.id}", text, now)


def _reminder(
    chat: Recipient,
    items: list[tuple[str, _Due]],
    now: datetime,
    cal: WorkCalendar,
    bot_name: str = "",
) -> Outgoing:
    """One chat's message: its notices sorted (most late first), rendered once."""
    today = cal.local(now).date()
    items.sort(key=lambda kd: (-kd[1].notice.working_days, kd[1].part.plan, kd[1].part.position))
    views = [{**d.view, "chat_role": chat.role} for _, d in items]
    agency = items[0][1].part.agency if chat.role in (ChatRole.GROUP, ChatRole.HEAD) else ""
    header = {"chat_role": chat.role, "agency": agency, "today": today, "count": len(views),
              "mention": _mention(chat, bot_name), "example": _example(items)}  # fmt: skip
    parts = split_message(blocks("reminders.html.j2", header, views))
    notices = {
        key: {"assignment_id": d.part.id, "stage": d.notice.stage.name, "period": d.notice.period}
        for key, d in items
    }
    planned = PlannedMessage(chat, "reminder", parts, views)
    return Outgoing(planned, notices, _buttons(chat, items))


def _example(items: list[tuple[str, _Due]]) -> str:
    """The code shown in "/xong NV12": a part the chat's agency leads, if there is one."""
    leads = [d for _, d in items if d.part.role == Role.LEAD] or [d for _, d in items]
    return f"NV{leads[0].part.id}"


def _mention(chat: Recipient, bot_name: str) -> str | None:
    """How to address the bot in this chat: ``None`` where it reads every message; in a
    Zalo group the bot's display name ("" if not known), since the bot receives there
    only the messages that mention it ("Bot sẽ nhận được sự kiện khi người dùng gõ @ và
    chọn tên của Bot", Zalo Bot docs, "Tương tác với Bot trong Nhóm") or quote it."""
    return bot_name if chat.channel == "zalo" and chat.kind == "group" else None


def _buttons(
    chat: Recipient, items: list[tuple[str, _Due]]
) -> tuple[tuple[tuple[str, str], ...], ...]:
    """✅ 📝 ⏳ for each task of a group's reminder."""
    if chat.role != ChatRole.GROUP:
        return ()
    ids = list(dict.fromkeys(d.part.id for _, d in items if d.part.role == Role.LEAD))
    if not ids or len(ids) > _MAX_BUTTON_ROWS:
        return ()

    def label(i: int | None) -> str:
        return f" {DONE.code(i)}" if len(ids) > 1 else ""

    # Tuples of strings: the garbage collector stops tracking them at its first pass.
    return tuple(tuple(button(verb, i, label(i)) for verb in (DONE, PROGRESS, EXTEND)) for i in ids)


def _view(part: Row[Any], deadline: Deadline, notice: Notice) -> dict[str, Any]:
    """What the message shows of one notice (the chat's role is added per chat)."""
    audience = notice.stage.audience
    escalated = (
        "all" if Audience.COORDINATOR in audience else "head" if Audience.HEAD in audience else ""
    )
    return {
        "code": f"NV{part.id}",
        "assignment_id": part.id,
        "stage": notice.stage.name,
        "period": notice.period,
        "period_label": _period_label(notice.period) if isinstance(deadline, Recurring) else "",
        "working_days": notice.working_days,
        "escalated_to": escalated,
        "due": notice.due,
        # Why this date, while it is still the plan's own (not an extension or a period).
        "reading": deadline.reading
        if isinstance(deadline, DueDate) and notice.due == deadline.on and not part.extended_to
        else "",
        "plan": part.plan,
        "plan_date": part.plan_date,
        "task_key": shown_key(part.task_key),
        "task": part.task,
        "result": part.result or part.target,
        "scope": part.scope,
        "agency": part.agency,
        "role_label": Role(part.role).label.lower(),
        "chat_role": "",
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
