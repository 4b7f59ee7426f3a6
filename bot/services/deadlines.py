"""An admin sets the deadline the reader could not read, or read wrongly.

The deadline is the task's: every agency's part follows it (except a part whose due
date an approved extension moved). The plan's own cell stays as it was; a re-import of
the same plan keeps the admin's deadline while that cell is unchanged
(:func:`bot.importers.plans.import_plan`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlmodel import Session, col, select

from bot.config import Settings
from bot.domain.deadlines import (
    YEARS,
    Deadline,
    Done,
    DueDate,
    Unspecified,
    from_record,
    parse_deadline,
    to_columns,
)
from bot.models import CHECK_NOW, NO_WORK, Agency, Assignment, Plan, Role, Status, Task, shown_key
from bot.services.assignments import Actor, record_change
from bot.services.calendar import load_calendar

_ISO = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})\s*$")
_CODE = re.compile(r"^\s*(?:nv)?\s*([0-9]{1,9})\s*$", re.IGNORECASE)


class DeadlineNotSet(ValueError):
    """The code names no part, or the text names no date; the message is for the admin."""


@dataclass(frozen=True)
class DeadlineSet:
    task_key: str
    plan: str
    cell: str  # the plan's own words, unchanged
    old: str
    new: str
    parts_moved: int  # parts whose due date changed (extended parts keep theirs)
    due_on: date | None = None  # the task's last due date now (None: recurring without end)
    plan_issued: date | None = None  # the plan's date, to warn of a deadline before it
    unchanged: bool = False  # the task had this very deadline already: nothing written


def set_deadline(
    session: Session,
    *,
    code: str,
    text: str,
    actor: Actor,
    at: datetime,
    settings: Settings,
) -> DeadlineSet:
    """Give the task of part ``code`` ("NV12") the deadline ``text``.

    ``text`` is a date (dd/mm/yyyy or yyyy-mm-dd) or any phrase the reader understands
    ("Quý IV/2027", "Hằng quý"), read against the plan's year and date. Each part gets an
    audit row (``deadline``, and ``due_on`` where it moves) and is looked at again by the
    next tick. Setting the deadline the task already has writes nothing (a form sent
    twice, a command run again): ``unchanged``. Raises :class:`DeadlineNotSet` for an
    unknown code or a text with no date.
    """
    match = _CODE.match(code)
    part = session.get(Assignment, int(match.group(1))) if match else None
    if part is None:
        raise DeadlineNotSet(f"không có phần việc “{code}” (mã dạng NV12, xem dondoc tasks)")
    task = session.get(Task, part.task_id)
    assert task is not None
    plan = session.get(Plan, task.plan_id)
    assert plan is not None
    deadline = _read(session, text, plan, settings)
    old = from_record(task.deadline_kind, task.deadline_detail)
    columns = to_columns(deadline)
    if (
        task.deadline_set_to == text.strip()
        and task.deadline_set_for == task.deadline_text
        and all(getattr(task, column) == value for column, value in columns.items())
    ):
        return DeadlineSet(shown_key(task.key), plan.number, task.deadline_text, old.describe(),
                           deadline.describe(), 0, task.due_on, plan.issued_on, unchanged=True)  # fmt: skip
    for column, value in columns.items():
        setattr(task, column, value)
    task.deadline_set_to = text.strip()
    task.deadline_set_for = task.deadline_text
    session.add(task)
    moved = 0
    parts = session.exec(
        select(Assignment).where(
            Assignment.task_id == task.id, col(Assignment.status).not_in(NO_WORK)
        )
    ).all()
    for p in parts:
        note = f"quản trị viên đặt thời hạn: “{text.strip()}”"
        # One change, one row: "Thời hạn: Chưa xác định (…) → Hạn 30/06/2025" says the new
        # date too; a second row for the part's date ("Hạn: – → 30/06/2025") only doubled it.
        record_change(session, p, actor, at, "deadline", old.describe(), deadline.describe(), note)
        new_due = p.extended_to or task.due_on
        if new_due != p.due_on:
            p.due_on = new_due
            moved += 1
        p.check_on = CHECK_NOW
        session.add(p)
    return DeadlineSet(
        shown_key(task.key), plan.number, task.deadline_text, old.describe(), deadline.describe(),
        moved,
        task.due_on, plan.issued_on,
    )  # fmt: skip


# A deadline further than this after the plan's date (or today, for a plan without one)
# is more likely a mistyped year (2099 for 2029) than a plan's intent.
FAR_YEARS = 5


def warnings(done: DeadlineSet, today: date) -> list[str]:
    """What the admin should look at again after setting a deadline (set all the same):
    a date before the plan was signed (a wrong year?), a date already past, a date more
    than :data:`FAR_YEARS` years after the plan's date, or today's (a wrong year?)."""
    said = []
    if done.due_on is not None and done.plan_issued is not None and done.due_on < done.plan_issued:
        said.append(f"thời hạn {done.due_on:%d/%m/%Y} trước ngày ban hành kế hoạch "
                    f"({done.plan_issued:%d/%m/%Y}): hãy kiểm tra lại năm.")  # fmt: skip
    if done.due_on is not None and done.due_on < today:
        said.append(f"thời hạn {done.due_on:%d/%m/%Y} đã qua (hôm nay {today:%d/%m/%Y}): phần "
                    "việc chưa xong của nhiệm vụ này quá hạn ngay và sẽ được nhắc ở lượt tới.")  # fmt: skip
    since = max(done.plan_issued or today, today)
    if done.due_on is not None and done.due_on > _years_after(since, FAR_YEARS):
        said.append(f"thời hạn {done.due_on:%d/%m/%Y} xa hơn {FAR_YEARS} năm kể từ "
                    f"{'ngày ban hành kế hoạch' if since == done.plan_issued else 'hôm nay'} "
                    f"({since:%d/%m/%Y}): hãy kiểm tra lại năm.")  # fmt: skip
    return said


def _years_after(day: date, years: int) -> date:
    """The same day ``years`` later (28/02 for 29/02 in a year without it)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class UnspecifiedTask:
    """A task whose deadline names no date, with an open lead part: nobody is reminded of
    it until an admin sets a date."""

    code: str  # a lead part's code ("NV12"), what :func:`set_deadline` takes
    plan: str
    task_key: str
    task: str
    deadline_text: str  # the plan's own words, "(trống)" for an empty cell
    reason: str  # why no date was read
    leads: tuple[str, ...]  # the lead agencies' names


