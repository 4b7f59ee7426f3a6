"""Tables. Queries live in ``bot.services``; rules live in ``bot.domain``.

Times are stored as UTC-aware datetimes; dates (deadlines) are plain calendar dates in
Vietnam's calendar.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


def _ts(**kw: Any) -> Any:
    return Field(sa_column=Column(DateTime(timezone=True), **kw))


class Role(StrEnum):
    LEAD = "lead"
    COORDINATE = "coordinate"


class Status(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"
    SNOOZED = "snoozed"


STATUS_LABELS = {
    Status.OPEN: "Đang thực hiện",
    Status.DONE: "Hoàn thành",
    Status.CANCELLED: "Đã hủy",
    Status.SNOOZED: "Tạm dừng nhắc",
}
ROLE_LABELS = {Role.LEAD: "Chủ trì", Role.COORDINATE: "Phối hợp"}


class Agency(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True, max_length=64)
    name: str = Field(max_length=255)
    kind: str = Field(max_length=16)
    parent_id: int | None = Field(default=None, foreign_key="agency.id", index=True)
    aliases: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class Plan(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True, index=True, max_length=64)  # "126/KH-UBND"
    issued_on: date | None = None
    year: int | None = None  # fills deadline cells that name no year
    title: str = ""
    issuer: str = ""
    issuer_agency_id: int | None = Field(default=None, foreign_key="agency.id")
    source: str = ""  # the file it was last imported from


class Section(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("plan_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    key: str = Field(max_length=64)  # "A.I", "PL1.II": stable across re-imports
    number: str = Field(default="", max_length=16)
    title: str = ""
    position: int = 0


class Task(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("plan_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    section_id: int | None = Field(default=None, foreign_key="section.id")
    key: str = Field(max_length=64)  # section key + number: stable across re-imports
    number: str = Field(default="", max_length=16)
    position: int = 0
    indicator: str = ""  # "Chỉ số/nội dung": the index component the task serves
    text: str
    target: str = ""
    result: str = ""
    deadline_text: str = ""
    deadline_kind: str = Field(max_length=16)  # date | recurring | milestones | unspecified
    due_on: date | None = Field(default=None, index=True)
    recurrence: str | None = Field(default=None, max_length=16)
    deadline_detail: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    lead_text: str = ""
    coordinate_text: str = ""
    source_line: int | None = None


class Assignment(SQLModel, table=True):
    """One agency's part of one task: tracked, reminded and closed on its own."""

    __table_args__ = (
        UniqueConstraint("task_id", "agency_id"),
        Index("ix_assignment_status_due", "status", "due_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    role: str = Field(max_length=16)
    status: str = Field(default=Status.OPEN, max_length=16)
    progress: int = 0
    due_on: date | None = None  # from the plan; an approved extension goes below
    extended_to: date | None = None
    created_at: datetime = _ts(nullable=False, default=utcnow)
    updated_at: datetime = _ts(nullable=False, default=utcnow)


class StatusUpdate(SQLModel, table=True):
    """The audit trail: every change to an assignment, by whom, from where, when."""

    id: int | None = Field(default=None, primary_key=True)
    assignment_id: int = Field(foreign_key="assignment.id", index=True)
    at: datetime = _ts(nullable=False, default=utcnow)
    actor: str = Field(max_length=128)  # "import:seed/plans/000.csv", "telegram:12345"
    chat_id: str | None = Field(default=None, max_length=64)
    message_id: str | None = Field(default=None, max_length=64)
    field: str = Field(max_length=32)
    old: str | None = None
    new: str | None = None
    note: str = ""
