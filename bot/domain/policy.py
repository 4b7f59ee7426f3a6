"""Which notice is due for one agency's part of a task, on a given day.

The ladder, in working days around the due date: reminders 7, 3 and 1 days ahead and
on the morning of the day, to the agency's group; 1 day late to the group (asking for a
reason), 3 days late also to the head, 7 days late also to the coordinator and the
admins; then a repeat every N days until done. Each notice belongs to a *period*: the
due date itself, a recurring report's period ("2024-Q4") or a milestone. A new due date
(an approved extension) is a new period, so the ladder starts again.

Only the latest stage reached is returned: after downtime the agency gets one notice,
not the backlog. The caller remembers what was sent (by stage and period) and skips it.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from bot.domain.calendar import WorkCalendar
from bot.domain.deadlines import PERIOD_MONTHS, Deadline, DueDate, Milestones, Period, Recurring


class Audience(StrEnum):
    GROUP = "group"
    HEAD = "head"
    COORDINATOR = "coordinator"
    ADMINS = "admin"


@dataclass(frozen=True)
class Ladder:
    before: tuple[int, ...] = (7, 3, 1)
    on_due_day: bool = True
    late_group: int = 1
    late_head: int = 3
    late_coordinator: int = 7
    repeat_every: int = 5

    def __post_init__(self) -> None:
        if any(n <= 0 for n in self.before):
            raise ValueError("reminders ahead must be positive numbers of working days")
        days_late = {"group_after": self.late_group, "head_after": self.late_head,
                     "coordinator_after": self.late_coordinator}  # fmt: skip
        for key, days in days_late.items():
            if days <= 0:
                raise ValueError(f"{key}: at least 1 working day late, got {days}")
        if not self.late_group <= self.late_head <= self.late_coordinator:
            raise ValueError(
                "escalation days must grow: group_after ≤ head_after ≤ coordinator_after"
            )
        if self.repeat_every <= 0:
            raise ValueError("repeat_every must be positive")


@dataclass(frozen=True)
class Stage:
    name: str  # "before-3", "due", "late-1", "late-12"
    offset: int  # working days from the due date; negative before it
    audience: frozenset[Audience]
    repeat: bool = False  # a repeat after the last fixed stage, every ``repeat_every`` days

    @property
    def overdue(self) -> bool:
        return self.offset > 0

    @property
    def label(self) -> str:
        """What the stage is, for people: "Quá hạn 3 ngày (nhóm, Thủ trưởng)". Repeats
        share one label: they are one line in a summary."""
        if self.repeat:
            return f"Nhắc lại khi vẫn quá hạn ({_audience_label(self.audience)})"
        if self.offset < 0:
            return f"Trước hạn {-self.offset} ngày làm việc"
        if self.offset == 0:
            return "Đúng ngày hạn"
        return f"Quá hạn {self.offset} ngày ({_audience_label(self.audience)})"


_GROUP = frozenset({Audience.GROUP})
_HEAD = frozenset({Audience.GROUP, Audience.HEAD})
_ALL = frozenset(Audience)


def _audience_label(audience: frozenset[Audience]) -> str:
    if Audience.COORDINATOR in audience:
        return "cả cơ quan đôn đốc, quản trị"
    return "nhóm, Thủ trưởng" if Audience.HEAD in audience else "nhóm"


def fixed_stages(ladder: Ladder) -> list[Stage]:
    stages = [Stage(f"before-{n}", -n, _GROUP) for n in sorted(set(ladder.before), reverse=True)]
    if ladder.on_due_day:
        stages.append(Stage("due", 0, _GROUP))
    stages.append(Stage(f"late-{ladder.late_group}", ladder.late_group, _GROUP))
    if ladder.late_head > ladder.late_group:
        stages.append(Stage(f"late-{ladder.late_head}", ladder.late_head, _HEAD))
    if ladder.late_coordinator > ladder.late_head:
        stages.append(Stage(f"late-{ladder.late_coordinator}", ladder.late_coordinator, _ALL))
    else:
        stages[-1] = Stage(stages[-1].name, stages[-1].offset, _ALL)
    return stages


def _repeat_stage(offset: int) -> Stage:
    return Stage(f"late-{offset}", offset, _HEAD, repeat=True)


def stage_offset(name: str) -> int | None:
    """The working days from the due date a stage's name says: "before-3" → -3, "due" → 0,
    "late-12" → 12; ``None`` for a name no ladder makes."""
    if name == "due":
        return 0
    kind, _, days = name.partition("-")
    if kind not in ("before", "late") or not days.isdigit() or int(days) <= 0:
        return None
    return -int(days) if kind == "before" else int(days)


def stage_named(name: str, ladder: Ladder) -> Stage | None:
    """The stage a notice's ``name`` stands for on ``ladder``: one of its fixed stages or a
    repeat after the last. ``None`` if the ladder makes no such stage (it was changed)."""
    stages = fixed_stages(ladder)
    for stage in stages:
        if stage.name == name:
            return stage
    offset = stage_offset(name)
    if offset is not None and offset > stages[-1].offset:
        return _repeat_stage(offset)
    return None


def stage_label(name: str, ladder: Ladder) -> str:
    """The label of the stage ``name`` on ``ladder`` (see :attr:`Stage.label`); for a name
    the ladder no longer makes (sent before a change), what the name itself says."""
    stage = stage_named(name, ladder)
    if stage is not None:
        return stage.label
    offset = stage_offset(name)
    if offset is None:
        return name
    if offset > 0:
        return f"Quá hạn {offset} ngày"
    return Stage(name, offset, _GROUP).label


@dataclass(frozen=True)
class Item:
    """What the policy needs to know about one part (assignment)."""

    deadline: Deadline
    due: date | None  # the part's own due date (after an extension) for a dated task
    lead: bool = True
    last_report_period: str | None = None  # recurring: the last period reported
    starts_on: date | None = None  # recurring: no period that ended before this day


@dataclass(frozen=True)
class Notice:
    stage: Stage
    period: str  # "2024-12-31", "2024-Q4", "m:2022-12-31"
    due: date  # the working-day due date of that period
    working_days: int  # from the due date to today: negative = days left

    @property
    def key(self) -> str:
        return f"{self.stage.name}@{self.period}"


@dataclass(frozen=True)
class Decision:
    notices: tuple[Notice, ...]
    next_check: date | None  # the next day a stage can fire; None: never (until changed)


def decide(item: Item, today: date, cal: WorkCalendar, ladder: Ladder) -> Decision:
    """The notices due today for one part, and when to look at it again."""
    periods = _periods(item, today)
    if periods is None:
        return Decision((), None)
    notices: list[Notice] = []
    next_checks: list[date] = []
    for period, raw_due, repeats in periods:
        due = cal.on_or_after(raw_due)
        notice, next_day = _ladder_step(due, today, cal, ladder, item.lead, repeats)
        if notice is not None:
            notices.append(Notice(notice, period, due, cal.working_days_between(due, today)))
        if next_day is not None:
            next_checks.append(next_day)
    if isinstance(item.deadline, Recurring):
        next_checks.append(_period_bounds(item.deadline, today)[1] + _ONE_DAY)  # next period
    return Decision(tuple(notices), min(next_checks) if next_checks else None)


def _ladder_step(
    due: date, today: date, cal: WorkCalendar, ladder: Ladder, lead: bool, repeats: bool
) -> tuple[Stage | None, date | None]:
    """The latest stage reached today for one due date, and the day the next one fires."""
    if not cal.is_working_day(today):
        return None, cal.on_or_after(today)  # nothing goes out on a day off
    stages = fixed_stages(ladder)
    offset = cal.working_days_between(due, today)
    if not lead:  # a coordinating agency is reminded before the date, never escalated
        if offset > 0:
            return None, None
        stages = [s for s in stages if s.offset <= 0]
    reached = [s for s in stages if s.offset <= offset]
    current = reached[-1] if reached else None
    future = [s.offset for s in stages if s.offset > offset]
    last = stages[-1].offset
    if lead and repeats:
        if offset > last:
            n = last + (offset - last) // ladder.repeat_every * ladder.repeat_every
            if n > last:
                current = _repeat_stage(n)
        future.append(
            last + ((max(offset, last) - last) // ladder.repeat_every + 1) * ladder.repeat_every
        )
    return current, cal.add_working_days(due, min(future)) if future else None


# --- periods ---------------------------------------------------------------------------

_ONE_DAY = date(2000, 1, 2) - date(2000, 1, 1)


def _periods(item: Item, today: date) -> list[tuple[str, date, bool]] | None:
    """(period key, due date, whether late repeats continue) of the periods to look at."""
    deadline = item.deadline
    if isinstance(deadline, DueDate):
        due = item.due or deadline.on
        return [(due.isoformat(), due, True)]
    if isinstance(deadline, Milestones):
        items = deadline.items
        return [(f"m:{m.on.isoformat()}", m.on, i == len(items) - 1) for i, m in enumerate(items)]
    if isinstance(deadline, Recurring):
        start, end = _period_bounds(deadline, today)
        previous = _period_bounds(deadline, start - _ONE_DAY)
        found = []
        for bounds in (previous, (start, end)):
            key = _period_key(deadline.period, bounds[0])
            if deadline.starts_on and bounds[1] < deadline.starts_on:
                continue
            if deadline.ends_on and bounds[0] > deadline.ends_on:
                continue
            if item.starts_on and bounds[1] < item.starts_on:
                continue
            if item.last_report_period and key <= item.last_report_period:
                continue
            due = _anchored_due(deadline, bounds)
            found.append((key, due, True))
        # The previous period's ladder goes on only while it is unreported; it then
        # hands over to the current one.
        return found
    return None  # unspecified: never reminded as if it had a date


def _period_bounds(deadline: Recurring, day: date) -> tuple[date, date]:
    months = PERIOD_MONTHS
    size = months[deadline.period]
    first_month = (day.month - 1) // size * size + 1
    start = date(day.year, first_month, 1)
    last_month = first_month + size - 1
    end = (
        date(day.year + 1, 1, 1) if last_month == 12 else date(day.year, last_month + 1, 1)
    ) - _ONE_DAY
    return start, end


def _anchored_due(deadline: Recurring, bounds: tuple[date, date]) -> date:
    """The period's due day: its anchor (months after its first month, day), else its end."""
    if deadline.anchor is None:
        return bounds[1]
    offset, day = deadline.anchor
    months = bounds[0].month - 1 + offset
    year, month = bounds[0].year + months // 12, months % 12 + 1
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _period_key(period: Period, start: date) -> str:
    if period is Period.MONTHLY:
        return f"{start:%Y-%m}"
    if period is Period.QUARTERLY:
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    if period is Period.HALF_YEARLY:
        return f"{start.year}-H{1 if start.month <= 6 else 2}"
    return f"{start.year}"


def period_of(deadline: Recurring, day: date) -> str:
    """The key of the period containing ``day`` (what a periodic report covers)."""
    return _period_key(deadline.period, _period_bounds(deadline, day)[0])
