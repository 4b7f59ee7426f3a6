"""The open administrative-procedure files, filtered as admins ask, as plain values."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func

from bot.domain.calendar import WorkCalendar
from bot.models import Agency, Apology, ApologyState, FileStatus, TthcFile


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
    # Working days left (:attr:`OpenFile.working_days_left`), from and to, either open.
    left: tuple[int | None, int | None] | None = None


def open_files(
    session: Session, cal: WorkCalendar, today: date, *, agency_id: int | None = None,
    late: bool = False, at_risk_days: int | None = None, without_letter: bool = False,
    left: tuple[int | None, int | None] | None = None, limit: int | None = None,
) -> Iterator[OpenFile]:  # fmt: skip
    """Open files by due date, filtered as :class:`FileFilter` says, in SQL, the first
    ``limit`` (all when None), read in pages as they are consumed (a server-side cursor on
    PostgreSQL): a listing of 180,000 files holds a page at a time. Consume it while
    ``session`` is open."""
    wanted = FileFilter(agency_id, late, at_risk_days, without_letter, left)
    query = _open_files_query(cal, today, wanted, sa.select(
        col(TthcFile.code), col(TthcFile.procedure), col(Agency.name), col(TthcFile.applicant_name),
        col(TthcFile.received_at), col(TthcFile.due_on), _has_letter(), col(TthcFile.status_text),
    ).join(Agency, col(TthcFile.agency_id) == col(Agency.id)))  # fmt: skip
    query = query.order_by(col(TthcFile.due_on), col(TthcFile.id)).limit(limit)
    days_left: dict[date, int] = {}  # working days left, by appointment day: asked once a day
    for code, procedure, agency, applicant, received_at, due, letter, status in session.execute(
        query.execution_options(stream_results=True, yield_per=_PAGE)
    ):
        if due not in days_left:
            days_left[due] = _left(cal, today, due)
        yield OpenFile(code, procedure, agency, applicant, cal.local(received_at).date(), due,
                       days_left[due], bool(letter), status)  # fmt: skip


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
    if wanted.left is not None:
        low, high = wanted.left
        if low is not None:
            query = query.where(due >= first_due(cal, today, low))
        if high is not None:
            query = query.where(due < first_due(cal, today, high + 1))
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

    def section(low: int | None, high: int | None, limit: int) -> tuple[list[OpenFile], int]:
        listed = open_files(session, cal, today, agency_id=agency_id, left=(low, high),
                            limit=limit)  # fmt: skip
        return list(listed), count_open_files(session, cal, today,
                                              FileFilter(agency_id, left=(low, high)))  # fmt: skip

    # As the warnings order them (``bot.domain.tthc.BY_URGENCY``): the letter's last day
    # (1 working day left), then the files due today (0), then the late ones, the longest
    # late first.
    last_day, due_today = section(1, 1, urgent_limit), section(0, 0, urgent_limit)
    late = section(None, -1, late_limit)
    on_time = count_open_files(session, cal, today, FileFilter(agency_id, left=(2, None)))
    return FilesAtHand(last_day[0], due_today[0], late[0], last_day[1], due_today[1], late[1],
                       on_time)  # fmt: skip
