"""The audit trail read back: what changed in an agency's parts, who changed it, when.

Every change to a part is a :class:`~bot.models.StatusUpdate` row written by
``bot.services.assignments.record_change`` (imports, chat answers, the CLI, agency
changes, and later the web). This module only reads them, newest first, with the words
people read: the field's name, and a status as its label rather than its stored value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from bot.domain.actors import actor_label
from bot.models import Assignment, Plan, Status, StatusUpdate, Task, shown_key

# What each audited field is called (``record_change``'s ``field``); an unknown one shows as is.
FIELDS = {
    "created": "Giao việc",
    "status": "Trạng thái",
    "progress": "Tiến độ",
    "note": "Ghi chú",
    "due_on": "Hạn",
    "deadline": "Thời hạn",
    "extension_request": "Xin gia hạn",
    "extension_rejected": "Không duyệt gia hạn",
    "extension_withdrawn": "Rút đề nghị gia hạn",
    "report": "Báo cáo định kỳ",
    "agency": "Chuyển cơ quan",
}
_STATUSES = {s.value: s.label for s in Status}


@dataclass(frozen=True)
class Change:
    """One audit row, ready to show: ``at`` is UTC (the template shows it in Vietnam's
    time), ``old``/``new`` as words ("" when none)."""

    at: datetime
    code: str  # the part's code, "NV12"
    plan: str
    task_key: str
    task: str
    field: str  # its Vietnamese name
    old: str
    new: str
    note: str
    actor: str  # as people read it (:func:`actor_label`): "Nguyễn Văn A (Telegram)"


def _shown(field: str, value: str | None) -> str:
    if value is None:
        return ""
    if field in ("status", "created"):  # a part is created with its first status
        return _STATUSES.get(value, value)
    if field == "progress":
        return f"{value}%"
    if field in ("due_on", "extension_request", "extension_rejected", "extension_withdrawn"):
        try:
            return f"{date.fromisoformat(value):%d/%m/%Y}"
        except ValueError:
            return value
    return value


def agency_history(session: Session, agency_id: int, *, limit: int = 100) -> list[Change]:
    """The last ``limit`` changes to the parts of the agency ``agency_id`` (lead or
    coordinating), the last recorded first. By the order they were written, not by their
    time: a site whose clock was set back (``dondoc web --at``, a demo) would show its
    changes under older ones stamped later, and past the list's end."""
    rows = session.exec(
        select(StatusUpdate, Task.key, Task.text, Plan.number)
        .join(Assignment, col(StatusUpdate.assignment_id) == col(Assignment.id))
        .join(Task, col(Assignment.task_id) == col(Task.id))
        .join(Plan, col(Task.plan_id) == col(Plan.id))
        .where(Assignment.agency_id == agency_id)
        .order_by(col(StatusUpdate.id).desc())
        .limit(limit)
    ).all()
    return [
        Change(
            at=row.at,
            code=f"NV{row.assignment_id}",
            plan=number,
            task_key=shown_key(key),
            task=text,
            field=FIELDS.get(row.field, row.field),
            old=_shown(row.field, row.old),
            new=_shown(row.field, row.new),
            note=row.note,
            actor=actor_label(row.actor),
        )
        for row, key, text, number in rows
    ]
