"""Read a plan's deadline cell (Tiến độ) the way an officer would.

:func:`parse_deadline` is a pure function of the cell text, the plan's year and date
(for cells that name no year, or count from the day the plan was signed) and the task's
result cell (which sometimes carries milestones: "Đến 31/12/2022: Hoàn thành 90%; Đến
31/01/2023: Hoàn thành 100%"). The words are read by the grammar in
:mod:`bot.domain.time_phrases`; this module decides what a reading means:

- a range or a list is due at the end of the last period named ("Quý I, II/2027" →
  30/06/2027); a year written once at the end belongs to every member;
- "trước" a day is that day; "trước" a longer period is the end of the period before
  it ("Trước năm 2028" → 31/12/2027); "chậm nhất / không quá / đến hết" a period is
  its end;
- qualifiers narrow the window (:data:`QUALIFIER_WINDOWS`): "đầu tháng" is by the 10th,
  "giữa năm" by 30/6, "cuối quý III" by 30/9; one with no clear window is unspecified;
- a start without an end ("Từ quý III/2028") is an ongoing task reported each quarter
  from that start, never a due date on the start;
- "10 ngày kể từ ngày ký" counts from the plan's date, in calendar days unless the text
  says "ngày làm việc";
- "Năm học 2027-2028" ends on the school year's last day (31/5 by default);
- "Trước ngày 25 hằng tháng" is due on that day of each period;
- "Đã xong" in the deadline column means the part is already done.

It never guesses and never raises: anything the grammar does not fully consume, or a
cell that names no date ("Theo kế hoạch"), is ``Unspecified`` with a reason the admin
can read; a date that cannot exist (31/02, year 9999) is ``Unspecified`` and ``invalid``.
Every result explains itself: :meth:`describe` says the date and why.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any, Protocol

from bot.domain import time_phrases as tp
from bot.domain.labelled import Labelled
from bot.domain.text import clean, fold_aligned


class Period(Labelled):
    MONTHLY = "monthly", "hằng tháng"
    QUARTERLY = "quarterly", "hằng quý"
    HALF_YEARLY = "half_yearly", "6 tháng một lần"
    YEARLY = "yearly", "hằng năm"


PERIOD_MONTHS = {Period.MONTHLY: 1, Period.QUARTERLY: 3, Period.HALF_YEARLY: 6, Period.YEARLY: 12}

MAX_CELL = 500  # characters: a longer "Tiến độ" cell is prose, not a deadline
# The years a deadline may fall in: a date outside them is a typing error ("31/12/9999").
YEARS = range(2000, 2101)
# (month, day): the last day of a school year ("Năm học 2027-2028"); a setting
SCHOOL_YEAR_END = (5, 31)

#: How each qualifier narrows a month, a quarter or a year: the last day of the window,
#: as (month of the period, 1-based; day, or 0 for the month's last day). A qualifier not
#: listed for a unit has no clear window and makes the deadline unspecified.
QUALIFIER_WINDOWS: dict[str, dict[str, tuple[int, int]]] = {
    "month": {"dau": (1, 10), "giua": (1, 20), "cuoi": (1, 0), "nua dau": (1, 15),
              "nua cuoi": (1, 0), "tuan dau": (1, 7), "tuan cuoi": (1, 0), "tuan 1": (1, 7),
              "tuan 2": (1, 14), "tuan 3": (1, 21), "tuan 4": (1, 28)},
    "quarter": {"dau": (1, 0), "giua": (2, 0), "cuoi": (3, 0), "nua cuoi": (3, 0),
                "tuan dau": (1, 7), "tuan cuoi": (3, 0)},
    "year": {"dau": (3, 0), "giua": (6, 0), "cuoi": (12, 0), "nua dau": (6, 0),
             "nua cuoi": (12, 0), "tuan dau": (1, 7), "tuan cuoi": (12, 0)},
}  # fmt: skip
_QUALIFIER_LABELS = {"dau": "đầu", "giua": "giữa", "cuoi": "cuối", "nua dau": "nửa đầu",
                     "nua cuoi": "nửa cuối", "tuan dau": "tuần đầu", "tuan cuoi": "tuần cuối"}  # fmt: skip


@dataclass(frozen=True)
class DueDate:
    """One date by which the part is due (a calendar date, Asia/Ho_Chi_Minh)."""

    on: date
    reading: str = field(default="", compare=False)  # why this date, in Vietnamese

    kind = "date"

    def describe(self) -> str:
        return f"Hạn {self.on:%d/%m/%Y}" + (f" — {self.reading}" if self.reading else "")


@dataclass(frozen=True)
class Recurring:
    """A task done again each period; its check-in is a periodic report.

    ``ongoing`` marks "Thường xuyên" (no period of its own: the report period is the
    default one). ``anchor`` is the due day in each period as (months after the
    period's first month, day of that month): "trước 15/12 hằng năm" is (11, 15),
    "trước ngày 10 tháng cuối quý" is (2, 10); without one, a period is due on its last
    day. No period ending before ``starts_on`` or starting after ``ends_on`` is asked for.
    """

    period: Period
    ongoing: bool = False
    anchor: tuple[int, int] | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    reading: str = field(default="", compare=False)

    kind = "recurring"

    def describe(self) -> str:
        label = self.period.label
        if self.ongoing:
            text = f"Thường xuyên (báo cáo {label})"
        elif self.anchor:
            text = f"{label[0].upper()}{label[1:]}, hạn {_anchor_label(self.period, self.anchor)}"
        else:
            text = label[0].upper() + label[1:]
        if self.starts_on and self.starts_on.timetuple().tm_yday > 1:
            text += f", từ {self.starts_on:%d/%m/%Y}"
        if self.ends_on:
            text += f", đến {self.ends_on:%d/%m/%Y}"
        return text + (f" — {self.reading}" if self.reading else "")


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
class Done:
    """The deadline column says the work is already done ("Đã thực hiện xong")."""

    words: str

    kind = "done"

    def describe(self) -> str:
        return f"Đã xong theo kế hoạch: “{self.words}”"


@dataclass(frozen=True)
class Unspecified:
    """No date to remind by. ``invalid`` marks a date that was written but cannot exist."""

    reason: str
    invalid: bool = False

    kind = "unspecified"

    def describe(self) -> str:
        return f"Chưa xác định ngày ({self.reason})"


Deadline = DueDate | Recurring | Milestones | Done | Unspecified


class WorkingDays(Protocol):
    """The part of the working-day calendar that counts "N ngày làm việc"."""

    def add_working_days(self, day: date, n: int) -> date: ...


def final_date(deadline: Deadline) -> date | None:
    """The date by which everything in the deadline is due, if there is one."""
    if isinstance(deadline, DueDate):
        return deadline.on
    if isinstance(deadline, Milestones):
        return deadline.items[-1].on
    return None


_NOTE_LABEL = re.compile(r"^\s*(?:ghi chú|lưu ý|chú thích)\s*:\s*", re.IGNORECASE)
_MILESTONE = re.compile(r"(?:den|truoc)(?:\s+ngay)?\s+(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d{4})\s*:?")
_NO_YEAR = "ô không ghi năm và kế hoạch không có năm"


class _Unclear(Exception):
    """The words were read but give no date; ``invalid`` when the date cannot exist."""

    def __init__(self, reason: str, *, invalid: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.invalid = invalid


@dataclass(frozen=True)
class _Context:
    plan_year: int | None
    plan_date: date | None
    school_year_end: tuple[int, int]
    cal: WorkingDays | None


def parse_deadline(
    text: str,
    *,
    plan_year: int | None = None,
    plan_date: date | None = None,
    result: str = "",
    school_year_end: tuple[int, int] = SCHOOL_YEAR_END,
    cal: WorkingDays | None = None,
) -> Deadline:
    """Read a deadline cell into a :data:`Deadline`; never raises.

    ``plan_year`` fills cells like "Trong năm" or "Quý II" (default: ``plan_date``'s
    year); ``plan_date`` is the day the plan was signed, the start of "N ngày kể từ ngày
    ký"; ``school_year_end`` is (month, day) of a school year's last day; ``cal``
    counts "ngày làm việc" (without one such a cell is unspecified).
    """
    original = clean(text).strip(" .;,:")
    if len(original) > MAX_CELL:
        return Unspecified(f"ô tiến độ dài {len(original)} ký tự: quá dài để là một thời hạn")
    try:
        milestones = _milestones(result)
        in_cell = _milestones(text)  # in the deadline cell, only dates that each carry a note
    except _Unclear as exc:
        return Unspecified(exc.reason, invalid=exc.invalid)
    if milestones is None and in_cell is not None and all(m.note for m in in_cell.items):
        milestones = in_cell
    if milestones is not None and (len(milestones.items) > 1 or not original):
        return milestones
    if not original:
        return Unspecified("ô tiến độ để trống")
    year = plan_year or (plan_date.year if plan_date else None)
    context = _Context(year, plan_date, school_year_end, cal)
    parsed = tp.read(original)
    try:
        return _meaning(parsed, original, context)
    except _Unclear as exc:
        return Unspecified(exc.reason, invalid=exc.invalid)


def _meaning(parsed: tp.Parsed, original: str, ctx: _Context) -> Deadline:
    reading = parsed.reading
    if reading is None and (remarked := _remarked(original, ctx)) is not None:
        return remarked
    if isinstance(reading, tp.Bounded) and any(
        isinstance(tp.read(note).reading, tp.Status) for note in parsed.notes
    ):
        return Done(original)  # "Quý II/2025 (đã hoàn thành)"
    if reading is None and (two := _two_deadlines(original)):
        raise _two(*two)
    if reading is None:
        unread = (
            f"; chưa hiểu phần “{parsed.leftover}”"
            if parsed.leftover and parsed.leftover != original
            else ""
        )
        raise _Unclear(f"không đọc được thời hạn: “{original}”{unread}")
    if isinstance(reading, tp.Vague):
        raise _Unclear(f"không nêu ngày cụ thể: “{original}”")
    if isinstance(reading, tp.Status):
        return Done(original)
    if isinstance(reading, tp.AfterEvent):
        raise _Unclear(f"hạn tính từ một sự việc chưa có ngày: “{original}”")
    if isinstance(reading, tp.Relative):
        return _relative(reading, ctx)
    if isinstance(reading, tp.Since):
        return _since(reading, ctx)
    if isinstance(reading, tp.Repeat):
        return _repeat(reading, ctx)
    return _bounded(reading, ctx, parsed.notes)


def _two(one: str, other: str) -> _Unclear:
    return _Unclear(
        f"hai thời hạn trong một ô: “{one}” và “{other}”, không rõ hạn nào là hạn của "
        "nhiệm vụ; hãy sửa ô trong kế hoạch hoặc đặt hạn bằng dondoc tasks set-deadline"
    )


def _two_deadlines(original: str) -> tuple[str, str] | None:
    """The two deadlines of a cell that holds two, one after the other with nothing between
    ("Quý IV/2024 Quý IV/2025", two paragraphs of a Word cell): each a day, month, quarter
    or year read on its own. None for anything else (a cell that says how the two relate,
    "Quý IV/2024; Quý IV/2025", is read by the grammar: milestones)."""
    words = original.split()
    for at in range(1, len(words)):
        halves = " ".join(words[:at]), " ".join(words[at:])
        if all(isinstance(tp.read(h).reading, tp.Bounded) for h in halves):
            return halves
    return None


# A remark in brackets that makes the date depend on something else ("(theo hướng dẫn của
# Bộ)", "(hoặc khi có văn bản của Bộ)", "(tùy tình hình)", "(nếu được bố trí kinh phí)",
# "(chờ ý kiến của Bộ)"): the date is then as uncertain as "Quý IV/2027 sau khi có hướng
# dẫn của Bộ", unbracketed. A remark of scope, status or order ("(dự kiến)", "(đối với cấp
# tỉnh)", "(theo quy định)", "(đợt 1)", "(hoặc sớm hơn)") leaves the date firm.
_CONDITION = re.compile(
    r"\b(?:khi|neu|tuy|phu thuoc|truong hop|tru khi|can cu|huong dan|y kien|chi dao"
    r"|chua xac dinh|chua ro|chua co)\b"
)
# A remark that names the report or meeting the date is for ("(Báo cáo năm)", "(sơ kết 6
# tháng)"): its period is what the report covers, not another deadline.
_REPORT = re.compile(r"^(?:bao cao|so ket|tong ket|hoi nghi|danh gia|kiem diem)\b")
# "chờ" (awaiting) is matched with its marks: folded, it is "cho" (for), a remark of scope.
_AWAITING = re.compile(r"\bchờ\b")
# A remark that names the date the plan replaced: the date outside it is the one.
_REVISED = re.compile(r"^(?:da )?(?:dieu chinh|thay cho|thay the|truoc day|truoc la|cu:|han cu)")
_DATE_LIKE = re.compile(r"\d\s*[/.-]\s*\d|\b(?:19|20)\d\d\b")
_TIME_UNIT = re.compile(r"\b(?:ngay|tuan|thang|quy|nam)\b")
# One remark in brackets, the rest of the cell around it.
_ONE_REMARK = re.compile(r"([^()]*)\(([^()]*)\)([^()]*)")


def _conditional(notes: Sequence[str]) -> None:
    """Raise :class:`_Unclear` naming the remarks among ``notes`` that make the date
    depend on something else (:data:`_CONDITION`)."""
    found = [n for n in notes if _CONDITION.search(fold_aligned(n).lower())
             or _AWAITING.search(unicodedata.normalize("NFC", n).lower())]  # fmt: skip
    if found:
        raise _Unclear(f"thời hạn kèm điều kiện “({'; '.join(found)})” nên chưa có ngày chắc chắn")


def _remarked(original: str, ctx: _Context) -> Deadline | None:
    """A date with one remark in brackets that holds time words, which the grammar does not
    read whole: the cell without its brackets when that reads as a recurrence ("Năm 2025
    (và các năm tiếp theo)"); a remark that narrows the date to a day or period within it
    ("Quý III/2025 (chậm nhất ngày 20/9/2025)", "Năm 2025 (Quý IV)"): that; one that names
    the date replaced ("(điều chỉnh từ Quý III/2025)") or reads as no date ("(đợt 1)",
    "(chậm nhất)"): the date, the remark shown. A remark with a date outside the date is
    two deadlines (:class:`_Unclear`); a conditional one, :func:`_conditional`. None when
    the cell is no date with one remark."""
    m = _ONE_REMARK.fullmatch(original)
    if m is None:
        return None
    outside, inside = " ".join(f"{m[1]} {m[3]}".split()), " ".join(m[2].split())
    outer = tp.read(outside)
    if not isinstance(outer.reading, tp.Bounded) or len(outer.reading.members) > 1 or not inside:
        return None
    _conditional((inside,))
    joined = tp.read(f"{m[1]} {m[2]} {m[3]}")
    if isinstance(joined.reading, tp.Since | tp.Repeat):
        return _meaning(joined, original, ctx)
    inner = tp.read(inside).reading
    if isinstance(inner, tp.Status):
        return Done(original)
    folded = fold_aligned(inside).lower()
    if _REVISED.match(folded) or (_REPORT.match(folded) and not _DATE_LIKE.search(folded)):
        return _bounded(outer.reading, ctx, (*outer.notes, inside))
    if inner is None and (_DATE_LIKE.search(folded)
                          or (re.search(r"\d", folded) and _TIME_UNIT.search(folded))):  # fmt: skip
        return None  # a date or a count of days not read ("(cấp huyện: trước 30/6/2028)")
    if inner is None or isinstance(inner, tp.Vague):
        return _bounded(outer.reading, ctx, (*outer.notes, inside))
    if not isinstance(inner, tp.Bounded) or len(inner.members) > 1:
        return None
    due = _bounded(outer.reading, ctx, outer.notes)
    (span,), _ = _fill_years(outer.reading.members, ctx)
    start = _window(span, ctx)[0]
    # The remark's period borrows the date's year ("Năm 2025 (tháng 11)").
    (member,) = inner.members
    if member.year is None:
        inner = replace(inner, members=(_with_year(member, due.on.year),))
    precise = _bounded(inner, ctx, ())
    (inner_span,), _ = _fill_years(inner.members, ctx)
    if _window(inner_span, ctx)[0] <= start and due.on <= precise.on:
        # The date within the remark's period ("30/6/2025 (quý II)"): the date, the remark
        # said beside it.
        return _bounded(outer.reading, ctx, (*outer.notes, inside))
    if not start <= precise.on <= due.on:
        raise _two(outside, inside)
    return DueDate(precise.on, f"{precise.reading} (ghi trong ngoặc, trong {_label(span)})")


def _bounded(reading: tp.Bounded, ctx: _Context, notes: tuple[str, ...]) -> DueDate:
    notes = tuple(_NOTE_LABEL.sub("", n) for n in notes)  # "(Ghi chú: …)" said once
    if notes and len(reading.members) > 1:
        # "Quý II/2027 (đối với cấp tỉnh); Quý IV/2027 (đối với cấp huyện)"
        raise _Unclear(f"các mốc có ghi chú riêng ({'; '.join(notes)}): cần hạn cho từng cơ quan")
    _conditional(notes)
    spans, inferred = _fill_years(reading.members, ctx, ranged=reading.is_range)
    ends = [_window(s, ctx)[1] for s in spans]
    if ends != sorted(ends):
        raise _Unclear("các mốc không theo thứ tự thời gian")
    last = spans[-1]
    start, end = _window(last, ctx)
    label = _label(last)
    if reading.before and last.unit != "day" and last.qualifier is None:
        on, words = (
            start - timedelta(days=1),
            f"trước {label}: hết ngày {start - timedelta(days=1):%d/%m/%Y}",
        )
    elif last.unit == "day" or last.qualifier is not None:
        on, words = end, label
    else:
        on, words = end, f"hết {label}"
    if reading.is_range:
        words += ", cuối khoảng thời gian"
    elif len(spans) > 1:
        words += f", mốc cuối trong {len(spans)} mốc"
    if on.year not in YEARS:
        raise _Unclear(f"năm {on.year} nằm ngoài khoảng {YEARS[0]}–{YEARS[-1]}", invalid=True)
    if inferred:
        if ctx.plan_date is not None and on < ctx.plan_date:
            raise _Unclear(
                f"{label} đã qua khi kế hoạch ban hành ({ctx.plan_date:%d/%m/%Y}) "
                "mà ô không ghi năm"
            )
        words += " (năm của kế hoạch)"
    if notes:  # shown, so that the admin reads the remark the date was read past
        words += f"; ghi chú: {'; '.join(notes)}"
    return DueDate(on, words)


def _since(reading: tp.Since, ctx: _Context) -> Recurring:
    (span,), _ = _fill_years((reading.span,), ctx)
    start, _end = _window(span, ctx)
    period = Period(reading.period)
    words = f"bắt đầu từ {_label(span)}, chưa ghi hạn kết thúc"
    return Recurring(period, ongoing=True, starts_on=start, reading=words)


def _repeat(reading: tp.Repeat, ctx: _Context) -> Deadline:
    if reading.unsupported:
        label = {"tuan": "hằng tuần", "ngay": "hằng ngày"}.get(reading.unsupported, "")
        raise _Unclear(f"việc làm {label}: chỉ nhắc được theo tháng, quý, 6 tháng hoặc năm")
    if reading.ambiguous_anchor:
        raise _Unclear("không rõ hạn rơi vào ngày nào của kỳ báo cáo")
    period = Period(reading.period) if reading.period else Period.QUARTERLY
    ends_on = None
    if reading.until is not None:
        (until,), _ = _fill_years((reading.until,), ctx)
        ends_on = _window(until, ctx)[1]
    starts_on = date(ctx.plan_year, 1, 1) if ctx.plan_year else None
    if reading.window and all(s.year is None for s in reading.window) and reading.period:
        return replace(_in_each_year(reading, period), starts_on=starts_on, ends_on=ends_on)
    window = _fill_years(reading.window, ctx)[0] if reading.window else ()
    if reading.dated_first and reading.start is None:
        # "Tháng 12/2026 và thực hiện thường xuyên": done by the date, then kept up.
        then = "thực hiện thường xuyên" if reading.ongoing else period.label
        on = _window(window[-1], ctx)[1]
        return DueDate(on, f"hết {_label(window[-1])}, sau đó {then}")
    if reading.start is not None:
        (span,), _ = _fill_years((reading.start,), ctx)
        starts_on = _window(span, ctx)[0]
    elif window:
        starts_on = _window(window[0], ctx)[0]
    if window:
        ends_on = min(_window(window[-1], ctx)[1], ends_on or date.max)
    if reading.anchor is not None:
        offset, day = reading.anchor
        month = offset % 12 + 1
        if day > calendar.monthrange(2024, month)[1]:  # 2024: a leap year
            raise _Unclear(f"không có ngày {day}/{month:02d}", invalid=True)
    return Recurring(period, reading.ongoing, reading.anchor, starts_on, ends_on)


def _in_each_year(reading: tp.Repeat, period: Period) -> Recurring:
    """ "Tháng 6 và tháng 12 hằng năm", "Quý IV hằng năm": periods named inside each year.

    Months evenly spread over the year at the ends of its quarters or halves are that
    period; one month or quarter in a yearly task is its due day; anything else has no
    single rule and is unspecified.
    """
    ends = sorted(
        {s.n * 3 if s.unit == "quarter" else s.n for s in reading.window if not s.qualifier}
    )
    if len(ends) != len(reading.window) or any(
        s.unit not in ("month", "quarter") for s in reading.window
    ):
        raise _Unclear("không rõ hạn rơi vào ngày nào trong năm")
    for size, each in ((3, Period.QUARTERLY), (6, Period.HALF_YEARLY)):
        if ends == list(range(size, 13, size)):
            return Recurring(each, reading.ongoing)
    if len(ends) == 1 and period is Period.YEARLY and 1 <= ends[0] <= 12:
        return Recurring(
            period, reading.ongoing, anchor=(ends[0] - 1, _month_end(2001, ends[0]).day)
        )
    raise _Unclear("nhiều mốc trong năm không theo một kỳ đều")


def _relative(reading: tp.Relative, ctx: _Context) -> DueDate:
    if ctx.plan_date is None:
        raise _Unclear("hạn tính từ ngày ký kế hoạch, nhưng kế hoạch chưa có ngày ban hành")
    base = ctx.plan_date
    unit_words = {"day": "ngày", "working_day": "ngày làm việc", "week": "tuần", "month": "tháng"}
    if reading.unit == "working_day":
        if ctx.cal is None:
            raise _Unclear("cần lịch ngày làm việc để tính hạn")
        on = ctx.cal.add_working_days(base, reading.count)
    elif reading.unit == "month":
        months = base.month - 1 + reading.count
        year, month = base.year + months // 12, months % 12 + 1
        on = date(year, month, min(base.day, calendar.monthrange(year, month)[1]))
    else:
        on = base + timedelta(days=reading.count * (7 if reading.unit == "week" else 1))
    if on.year not in YEARS:
        raise _Unclear(f"năm {on.year} nằm ngoài khoảng {YEARS[0]}–{YEARS[-1]}", invalid=True)
    words = f"{reading.count} {unit_words[reading.unit]} kể từ ngày ký kế hoạch ({base:%d/%m/%Y})"
    return DueDate(on, words)


def _fill_years(
    spans: tuple[tp.Span, ...], ctx: _Context, *, ranged: bool = False
) -> tuple[tuple[tp.Span, ...], bool]:
    """Give every member a year: the next written one, else the one before, else the plan's.

    A member that borrows a year and would then fall out of order moves by a year:
    "Tháng 11/2027 - tháng 2" ends in February 2028; in a range, "Tháng 12 - tháng 2/2028"
    starts in December 2027. Returns the spans and whether the plan's year was used.
    """
    out: list[tp.Span] = []
    inferred = False
    for i, span in enumerate(spans):
        year, shift = span.year, 0
        if year is None and span.unit != "plan_year":
            later = next((s for s in spans[i + 1 :] if s.year is not None), None)
            if later is not None:
                year = later.year
                if ranged and _ends(_with_year(span, year), ctx) > _ends(later, ctx):
                    shift = -1
            elif any(s.year is not None for s in spans[:i]):
                year = out[-1].year
                if _ends(_with_year(span, year), ctx) < _ends(out[-1], ctx):
                    shift = 1
        if year is None:
            if ctx.plan_year is None:
                raise _Unclear(_NO_YEAR)
            year, inferred = ctx.plan_year, True
        year += shift
        if year not in YEARS:
            raise _Unclear(f"năm {year} nằm ngoài khoảng {YEARS[0]}–{YEARS[-1]}", invalid=True)
        out.append(_with_year(span, year))
    return tuple(out), inferred


def _with_year(span: tp.Span, year: int | None) -> tp.Span:
    unit = "year" if span.unit == "plan_year" else span.unit
    return tp.Span(unit, span.n, span.month, year, span.qualifier)


def _ends(span: tp.Span, ctx: _Context) -> date:
    """The last day of a span, for ordering; a span that cannot exist sorts first."""
    try:
        return _window(span, ctx)[1]
    except _Unclear:
        return date.min


def _window(span: tp.Span, ctx: _Context) -> tuple[date, date]:
    """The first and last day a span (with its year filled in) covers."""
    assert span.year is not None
    y = span.year
    if span.unit == "day":
        try:
            day = date(y, span.month, span.n)
        except ValueError:
            raise _Unclear(f"ngày không có thật: {span.n}/{span.month}/{y}", invalid=True) from None
        if span.qualifier:
            raise _Unclear(f"“{_qualifier_word(span.qualifier)}” một ngày")
        return day, day
    if span.unit == "month":
        if not 1 <= span.n <= 12:
            raise _Unclear(f"không có tháng {span.n}", invalid=True)
        first, months = date(y, span.n, 1), 1
    elif span.unit == "quarter":
        if not 1 <= span.n <= 4:
            raise _Unclear(f"không có quý {span.n}", invalid=True)
        first, months = date(y, span.n * 3 - 2, 1), 3
    elif span.unit in ("first_months", "last_months"):
        first = date(y, 1 if span.unit == "first_months" else 13 - span.n, 1)
        months = span.n
    elif span.unit == "school_year":
        if span.qualifier not in (None, "cuoi"):
            raise _Unclear(f"“{_label(span)}” không có mốc rõ ràng")
        end_month, end_day = ctx.school_year_end
        return date(y - 1, 9, 1), date(y, end_month, end_day)
    else:
        first, months = date(y, 1, 1), 12
    last = _month_end(first.year, first.month + months - 1)
    if span.qualifier is None:
        return first, last
    windows = QUALIFIER_WINDOWS.get(span.unit, {})
    if span.qualifier not in windows:
        raise _Unclear(f"“{_label(span)}” không có mốc rõ ràng")
    nth_month, last_day = windows[span.qualifier]
    end_month = first.month + nth_month - 1
    end = _month_end(y, end_month) if last_day == 0 else date(y, end_month, last_day)
    return first, end


def _label(span: tp.Span) -> str:
    """The span in the words of a plan: "quý III/2027", "đầu tháng 9/2027"."""
    roman = {1: "I", 2: "II", 3: "III", 4: "IV"}
    y = span.year
    base = {
        "day": f"ngày {span.n:02d}/{span.month:02d}/{y}",
        "month": f"tháng {span.n}/{y}",
        "quarter": f"quý {roman.get(span.n, span.n)}/{y}",
        "first_months": f"{span.n} tháng đầu năm {y}",
        "last_months": f"{span.n} tháng cuối năm {y}",
        "school_year": f"năm học {(y or 1) - 1}-{y}",
    }.get(span.unit, f"năm {y}")
    if span.qualifier is None:
        return base
    return f"{_qualifier_word(span.qualifier)} {base}"


def _qualifier_word(qualifier: str) -> str:
    """The qualifier as a plan writes it ("cuối", "tuần thứ 2"), never folded ("tuan 2")."""
    return _QUALIFIER_LABELS.get(qualifier) or f"tuần thứ {qualifier.split()[-1]}"


def _anchor_label(period: Period, anchor: tuple[int, int]) -> str:
    offset, day = anchor
    size = PERIOD_MONTHS[period]
    if period is Period.YEARLY:
        return f"ngày {day:02d}/{offset + 1:02d}"
    if period is Period.MONTHLY:
        return f"ngày {day}" + (" tháng sau" if offset else "")
    unit = "quý" if period is Period.QUARTERLY else "kỳ"
    nth = offset % size + 1
    which = "đầu" if nth == 1 else "cuối" if nth == size else f"thứ {nth}"
    return f"ngày {day} tháng {which} {unit}" + (" sau" if offset >= size else "")


def _milestones(text: str) -> Milestones | None:
    original = unicodedata.normalize("NFC", text)
    found = list(_MILESTONE.finditer(fold_aligned(original)))
    if not found:
        return None
    items = []
    for i, m in enumerate(found):
        end = found[i + 1].start() if i + 1 < len(found) else len(original)
        note = clean(original[m.end() : end]).strip(" -;,.:()[]")
        day, month, year = (int(g) for g in m.groups())
        try:
            on = date(year, month, day)
        except ValueError:
            raise _Unclear(f"mốc “{m.group().strip(' :')}” không có thật", invalid=True) from None
        if year not in YEARS:
            raise _Unclear(f"mốc năm {year} nằm ngoài khoảng {YEARS[0]}–{YEARS[-1]}", invalid=True)
        items.append(Milestone(on, note))
    return Milestones(tuple(sorted(items, key=lambda item: item.on)))


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


# --- storage: a deadline as plain JSON-able values, and back -------------------------------

#: The task columns a deadline is stored in (see :func:`to_columns`).
DEADLINE_COLUMNS = ("deadline_kind", "due_on", "recurrence", "deadline_detail")


def to_columns(deadline: Deadline) -> dict[str, Any]:
    """The task's deadline columns: kind, final due date, recurrence period, detail."""
    period = deadline.period.value if isinstance(deadline, Recurring) else None
    return {"deadline_kind": deadline.kind, "due_on": final_date(deadline),
            "recurrence": period, "deadline_detail": to_record(deadline)}  # fmt: skip


def to_record(deadline: Deadline) -> dict[str, Any]:
    if isinstance(deadline, DueDate):
        return {"on": deadline.on.isoformat(), "reading": deadline.reading}
    if isinstance(deadline, Recurring):
        return {
            "period": deadline.period.value,
            "ongoing": deadline.ongoing,
            "anchor": list(deadline.anchor) if deadline.anchor else None,
            "starts_on": deadline.starts_on.isoformat() if deadline.starts_on else None,
            "ends_on": deadline.ends_on.isoformat() if deadline.ends_on else None,
            "reading": deadline.reading,
        }
    if isinstance(deadline, Milestones):
        return {"items": [{"on": m.on.isoformat(), "note": m.note} for m in deadline.items]}
    if isinstance(deadline, Done):
        return {"words": deadline.words}
    return {"reason": deadline.reason, "invalid": deadline.invalid}


def from_record(kind: str, record: dict[str, Any]) -> Deadline:
    if kind == DueDate.kind:
        return DueDate(date.fromisoformat(record["on"]), record.get("reading", ""))
    if kind == Recurring.kind:
        anchor = record.get("anchor")
        if anchor is None and record.get("day_month"):  # stored before anchors: (day, month)
            day, month = record["day_month"]
            anchor = [int(month) - 1, int(day)]
        starts_on = record.get("starts_on")
        if starts_on is None and record.get("since"):  # stored before start dates: a year
            starts_on = f"{int(record['since']):04d}-01-01"
        return Recurring(
            Period(record["period"]),
            ongoing=bool(record.get("ongoing")),
            anchor=(int(anchor[0]), int(anchor[1])) if anchor else None,
            starts_on=date.fromisoformat(starts_on) if starts_on else None,
            ends_on=date.fromisoformat(record["ends_on"]) if record.get("ends_on") else None,
            reading=record.get("reading", ""),
        )
    if kind == Milestones.kind:
        return Milestones(
            tuple(Milestone(date.fromisoformat(i["on"]), i["note"]) for i in record["items"])
        )
    if kind == Done.kind:
        return Done(record.get("words", ""))
    return Unspecified(record.get("reason", ""), invalid=bool(record.get("invalid")))
