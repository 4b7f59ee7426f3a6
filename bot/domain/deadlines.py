"""Read a plan's deadline cell (Tiến độ) the way an officer would.

The parser is a pure function of the cell text, the plan's year (for cells that name
none) and, optionally, the task's result cell (which sometimes carries milestones:
"Đến 31/12/2022: Hoàn thành 90%; Đến 31/01/2023: Hoàn thành 100%").

It never guesses: a phrase that names no date ("Theo kế hoạch", "Theo quy định") is
``Unspecified`` with a reason the admin can read, and it never raises.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from bot.domain.text import clean, fold, fold_aligned


class Period(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    HALF_YEARLY = "half_yearly"
    YEARLY = "yearly"


PERIOD_LABELS = {
    Period.MONTHLY: "hằng tháng",
    Period.QUARTERLY: "hằng quý",
    Period.HALF_YEARLY: "6 tháng một lần",
    Period.YEARLY: "hằng năm",
}


@dataclass(frozen=True)
class DueDate:
    on: date

    kind = "date"

    def describe(self) -> str:
        return f"Hạn {self.on:%d/%m/%Y}"


@dataclass(frozen=True)
class Recurring:
    """A task done again each period; its check-in is a periodic report.

    ``ongoing`` marks "Thường xuyên" (no period of its own: the report period is the
    default one). ``day_month`` anchors a yearly task to a day ("trước 15/12 hằng năm").
    ``since`` is the first year, when the plan gives one.
    """

    period: Period
    ongoing: bool = False
    day_month: tuple[int, int] | None = None
    since: int | None = None

    kind = "recurring"

    def describe(self) -> str:
        label = PERIOD_LABELS[self.period]
        if self.ongoing:
            return f"Thường xuyên (báo cáo {label})"
        if self.day_month:
            day, month = self.day_month
            return f"Trước {day:02d}/{month:02d} {label}"
        return label[0].upper() + label[1:]


@dataclass(frozen=True)
class Milestone:
    on: date
    note: str


@dataclass(frozen=True)
class Milestones:
    items: tuple[Milestone, ...]

    kind = "milestones"

    def describe(self) -> str:
        return "Các mốc: " + "; ".join(f"{m.on:%d/%m/%Y}" for m in self.items)


@dataclass(frozen=True)
class Unspecified:
    """No date to remind by. ``invalid`` marks a date that was written but cannot exist."""

    reason: str
    invalid: bool = False

    kind = "unspecified"

    def describe(self) -> str:
        return f"Chưa xác định ngày ({self.reason})"


Deadline = DueDate | Recurring | Milestones | Unspecified


def final_date(deadline: Deadline) -> date | None:
    """The date by which everything in the deadline is due, if there is one."""
    if isinstance(deadline, DueDate):
        return deadline.on
    if isinstance(deadline, Milestones):
        return deadline.items[-1].on
    return None


# --- patterns, all on folded text (no diacritics, lower case, single spaces) -------------

_FULL_DATE = re.compile(r"(?<!\d)(\d{1,2}) ?[/.-] ?(\d{1,2}) ?[/.-] ?(\d{4})(?!\d)")
_WORDY_DATE = re.compile(r"ngay (\d{1,2}) thang (\d{1,2}) nam (\d{4})")
_DAY_MONTH = re.compile(r"(?<![\d/])(\d{1,2}) ?/ ?(\d{1,2})(?![\d/])")
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_QUARTER = re.compile(r"quy ?(iv|iii|ii|i|[1-4])\b(?: ?(?:/|-|nam) ?(\d{4}))?")
_HALF = re.compile(r"6 thang (dau|cuoi) nam(?: ?(\d{4}))?")
_MONTH = re.compile(r"thang ?(\d{1,2})(?: ?(?:/|-|nam) ?(\d{4}))?(?!\d)")
_YEAR_RANGE = re.compile(r"(?<!\d)(\d{4}) ?(?:-|–|den) ?(\d{4})(?!\d)")
_YEAR = re.compile(r"(?<![\d/])(\d{4})(?![\d/])")
_MILESTONE = re.compile(r"(?:den|truoc)(?:\s+ngay)?\s+(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d{4})\s*:?")

_RECURRENCES: tuple[tuple[re.Pattern[str], Period, bool], ...] = (
    (re.compile(r"thuong xuyen|lien tuc"), Period.QUARTERLY, True),
    (re.compile(r"(?:hang|moi) thang"), Period.MONTHLY, False),
    (re.compile(r"(?:hang|moi) quy|dinh ky (?:hang )?quy"), Period.QUARTERLY, False),
    (
        re.compile(r"dinh ky 6 thang|6 thang (?:mot|1) lan|(?:hang|moi) 6 thang"),
        Period.HALF_YEARLY,
        False,
    ),
    (re.compile(r"(?:hang|moi) nam|dinh ky (?:hang )?nam"), Period.YEARLY, False),
    # Plan 336 asks for reports "cùng kỳ với báo cáo quý": a periodic report is quarterly.
    (re.compile(r"bao cao dinh ky|che do bao cao|\bdinh ky\b"), Period.QUARTERLY, False),
)

_VAGUE = re.compile(r"^(?:theo|khi|tuy|sau khi|ngay khi|kip thoi)\b")
_WITHIN_YEAR = re.compile(r"\b(?:trong|ca|suot) nam\b")
_NO_YEAR = "ô không ghi năm và kế hoạch không có năm"


def parse_deadline(text: str, *, plan_year: int | None = None, result: str = "") -> Deadline:
    """Parse a deadline cell. ``plan_year`` fills in cells like "Trong năm" or "Quý II"."""
    folded = fold(text).strip(" .;,:")
    milestones = _milestones(result) or _milestones(text)
    if milestones is not None and (len(milestones.items) > 1 or not folded):
        return milestones
    if not folded:
        return Unspecified("ô tiến độ để trống")
    try:
        return _parse(folded, plan_year, clean(text).strip(" .;,:"))
    except ValueError as exc:  # a date that does not exist, like 31/02/2024
        return Unspecified(f"ngày không có thật: {exc}", invalid=True)


def _parse(t: str, plan_year: int | None, original: str) -> Deadline:
    full = [_date(d, m, y) for d, m, y in _FULL_DATE.findall(t) + _WORDY_DATE.findall(t)]
    recurrence = next(((p, ongoing) for rx, p, ongoing in _RECURRENCES if rx.search(t)), None)
    if full and recurrence is None:
        return DueDate(max(full))

    if recurrence is not None:
        period, ongoing = recurrence
        anchor = _DAY_MONTH.search(t) if period is Period.YEARLY else None
        day_month = (int(anchor.group(1)), int(anchor.group(2))) if anchor else None
        if day_month is not None:
            _date(str(day_month[0]), str(day_month[1]), "2024")  # validate: 2024 is a leap year
        return Recurring(period, ongoing=ongoing, day_month=day_month, since=plan_year)

    if m := _QUARTER.search(t):
        year = _year(m.group(2), plan_year)
        if year is None:
            return Unspecified(_NO_YEAR)
        quarter = _ROMAN.get(m.group(1)) or int(m.group(1))
        return DueDate(_month_end(year, quarter * 3))

    if m := _HALF.search(t):
        year = _year(m.group(2), plan_year)
        if year is None:
            return Unspecified(_NO_YEAR)
        return DueDate(_month_end(year, 6 if m.group(1) == "dau" else 12))

    if m := _MONTH.search(t):
        year = _year(m.group(2), plan_year)
        month = int(m.group(1))
        if not 1 <= month <= 12:
            return Unspecified(f"không có tháng {month}", invalid=True)
        if year is None:
            return Unspecified(_NO_YEAR)
        return DueDate(_month_end(year, month))

    if m := _YEAR_RANGE.search(t):
        return DueDate(date(int(m.group(2)), 12, 31))

    if m := _YEAR.search(t):
        return DueDate(date(int(m.group(1)), 12, 31))

    if (m := _DAY_MONTH.search(t)) and re.search(r"\b(?:truoc|den|han)\b", t):
        if plan_year is None:
            return Unspecified(_NO_YEAR)
        return DueDate(_date(m.group(1), m.group(2), str(plan_year)))

    if _WITHIN_YEAR.search(t) or t in {"nam", "trong nam"}:
        if plan_year is None:
            return Unspecified(_NO_YEAR)
        return DueDate(date(plan_year, 12, 31))

    if _VAGUE.search(t):
        return Unspecified(f"không nêu ngày cụ thể: “{original}”")
    return Unspecified(f"không đọc được thời hạn: “{original}”")


def _milestones(text: str) -> Milestones | None:
    original = unicodedata.normalize("NFC", text)
    found = list(_MILESTONE.finditer(fold_aligned(original)))
    if not found:
        return None
    items = []
    for i, m in enumerate(found):
        end = found[i + 1].start() if i + 1 < len(found) else len(original)
        note = clean(original[m.end() : end]).strip(" -;,.")
        try:
            items.append(Milestone(_date(*m.groups()), note))
        except ValueError:
            return None
    return Milestones(tuple(sorted(items, key=lambda item: item.on)))


def _date(day: str, month: str, year: str) -> date:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        raise ValueError(f"{day}/{month}/{year}") from None


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _year(text: str | None, plan_year: int | None) -> int | None:
    return int(text) if text else plan_year


# --- storage: a deadline as plain JSON-able values, and back -------------------------------


def to_record(deadline: Deadline) -> dict[str, Any]:
    if isinstance(deadline, DueDate):
        return {"on": deadline.on.isoformat()}
    if isinstance(deadline, Recurring):
        return {
            "period": deadline.period.value,
            "ongoing": deadline.ongoing,
            "day_month": list(deadline.day_month) if deadline.day_month else None,
            "since": deadline.since,
        }
    if isinstance(deadline, Milestones):
        return {"items": [{"on": m.on.isoformat(), "note": m.note} for m in deadline.items]}
    return {"reason": deadline.reason, "invalid": deadline.invalid}


def from_record(kind: str, record: dict[str, Any]) -> Deadline:
    if kind == DueDate.kind:
        return DueDate(date.fromisoformat(record["on"]))
    if kind == Recurring.kind:
        day_month = record.get("day_month")
        return Recurring(
            Period(record["period"]),
            ongoing=bool(record.get("ongoing")),
            day_month=(int(day_month[0]), int(day_month[1])) if day_month else None,
            since=record.get("since"),
        )
    if kind == Milestones.kind:
        return Milestones(
            tuple(Milestone(date.fromisoformat(i["on"]), i["note"]) for i in record["items"])
        )
    return Unspecified(record.get("reason", ""), invalid=bool(record.get("invalid")))
