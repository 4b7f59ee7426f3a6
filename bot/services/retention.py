"""Retention: sent messages and the notices no tick can plan again are pruned after
``[retention] days`` (``RetentionSettings``; 0 keeps everything). The audit trail
(``StatusUpdate``) is never touched, nor a message waiting or failed.

A notice is the key that keeps every reminder single (``bot.scheduler.planners.messages
.existing_keys``): pruning one the ladder could still plan would send its reminder a
second time. So a notice goes only when its period is long past *and* the planners can
never reach it again (:func:`expired`):

- a recurring period ("2024-12", "2024-Q4", "2024-H2", "2024"): the ladder looks at the
  current period and the one before only, so once the period after it has ended too;
- a due date ("2024-12-31", a milestone "m:2024-12-31", a file's appointment): a stage
  before or on the due date fires only up to that date; a stage after it
  ("late-N", a file's ``late_head``) is the latest one reached for at most
  ``N + repeat_every`` working days (then a later repeat takes over), so once that
  time is over, with a margin for holidays;
- except the stages that stay the latest one reached for as long as the part or file is
  open (the last rung of a milestone before the last one, which does not repeat; a
  file's ``late_coordinator``): those are kept, with their message.

An update received (``bot.services.inbox``) goes once it was handled more than ``days``
ago. An outbox row goes when it was sent more than ``days`` ago and no notice refers to it
any more (the foreign key ``notice.outbox_id``), with its ``SentMessage`` rows first
(their foreign key ``sentmessage.outbox_id``). Rows are deleted in batches of
:data:`BATCH`, each batch its own transaction, so that a first pruning of years of data
never holds a lock for long.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, exists, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from bot.config import Settings
from bot.db import OUTAGE, session_scope
from bot.domain.calendar import VIETNAM
from bot.domain.policy import Ladder, fixed_stages
from bot.domain.tthc import LATE_COORDINATOR
from bot.models import Notice, Outbox, OutboxState, SentMessage
from bot.services import inbox

log = logging.getLogger(__name__)

BATCH = 1000  # rows deleted in one transaction
# Calendar days a due date may move by a run of holidays (Tết is the longest, about nine
# days), added to every working-day window below before it is called over.
HOLIDAY_MARGIN = timedelta(days=30)
# A tick replayed at another moment (``dondoc simulate``, ``tick --at``) prunes nothing:
# retention is about the age of the rows now, and a replay must not lose what it counts.
LIVE_WITHIN = timedelta(hours=12)

_MONTH = re.compile(r"(\d{4})-(\d{2})")
_PART = re.compile(r"(\d{4})-([QH])([1-4])")
_YEAR = re.compile(r"\d{4}")
_DAY = re.compile(r"(?:m:)?(\d{4}-\d{2}-\d{2})")


@dataclass
class Pruned:
    """What one pruning deleted: rows of each table."""

    notices: int = 0
    outbox: int = 0
    sent_messages: int = 0
    inbox: int = 0  # updates received and handled (``bot.services.inbox``)

    @property
    def total(self) -> int:
        return self.notices + self.outbox + self.sent_messages + self.inbox


def _months_later(day: date, months: int) -> date:
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, 1)


def _replannable_until(period: str) -> date | None:
    """For a recurring period's key, the last day the ladder may look at it (the end of
    the period after it); None for a key that is not a recurring period."""
    if found := _MONTH.fullmatch(period):
        first = date(int(found.group(1)), int(found.group(2)), 1)
        size = 1
    elif found := _PART.fullmatch(period):
        size = 3 if found.group(2) == "Q" else 6
        first = date(int(found.group(1)), (int(found.group(3)) - 1) * size + 1, 1)
    elif _YEAR.fullmatch(period):
        first, size = date(int(period), 1, 1), 12
    else:
        return None
    return _months_later(first, 2 * size) - timedelta(days=1)


def _working_days_at_most(days: int) -> timedelta:
    """Calendar days that hold at least ``days`` working days (five in seven)."""
    return timedelta(days=math.ceil(days * 7 / 5) + 2)


def expired(notice: Notice, today: date, ladder: Ladder) -> bool:
    """Whether no planner can plan ``notice`` again from ``today`` on (the module's rules).
    A period or stage it does not recognise is never expired."""
    if notice.period and (last := _replannable_until(notice.period)) is not None:
        return last < today
    found = _DAY.fullmatch(notice.period or "")
    if found is None:
        return False
    due = date.fromisoformat(found.group(1))
    if notice.file_id is not None:  # a late file: stages by its appointment
        if notice.stage == LATE_COORDINATOR.name:
            return False  # the latest stage reached while the file is open, for ever
        return due + _working_days_at_most(0) + HOLIDAY_MARGIN < today
    stage = notice.stage
    if stage == "due" or stage.startswith("before-"):
        return due + HOLIDAY_MARGIN < today
    if not stage.startswith("late-") or not stage[5:].isdigit():
        return False
    days = int(stage[5:])
    if notice.period.startswith("m:") and days == fixed_stages(ladder)[-1].offset:
        return False  # a milestone before the last one stops at its last rung, for ever
    window = _working_days_at_most(days + ladder.repeat_every)
    return due + window + HOLIDAY_MARGIN < today


def prune(engine: Engine, now: datetime, settings: Settings, *, batch: int = BATCH) -> Pruned:
    """Delete what ``settings.retention`` lets go at ``now`` (aware): expired notices
    created before the cut-off, then outbox rows sent before it that no notice refers
    to, with their sent-message rows. Batches of ``batch`` rows, each committed."""
    done = Pruned()
    days = settings.retention.days
    if days <= 0:
        return done
    cutoff = now - timedelta(days=days)
    today = now.astimezone(VIETNAM).date()
    after = 0
    while True:  # notices, by id, a batch at a time
        with Session(engine) as session:
            rows = (
                session.execute(
                    select(Notice)
                    .where(col(Notice.created_at) < cutoff, col(Notice.id) > after)
                    .order_by(col(Notice.id))
                    .limit(batch)
                )
                .scalars()
                .all()
            )
            if not rows:
                break
            after = rows[-1].id or after
            gone = [n.id for n in rows if expired(n, today, settings.ladder)]
            if gone:
                session.execute(delete(Notice).where(col(Notice.id).in_(gone)))
                session.commit()
                done.notices += len(gone)
    referred = exists().where(col(Notice.outbox_id) == col(Outbox.id))
    while True:  # outbox rows sent long ago and no longer any notice's message
        with Session(engine) as session:
            ids = list(
                session.execute(
                    select(col(Outbox.id))
                    .where(
                        col(Outbox.state) == OutboxState.SENT,
                        col(Outbox.sent_at) < cutoff,
                        ~referred,
                    )
                    .order_by(col(Outbox.id))
                    .limit(batch)
                ).scalars()
            )
            if not ids:
                break
            sent = session.execute(delete(SentMessage).where(col(SentMessage.outbox_id).in_(ids)))
            session.execute(delete(Outbox).where(col(Outbox.id).in_(ids)))
            session.commit()
            done.sent_messages += sent.rowcount or 0  # type: ignore[attr-defined]
            done.outbox += len(ids)
    with session_scope(engine) as session:  # what officers sent, handled long ago
        done.inbox = inbox.prune(session, cutoff)
    if done.total:
        log.info("retention: pruned %d outbox rows, %d sent-message rows, %d notices and %d "
                 "updates received older than %d days", done.outbox, done.sent_messages,
                 done.notices, done.inbox, days)  # fmt: skip
    return done


_last_day: date | None = None  # the day this process last pruned


def prune_daily(engine: Engine, now: datetime, settings: Settings) -> Pruned | None:
    """:func:`prune` once a day (Vietnam's calendar) per process, for the planning tick;
    None when it was not this tick's turn. A tick at a moment far from the clock (a
    replay) never prunes. A failure is logged, never raised: planning goes on."""
    global _last_day
    today = now.astimezone(VIETNAM).date()
    if settings.retention.days <= 0 or _last_day == today:
        return None
    if abs(datetime.now(now.tzinfo) - now) > LIVE_WITHIN:
        return None
    _last_day = today
    try:
        return prune(engine, now, settings)
    except Exception as exc:  # the database away: said once by OUTAGE
        if not OUTAGE.failed(exc, "pruning old data"):
            log.exception("retention: pruning failed; it is tried again tomorrow")
        return None
