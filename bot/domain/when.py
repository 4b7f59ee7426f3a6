"""Dates and moments as Vietnamese users and their software write them.

"20/12/2024", "20/12/2024 14:30", "20-12-2024", "2024-12-20", "2024-12-20 14:30:00",
"2024-12-20T14:30": day first as in Vietnam, or ISO as exports and scripts write it.
One reader for the CLI's options and the one-stop exports' cells.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

_DAY_FIRST = re.compile(
    r"^\s*(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})(?:[ T,]+(\d{1,2})[:h](\d{2})(?::\d{2})?)?\s*$"
)
_ISO = re.compile(
    r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::\d{2}(?:\.\d+)?)?)?\s*$"
)


def read_moment(text: str) -> tuple[date, time | None] | None:
    """A day and, when written, a time of day; None when the text is not one."""
    m = _DAY_FIRST.match(text)
    if m:
        day, month, year, hour, minute = m.groups()
    else:
        m = _ISO.match(text)
        if not m:
            return None
        year, month, day, hour, minute = m.groups()
    try:
        on = date(int(year), int(month), int(day))
        at = time(int(hour), int(minute)) if hour is not None else None
    except ValueError:
        return None
    return on, at


def moment_in(text: str, tz: ZoneInfo, default: time = time(0)) -> datetime | None:
    """An aware moment in ``tz``; a day written alone is at ``default`` that day."""
    read = read_moment(text)
    if read is None:
        return None
    on, at = read
    return datetime.combine(on, at or default, tzinfo=tz)
