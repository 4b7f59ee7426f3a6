"""The messages each channel carries in a month, against its plan's quota (Zalo).

A Zalo bot runs on a plan that allows so many messages a month. Zalo Bot Platform's terms
name a free and a paid version and leave the figures to Zalo Bot Creator; others report
a few thousand a month on the basic plan, counted both ways (UNVERIFIED: no stored copy
of Zalo's docs gives a number). So dondoc counts what it sees, per calendar month in
Vietnam (Asia/Ho_Chi_Minh): every message the channel accepted from the bot and every
message that reached the bot (:func:`count`, called by the Zalo client).

With a quota set (``ZALO_MONTHLY_QUOTA``; without one the channel is counted, not held):

- when the count reaches 80 % (:data:`WARN_SHARE`) the admins are told, once that month;
- once it is spent the dispatcher holds that channel's notices in the outbox (nothing is
  lost: they go out when the month turns or the quota is raised) and the admins are told,
  once that month. Answers to people who wrote in are still tried: Zalo decides, and a
  refused answer is no worse than silence.

The figures are shown by ``dondoc health`` and in the coordinator's weekly digest.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.config import Settings
from bot.db import first_line, session_scope, unreachable
from bot.domain.calendar import VIETNAM
from bot.models import ChannelUsage
from bot.render import answer
from bot.services.actions import alert_admins

log = logging.getLogger(__name__)

WARN_SHARE = 0.8  # the share of the quota at which the admins are warned


@dataclass(frozen=True)
class Usage:
    """One channel's messages in one month (``month``: its first day) and its quota."""

    channel: str
    month: date
    sent: int = 0
    received: int = 0
    quota: int | None = None  # messages a month, both ways; None: not limited by dondoc

    @property
    def used(self) -> int:
        return self.sent + self.received

    @property
    def share(self) -> float | None:
        """The part of the quota used (1.0 = all of it), or None without a quota."""
        return self.used / self.quota if self.quota else None

    @property
    def spent(self) -> bool:
        return self.quota is not None and self.used >= self.quota


def month_of(now: datetime) -> date:
    """The first day of ``now``'s month in Vietnam (a quota's month turns at local midnight)."""
    local = now.astimezone(VIETNAM)
    return date(local.year, local.month, 1)


def quota(settings: Settings, channel: str) -> int | None:
    """The monthly quota configured for ``channel`` (only Zalo has one)."""
    return settings.zalo_monthly_quota if channel == "zalo" else None


def usage(session: Session, channel: str, now: datetime, settings: Settings) -> Usage:
    """``channel``'s count for ``now``'s month (zeros before its first message)."""
    month = month_of(now)
    row = session.get(ChannelUsage, (channel, month))
    sent, received = (row.sent, row.received) if row is not None else (0, 0)
    return Usage(channel, month, sent, received, quota(settings, channel))


def usages(session: Session, now: datetime, settings: Settings) -> list[Usage]:
    """This month's figures of every channel counted this month or with a quota, by name."""
    month = month_of(now)
    counted = session.exec(select(ChannelUsage.channel).where(ChannelUsage.month == month)).all()
    limited = {"zalo"} if settings.zalo_monthly_quota is not None else set()
    names = sorted({*counted, *limited})
    return [usage(session, name, now, settings) for name in names]


def count(
    session: Session, channel: str, now: datetime, settings: Settings, *, sent: int = 0,
    received: int = 0,
) -> Usage:  # fmt: skip
    """Add ``sent`` and ``received`` messages to ``channel``'s month, atomically (several
    processes may count at once), and tell the admins when this count crossed 80 % or all
    of the quota. Returns the month's new figures."""
    month = month_of(now)
    totals = session.execute(_increment(session, channel, month, sent, received)).one()
    counted = Usage(channel, month, totals.sent, totals.received, quota(settings, channel))
    before = counted.used - sent - received
    if counted.quota is not None:
        for share, event in ((WARN_SHARE, "quota_warning"), (1.0, "quota_spent")):
            mark = math.ceil(counted.quota * share)
            if before < mark <= counted.used:
                log.warning("%s: %d of %d messages this month (%s)", channel, counted.used,
                            counted.quota, event)  # fmt: skip
                tell_admins(session, counted, event, now)
    return counted


class UsageMeter:
    """Counts one channel's messages as they cross the wire (``meter(sent=1)``), each in a
    short transaction of its own. A count that fails is logged, never raised: the message
    has already gone, and an error here would have it sent again."""

    def __init__(
        self, engine: Engine, channel: str, settings: Settings, clock: Callable[[], datetime]
    ) -> None:
        self.engine, self.channel, self.settings, self.clock = engine, channel, settings, clock

    def __call__(self, *, sent: int = 0, received: int = 0) -> None:
        try:
            with session_scope(self.engine) as session:
                count(session, self.channel, self.clock(), self.settings, sent=sent,
                      received=received)  # fmt: skip
        except Exception as exc:  # the database away: one line, the driver's first
            if not unreachable(exc):
                log.exception("%s: cannot count %d sent, %d received", self.channel, sent,
                              received)  # fmt: skip
                return
            log.warning("%s: cannot count %d sent, %d received (database unreachable: %s)",
                        self.channel, sent, received, first_line(exc))  # fmt: skip


def tell_admins(session: Session, counted: Usage, event: str, now: datetime) -> int:
    """``quota_warning`` or ``quota_spent`` to every admin chat, at most once a month (the
    outbox key carries the channel, month and event). Returns how many admin chats there
    are to tell."""
    text = answer(event, u=counted, channel=counted.channel.capitalize())
    return alert_admins(session, f"{event}:{counted.channel}:{counted.month:%Y%m}", text, now)


def _increment(session: Session, channel: str, month: date, sent: int, received: int) -> Insert:
    """INSERT … ON CONFLICT DO UPDATE adding to the counts, RETURNING the new totals."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(ChannelUsage).values(
        channel=channel, month=month, sent=sent, received=received
    )
    table = ChannelUsage.__table__.c  # type: ignore[attr-defined]
    return statement.on_conflict_do_update(
        index_elements=[table.channel, table.month],
        set_={"sent": table.sent + sent, "received": table.received + received},
    ).returning(col(ChannelUsage.sent), col(ChannelUsage.received))
