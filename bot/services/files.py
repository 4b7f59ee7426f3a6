"""The open administrative-procedure files, filtered as admins ask, as plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

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


def open_files(
    session: Session,
    cal: WorkCalendar,
    today: date,
    *,
    agency_id: int | None = None,
    late: bool = False,
    at_risk_days: int | None = None,
    without_letter: bool = False,
) -> list[OpenFile]:
    """Open files by due date: of one agency, only the late ones, only those due within
    ``at_risk_days`` working days, only those without an approved letter, as asked."""
    query = select(TthcFile, Agency).join(Agency).where(TthcFile.status == FileStatus.OPEN)
    if agency_id is not None:
        query = query.where(TthcFile.agency_id == agency_id)
    approved = set(
        session.exec(select(Apology.file_id).where(Apology.state == ApologyState.APPROVED)).all()
    )
    found: list[OpenFile] = []
    for file, holder in session.exec(query.order_by(col(TthcFile.due_on))).all():
        left = cal.working_days_between(today, cal.on_or_after(file.due_on))
        if late and left >= 0:
            continue
        if at_risk_days is not None and not 0 <= left <= at_risk_days:
            continue
        if without_letter and file.id in approved:
            continue
        found.append(_open_file(file, holder, cal, today, file.id in approved))
    return found


@dataclass(frozen=True)
class FilesAtHand:
    """What a chat's /hoso shows: the files to act on today and the late ones, each list
    cut at its limit, with the full counts (on time = open, neither urgent nor late)."""

    urgent: list[OpenFile]  # due today or on the next working day: the letter's last days
    late: list[OpenFile]  # past their appointment, the longest late first
    urgent_count: int
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
    the next working day, Bộ luật Dân sự 2015, Article 148) is before ``today``; urgent when
    that day is today or the next working day.
    """
    # Appointments up to the working day before today fall on a working day before today.
    late_until = cal.add_working_days(today, -1)
    urgent_until = cal.add_working_days(cal.on_or_after(today), 1)
    base = select(TthcFile, Agency).join(Agency).where(TthcFile.status == FileStatus.OPEN)
    if agency_id is not None:
        base = base.where(TthcFile.agency_id == agency_id)
    late = col(TthcFile.due_on) <= late_until
    urgent = (col(TthcFile.due_on) > late_until) & (col(TthcFile.due_on) <= urgent_until)
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

    # Urgent: the letter's last day (due on the next working day) before the files due
    # today, as the warnings order them (``bot.domain.tthc.BY_URGENCY``); late: the
    # longest late first.
    return FilesAtHand(listed(urgent, urgent_limit, col(TthcFile.due_on).desc()),
                       listed(late, late_limit, col(TthcFile.due_on)), count(urgent),
                       count(late), count(on_time))  # fmt: skip


def _open_file(file: TthcFile, holder: Agency, cal: WorkCalendar, today: date,
               letter: bool) -> OpenFile:  # fmt: skip
    left = cal.working_days_between(today, cal.on_or_after(file.due_on))
    return OpenFile(file.code, file.procedure, holder.name, file.applicant_name,
                    cal.local(file.received_at).date(), file.due_on, left, letter,
                    file.status_text)  # fmt: skip
