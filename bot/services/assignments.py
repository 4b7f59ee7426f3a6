"""Changes to one agency's part of a task, each recorded in the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, select

from bot.models import (
    CHECK_NOW,
    Assignment,
    ExtensionRequest,
    RequestState,
    Status,
    StatusUpdate,
)


@dataclass(frozen=True)
class Actor:
    """Who made a change, and from where (a chat message, the CLI, an import)."""

    who: str  # "telegram:12345", "cli", "import:plan.csv"
    chat_id: str | None = None
    message_id: str | None = None


def record_change(
    session: Session, part: Assignment, actor: Actor, at: datetime, field: str,
    old: object, new: object, note: str = "",
) -> None:  # fmt: skip
    assert part.id is not None
    session.add(
        StatusUpdate(
            assignment_id=part.id,
            at=at,
            actor=actor.who,
            chat_id=actor.chat_id,
            message_id=actor.message_id,
            field=field,
            old=None if old is None else str(old),
            new=None if new is None else str(new),
            note=note,
        )
    )
    part.updated_at = at
    session.add(part)


def mark_done(
    session: Session, part: Assignment, actor: Actor, at: datetime, note: str = ""
) -> None:
    """The agency finished its part: the ladder stops."""
    close_part(session, part, Status.DONE, actor, at, note)
    if part.progress != 100:
        record_change(session, part, actor, at, "progress", part.progress, 100)
        part.progress = 100


def close_part(
    session: Session, part: Assignment, status: Status, actor: Actor, at: datetime, note: str = ""
) -> None:
    """The part is done or cancelled: what was waiting on it ends with it. A request for
    more time still pending is withdrawn, so no head is asked to decide on closed work."""
    if part.status != status:
        record_change(session, part, actor, at, "status", part.status, status, note)
        part.status = status
    pending = session.exec(
        select(ExtensionRequest).where(
            ExtensionRequest.assignment_id == part.id,
            ExtensionRequest.state == RequestState.PENDING,
        )
    ).all()
    for request in pending:
        request.state, request.decided_by, request.decided_at = (
            RequestState.WITHDRAWN,
            actor.who,
            at,
        )
        session.add(request)
        record_change(session, part, actor, at, "extension_withdrawn", request.until, None,
                      "việc đã đóng trước khi Thủ trưởng quyết định")  # fmt: skip


def extend(
    session: Session, part: Assignment, new_due: date, actor: Actor, at: datetime, note: str = ""
) -> None:
    """An approved extension: a new due date, so the reminder ladder starts again."""
    record_change(session, part, actor, at, "due_on", part.due_on, new_due, note)
    part.due_on = part.extended_to = new_due
    part.check_on = CHECK_NOW


def report_period(
    session: Session, part: Assignment, period: str, actor: Actor, at: datetime, note: str = ""
) -> None:
    """A periodic report for a recurring task: that period's ladder stops."""
    record_change(session, part, actor, at, "report", part.last_report_period, period, note)
    part.last_report_period = period
    part.check_on = CHECK_NOW
