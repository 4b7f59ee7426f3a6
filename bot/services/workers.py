"""The ``worker`` table: each ``dondoc run`` process on PostgreSQL and its last heartbeat
(``bot.scheduler.fleet``). Times are the database's ``now()``, so that the servers of
several processes need not agree on the time; every wait is in seconds."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.db import session_scope
from bot.models import Worker

_FORGET = timedelta(hours=1)  # a row not heard from for this long is deleted


def beat(engine: Engine, worker: str, live_seconds: float) -> list[str]:
    """``worker`` is alive now; returns the workers seen within ``live_seconds`` (itself
    among them), sorted. Rows silent for an hour are deleted. PostgreSQL only."""
    table = Worker.metadata.tables["worker"]
    now = func.now()
    with session_scope(engine) as session:
        session.execute(
            postgresql.insert(table)
            .values(worker=worker, started_at=now, seen_at=now)
            .on_conflict_do_update(index_elements=["worker"], set_={"seen_at": now})
        )
        session.execute(delete(Worker).where(col(Worker.seen_at) < now - _FORGET))
        live = session.exec(
            select(Worker.worker).where(
                col(Worker.seen_at) >= now - timedelta(seconds=live_seconds)
            )
        ).all()
    return sorted(live)


def leave(engine: Engine, worker: str) -> None:
    """``worker`` stops: its row goes, and the others take its chats at their next
    heartbeat."""
    with session_scope(engine) as session:
        session.execute(delete(Worker).where(col(Worker.worker) == worker))
