"""The province's calendar: overrides stored in the database, on top of the holidays.

A day is added (:func:`add_day`) or removed (:func:`remove_day`) by an admin, on the web
or the CLI, under the rules of :func:`day_problem`, and each change goes to the settings'
audit trail (``bot.services.setting_changes``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlmodel import Session, col, select

from bot.domain.calendar import OfficeHours, WorkCalendar
from bot.domain.when import read_moment
from bot.importers.tabular import read_rows
from bot.models import CalendarOverride
from bot.render import vn_date
from bot.services.assignments import Actor
from bot.services.setting_changes import record_setting

FIRST_YEAR, LAST_YEAR = 2000, 2100  # as on the command line: the calendar counts from 2000
NOTE_MAX = 200  # a reason, as announced: "Nghỉ bù Giỗ Tổ theo Quyết định số …"


class CalendarRefused(ValueError):
    """A day the province's calendar does not take; the message says why, in Vietnamese."""


def load_calendar(session: Session, hours: OfficeHours) -> WorkCalendar:
    """The national calendar (holidays, the government's swaps) with the province's own
    days off and make-up days from the database, and its office ``hours``."""
    overrides = session.exec(select(CalendarOverride)).all()
    return WorkCalendar(
        extra_off=[o.day for o in overrides if not o.working],
        extra_work=[o.day for o in overrides if o.working],
        hours=hours,
    )


@dataclass(frozen=True)
class NotableDay:
    """A day of the year that is not an ordinary weekday or weekend."""

    day: date
    working: bool
    note: str  # the province's note, else why (a holiday's name, a national make-up day)


def notable_days(session: Session, hours: OfficeHours, year: int) -> list[NotableDay]:
    """The year's weekday holidays, national make-up days and the province's own days off
    and make-up days, in order."""
    cal = load_calendar(session, hours)
    overrides = session.exec(select(CalendarOverride).order_by(col(CalendarOverride.day))).all()
    notes = {o.day: o.note for o in overrides}
    national_work = set(cal.national_make_up_days(year))
    found: list[NotableDay] = []
    day = date(year, 1, 1)
    while day.year == year:
        name = cal.holiday_name(day)
        local = day in cal.extra_work or day in cal.extra_off
        if (name and day.weekday() < 5) or local or day in national_work:
            working = cal.is_working_day(day)
            if day in notes:
                note = notes[day] or ("Làm bù (tỉnh)" if working else "Nghỉ (tỉnh)")
            elif day in national_work:
                note = "Làm bù theo lịch nghỉ của cả nước"
            else:
                note = name or ""
            found.append(NotableDay(day, working, note))
        day += timedelta(days=1)
    return found


def province_days(session: Session, year: int) -> list[CalendarOverride]:
    """The province's own days off and make-up working days in ``year``, in order."""
    rows = session.exec(
        select(CalendarOverride)
        .where(col(CalendarOverride.day) >= date(year, 1, 1),
               col(CalendarOverride.day) <= date(year, 12, 31))
        .order_by(col(CalendarOverride.day))
    ).all()  # fmt: skip
    return list(rows)


def next_working_days(cal: WorkCalendar, after: date, n: int) -> list[date]:
    """The ``n`` working days after ``after``, in order: what the calendar does next."""
    found: list[date] = []
    day = after
    while len(found) < n:
        day = cal.add_working_days(day, 1)
        found.append(day)
    return found


def read_day(text: str) -> date:
    """A day as people write it (dd/mm/yyyy, or ISO yyyy-mm-dd) in the calendar's years.
    Raises :class:`CalendarRefused` otherwise."""
    read = read_moment(text)
    if read is None or read[1] is not None:
        raise CalendarRefused(
            f"“{text.strip()}” không phải một ngày (dd/mm/yyyy, ví dụ 31/12/2024)."
        )
    if not FIRST_YEAR <= read[0].year <= LAST_YEAR:
        raise CalendarRefused(f"“{text.strip()}”: năm phải từ {FIRST_YEAR} đến {LAST_YEAR}.")
    return read[0]


def kind_of(working: bool) -> str:
    """A province's day as the audit trail and the pages name it."""
    return "Làm bù" if working else "Nghỉ"


