"""The register of late and at-risk administrative-procedure files, and the apology
letters issued, as the web view lists them (``/ho-so``, the agency page, the public
page): filtered, counted and paged in SQL, so that a register of a hundred thousand
files answers a page at a time.

A file is *late* once the working day its appointment falls on is past (as
:func:`bot.services.files.first_due` counts), *at risk* when it is due within the
warning window (``[files] warn_days`` working days, today included: the one-stop
software's "tới hạn"). Its letter (Nghị định 61/2018/NĐ-CP, Article 19: sent before the
appointment passes) is *timely* when approved before the day of the first appointment,
*late* when approved on it or after, *none* while no letter is approved. The law allows
one letter per file (``bot.services.apology.start`` refuses a second), so a file joins
at most one approved letter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from bot.db import count_if, local_day
from bot.domain.calendar import WorkCalendar
from bot.domain.collation import vietnamese_key
from bot.domain.labelled import Labelled
from bot.models import Agency, Apology, ApologyState, FileStatus, TthcFile
from bot.services.files import due_window, first_due


class Urgency(Labelled):
    LATE = "late", "Trễ hạn"
    AT_RISK = "at_risk", "Sắp đến hạn"


class LetterState(Labelled):
    TIMELY = "timely", "Đã xin lỗi đúng hạn"
    LATE = "late", "Xin lỗi muộn"
    NONE = "none", "Chưa có văn bản xin lỗi"


@dataclass(frozen=True)
class Wanted:
    """Which open files a listing holds: of one agency (every one when None), late or at
    risk (both when None), with a letter in this state (any when None)."""

    agency_id: int | None = None
    urgency: Urgency | None = None
    letter: LetterState | None = None
    code: str = ""  # the file's code, or its beginning (the public page's lookup)


@dataclass(frozen=True)
class LateFile:
    id: int
    code: str
    procedure: str
    agency: str
    agency_code: str
    applicant: str  # as the export wrote it: the public page shortens it
    received: date  # in Vietnam
    original_due: date  # the first appointment
    due: date  # the appointment now (moved once by an approved letter)
    late_days: int  # working days past the appointment; negative: working days left
    letter: LetterState
    letter_id: int | None  # the approved letter
    letter_number: str | None
    letter_day: date | None  # approved on, in Vietnam
    pending: bool  # a letter waits for the head

    @property
    def urgency(self) -> Urgency:
        return Urgency.LATE if self.late_days > 0 else Urgency.AT_RISK


@dataclass(frozen=True)
class AgencyFiles:
    """One agency's open files needing attention."""

    agency: str
    code: str
    late: int
    at_risk: int
    late_without_letter: int


@dataclass(frozen=True)
class IssuedLetter:
    id: int
    number: str
    day: date  # approved on, in Vietnam
    agency: str
    file_code: str
    procedure: str
    applicant: str
    original_due: date
    new_due: date | None
    reason: str
    timely: bool  # approved before the first appointment's day


class _Window:
    """The appointment days that make a file late or at risk today: computed once per
    listing with a few dozen calendar lookups, then compared with ``due_on`` in SQL."""

    def __init__(self, cal: WorkCalendar, today: date, warn_days: int) -> None:
        self.today, self.cal = today, cal
        self.first_on_time = first_due(cal, today, 0)  # due before it: late
        self.at_risk = due_window(cal, today, 0, warn_days)

    def late(self) -> sa.ColumnElement[bool]:
        return col(TthcFile.due_on) < self.first_on_time

    def risky(self) -> sa.ColumnElement[bool]:
        first, last = self.at_risk
        return sa.and_(col(TthcFile.due_on) >= first, col(TthcFile.due_on) <= last)

    def either(self) -> sa.ColumnElement[bool]:
        # The window starts on the first day on time: late or at risk is due up to its end.
        return col(TthcFile.due_on) <= self.at_risk[1]

    def late_days(self, due: date) -> int:
        return -self.cal.working_days_between(self.today, self.cal.on_or_after(due))


def _letters_joined(session: Session, cal: WorkCalendar) -> tuple[Any, sa.ColumnElement[bool]]:
    """The approved letter (an alias of :class:`Apology`, outer-joined on the file) and
    whether it was timely, in SQL."""
    letter = aliased(Apology)
    day = local_day(session.get_bind().dialect, col(letter.approved_at), cal.tz)
    return letter, day < col(letter.original_due_on)


