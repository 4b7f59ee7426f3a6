"""The province's calendar: overrides stored in the database, on top of the holidays."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlmodel import Session, col, select

from bot.domain.calendar import OfficeHours, WorkCalendar
from bot.importers.tabular import read_rows
from bot.models import CalendarOverride


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