def day_problem(
    national: WorkCalendar, existing: CalendarOverride | None, day: date, working: bool
) -> str | None:
    """Why ``day`` cannot become a day off (``working`` false) or a make-up working day
    in the province, in Vietnamese; ``None`` when it can. ``national`` is the calendar
    without the province's days; ``existing`` the province's day already set there, if
    any: it is removed first, never overwritten unseen."""
    when = vn_date(day)
    if existing is not None:
        kind = "ngày làm bù" if existing.working else "ngày nghỉ"
        why = f" ({existing.note})" if existing.note else ""
        return f"{when} đã là {kind} của tỉnh{why}. Muốn đổi thì bỏ điều chỉnh đó trước."
    if working == national.is_working_day(day):
        if working:
            return (f"{when} đã là ngày làm việc. Ngày làm bù là một ngày nghỉ (thứ Bảy, Chủ "
                    "Nhật, ngày lễ) mà cơ quan vẫn làm việc.")  # fmt: skip
        if name := national.holiday_name(day):
            return f"{when} đã là ngày nghỉ lễ ({name})."
        if day.weekday() >= 5:
            return f"{when} là ngày cuối tuần, đã là ngày nghỉ."
        return f"{when} đã là ngày nghỉ theo lịch chung của cả nước."
    return None


def add_day(
    session: Session, hours: OfficeHours, day: date, *, working: bool, note: str, actor: Actor,
    now: datetime,
) -> None:  # fmt: skip
    """Make ``day`` a day off or (``working``) a make-up working day of the province, for
    ``note``; recorded in the settings' audit trail as ``actor``'s at ``now``. Raises
    :class:`CalendarRefused` (:func:`day_problem`, or a note over :data:`NOTE_MAX`)."""
    note = " ".join(note.split())
    if len(note) > NOTE_MAX:
        raise CalendarRefused(f"Lý do dài {len(note)} ký tự: tối đa {NOTE_MAX}.")
    existing = session.get(CalendarOverride, day)
    if problem := day_problem(WorkCalendar(hours=hours), existing, day, working):
        raise CalendarRefused(problem)
    set_override(session, day, working=working, note=note)
    record_setting(session, "calendar", day.isoformat(), actor, now, None, kind_of(working), note)


def remove_day(session: Session, day: date, *, actor: Actor, now: datetime) -> CalendarOverride:
    """``day`` back to the national calendar; the province's day removed is returned, and
    recorded in the settings' audit trail. Raises :class:`CalendarRefused` when the
    province has nothing on that day."""
    row = session.get(CalendarOverride, day)
    if row is None:
        raise CalendarRefused(f"{vn_date(day)} không có điều chỉnh nào của tỉnh.")
    removed = CalendarOverride(day=row.day, working=row.working, note=row.note)
    remove_override(session, day)
    record_setting(session, "calendar", day.isoformat(), actor, now, kind_of(removed.working), None,
                   removed.note)  # fmt: skip
    return removed


def set_override(session: Session, day: date, *, working: bool, note: str = "") -> None:
    row = session.get(CalendarOverride, day) or CalendarOverride(day=day, working=working)
    row.working, row.note = working, note
    session.add(row)


def remove_override(session: Session, day: date) -> bool:
    row = session.get(CalendarOverride, day)
    if row is None:
        return False
    session.delete(row)
    return True


def import_overrides(session: Session, path: Path) -> int:
    """Rows of ``date (yyyy-mm-dd or dd/mm/yyyy), working (0/1 or nghỉ/làm), note``."""
    from bot.importers.errors import ImportFailed
    from bot.importers.rows import RowError, parse_date

    errors: list[RowError] = []
    parsed: list[tuple[date, bool, str]] = []
    for row in read_rows(path)[1:]:
        if row.is_blank():
            continue
        cells = [*row.cells, "", ""]
        try:
            day = parse_date(cells[0])
        except ValueError:
            errors.append(RowError(row.line, f"ngày “{cells[0]}” không hợp lệ"))
            continue
        flag = cells[1].strip().lower()
        if flag not in {"0", "1", "nghỉ", "làm", "nghi", "lam"}:
            errors.append(RowError(row.line, f"“{cells[1]}”: ghi “nghỉ” hoặc “làm”"))
            continue
        parsed.append((day, flag in {"1", "làm", "lam"}, cells[2].strip()))
    if errors:
        raise ImportFailed(path, errors)
    for day, working, note in parsed:
        set_override(session, day, working=working, note=note)
    return len(parsed)
