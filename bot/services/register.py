"""Queries on the plan register."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal, or_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from bot.domain.agencies import AgencyEntry, Kind, Registry
from bot.domain.deadlines import Unspecified
from bot.domain.text import key
from bot.models import NO_WORK, Agency, Assignment, Plan, Role, Status, Task, shown_key


def parts_in_full() -> Select[Assignment, Task, Plan, Agency]:
    """Each agency's part of a task with the task, its plan and the agency: the query
    the register, the ladder and the digests narrow with their own ``where``."""
    return (
        select(Assignment, Task, Plan, Agency)
        .join(Task, col(Assignment.task_id) == col(Task.id))
        .join(Plan, col(Task.plan_id) == col(Plan.id))
        .join(Agency, col(Assignment.agency_id) == col(Agency.id))
    )


def load_registry(session: Session) -> tuple[Registry, dict[str, int]]:
    """The registry for matching, and agency code → id."""
    agencies = session.exec(select(Agency)).all()
    codes = {a.id: a.code for a in agencies}
    entries = [
        AgencyEntry(
            code=a.code,
            name=a.name,
            kind=Kind(a.kind),
            parent=codes.get(a.parent_id) if a.parent_id else None,
            aliases=tuple(a.aliases),
        )
        for a in agencies
    ]
    return Registry(entries), {a.code: a.id for a in agencies if a.id is not None}


def find_agency(session: Session, name_or_code: str) -> Agency | None:
    agency = session.exec(select(Agency).where(Agency.code == name_or_code)).first()
    if agency is not None:
        return agency
    registry, ids = load_registry(session)
    matched = registry.match(name_or_code)
    if len(matched.codes) == 1 and not matched.unknown:
        return session.get(Agency, ids[matched.codes[0]])
    return None


# The columns of a spreadsheet of parts, from ``dondoc tasks --format csv`` or the web
# view's export of a plan: one layout wherever it is downloaded.
PARTS_HEADER = ("Mã", "Kế hoạch", "Mục", "Nhiệm vụ", "Chỉ số/nội dung", "Cơ quan", "Vai trò",
                "Trạng thái", "Tiến độ (%)", "Quá hạn", "Thời hạn (theo kế hoạch)", "Thời hạn",
                "Hạn")  # fmt: skip


@dataclass(frozen=True)
class TaskLine:
    code: str  # "NV12": what officers type in /xong, /tiendo, /giahan
    plan: str
    task_key: str
    task: str
    indicator: str  # the plan's "Chỉ số/nội dung" the task serves, or ""
    agency: str
    role: str
    status: str
    progress: int
    deadline_text: str
    deadline: str
    due_on: date | None
    overdue: bool = False  # still open after its due date


def _lines_query() -> Any:
    """Plain rows of the columns a :class:`TaskLine` shows, not four models a part: an
    agency's page or a plan's lists thousands of parts."""
    return parts_in_full().with_only_columns(
        col(Assignment.id), col(Assignment.role), col(Assignment.status), col(Assignment.progress),
        col(Assignment.due_on), col(Task.key), col(Task.text), col(Task.indicator),
        col(Task.deadline_text), col(Task.deadline_kind), col(Task.deadline_detail), col(Plan.number),
        col(Agency.name),
    )  # fmt: skip


def _lines(session: Session, query: Any, today: date) -> list[TaskLine]:
    from bot.domain.deadlines import from_record

    return [
        TaskLine(
            code=f"NV{part_id}",  # as bot.services.actions.code_of
            plan=number,
            task_key=shown_key(key),
            task=text,
            indicator=indicator,
            agency=agency_name,
            role=role,
            status=status,
            progress=progress,
            deadline_text=deadline_text,
            deadline=from_record(kind, detail).describe(),
            due_on=due_on,
            overdue=status == Status.OPEN and due_on is not None and due_on < today,
        )
        for part_id, role, status, progress, due_on, key, text, indicator, deadline_text, kind,
        detail, number, agency_name in session.execute(query)
    ]  # fmt: skip


def list_assignments(
    session: Session,
    *,
    today: date,
    agency: Agency | None = None,
    plan: str | None = None,
    overdue: bool = False,
    due_within: int | None = None,
    unspecified: bool = False,
    include_closed: bool = False,
) -> list[TaskLine]:
    due = col(Assignment.due_on)
    query = _lines_query()
    if not include_closed:
        query = query.where(col(Assignment.status).in_([Status.OPEN, Status.SNOOZED]))
    if agency is not None:
        query = query.where(col(Assignment.agency_id) == agency.id)
    if plan:
        query = query.where(or_(col(Plan.number) == plan, func.lower(Plan.number) == plan.lower()))
    if overdue:
        query = query.where(and_(due.is_not(None), due < today))
    if due_within is not None:
        query = query.where(and_(due >= today, due <= today + timedelta(days=due_within)))
    if unspecified:
        query = query.where(col(Task.deadline_kind) == Unspecified.kind)
    query = query.order_by(col(Plan.number), col(Task.position), col(Agency.name))
    return _lines(session, query, today)


# The views of an agency's parts (the Cơ quan page's ``?xem=``): every part, those still
# being done, those overdue (open past their due date).
AGENCY_VIEWS = {"tat-ca": "Tất cả", "dang-lam": "Đang thực hiện", "qua-han": "Quá hạn"}


def _overdue_at(today: date) -> ColumnElement[bool]:
    due = col(Assignment.due_on)
    return and_(col(Assignment.status) == Status.OPEN, due.is_not(None), due < today)


def _in_view(view: str, today: date) -> ColumnElement[bool]:
    if view == "qua-han":
        return _overdue_at(today)
    if view == "dang-lam":
        return col(Assignment.status).in_([Status.OPEN, Status.SNOOZED])
    return literal(True)


@dataclass(frozen=True)
class AgencyCounts:
    """An agency's parts: how many the view keeps as lead and as coordinating agency,
    and, whatever the view, how many are open and how many of those overdue."""

    lead: int
    coordinate: int
    open: int
    overdue: int


def agency_counts(session: Session, agency_id: int, view: str, *, today: date) -> AgencyCounts:
    """:class:`AgencyCounts` of agency ``agency_id`` under ``view`` (a key of
    :data:`AGENCY_VIEWS`) at ``today``: one aggregate query."""
    from bot.db import count_if

    shown, lead = _in_view(view, today), col(Assignment.role) == Role.LEAD
    row = session.execute(
        select(count_if(shown & lead), count_if(shown & ~lead),
               count_if(col(Assignment.status) == Status.OPEN), count_if(_overdue_at(today)))
        .where(col(Assignment.agency_id) == agency_id)
    ).one()  # fmt: skip
    return AgencyCounts(*(int(n or 0) for n in row))


def agency_parts_page(
    session: Session, agency_id: int, view: str, *, lead: bool, today: date, offset: int, limit: int
) -> list[TaskLine]:
    """Agency ``agency_id``'s parts under ``view`` as lead (``lead``) or as coordinating
    agency, rows ``offset`` to ``offset + limit`` by plan and task order: paged in SQL."""
    role = col(Assignment.role)
    query = (
        _lines_query()
        .where(col(Assignment.agency_id) == agency_id, _in_view(view, today),
               role == Role.LEAD if lead else role != Role.LEAD)
        .order_by(col(Plan.number), col(Task.position), col(Assignment.id))
        .offset(offset)
        .limit(limit)
    )  # fmt: skip
    return _lines(session, query, today)


@dataclass(frozen=True)
class UnassignedTask:
    """A task no agency leads yet: its lead cell named only groups ("các cơ quan, đơn vị có
    liên quan"). It is imported and waits for an admin to name the lead."""

    plan: str
    task_key: str
    task: str
    lead_text: str


def list_unassigned(session: Session, *, plan: str | None = None) -> list[UnassignedTask]:
    """Tasks with no open or done lead part: "chưa rõ cơ quan chủ trì"; not those a
    revised plan dropped."""
    led = (
        select(Assignment.task_id)
        .where(Assignment.role == Role.LEAD, col(Assignment.status).not_in(NO_WORK))
        .scalar_subquery()
    )
    query = (
        select(Task, Plan)
        .join(Plan, col(Task.plan_id) == col(Plan.id))
        .where(col(Task.id).not_in(led), col(Task.removed_in).is_(None))
        .order_by(col(Plan.number), col(Task.position))
    )
    if plan:
        query = query.where(or_(col(Plan.number) == plan, func.lower(Plan.number) == plan.lower()))
    return [
        UnassignedTask(p.number, shown_key(t.key), t.text, t.lead_text)
        for t, p in session.exec(query).all()
    ]


def plan_by_number(session: Session, number: str) -> Plan | None:
    for plan in session.exec(select(Plan)).all():
        if key(plan.number) == key(number):
            return plan
    return None


def open_counts(session: Session, *, today: date) -> dict[int, tuple[int, int]]:
    """Per agency id: its open lead parts, and how many of those are past their due date
    at ``today`` (one aggregate query; agencies without open parts are absent)."""
    from bot.db import count_if

    due = col(Assignment.due_on)
    rows = session.execute(
        select(Assignment.agency_id, func.count(), count_if(due.is_not(None) & (due < today)))
        .where(Assignment.role == Role.LEAD, Assignment.status == Status.OPEN)
        .group_by(col(Assignment.agency_id))
    ).all()
    return {agency_id: (open_, overdue) for agency_id, open_, overdue in rows}
