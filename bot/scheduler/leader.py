"""One planner at a time when several ``dondoc run`` processes share a PostgreSQL database.

Every process ticks, and every process sends; only the leader plans. The planning
transaction takes a transaction-scoped advisory lock
(``pg_try_advisory_xact_lock``, PostgreSQL manual, "Advisory Lock Functions"): it is
released with the transaction's commit or rollback, and by the server when the
connection ends, so a leader that crashes, even mid-tick, frees it. A process that does
not get it (another is planning right now) skips the tick quietly.

The lock alone would let each process plan at its own moments in turn, a tick's planning
split between them. So leadership is also kept between ticks: under the lock, the worker
whose planning tick was the latest (``TickRun``, which only the leader writes) keeps it,
unless that tick ended more than :data:`TAKEOVER_TICKS` intervals ago (the leader is gone:
stopped, killed, cut off), and then the first process to tick takes over. The new
leader records its tick's start in the same transaction, so a second process cannot take
over too before it commits. Planning twice would be harmless (each notice has its unique
outbox key); the rule is for one clear log and one ``dondoc health`` line per tick.

On SQLite one process runs per database file (``bot.cli.run_lock``): it always leads.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlmodel import Session

from bot.services.ticks import ended_at, last_tick, record_tick

# The advisory lock's key, one 64-bit number for "dondoc: planning" among the locks of
# any application on the server: the first 8 bytes of its SHA-256, as a signed integer
# (``int.from_bytes(sha256(b"dondoc: planning").digest()[:8], "big", signed=True)``).
PLANNING_LOCK = -6856646327598676818
# Missed intervals after which a leader's last tick means it is gone: two, so that one
# slow or failed tick does not move the planning, and the new leader plans before
# ``dondoc health`` calls the ticks stale (three intervals, ``services.health``).
TAKEOVER_TICKS = 2


def leads(session: Session, worker: str, now: datetime, tick_seconds: int) -> bool:
    """Whether ``worker`` plans the tick at ``now`` in ``session``'s transaction (which
    then holds the lock until it ends, and records the tick's start for ``worker``)."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    if not session.execute(select(func.pg_try_advisory_xact_lock(PLANNING_LOCK))).scalar_one():
        return False  # another process is planning now
    leader = last_tick(session)
    if leader is not None and leader.worker != worker and not _gone(ended_at(leader), now,
                                                                    tick_seconds):  # fmt: skip
        return False
    record_tick(session, worker=worker, started_at=now, seconds=0.0)
    return True


def _gone(ended_at: datetime, now: datetime, tick_seconds: int) -> bool:
    """A leader whose last tick ended at ``ended_at`` missed ``TAKEOVER_TICKS`` intervals."""
    return now - ended_at > timedelta(seconds=TAKEOVER_TICKS * tick_seconds)
