"""The Vietnamese working-day calendar: weekends, public holidays, the government's
yearly swaps (a weekday off against a working Saturday), and local overrides.

Public holidays and swaps come from the ``holidays`` package (country VN); a province's
own announcement can still differ, so ``extra_off`` and ``extra_work`` win over it.
Deadlines follow the Civil Code (art. 148): a last day that is not a working day moves
to the next working day.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache, cached_property
from itertools import accumulate
from zoneinfo import ZoneInfo

import holidays

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
_EPOCH = 2000  # counts of working days start here; earlier years are never asked about


@dataclass(frozen=True)
class OfficeHours:
    start: time = time(7, 30)
    end: time = time(17, 0)

    def __post_init__(self) -> None:
        if self.start >= self.end:
            raise ValueError(f"office hours start {self.start} is not before end {self.end}")


@cache
def _vietnam() -> holidays.HolidayBase:
    # Vietnamese names ("Giỗ Tổ Hùng Vương"); years are added as dates are asked about.
    return holidays.country_holidays("VN", language="vi")


@cache
def _national_working_days(year: int) -> tuple[bool, ...]:
    """Weekends, public holidays and the government's swaps, from the ``holidays`` data."""
    public = _vietnam()
    start = date(year, 1, 1)
    days = (date(year + 1, 1, 1) - start).days
    return tuple(bool(public.is_working_day(start + timedelta(days=i))) for i in range(days))


class WorkCalendar:
    def __init__(
        self,
        *,
        extra_off: Iterable[date] = (),
        extra_work: Iterable[date] = (),
        hours: OfficeHours | None = None,
        tz: ZoneInfo = VIETNAM,
    ) -> None:
        self.extra_off = frozenset(extra_off)
        self.extra_work = frozenset(extra_work)
        self.hours = hours or OfficeHours()
        self.tz = tz
        self._years: dict[int, tuple[list[int], list[bool]]] = {}
        self._before: dict[int, int] = {}

    @cached_property
    def _public(self) -> holidays.HolidayBase:
        return _vietnam()

    def is_working_day(self, day: date) -> bool:
        return bool(self._year(day.year)[1][day.timetuple().tm_yday - 1])

    def _year(self, year: int) -> tuple[list[int], list[bool]]:
        """Per day of ``year``: working days from 1 January through that day, and the flag."""
        table = self._years.get(year)
        if table is None:
            flags = list(_national_working_days(year))
            for day in self.extra_work | self.extra_off:
                if day.year == year:
                    flags[day.timetuple().tm_yday - 1] = day in self.extra_work
            table = (list(accumulate(flags)), flags)
            self._years[year] = table
        return table

    def _count_to(self, day: date) -> int:
        """Working days from an epoch through ``day``: differences of it count intervals."""
        before = self._before.get(day.year)
        if before is None:
            before = sum(self._year(y)[0][-1] for y in range(_EPOCH, day.year))
            self._before[day.year] = before
        return before + self._year(day.year)[0][day.timetuple().tm_yday - 1]

    def national_make_up_days(self, year: int) -> list[date]:
        """The Saturdays (or Sundays) the government made working days in exchange for a
        weekday off, e.g. Saturday 26/4/2025 for Friday 2/5/2025."""
        public = self._public
        _ = date(year, 1, 1) in public  # loads the year's data, swaps included
        return sorted(d for d in public.weekend_workdays if d.year == year)

    def holiday_name(self, day: date) -> str | None:
        name = self._public.get(day)
        return str(name) if name else None

    def on_or_after(self, day: date) -> date:
        """The day itself if it is a working day, else the next working day."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def add_working_days(self, day: date, n: int) -> date:
        """Move ``n`` working days from ``day`` (backwards when negative)."""
        if n == 0:
            return day
        # Any 7 days hold at least one working day, even around Tết: bound, then bisect.
        span = timedelta(days=abs(n) * 7 + 14)
        lo, hi = (day, day + span) if n > 0 else (day - span, day)
        # The working day reached is the first one whose running count is the target.
        # Going back from a day off, the working day just before it is the first step.
        target = self._count_to(day) + n
        if n < 0 and not self.is_working_day(day):
            target += 1
        first, last = lo.toordinal(), hi.toordinal()
        while first < last:
            mid = (first + last) // 2
            if self._count_to(date.fromordinal(mid)) >= target:
                last = mid
            else:
                first = mid + 1
        return date.fromordinal(first)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative when end is before start."""
        return self._count_to(end) - self._count_to(start)

    def local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            raise ValueError("an aware datetime is needed")
        return moment.astimezone(self.tz)

    def in_window(self, moment: datetime) -> bool:
        """Inside office hours on a working day: the only time the bot sends anything."""
        local = self.local(moment)
        return (
            self.is_working_day(local.date()) and self.hours.start <= local.time() < self.hours.end
        )

    def next_window(self, moment: datetime) -> datetime:
        """``moment`` if it is inside office hours, else the start of the next window."""
        local = self.local(moment)
        if self.in_window(local):
            return moment
        day = local.date()
        if local.time() >= self.hours.end or not self.is_working_day(day):
            day = (
                self.add_working_days(day, 1) if self.is_working_day(day) else self.on_or_after(day)
            )
        return datetime.combine(day, self.hours.start, self.tz)