def _where(
    query: sa.Select[*tuple[Any, ...]], window: _Window, wanted: Wanted, letter: Any, timely: Any
) -> sa.Select[*tuple[Any, ...]]:
    """``query`` narrowed to the open files ``wanted``; ``letter`` (the joined approved
    letter) and ``timely`` are used only when ``wanted.letter`` is set."""
    query = query.where(col(TthcFile.status) == FileStatus.OPEN)
    if wanted.agency_id is not None:
        query = query.where(col(TthcFile.agency_id) == wanted.agency_id)
    if wanted.code:
        query = query.where(col(TthcFile.code).startswith(wanted.code, autoescape=True))
    if wanted.urgency is Urgency.LATE:
        query = query.where(window.late())
    elif wanted.urgency is Urgency.AT_RISK:
        query = query.where(window.risky())
    else:
        query = query.where(window.either())
    if wanted.letter is LetterState.NONE:
        query = query.where(letter.id.is_(None))
    elif wanted.letter is LetterState.TIMELY:
        query = query.where(letter.id.is_not(None), timely)
    elif wanted.letter is LetterState.LATE:
        query = query.where(letter.id.is_not(None), ~timely)
    return query


def _with_letter(query: sa.Select[*tuple[Any, ...]], letter: Any) -> sa.Select[*tuple[Any, ...]]:
    return query.outerjoin(letter, sa.and_(letter.file_id == col(TthcFile.id),
                                           letter.state == ApologyState.APPROVED))  # fmt: skip


def late_files(
    session: Session, cal: WorkCalendar, today: date, wanted: Wanted = Wanted(), *,
    warn_days: int, offset: int = 0, limit: int = 50,
) -> list[LateFile]:  # fmt: skip
    """The open files ``wanted`` as of ``today`` (a day in Vietnam), the longest late
    first (by appointment, then id), ``limit`` of them from ``offset``: one query."""
    window = _Window(cal, today, warn_days)
    letter, timely = _letters_joined(session, cal)
    pending = sa.exists().where(col(Apology.file_id) == col(TthcFile.id),
                                col(Apology.state) == ApologyState.PENDING)  # fmt: skip
    query = sa.select(
        col(TthcFile.id), col(TthcFile.code), col(TthcFile.procedure), col(Agency.name),
        col(Agency.code), col(TthcFile.applicant_name), col(TthcFile.received_at),
        col(TthcFile.original_due_on), col(TthcFile.due_on), letter.id, letter.number,
        letter.approved_at, timely, pending,
    ).select_from(TthcFile).join(Agency, col(TthcFile.agency_id) == col(Agency.id))  # fmt: skip
    query = _where(_with_letter(query, letter), window, wanted, letter, timely)
    query = query.order_by(col(TthcFile.due_on), col(TthcFile.id)).offset(offset).limit(limit)
    listed = []
    for (ident, code, procedure, agency, agency_code, applicant, received_at, original, due,
         letter_id, number, approved_at, in_time, waiting) in session.execute(query):  # fmt: skip
        state = (LetterState.NONE if letter_id is None
                 else LetterState.TIMELY if in_time else LetterState.LATE)  # fmt: skip
        listed.append(LateFile(
            ident, code, procedure, agency, agency_code, applicant, cal.local(received_at).date(),
            original, due, window.late_days(due), state, letter_id, number,
            cal.local(approved_at).date() if approved_at else None, bool(waiting),
        ))  # fmt: skip
    return listed


def count_late_files(
    session: Session, cal: WorkCalendar, today: date, wanted: Wanted = Wanted(), *,
    warn_days: int,
) -> int:  # fmt: skip
    """How many files :func:`late_files` lists with the same filters: one count, joining
    the letters only when their state is asked (else the files' index answers alone)."""
    window = _Window(cal, today, warn_days)
    letter, timely = _letters_joined(session, cal)
    query = sa.select(sa.func.count()).select_from(TthcFile)
    if wanted.letter is not None:
        query = _with_letter(query, letter)
    return int(session.execute(_where(query, window, wanted, letter, timely)).scalar_one())


