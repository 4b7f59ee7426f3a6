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
from functools import cached_property
from zoneinfo import ZoneInfo

import holidays

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass(frozen=True)
class OfficeHours:
    start: time = time(7, 30)
    end: time = time(17, 0)

    def __post_init__(self) -> None:
        if self.start >= self.end:
            raise ValueError(f"office hours start {self.start} is not before end {self.end}")


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

    @cached_property
    def _public(self) -> holidays.HolidayBase:
        # Years are added on demand as dates are asked about.
        return holidays.country_holidays("VN")

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_work:
            return True
        if day in self.extra_off:
            return False
        return bool(self._public.is_working_day(day))

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
        step = 1 if n >= 0 else -1
        left = abs(n)
        while left:
            day += timedelta(days=step)
            if self.is_working_day(day):
                left -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative when end is before start."""
        if end < start:
            return -self.working_days_between(end, start)
        count = 0
        day = start
        while day < end:
            day += timedelta(days=1)
            count += self.is_working_day(day)
        return count

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
