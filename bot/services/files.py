"""The open administrative-procedure files, filtered as admins ask, as plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

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
        found.append(OpenFile(file.code, file.procedure, holder.name, file.applicant_name,
                              cal.local(file.received_at).date(), file.due_on, left,
                              file.id in approved, file.status_text))  # fmt: skip
    return found
