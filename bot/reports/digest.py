"""The head's weekly digest: one message a week about the agency, instead of every reminder.

Done this week (on time or late), due in the next two weeks, overdue (working days late,
whether a reason was given), pending extension requests, groups that did not answer
reminders, and the agency's administrative files (due soon, late, letters issued, late
with no letter). Each item names the plan and the task.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from bot.domain.calendar import WorkCalendar
from bot.models import (
    Agency,
    Apology,
    ApologyState,
    Assignment,
    Chat,
    ChatRole,
    ExtensionRequest,
    FileStatus,
    Notice,
    Plan,
    RequestState,
    Role,
    Status,
    StatusUpdate,
    Task,
    TthcFile,
)
from bot.render import blocks, split_message

_LIMIT = 15  # items per section: a head reads one screen, the rest is "…và N việc khác"
_ANSWERS = ("status", "progress", "note", "extension_request")


def head_digest(
    session: Session, agency: Agency, now: datetime, cal: WorkCalendar
) -> dict[str, Any]:
    today = cal.local(now).date()
    monday = today - timedelta(days=7)  # "this week": the seven days before the digest
    parts = session.exec(
        select(Assignment, Task, Plan)
        .join(Task, col(Assignment.task_id) == col(Task.id))
        .join(Plan, col(Task.plan_id) == col(Plan.id))
        .where(Assignment.agency_id == agency.id, Assignment.role == Role.LEAD)
    ).all()
    ids = [a.id for a, _, _ in parts]
    updates = session.exec(
        select(StatusUpdate).where(col(StatusUpdate.assignment_id).in_(ids))
    ).all()
    done_at = {
        u.assignment_id: cal.local(u.at).date()
        for u in updates
        if u.field == "status" and u.new == Status.DONE
    }
    answered_after: dict[int, date] = {}
    for u in updates:
        if u.field in _ANSWERS and not u.actor.startswith("import:"):
            day = cal.local(u.at).date()
            answered_after[u.assignment_id] = max(day, answered_after.get(u.assignment_id, day))

    def item(part: Assignment, task: Task, plan: Plan, **extra: Any) -> dict[str, Any]:
        return {"code": f"NV{part.id}", "plan": plan.number, "task_key": task.key, "task": task.text,
                "due": part.due_on, **extra}  # fmt: skip

    done, soon, overdue = [], [], []
    for part, task, plan in parts:
        finished = done_at.get(part.id)  # type: ignore[arg-type]
        if part.status == Status.DONE and finished and monday < finished <= today:
            done.append(item(part, task, plan, late=bool(part.due_on and finished > part.due_on)))
        if part.status != Status.OPEN or part.due_on is None:
            continue
        if today < part.due_on <= today + timedelta(days=14):
            soon.append(
                item(
                    part,
                    task,
                    plan,
                    left=cal.working_days_between(today, cal.on_or_after(part.due_on)),
                )
            )
        elif part.due_on < today:
            reason = answered_after.get(part.id, date.min) >= part.due_on  # type: ignore[arg-type]
            late = cal.working_days_between(cal.on_or_after(part.due_on), today)
            if late > 0:
                overdue.append(item(part, task, plan, late=late, reason=reason))
    overdue.sort(key=lambda x: -x["late"])
    soon.sort(key=lambda x: x["due"])
    pending = session.exec(
        select(ExtensionRequest, Assignment)
        .join(Assignment, col(ExtensionRequest.assignment_id) == col(Assignment.id))
        .where(Assignment.agency_id == agency.id, ExtensionRequest.state == RequestState.PENDING)
    ).all()
    return {
        "agency": agency.name, "today": today, "monday": monday,
        "done": done[:_LIMIT], "done_count": len(done),
        "soon": soon[:_LIMIT], "soon_count": len(soon),
        "overdue": overdue[:_LIMIT], "overdue_count": len(overdue),
        "no_reason": sum(1 for x in overdue if not x["reason"]),
        "extensions": [{"code": f"NV{a.id}", "until": r.until, "reason": r.reason, "id": r.id} for r, a in pending],
        "silent": _silent_groups(session, agency, today, cal),
        "files": _files(session, agency, today, monday, cal),
    }  # fmt: skip


def _silent_groups(session: Session, agency: Agency, today: date, cal: WorkCalendar) -> list[str]:
    """Groups reminded in the last two weeks that wrote nothing back since."""
    since = datetime.combine(today - timedelta(days=14), datetime.min.time(), cal.tz)
    silent = []
    for chat in session.exec(select(Chat).where(Chat.agency_id == agency.id, Chat.role == ChatRole.GROUP,
                                                col(Chat.active))):  # fmt: skip
        reminded = session.exec(
            select(Notice.id).where(Notice.chat_id == chat.id, col(Notice.created_at) >= since)
        ).first()
        answered = session.exec(
            select(StatusUpdate.id).where(
                StatusUpdate.chat_id == chat.chat_key, col(StatusUpdate.at) >= since
            )
        ).first()
        if reminded is not None and answered is None:
            silent.append(chat.title or chat.chat_key)
    return silent


def _files(
    session: Session, agency: Agency, today: date, monday: date, cal: WorkCalendar
) -> dict[str, int]:
    files = session.exec(
        select(TthcFile).where(TthcFile.agency_id == agency.id, TthcFile.status == FileStatus.OPEN)
    ).all()
    letters = session.exec(
        select(Apology).where(
            Apology.agency_id == agency.id, Apology.state == ApologyState.APPROVED
        )
    ).all()
    with_letter = {a.file_id for a in letters}
    due_soon = sum(
        1 for f in files if 0 <= cal.working_days_between(today, cal.on_or_after(f.due_on)) <= 3
    )
    late = [f for f in files if cal.on_or_after(f.due_on) < today]
    issued = sum(
        1 for a in letters if a.approved_at and monday <= cal.local(a.approved_at).date() <= today
    )
    return {"due_soon": due_soon, "late": len(late), "issued": issued,
            "late_no_letter": sum(1 for f in late if f.id not in with_letter)}  # fmt: skip


def render_head_digest(digest: dict[str, Any]) -> list[str]:
    return split_message(blocks("digest_head.html.j2", {"d": digest}, []))
