"""The periodic report of a plan (báo cáo quý, 6 tháng, năm): every task, each agency's
part, status, evidence and dates, with totals — as XLSX to attach to an official report,
or HTML.

Status of a part at the end of the period: done on time (closed on or before its due
date), done late, overdue (open past its due date), open (not yet due), no date.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from bot.domain.calendar import WorkCalendar
from bot.domain.collation import vietnamese_key
from bot.models import Agency, Assignment, Plan, Role, Status, StatusUpdate, Task, shown_key
from bot.render import environment

OUTCOMES = {
    "on_time": "Hoàn thành đúng hạn",
    "late": "Hoàn thành trễ hạn",
    "overdue": "Quá hạn, chưa hoàn thành",
    "open": "Đang thực hiện",
    "recurring": "Thường xuyên, báo cáo định kỳ",
    "no_date": "Chưa xác định thời hạn",
    "cancelled": "Đã hủy",
    "moved": Status.MOVED.label,
}
_PERIOD = re.compile(r"^(\d{4})(?:-(Q[1-4]|H[12]|\d{2}))?$", re.IGNORECASE)


def period_bounds(text: str) -> tuple[date, date]:
    """ "2024-Q4" → 1/10–31/12/2024; also "2024-H1", "2024-11", "2024"."""
    m = _PERIOD.match(text.strip())
    if not m:
        raise ValueError(
            f"kỳ báo cáo “{text}” không hợp lệ: dùng 2024-Q4, 2024-H1, 2024-11 hoặc 2024"
        )
    year, part = int(m.group(1)), (m.group(2) or "").upper()
    if not part:
        return date(year, 1, 1), date(year, 12, 31)
    if part.startswith("Q"):
        first = (int(part[1]) - 1) * 3 + 1
        months = 3
    elif part.startswith("H"):
        first, months = (1 if part == "H1" else 7), 6
    else:
        first, months = int(part), 1
        if not 1 <= first <= 12:
            raise ValueError(f"kỳ báo cáo “{text}”: không có tháng {first}")
    last_month = first + months - 1
    end = date(year + (last_month == 12), last_month % 12 + 1, 1)
    return date(year, first, 1), date.fromordinal(end.toordinal() - 1)


@dataclass
class Line:
    task_key: str
    task: str
    agency: str
    role: str
    due: date | None
    done: date | None
    progress: int
    outcome: str
    evidence: str


@dataclass
class PlanReport:
    plan: str
    title: str
    issued: date | None
    start: date
    end: date
    lines: list[Line] = field(default_factory=list)

    @property
    def totals(self) -> dict[str, int]:
        counts = Counter(line.outcome for line in self.lines if line.role == Role.LEAD)
        return {key: counts.get(key, 0) for key in OUTCOMES}

    def by_agency(self) -> list[tuple[str, dict[str, int]]]:
        table: dict[str, Counter[str]] = {}
        for line in self.lines:
            if line.role == Role.LEAD:
                table.setdefault(line.agency, Counter())[line.outcome] += 1
        ordered = sorted(table.items(), key=lambda item: vietnamese_key(item[0]))
        return [(name, {k: c.get(k, 0) for k in OUTCOMES}) for name, c in ordered]


def build(session: Session, plan: Plan, start: date, end: date, cal: WorkCalendar) -> PlanReport:
    report = PlanReport(plan.number, plan.title, plan.issued_on, start, end)
    rows = session.exec(
        select(Assignment, Task, Agency)
        .join(Task, col(Assignment.task_id) == col(Task.id))
        .join(Agency, col(Assignment.agency_id) == col(Agency.id))
        .where(Task.plan_id == plan.id)
        .order_by(col(Task.position), col(Assignment.role).desc(), col(Agency.name))
    ).all()
    done_at: dict[int, datetime] = {}
    notes: dict[int, list[str]] = {}
    for update in session.exec(
        select(StatusUpdate).where(
            col(StatusUpdate.assignment_id).in_(
                select(Assignment.id)
                .join(Task, col(Assignment.task_id) == col(Task.id))
                .where(Task.plan_id == plan.id)
            )
        )  # a subquery: a plan's parts may be many
    ):
        if update.field == "status" and update.new == Status.DONE:
            done_at[update.assignment_id] = update.at
        if update.note and "Minh chứng" in update.note:
            notes.setdefault(update.assignment_id, []).append(update.note)
    for part, task, agency in rows:
        assert part.id is not None
        finished = done_at.get(part.id)
        done_day = cal.local(finished).date() if finished and finished.date() <= end else None
        report.lines.append(
            Line(
                shown_key(task.key),
                task.text,
                agency.name,
                part.role,
                part.due_on,
                done_day,
                part.progress,
                _outcome(part, task, done_day, end),
                "; ".join(notes.get(part.id, [])),
            )
        )
    return report


def _outcome(part: Assignment, task: Task, done: date | None, end: date) -> str:
    if part.status in (Status.CANCELLED, Status.MOVED):
        return str(part.status)
    if done is not None:
        return "on_time" if part.due_on is None or done <= part.due_on else "late"
    if part.due_on is None:
        return "recurring" if task.deadline_kind == "recurring" else "no_date"
    return "overdue" if part.due_on < end else "open"


def to_xlsx(report: PlanReport) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Báo cáo"
    sheet.append([f"BÁO CÁO KẾT QUẢ THỰC HIỆN KẾ HOẠCH {report.plan}"])
    sheet.append([report.title])
    sheet.append([f"Kỳ báo cáo: {report.start:%d/%m/%Y} – {report.end:%d/%m/%Y}"])
    sheet.append([])
    header = ["Mục", "Nhiệm vụ", "Cơ quan", "Vai trò", "Thời hạn", "Ngày hoàn thành", "Tiến độ (%)",
              "Kết quả", "Minh chứng"]  # fmt: skip
    sheet.append(header)
    for cell in sheet[5]:
        cell.font = Font(bold=True)
    for line in report.lines:
        sheet.append([line.task_key, line.task, line.agency, Role(line.role).label, line.due, line.done,
                      100 if line.done else line.progress, OUTCOMES[line.outcome], line.evidence])  # fmt: skip
    sheet.append([])
    sheet.append(["Tổng hợp (phần việc chủ trì)"])
    for key, label in OUTCOMES.items():
        sheet.append([label, report.totals[key]])
    sheet.append(["Tổng cộng", sum(report.totals.values())])
    for letter, width in zip("ABCDEFGHI", (8, 60, 30, 10, 12, 14, 10, 24, 40), strict=True):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=6, max_col=9):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if cell.column in (5, 6) and cell.value:
                cell.number_format = "DD/MM/YYYY"
    summary = book.create_sheet("Theo cơ quan")
    summary.append(["Cơ quan", *OUTCOMES.values(), "Tổng"])
    for name, counts in report.by_agency():
        summary.append([name, *counts.values(), sum(counts.values())])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_html(report: PlanReport) -> str:
    template = environment().get_template("plan_report.html.j2")
    context: dict[str, Any] = {
        "r": report,
        "outcomes": OUTCOMES,
        "roles": {r.value: r.label for r in Role},
    }
    return template.render(**context)