def unspecified_tasks(session: Session) -> list[UnspecifiedTask]:
    """The tasks waiting for an admin's deadline, by plan and position."""
    rows = session.exec(
        select(Task, Plan, Agency, Assignment.id)
        .join(Plan, col(Task.plan_id) == col(Plan.id))
        .join(Assignment, col(Assignment.task_id) == col(Task.id))
        .join(Agency, col(Assignment.agency_id) == col(Agency.id))
        .where(
            Task.deadline_kind == Unspecified.kind,
            Assignment.status == Status.OPEN,
            Assignment.role == Role.LEAD,
        )
        .order_by(col(Plan.number), col(Task.position), col(Assignment.id))
    ).all()
    tasks: dict[int | None, UnspecifiedTask] = {}
    for task, plan, agency, part_id in rows:
        if task.id in tasks:
            found = tasks[task.id]
            tasks[task.id] = replace(found, leads=(*found.leads, agency.name))
            continue
        reason = from_record(task.deadline_kind, task.deadline_detail)
        tasks[task.id] = UnspecifiedTask(
            f"NV{part_id}", plan.number, shown_key(task.key), task.text, task.deadline_text or "(trống)",
            reason.reason if isinstance(reason, Unspecified) else "", (agency.name,),
        )  # fmt: skip
    return list(tasks.values())


def _read(session: Session, text: str, plan: Plan, settings: Settings) -> Deadline:
    if not text.strip():
        raise DeadlineNotSet("chưa nhập thời hạn: ghi một ngày (31/12/2027) hoặc “Quý IV/2027”")
    if iso := _ISO.match(text):
        try:
            day = date(*(int(g) for g in iso.groups()))
        except ValueError:
            raise DeadlineNotSet(f"ngày “{text}” không có thật") from None
        if day.year not in YEARS:
            raise DeadlineNotSet(f"năm {day.year} nằm ngoài khoảng {YEARS[0]}–{YEARS[-1]}")
        return DueDate(day, "do quản trị viên đặt")
    deadline = parse_deadline(
        text, plan_year=plan.year, plan_date=plan.issued_on, cal=load_calendar(session, settings.hours),
        school_year_end=settings.school_year_end,
    )  # fmt: skip
    if isinstance(deadline, Unspecified):
        raise DeadlineNotSet(
            f"{deadline.reason}. Ghi một ngày (31/12/2027) hoặc một cụm như “Quý IV/2027”"
        )
    if isinstance(deadline, Done):
        raise DeadlineNotSet("“đã xong” không phải thời hạn: hãy dùng /xong trong nhóm")
    return deadline