def late_by_agency(
    session: Session, cal: WorkCalendar, today: date, *, warn_days: int,
    agency_id: int | None = None,
) -> list[AgencyFiles]:  # fmt: skip
    """Per agency with any (one agency's when ``agency_id``), its late files, its files at
    risk and its late files without an approved letter, the agencies with the most late
    files first: two aggregate queries, one over the files (by agency id), one over the
    approved letters of late files (fewer rows than the files: the late ones without a
    letter are the late ones less those)."""
    window = _Window(cal, today, warn_days)
    agency = col(TthcFile.agency_id)
    counts = sa.select(agency, count_if(window.late()), count_if(window.risky()))
    counts = _where(counts.select_from(TthcFile), window, Wanted(agency_id), None, None)
    lettered_query = (
        sa.select(agency, sa.func.count(sa.distinct(col(TthcFile.id))))
        .select_from(Apology).join(TthcFile, col(Apology.file_id) == col(TthcFile.id))
        .where(col(Apology.state) == ApologyState.APPROVED, col(TthcFile.status) == FileStatus.OPEN,
               window.late())
    )  # fmt: skip
    if agency_id is not None:
        lettered_query = lettered_query.where(agency == agency_id)
    lettered: dict[int, int] = {
        ident: n for ident, n in session.execute(lettered_query.group_by(agency))
    }
    found = session.execute(counts.group_by(agency)).all()
    names = {a.id: a for a in session.exec(
        select(Agency).where(col(Agency.id).in_([row[0] for row in found]))).all()}  # fmt: skip
    rows = [AgencyFiles(names[ident].name, names[ident].code, late, risky,
                        late - lettered.get(ident, 0)) for ident, late, risky in found]  # fmt: skip
    return sorted(rows, key=lambda a: (-a.late, -a.at_risk, vietnamese_key(a.agency)))


def issued_letters(
    session: Session, cal: WorkCalendar, *, agency_id: int | None = None,
    since: date | None = None, code: str = "", offset: int = 0, limit: int = 50,
) -> list[IssuedLetter]:  # fmt: skip
    """The approved letters (of one agency when ``agency_id``: the one that owes them;
    approved on ``since`` or after, a day in Vietnam, when given; for the files whose code
    is or begins with ``code``, when given), the newest first, ``limit`` of them from
    ``offset``."""
    dialect = session.get_bind().dialect
    timely = local_day(dialect, col(Apology.approved_at), cal.tz) < col(Apology.original_due_on)
    query = _letters_where(sa.select(
        col(Apology.id), col(Apology.number), col(Apology.approved_at), col(Agency.name),
        col(TthcFile.code), col(TthcFile.procedure), col(TthcFile.applicant_name),
        col(Apology.original_due_on), col(Apology.new_due_on), col(Apology.reason), timely,
    ).join(TthcFile, col(Apology.file_id) == col(TthcFile.id)), cal, agency_id, since, code)  # fmt: skip
    query = query.order_by(col(Apology.approved_at).desc(), col(Apology.id).desc())
    return [IssuedLetter(ident, number or "", cal.local(at).date(), agency, code, procedure,
                         applicant, original, new, reason, bool(in_time))
            for ident, number, at, agency, code, procedure, applicant, original, new, reason, in_time
            in session.execute(query.offset(offset).limit(limit))]  # fmt: skip


def count_issued_letters(
    session: Session, cal: WorkCalendar, *, agency_id: int | None = None,
    since: date | None = None, code: str = "",
) -> int:  # fmt: skip
    """How many letters :func:`issued_letters` lists with the same filters."""
    query = sa.select(sa.func.count()).select_from(Apology)
    return int(session.execute(_letters_where(query, cal, agency_id, since, code)).scalar_one())


def _letters_where(
    query: sa.Select[*tuple[Any, ...]], cal: WorkCalendar, agency_id: int | None,
    since: date | None, code: str = "",
) -> sa.Select[*tuple[Any, ...]]:  # fmt: skip
    query = query.join(Agency, col(Apology.agency_id) == col(Agency.id))
    query = query.where(col(Apology.state) == ApologyState.APPROVED)
    if agency_id is not None:
        query = query.where(col(Apology.agency_id) == agency_id)
    if since is not None:
        query = query.where(
            col(Apology.approved_at) >= datetime.combine(since, datetime.min.time(), cal.tz)
        )
    if code:
        files = sa.select(col(TthcFile.id)).where(
            col(TthcFile.code).startswith(code, autoescape=True)
        )
        query = query.where(col(Apology.file_id).in_(files))
    return query
