"""Rules for administrative-procedure files (hồ sơ TTHC): due dates and warning stages.

Due dates follow the Civil Code 2015 (art. 147–148): counting starts the day after
receipt, in working days, and a last day that is not a working day moves to the next
one. Some procedures count a receipt after a cut-off hour (often 15:00) as the next
working day's: that hour is a setting, off by default.

Stages (Nghị định 61/2018/NĐ-CP): a warning N working days ahead; "phải xin lỗi" one
working day before the due date, the last day the law allows for the letter; at the due
date with no approved letter, the head too; one working day late ("trễ hạn"), the
coordinator too. A file whose letter was approved is on its new date, which it may not
miss: it is warned before it and escalated to all if it passes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum

from bot.domain.calendar import WorkCalendar
from bot.domain.policy import Audience
from bot.domain.text import fold


class Kind(StrEnum):
    OPEN = "open"
    RETURNED = "returned"
    CLOSED = "closed"


_RETURNED = (
    "da tra",
    "tra ket qua",
    "hoan thanh",
    "da giai quyet",
    "returned",
    "done",
    "da co ket qua",
)
_CLOSED = (
    "tu choi",
    "rut ho so",
    "huy",
    "dung xu ly",
    "khong giai quyet",
    "withdrawn",
    "cancelled",
)


def file_kind(status_text: str, returned: bool) -> Kind:
    folded = fold(status_text)
    if returned or any(w in folded for w in _RETURNED):
        return Kind.RETURNED
    if any(w in folded for w in _CLOSED):
        return Kind.CLOSED
    return Kind.OPEN


def due_date(received: datetime, days: int, cal: WorkCalendar, cutoff: time | None = None) -> date:
    """The appointment date for ``days`` working days from a receipt (local time)."""
    local = cal.local(received)
    start = local.date()
    if not cal.is_working_day(start):  # online, on a day off: received the next working day
        start = cal.on_or_after(start)
    elif cutoff is not None and local.time() >= cutoff:
        start = cal.add_working_days(start, 1)
    return cal.add_working_days(start, days)


@dataclass(frozen=True)
class FileSettings:
    warn_days: int = 3  # "sắp đến hạn", working days ahead
    cutoff: time | None = None  # receipts after this hour count from the next working day
    # Files named in one warning to one chat; the others are counted by stage and listed
    # by /hoso. An export full of historic late files must not become a thousand messages.
    listed: int = 15

    def __post_init__(self) -> None:
        if not 0 < self.warn_days <= 30:
            raise ValueError(f"warn_days: 1 to 30 working days, got {self.warn_days}")
        if not 0 < self.listed <= 100:
            raise ValueError(f"listed: 1 to 100 files, got {self.listed}")


@dataclass(frozen=True)
class FileStage:
    name: str  # due_soon | must_apologize | late_head | late_coordinator
    audience: frozenset[Audience]
    label: str  # what the stage is, for people


DUE_SOON = FileStage("due_soon", frozenset({Audience.GROUP}), "Hồ sơ TTHC sắp đến hạn")
MUST_APOLOGIZE = FileStage(
    "must_apologize", frozenset({Audience.GROUP}), "Hồ sơ phải xin lỗi (hạn chót gửi văn bản)"
)
LATE_HEAD = FileStage(
    "late_head",
    frozenset({Audience.GROUP, Audience.HEAD}),
    "Hồ sơ đến hạn chưa có kết quả (báo Thủ trưởng)",
)
LATE_COORDINATOR = FileStage(
    "late_coordinator",
    frozenset({Audience.GROUP, Audience.HEAD, Audience.COORDINATOR}),
    "Hồ sơ trễ hạn (báo cơ quan đôn đốc)",
)
FILE_STAGES = (DUE_SOON, MUST_APOLOGIZE, LATE_HEAD, LATE_COORDINATOR)  # in the order they come
# The order a chat is told of its files in: what can still be done today first (the
# letter's last day, then the files due today), then those still on time, then those
# already late, for which nothing can be undone.
BY_URGENCY = (MUST_APOLOGIZE, LATE_HEAD, DUE_SOON, LATE_COORDINATOR)


def file_stage_label(name: str) -> str:
    """The label of the files stage ``name`` (the name itself for one no longer made)."""
    return next((s.label for s in FILE_STAGES if s.name == name), name)


@dataclass(frozen=True)
class FileDecision:
    stage: FileStage | None
    working_days: int  # from the due date to today: negative = days left
    next_check: date | None


def decide_file(
    due: date, today: date, cal: WorkCalendar, settings: FileSettings, *, apology_approved: bool
) -> FileDecision:
    """The latest stage reached today for one open file, and when to look again.

    With an approved letter the file is on its new date: it warns again before that date,
    and escalates only if the new date passes too.
    """
    due = cal.on_or_after(due)
    if not cal.is_working_day(today):
        return FileDecision(None, 0, cal.on_or_after(today))
    offset = cal.working_days_between(due, today)
    if apology_approved:  # on its new date: the law allows no second move
        steps = [(-settings.warn_days, DUE_SOON), (1, LATE_COORDINATOR)]
    else:
        steps = [
            (-settings.warn_days, DUE_SOON),
            (-1, MUST_APOLOGIZE),
            (0, LATE_HEAD),
            (1, LATE_COORDINATOR),
        ]
    reached = [stage for at, stage in steps if at <= offset]
    upcoming = [at for at, _ in steps if at > offset]
    next_check = cal.add_working_days(due, min(upcoming)) if upcoming else None
    return FileDecision(reached[-1] if reached else None, offset, next_check)
