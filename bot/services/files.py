"""The open administrative-procedure files, filtered as admins ask, as plain values."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from bot.domain.calendar import WorkCalendar
from bot.models import Agency, Apology, ApologyState, FileStatus, TthcFile
from bot.services.apology import with_approved_letter


@dataclass(frozen=True)
class OpenFile:
    code: str
    procedure: str
    agency: str  # the agency handling it
    applicant: str
    received: date  # in Vietnam
    due: date
    working_days_left: int  # negative once late
    letter: bool  # an approved apology letter exists
    status: str  # as the one-stop software wrote it


_PAGE = 1000  # rows a streamed listing holds at once


@dataclass(frozen=True)
class FileFilter:
    """Which open files a listing shows: of one agency, only the late ones, only those due
    within ``at_risk_days`` working days, only those without an approved letter."""

    agency_id: int | None = None
    late: bool = False
    at_risk_days: int | None = None
    without_letter: bool = False


def open_files(
    session: Session, cal: WorkCalendar, today: date, *, agency_id: int | None = None,
    late: bool = False, at_risk_days: int | None = None, without_letter: bool = False,
) -> Iterator[OpenFile]:  # fmt: skip
    """Open files by due date, filtered as :class:`FileFilter` says, in SQL, and read in
    pages as they are consumed (a server-side cursor on PostgreSQL): a listing of 180,000
    files holds a page at a time. Consume it while ``session`` is open."""
    wanted = FileFilter(agency_id, late, at_risk_days, without_letter)
    query = _open_files_query(cal, today, wanted, sa.select(
        col(TthcFile.code), col(TthcFile.procedure), col(Agency.name), col(TthcFile.applicant_name),
        col(TthcFile.received_at), col(TthcFile.due_on), _has_letter(), col(TthcFile.status_text),
    ).join(Agency, col(TthcFile.agency_id) == col(Agency.id)))  # fmt: skip
    query = query.order_by(col(TthcFile.due_on), col(TthcFile.id))
    left: dict[date, int] = {}  # working days left, by appointment day: asked once a day
    for code, procedure, agency, applicant, received_at, due, letter, status in session.execute(
        query.execution_options(stream_results=True, yield_per=_PAGE)
    ):
        if due not in left:
            left[due] = cal.working_days_between(today, cal.on_or_after(due))
        yield OpenFile(code, procedure, agency, applicant, cal.local(received_at).date(), due,
                       left[due], bool(letter), status)  # fmt: skip


def count_open_files(
    session: Session, cal: WorkCalendar, today: date, wanted: FileFilter = FileFilter()
) -> int:
    """How many files :func:`open_files` lists with the same filters: one count."""
    query = _open_files_query(cal, today, wanted, sa.select(func.count()).select_from(TthcFile))
    return int(session.execute(query).scalar_one())


def _open_files_query(
    cal: WorkCalendar, today: date, wanted: FileFilter, query: sa.Select[*tuple[Any, ...]]
) -> sa.Select[*tuple[Any, ...]]:
    """``query`` over the open files, with ``wanted``'s filters as conditions on the
    appointment day (:func:`due_window`) and on the letters (EXISTS, no list of ids)."""
    due = col(TthcFile.due_on)
    query = query.where(col(TthcFile.status) == FileStatus.OPEN)
    if wanted.agency_id is not None:
        query = query.where(col(TthcFile.agency_id) == wanted.agency_id)
    if wanted.late:  # fewer than 0 working days left
        query = query.where(due < first_due(cal, today, 0))
    if wanted.at_risk_days is not None:
        first, last = due_window(cal, today, 0, wanted.at_risk_days)
        query = query.where(due >= first, due <= last)
    if wanted.without_letter:
        query = query.where(~_has_letter())
    return query


def _has_letter() -> sa.Exists:
    """Whether the file (the outer query's) has an approved letter: its appointment moved."""
    return sa.exists().where(
        col(Apology.file_id) == col(TthcFile.id), col(Apology.state) == ApologyState.APPROVED
    )


def first_due(cal: WorkCalendar, today: date, low: int) -> date:
    """The first appointment day at least ``low`` working days from ``today``, as
    :attr:`OpenFile.working_days_left` counts them (an appointment on a day off falls on
    the next working day, Bộ luật Dân sự 2015, Article 148). The count never falls as the
    day grows, so the days at least ``low`` away are those from this one on."""
    day = cal.add_working_days(today, low - 2)  # about low - 2 working days away
    while _left(cal, today, day) >= low:  # not expected: the count is then found going back
        day -= timedelta(days=1)
    while _left(cal, today, day) < low:
        day += timedelta(days=1)
    return day


def due_window(cal: WorkCalendar, today: date, low: int, high: int) -> tuple[date, date]:
    """The appointment days ``(first, last)`` from ``low`` to ``high`` working days from
    ``today``, as :func:`first_due` counts: consecutive days; ``first > last`` when none is.
    A few dozen calendar lookups for a window of days, whatever the number of files."""
    first = first_due(cal, today, low)
    last = first - timedelta(days=1)
    while _left(cal, today, last + timedelta(days=1)) <= high:
        last += timedelta(days=1)
    return first, last


def _left(cal: WorkCalendar, today: date, due: date) -> int:
    return cal.working_days_between(today, cal.on_or_after(due))


@dataclass(frozen=True)
class FilesAtHand:
    """What a chat's /hoso shows: the files to act on today and the late ones, each list
    cut at its limit, with the full counts (on time = open, due after the next working day)."""

    last_day: list[OpenFile]  # due on the next working day: today is the letter's last day
    due_today: list[OpenFile]  # due today: too late for a letter in time
    late: list[OpenFile]  # past their appointment, the longest late first
    last_day_count: int
    due_today_count: int
    late_count: int
    on_time_count: int


def files_at_hand(
    session: Session, cal: WorkCalendar, today: date, agency_id: int | None, *,
    urgent_limit: int = 10, late_limit: int = 20,
) -> FilesAtHand:  # fmt: skip
    """The open files of one agency (every agency when ``agency_id`` is None) that need
    acting on, as of ``today`` (a working or calendar day in Vietnam): a few queries with
    limits and counts, so an agency with a hundred thousand open files is answered at once.

    A file is late once the working day its appointment falls on (a day off moves it to
    the next working day, Bộ luật Dân sự 2015, Article 148) is before ``today``; due today
    when that day is today; on its letter's last day when it is the next working day (the
    letter must come before the appointment, Nghị định 61/2018/NĐ-CP, Article 19).
    """
    # Appointments up to the working day before today fall on a working day before today.
    late_until = cal.add_working_days(today, -1)
    urgent_until = cal.add_working_days(cal.on_or_after(today), 1)
    base = select(TthcFile, Agency).join(Agency).where(TthcFile.status == FileStatus.OPEN)
    if agency_id is not None:
        base = base.where(TthcFile.agency_id == agency_id)
    today_until = cal.on_or_after(today)  # a day off today: "today" is the next working day
    late = col(TthcFile.due_on) <= late_until
    due_today = (col(TthcFile.due_on) > late_until) & (col(TthcFile.due_on) <= today_until)
    last_day = (col(TthcFile.due_on) > today_until) & (col(TthcFile.due_on) <= urgent_until)
    on_time = col(TthcFile.due_on) > urgent_until

    def listed(where: Any, limit: int, *order: Any) -> list[OpenFile]:
        rows = session.exec(base.where(where).order_by(*order, col(TthcFile.id)).limit(limit)).all()
        approved = with_approved_letter(session, [f.id for f, _ in rows])
        return [_open_file(f, a, cal, today, f.id in approved) for f, a in rows]

    def count(where: Any) -> int:
        query = select(func.count()).select_from(TthcFile)
        query = query.where(TthcFile.status == FileStatus.OPEN, where)
        if agency_id is not None:
            query = query.where(TthcFile.agency_id == agency_id)
        return session.exec(query).one()

    # As the warnings order them (``bot.domain.tthc.BY_URGENCY``): the letter's last day,
    # then the files due today, then the late ones, the longest late first.
    due = col(TthcFile.due_on)
    return FilesAtHand(listed(last_day, urgent_limit, due), listed(due_today, urgent_limit, due),
                       listed(late, late_limit, due), count(last_day), count(due_today),
                       count(late), count(on_time))  # fmt: skip


def _open_file(file: TthcFile, holder: Agency, cal: WorkCalendar, today: date,
               letter: bool) -> OpenFile:  # fmt: skip
    left = cal.working_days_between(today, cal.on_or_after(file.due_on))
    return OpenFile(file.code, file.procedure, holder.name, file.applicant_name,
                    cal.local(file.received_at).date(), file.due_on, left, letter,
                    file.status_text)  # fmt: skip
