"""The inbox: every update a channel delivers is kept before the channel hears it arrived,
claimed while it is handled, and marked handled (the transactional inbox, the outbox's
counterpart on the way in).

Why: Telegram keeps an update until a later ``getUpdates`` names a higher offset (Bot API,
"getUpdates": "An update is considered confirmed as soon as getUpdates is called with an
offset higher than its update_id"). python-telegram-bot asks for the next batch as soon as
it has queued the last one, before the handlers ran: a process killed with a queue of
updates lost every one of them, each an officer's "xong ạ" or command. Now each is written
here first (``store``: the queue's ``put`` waits for it, so nothing is confirmed that is
not kept), and whatever a killed process left unhandled is handled by another process or
by the next start (``leftovers``).

Each update is handled once: a process handles an update only after claiming it
(``claim``: a conditional UPDATE, as the outbox claims its rows), for ``LEASE`` at most; a
redelivered update already handled is dropped (``store`` answers ``False``). The window:
a process killed after an update's handler ran and before ``handled`` committed has it
handled again once its claim's lease ends.

Times are UTC; ``lease_seconds`` are seconds.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.db import session_scope, until_answered
from bot.models import InboxUpdate

log = logging.getLogger(__name__)

#: Seconds a process may take to handle an update it claimed before another may take it
#: (``dispatch.lease_seconds``, the outbox's lease, in ``dondoc run``): a handler answers
#: in well under a second; with a slow Bot API (a reply waits for its slot in the rate
#: limiter, a quarter of the lease at most) in tens of seconds.
LEASE = 120.0


def store(engine: Engine, channel: str, key: str, payload: dict[str, Any], now: datetime) -> bool:
    """Keep the update ``key`` of ``channel`` (``payload``: the update as the channel sent
    it, JSON). ``True`` when it is to be handled (new, or kept before and not handled
    yet); ``False`` when it was handled already (the channel delivered it again). Committed
    before it returns. Raises SQLAlchemy's errors (the database away)."""
    table = InboxUpdate.metadata.tables["inboxupdate"]
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    with session_scope(engine) as session:
        inserted = session.execute(
            dialect.insert(table)
            .values(channel=channel, update_key=key, payload=payload, received_at=now)
            .on_conflict_do_nothing(index_elements=["channel", "update_key"])
        )
        if inserted.rowcount == 1:  # type: ignore[attr-defined]  # a CursorResult
            return True
        handled = session.exec(
            select(InboxUpdate.handled_at).where(
                col(InboxUpdate.channel) == channel, col(InboxUpdate.update_key) == key
            )
        ).one()
        return handled is None


def claim(engine: Engine, channel: str, key: str, worker: str, now: datetime,
          lease_seconds: float = LEASE) -> bool:  # fmt: skip
    """``worker`` handles the update ``key`` until ``now + lease_seconds``: ``False`` when
    it was handled already or another worker's claim on it still runs (then ``worker``
    must not handle it)."""
    with session_scope(engine) as session:
        taken = session.execute(
            update(InboxUpdate)
            .where(
                col(InboxUpdate.channel) == channel,
                col(InboxUpdate.update_key) == key,
                col(InboxUpdate.handled_at).is_(None),
                or_(col(InboxUpdate.claimed_by).is_(None), col(InboxUpdate.lease_until) < now),
            )
            .values(claimed_by=worker, lease_until=now + timedelta(seconds=lease_seconds))
        )
        return bool(taken.rowcount == 1)  # type: ignore[attr-defined]  # a CursorResult


def handled(engine: Engine, channel: str, key: str, now: datetime) -> None:
    """The update ``key`` was handled (its handler ran, whether it answered or failed): it
    is never handled again."""
    with session_scope(engine) as session:
        session.execute(
            update(InboxUpdate)
            .where(col(InboxUpdate.channel) == channel, col(InboxUpdate.update_key) == key)
            .values(handled_at=now)
        )


def leftovers(
    engine: Engine, channel: str, now: datetime, *, older_than: float, skip: Collection[str] = (),
    limit: int = 500,
) -> list[tuple[str, dict[str, Any]]]:  # fmt: skip
    """The updates of ``channel`` nobody handles: not handled, received more than
    ``older_than`` seconds before ``now`` (a live process may still have a newer one in
    its queue), unclaimed or whose claim's lease ran out; without those in ``skip`` (keys
    the caller has queued already). (key, payload) pairs, oldest first, ``limit`` at most."""
    with Session(engine) as session:
        rows = session.exec(
            select(InboxUpdate.update_key, InboxUpdate.payload)
            .where(
                col(InboxUpdate.channel) == channel,
                col(InboxUpdate.handled_at).is_(None),
                col(InboxUpdate.received_at) <= now - timedelta(seconds=older_than),
                or_(col(InboxUpdate.claimed_by).is_(None), col(InboxUpdate.lease_until) < now),
                col(InboxUpdate.update_key).not_in(list(skip)),
            )
            .order_by(col(InboxUpdate.id))
            .limit(limit)
        ).all()
    return [(key, dict(payload)) for key, payload in rows]


def release_all(engine: Engine, channel: str) -> None:
    """Every claim on ``channel``'s unhandled updates ends now: the process that held
    them is gone (on SQLite one process runs per database file, so at its start any claim
    is a dead process's)."""
    with session_scope(engine) as session:
        session.execute(
            update(InboxUpdate)
            .where(col(InboxUpdate.channel) == channel, col(InboxUpdate.handled_at).is_(None))
            .values(claimed_by=None, lease_until=None)
        )


def prune(session: Session, before: datetime) -> int:
    """Delete the updates handled before ``before``; returns how many. Telegram delivers
    an update again for 24 hours at most, so a few days' rows are enough to drop a late
    redelivery."""
    done = session.execute(
        delete(InboxUpdate).where(
            col(InboxUpdate.handled_at).is_not(None), col(InboxUpdate.handled_at) < before
        )
    )
    return int(done.rowcount)  # type: ignore[attr-defined]  # a CursorResult


async def handle_once(
    engine: Engine, channel: str, key: str, *, worker: str, clock: Callable[[], datetime],
    lease_seconds: float, handling: Awaitable[object],
) -> bool:  # fmt: skip
    """Await ``handling`` (the handlers of the kept update ``key``) only if ``worker``
    claims it, then mark it handled whatever the handlers did; ``False`` (``handling``
    closed unawaited) when another worker has it or it was handled. The database away is
    waited for; a claim that fails otherwise handles the update anyway (never drop an
    officer's message for the inbox's sake)."""
    try:
        mine = await until_answered(
            lambda: claim(engine, channel, key, worker, clock(), lease_seconds),
            "claiming an update",
        )
    except Exception:
        log.exception("%s update %s could not be claimed; handled anyway", channel, key)
        mine = True
    if not mine:
        log.info("%s update %s is handled by another process, or was: skipped", channel, key)
        if asyncio.iscoroutine(handling):
            handling.close()
        return False
    try:
        await handling
    finally:
        await until_answered(lambda: handled(engine, channel, key, clock()), "marking it handled")
    return True
