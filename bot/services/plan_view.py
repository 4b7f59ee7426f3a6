"""The plans as the web view's Kế hoạch page reads them: each plan with its parts counted
by status, and one plan's parts (task × agency) under a filter, a page at a time.

Everything is asked of the database with the filter in SQL (a plan may hold 100,000
parts): a page of rows, their count, the counts by status; nothing is loaded whole into
Python but an export, which :func:`parts` streams in batches.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Text, and_, case, cast, func, literal
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from bot.db import count_if
from bot.domain.collation import vietnamese_key
from bot.domain.deadlines import from_record
from bot.models import Agency, Assignment, Plan, Role, Status, Task, shown_key

_BATCH = 2000  # rows fetched at a time by an export


@dataclass(frozen=True)
class PartFilter:
    """Which parts of a plan to show: all of them when nothing is set.

    ``overdue`` and ``due_within`` (days from today, both ends included) are about work
    still to do: they keep open parts only."""

    agency_id: int | None = None
    status: Status | None = None
    overdue: bool = False
    due_within: int | None = None

    def where(self, plan_id: int, today: date) -> list[ColumnElement[bool]]:
        """The SQL conditions on the parts of plan ``plan_id`` (``Assignment`` joined to
        ``Task``) at ``today``."""
        due = col(Assignment.due_on)
        conditions: list[ColumnElement[bool]] = [col(Task.plan_id) == plan_id]
        if self.agency_id is not None:
            conditions.append(col(Assignment.agency_id) == self.agency_id)
        if self.status is not None:
            conditions.append(col(Assignment.status) == self.status)
        if self.overdue or self.due_within is not None:
            conditions.append(col(Assignment.status) == Status.OPEN)
        if self.overdue:
            conditions.append(and_(due.is_not(None), due < today))
        if self.due_within is not None:
            conditions.append(and_(due >= today, due <= today + timedelta(days=self.due_within)))
        return conditions


@dataclass(frozen=True)
class PlanSummary:
    """A plan and its parts (those the viewer may see): how many in each status, how many
    open past their due date."""

    id: int
    number: str  # "126/KH-UBND"
    title: str
    issued_on: date | None
    by_status: dict[Status, int]
    overdue: int

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


def _overdue(today: date) -> ColumnElement[bool]:
    due = col(Assignment.due_on)
    return and_(col(Assignment.status) == Status.OPEN, due.is_not(None), due < today)


def plan_summaries(
    session: Session, *, today: date, agency_id: int | None = None, plan_id: int | None = None
) -> list[PlanSummary]:
    """Every plan (plan ``plan_id`` alone when given), newest issued first, with its parts
    counted; with ``agency_id`` (a head's view) those parts alone counted, and the list
    holds the plans where that agency has parts (plan ``plan_id`` is there whatever it holds). One aggregate query over the parts."""
    query = (
        select(Task.plan_id, Assignment.status, func.count(), count_if(_overdue(today)))
        .join(Task, col(Assignment.task_id) == col(Task.id))
        .group_by(col(Task.plan_id), col(Assignment.status))
    )
    if agency_id is not None:
        query = query.where(col(Assignment.agency_id) == agency_id)
    if plan_id is not None:
        query = query.where(col(Task.plan_id) == plan_id)
    counts: dict[int, dict[Status, int]] = {}
    overdue: dict[int, int] = {}
    for counted, status, number, late in session.execute(query).all():
        counts.setdefault(counted, {})[Status(status)] = number
        overdue[counted] = overdue.get(counted, 0) + late
    chosen = select(Plan) if plan_id is None else select(Plan).where(col(Plan.id) == plan_id)
    plans = [p for p in session.exec(chosen).all()
             if agency_id is None or plan_id is not None or p.id in counts]  # fmt: skip
    ordered = sorted(plans, key=lambda p: (p.issued_on or date.min, p.number), reverse=True)
    return [PlanSummary(p.id, p.number, p.title, p.issued_on, counts.get(p.id, {}),  # type: ignore[arg-type]
                        overdue.get(p.id or 0, 0)) for p in ordered]  # fmt: skip


@dataclass(frozen=True)
class PartLine:
    """One agency's part of one task, as the plan's table shows it."""

    code: str  # "NV12": what officers type in /xong, /tiendo, /giahan
    task_key: str  # "A.I.3"
    task: str
    indicator: str  # the plan's "Chỉ số/nội dung" the task serves, or ""
    scope: str  # what this agency's part covers, when the plan says
    agency: str
    agency_code: str
    role: Role
    status: Status
    progress: int  # percent
    due_on: date | None  # the date reminders follow (an approved extension's, if any)
    deadline_text: str  # the plan's cell as imported: "Quý IV năm 2024"
    reading: str  # how it was read: "Hạn 31/12/2024 — …", "Thường xuyên (báo cáo quý)"
    set_by_admin: str | None  # a deadline an admin set for a cell not read
    overdue: bool


# The columns a row needs, not whole rows: a page of 100 rows reads no task's other cells.
# The deadline's record comes as its JSON text, read once per distinct text (a task's
# parts share it, and so do most tasks of a plan): an export of 100,000 parts decodes a
# few hundred, not 100,000.
_COLUMNS = [*(col(c) for c in (
    Assignment.id, Assignment.role, Assignment.status, Assignment.progress, Assignment.due_on,
    Assignment.scope, Task.key, Task.text, Task.indicator, Task.deadline_text,
    Task.deadline_kind)),
    cast(col(Task.deadline_detail), Text),
    *(col(c) for c in (Task.deadline_set_to, Agency.name, Agency.code)),
]  # fmt: skip


class _Readings(dict[tuple[str, str], str]):
    """How each deadline record reads, by (kind, JSON text), as it is asked for."""

    def __missing__(self, kind_detail: tuple[str, str]) -> str:
        kind, detail = kind_detail
        self[kind_detail] = reading = from_record(kind, json.loads(detail)).describe()
        return reading


def _line(row: Any, today: date, readings: _Readings) -> PartLine:
    (id_, role, status, progress, due_on, scope, task_key, text, indicator, deadline_text, kind,
     detail, set_to, agency, agency_code) = row  # fmt: skip
    return PartLine(
        code=f"NV{id_}", task_key=shown_key(task_key), task=text, indicator=indicator, scope=scope,
        agency=agency, agency_code=agency_code, role=Role(role), status=Status(status),
        progress=progress, due_on=due_on, deadline_text=deadline_text, reading=readings[kind, detail],
        set_by_admin=set_to,
        overdue=status == Status.OPEN and due_on is not None and due_on < today,
    )  # fmt: skip


def _parts_query(plan_id: int, chosen: PartFilter, today: date) -> Any:
    lead_first = case((col(Assignment.role) == Role.LEAD, literal(0)), else_=literal(1))
    return (
        sa_select(*_COLUMNS)
        .join(Task, col(Assignment.task_id) == col(Task.id))
        .join(Agency, col(Assignment.agency_id) == col(Agency.id))
        .where(*chosen.where(plan_id, today))
        .order_by(
            col(Task.position), col(Task.id), lead_first, col(Agency.name), col(Assignment.id)
        )
    )


def parts_page(
    session: Session, plan_id: int, chosen: PartFilter, *, today: date, offset: int, limit: int
) -> list[PartLine]:
    """The parts of plan ``plan_id`` under ``chosen``, rows ``offset`` to ``offset + limit``
    in the plan's order (task by task; the lead first, then the coordinating agencies)."""
    query = _parts_query(plan_id, chosen, today).offset(offset).limit(limit)
    readings = _Readings()
    return [_line(row, today, readings) for row in session.execute(query).all()]


def parts(session: Session, plan_id: int, chosen: PartFilter, *, today: date) -> Iterator[PartLine]:
    """Every part of plan ``plan_id`` under ``chosen``, in the plan's order, fetched from
    the database :data:`_BATCH` rows at a time (an export of any size)."""
    query = _parts_query(plan_id, chosen, today).execution_options(yield_per=_BATCH)
    readings = _Readings()
    for row in session.execute(query):
        yield _line(row, today, readings)


def count_parts(session: Session, plan_id: int, chosen: PartFilter, *, today: date) -> int:
    """How many parts of plan ``plan_id`` ``chosen`` keeps."""
    query = (
        select(func.count())
        .select_from(Assignment)
        .join(Task, col(Assignment.task_id) == col(Task.id))
        .where(*chosen.where(plan_id, today))
    )
    return int(session.execute(query).scalar_one())


def plan_agencies(session: Session, plan_id: int) -> list[Agency]:
    """The agencies with a part in plan ``plan_id``, in Vietnamese alphabetical order."""
    ids = (
        select(Assignment.agency_id)
        .join(Task, col(Assignment.task_id) == col(Task.id))
        .where(col(Task.plan_id) == plan_id)
        .distinct()
        .scalar_subquery()
    )
    found = session.exec(select(Agency).where(col(Agency.id).in_(ids))).all()
    return sorted(found, key=lambda a: vietnamese_key(a.name))
