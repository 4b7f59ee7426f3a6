"""Each worker's last planning tick in the database (``TickRun``): written by the
periodic tick of ``dondoc run`` (on PostgreSQL, by the process that leads the planning:
``bot.scheduler.leader``), read by ``dondoc health`` in another process."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, delete, select

from bot.models import TickRun

# A worker (``host:pid``) that has not ticked for this long is gone (a restart gives a
# new pid): its row goes, so that the table holds the processes of today.
GONE_AFTER = timedelta(days=1)


def record_tick(
    session: Session, *, worker: str, started_at: datetime, seconds: float, error: str = ""
) -> None:
    """``worker``'s last tick, replacing its previous one; the rows of workers gone go."""
    row = session.get(TickRun, worker) or TickRun(worker=worker, started_at=started_at)
    row.started_at, row.seconds, row.error = started_at, seconds, error[:500]
    session.add(row)
    session.exec(
        delete(TickRun).where(
            col(TickRun.started_at) < started_at - GONE_AFTER, col(TickRun.worker) != worker
        )
    )


def last_tick(session: Session) -> TickRun | None:
    """The latest tick of any worker, or None if no tick was ever recorded."""
    return session.exec(
        select(TickRun).order_by(col(TickRun.started_at).desc(), col(TickRun.worker))
    ).first()


def ended_at(tick: TickRun) -> datetime:
    """When ``tick`` ended (its start while it runs: its duration is written at its end)."""
    return tick.started_at + timedelta(seconds=tick.seconds)
