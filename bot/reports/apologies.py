"""Apology letters of a period, for publication, and each agency's record on late files.

Per agency, over the files whose (first) appointment fell in the period: files, on time,
late, late with a timely letter (approved before the appointment), letters after the
fact, and late files with no letter at all. Applicants' names are shortened on the
published page ("Phạm T. D.", :func:`bot.domain.applicants.public_name`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any, TextIO

import sqlalchemy as sa
from sqlmodel import Session, col

from bot.db import count_if, local_day
from bot.domain.applicants import public_name
from bot.domain.calendar import WorkCalendar
from bot.models import Agency, Apology, ApologyState, FileStatus, TthcFile
from bot.render import environment, short_date

_PAGE = 1000  # rows a streamed query holds at once


@dataclass
class AgencyRecord:
    agency: str
    files: int = 0
    on_time: int = 0
    late: int = 0
    timely_letter: int = 0
    late_letter: int = 0
    no_letter: int = 0
    pending: int = 0  # still open, appointment not passed

    @property
    def on_time_rate(self) -> float | None:
        decided = self.on_time + self.late
        return self.on_time / decided if decided else None


def records(
    session: Session, start: date, end: date, today: date, cal: WorkCalendar
) -> list[AgencyRecord]:
    """Each agency's record (by name, in name order) over the files whose first appointment
    (``original_due_on``) is in ``start``..``end``, as of ``today``: one aggregate query,
    a row per agency, whatever the number of files; none is read. An agency gone into
    one successor by ``today`` is counted under it (:func:`_under_successors`).

    Per file, days in Vietnam: withdrawn or refused (closed) counts only among the files;
    returned by its appointment, on time; open with the appointment not passed, pending;
    else late. A late file's letter (Nghị định 61/2018/NĐ-CP, Article 19: the letter is
    sent before the appointment passes) is timely when approved before the appointment
    day, after the fact when approved later; none approved, no letter."""
    rows = [
        AgencyRecord(*row)
        for row in session.execute(records_query(session, start, end, today, cal))
    ]
    return sorted(_under_successors(session, rows, today), key=lambda r: r.agency)


def _under_successors(
    session: Session, rows: list[AgencyRecord], today: date
) -> list[AgencyRecord]:
    """``rows`` with an agency gone into one successor by ``today`` (merged, renamed, or
    dissolved into one) counted under that successor: its files returned before the
    change stay its own in the database (the open ones moved), and a row of an agency
    that no longer exists beside its successor's would count one body's work twice over
    two names. An agency split between several keeps its row: no one successor is it."""
    from bot.services.agency_changes import former_agencies

    gone = former_agencies(session, today)
    names: dict[int, str] = dict(session.execute(sa.select(col(Agency.id), col(Agency.name))).all())
    heir = {names[agency_id]: f.successors[0][1] for agency_id, f in gone.items()
            if len(f.successors) == 1 and agency_id in names}  # fmt: skip
    folded: dict[str, AgencyRecord] = {}
    for row in rows:
        name, seen = row.agency, {row.agency}
        while name in heir and heir[name] not in seen:  # a chain: merged, then renamed
            name = heir[name]
            seen.add(name)
        into = folded.setdefault(name, AgencyRecord(name))
        for field, value in asdict(row).items():
            if field != "agency":
                setattr(into, field, getattr(into, field) + value)
    return list(folded.values())


def records_query(
    session: Session, start: date, end: date, today: date, cal: WorkCalendar
) -> sa.Select[*tuple[Any, ...]]:
    """:func:`records`' query: ``(agency name, files, on time, late, timely letter, letter
    after the fact, no letter, pending)`` per agency name, sums of conditions (no row read
    into Python, no list of ids sent)."""
    dialect = session.get_bind().dialect
    due = col(TthcFile.original_due_on)
    returned_at = col(TthcFile.returned_at)
    counted = col(TthcFile.status) != FileStatus.CLOSED
    on_time = counted & returned_at.is_not(None) & (local_day(dialect, returned_at, cal.tz) <= due)
    pending = counted & returned_at.is_(None) & (due >= today)
    late = counted & ~on_time & ~pending
    # Each file's first approved letter, by its day in Vietnam: one row per file lettered.
    first = (
        sa.select(col(Apology.file_id), sa.func.min(local_day(dialect, col(Apology.approved_at), cal.tz)).label("day"))
        .where(col(Apology.state) == ApologyState.APPROVED, col(Apology.approved_at).is_not(None))
        .group_by(col(Apology.file_id))
        .subquery()
    )  # fmt: skip
    timely, lettered = first.c.day < due, first.c.day.is_not(None)
    return (
        sa.select(col(Agency.name), sa.func.count(), count_if(on_time), count_if(late),
                  count_if(late & timely), count_if(late & lettered & ~timely),
                  count_if(late & ~lettered), count_if(pending))
        .select_from(TthcFile)
        .join(Agency, col(TthcFile.agency_id) == col(Agency.id))
        .outerjoin(first, first.c.file_id == col(TthcFile.id))
        .where(due >= start, due <= end)
        .group_by(col(Agency.name))
    )  # fmt: skip


def letters(
    session: Session, start: date, end: date, cal: WorkCalendar
) -> Iterator[dict[str, Any]]:
    """The letters approved from ``start`` to ``end`` (days in Vietnam), in the order they
    were approved, read in pages as they are consumed (a server-side cursor on
    PostgreSQL): a year of a province's letters is written out with flat memory. Each is
    ``{number, date, agency, file_code, procedure, applicant (shortened), original_due,
    new_due, reason, timely}``; ``timely``: approved before the appointment day
    (Nghị định 61/2018/NĐ-CP, Article 19)."""
    rows = session.execute(
        _letters_query(start, end, cal).execution_options(stream_results=True, yield_per=_PAGE)
    )
    for number, approved_at, agency, code, procedure, applicant, original, new, reason in rows:
        day = cal.local(approved_at).date()
        yield {"number": number, "date": day, "agency": agency, "file_code": code, "procedure": procedure,
               "applicant": public_name(applicant), "original_due": original, "new_due": new, "reason": reason,
               "timely": day < original}  # fmt: skip


def _letters_query(start: date, end: date, cal: WorkCalendar) -> sa.Select[*tuple[Any, ...]]:
    first = datetime.combine(start, datetime.min.time(), cal.tz)
    after = datetime.combine(end + timedelta(days=1), datetime.min.time(), cal.tz)
    return (
        sa.select(col(Apology.number), col(Apology.approved_at), col(Agency.name), col(TthcFile.code),
                  col(TthcFile.procedure), col(TthcFile.applicant_name), col(Apology.original_due_on),
                  col(Apology.new_due_on), col(Apology.reason))
        .join(TthcFile, col(Apology.file_id) == col(TthcFile.id))
        .join(Agency, col(Apology.agency_id) == col(Agency.id))
        .where(col(Apology.state) == ApologyState.APPROVED, col(Apology.approved_at) >= first,
               col(Apology.approved_at) < after)
        .order_by(col(Apology.approved_at), col(Apology.id))
    )  # fmt: skip


_CSV_HEADER = ["Số văn bản", "Ngày", "Cơ quan", "Mã hồ sơ", "Thủ tục", "Người nộp", "Ngày hẹn trả",
               "Ngày hẹn mới", "Lý do", "Xin lỗi trước hạn"]  # fmt: skip


def to_csv(rows: Iterable[dict[str, Any]]) -> str:
    """:func:`write_letters_csv` into a string."""
    buffer = io.StringIO()
    write_letters_csv(rows, buffer)
    return buffer.getvalue()


def write_letters_csv(rows: Iterable[dict[str, Any]], out: TextIO) -> int:
    """The letters as CSV into ``out``, a row at a time, after a BOM (so that Excel reads
    the diacritics); how many were written."""
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(_CSV_HEADER)
    written = 0
    for r in rows:
        writer.writerow([r["number"], short_date(r["date"]), r["agency"], r["file_code"], r["procedure"],
                         r["applicant"], short_date(r["original_due"]), short_date(r["new_due"]), r["reason"],
                         "có" if r["timely"] else "không"])  # fmt: skip
        written += 1
    return written


def to_html(rows: list[dict[str, Any]], stats: list[AgencyRecord], start: date, end: date) -> str:
    """:func:`write_letters_page` into a string."""
    buffer = io.StringIO()
    write_letters_page(rows, len(rows), stats, start, end, buffer)
    return buffer.getvalue()


def write_letters_page(
    rows: Iterable[dict[str, Any]], count: int, stats: list[AgencyRecord], start: date, end: date,
    out: TextIO,
) -> None:  # fmt: skip
    """The page to publish (``count`` letters, then the agencies' records) into ``out``, as
    the template renders it: the letters are read as the page is written."""
    template = environment().get_template("apologies_page.html.j2")
    for piece in template.generate(letters=rows, count=count, start=start, end=end,
                                   stats=[{**asdict(s), "rate": s.on_time_rate} for s in stats]):  # fmt: skip
        out.write(piece)
