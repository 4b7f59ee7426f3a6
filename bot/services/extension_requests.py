"""Requests for more time (xin gia hạn) read back for an agency's page: who asked, when,
for which part, until when, and the answer if there is one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from bot.models import Assignment, ExtensionRequest, Plan, RequestState, Task, shown_key

# What each request's state is called on the page.
ANSWERS = {
    RequestState.PENDING: "Chờ Thủ trưởng quyết định",
    RequestState.APPROVED: "Đồng ý",
    RequestState.REJECTED: "Không đồng ý",
    RequestState.WITHDRAWN: "Đã rút (việc đã đóng trước khi quyết định)",
}


@dataclass(frozen=True)
class ExtensionLine:
    """One request, ready to show: times are UTC (the template shows them in Vietnam's
    time); ``decided_by``/``decided_at`` are ``None`` while it waits."""

    id: int  # the request's, for the head's or an admin's answer on the page
    code: str  # the part's code, "NV12"
    plan: str
    task_key: str
    task: str
    requested_by: str  # "telegram:123 (Nguyễn Văn A)"
    requested_at: datetime
    until: date
    reason: str
    state: RequestState
    answer: str  # the state in words
    decided_by: str | None
    decided_at: datetime | None


def agency_extensions(session: Session, agency_id: int, *, limit: int = 50) -> list[ExtensionLine]:
    """The last ``limit`` requests for more time on the parts of agency ``agency_id``,
    newest first."""
    rows = session.exec(
        select(ExtensionRequest, Task.key, Task.text, Plan.number)
        .join(Assignment, col(ExtensionRequest.assignment_id) == col(Assignment.id))
        .join(Task, col(Assignment.task_id) == col(Task.id))
        .join(Plan, col(Task.plan_id) == col(Plan.id))
        .where(Assignment.agency_id == agency_id)
        .order_by(col(ExtensionRequest.requested_at).desc(), col(ExtensionRequest.id).desc())
        .limit(limit)
    ).all()
    return [_line(r, key, text, number) for r, key, text, number in rows]


def _line(r: ExtensionRequest, key: str, text: str, number: str) -> ExtensionLine:
    state = RequestState(r.state)
    assert r.id is not None
    return ExtensionLine(id=r.id, code=f"NV{r.assignment_id}", plan=number,
                         task_key=shown_key(key), task=text,
                         requested_by=r.requested_by, requested_at=r.requested_at, until=r.until,
                         reason=r.reason, state=state, answer=ANSWERS[state],
                         decided_by=r.decided_by, decided_at=r.decided_at)  # fmt: skip
