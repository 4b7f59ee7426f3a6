"""Apology letters of a period, for publication, and each agency's record on late files.

Per agency, over the files whose (first) appointment fell in the period: files, on time,
late, late with a timely letter (approved before the appointment), letters after the
fact, and late files with no letter at all. Applicants' names are shortened on the
published page ("Phạm T. D.").
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from bot.domain.calendar import WorkCalendar
from bot.models import Agency, Apology, ApologyState, FileStatus, TthcFile
from bot.render import environment, short_date


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
    rows = session.exec(
        select(TthcFile, Agency)
        .join(Agency, col(TthcFile.agency_id) == col(Agency.id))
        .where(col(TthcFile.original_due_on) >= start, col(TthcFile.original_due_on) <= end)
    ).all()
    letters: dict[int | None, Apology] = {
        a.file_id: a
        for a in session.exec(
            select(Apology).where(
                Apology.state == ApologyState.APPROVED,
                col(Apology.file_id).in_([f.id for f, _ in rows]),
            )
        )
    }
    by_agency: dict[str, AgencyRecord] = {}
    for file, agency in rows:
        record = by_agency.setdefault(agency.name, AgencyRecord(agency.name))
        record.files += 1
        returned = cal.local(file.returned_at).date() if file.returned_at else None
        if file.status == FileStatus.CLOSED:
            continue
        if returned is not None and returned <= file.original_due_on:
            record.on_time += 1
            continue
        if returned is None and today <= file.original_due_on:
            record.pending += 1
            continue
        record.late += 1
        letter = letters.get(file.id)
        if letter is None or letter.approved_at is None:
            record.no_letter += 1
        elif cal.local(letter.approved_at).date() < file.original_due_on:
            record.timely_letter += 1
        else:
            record.late_letter += 1
    return sorted(by_agency.values(), key=lambda r: r.agency)


def letters(session: Session, start: date, end: date, cal: WorkCalendar) -> list[dict[str, Any]]:
    rows = session.exec(
        select(Apology, TthcFile, Agency)
        .join(TthcFile, col(Apology.file_id) == col(TthcFile.id))
        .join(Agency, col(Apology.agency_id) == col(Agency.id))
        .where(Apology.state == ApologyState.APPROVED)
        .order_by(col(Apology.approved_at))
    ).all()
    out = []
    for letter, file, agency in rows:
        assert letter.approved_at is not None
        day = cal.local(letter.approved_at).date()
        if not start <= day <= end:
            continue
        out.append({
            "number": letter.number, "date": day, "agency": agency.name, "file_code": file.code,
            "procedure": file.procedure, "applicant": shorten(file.applicant_name),
            "original_due": letter.original_due_on, "new_due": letter.new_due_on, "reason": letter.reason,
            "timely": day < letter.original_due_on,
        })  # fmt: skip
    return out


def shorten(name: str) -> str:
    """ "Phạm Thu Dung" → "Phạm T. D."; organisations are kept whole."""
    words = name.split()
    if not words or name.lower().startswith(("công ty", "hợp tác xã", "doanh nghiệp", "chi nhánh")):
        return name
    return " ".join([words[0], *(f"{w[0]}." for w in words[1:])])


def to_csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["Số văn bản", "Ngày", "Cơ quan", "Mã hồ sơ", "Thủ tục", "Người nộp",
                     "Ngày hẹn trả", "Ngày hẹn mới", "Lý do", "Xin lỗi trước hạn"])  # fmt: skip
    for r in rows:
        writer.writerow([r["number"], short_date(r["date"]), r["agency"], r["file_code"], r["procedure"],
                         r["applicant"], short_date(r["original_due"]), short_date(r["new_due"]), r["reason"],
                         "có" if r["timely"] else "không"])  # fmt: skip
    return "\ufeff" + buffer.getvalue()  # a BOM, so that Excel reads the diacritics


def to_html(rows: list[dict[str, Any]], stats: list[AgencyRecord], start: date, end: date) -> str:
    template = environment().get_template("apologies_page.html.j2")
    return template.render(letters=rows, stats=[{**asdict(s), "rate": s.on_time_rate} for s in stats],
                           start=start, end=end)  # fmt: skip
