"""One process at a time receives Telegram by polling when several ``dondoc run`` processes
share a PostgreSQL database.

Telegram answers one ``getUpdates`` at a time per bot token: a second one ends the first
with HTTP 409 "Conflict: terminated by other getUpdates request; make sure that only one
bot instance is running" (Bot API, "getUpdates"; python-telegram-bot issue #4237). Two
processes polling in turn would each get some updates, some of them twice (an update is
only confirmed by the next ``getUpdates``), and the logs fill with conflicts. So only
the process holding a session-level advisory lock (``pg_try_advisory_lock``, PostgreSQL
manual, "Advisory Lock Functions") polls; it holds the lock on a connection of its own
for as long as it polls. The others send (``bot.scheduler.fleet``) but do not poll, and
try to take the lock again every ``dispatch.heartbeat_seconds`` (5 s): the server frees
a session lock when its connection ends, so a process that is killed, or whose machine
stops, is replaced within about one interval.

The holder checks its lock's connection at the same interval and stops polling at once
when it is gone (a database restart frees every lock: another process may hold it a
moment later), so two pollers overlap for at most about one interval. On SIGTERM it
stops polling (PTB confirms the updates it fetched) and then releases the lock.

On SQLite one process runs per database file (``bot.cli.run_lock``): it polls without a
lock. The webhook is not concerned: Telegram posts each update to one URL, and each
process behind it handles what it is given.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Awaitable, Callable

from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)

# The advisory lock's key, one 64-bit number for "dondoc: telegram polling" among the
# locks of any application on the server: the first 8 bytes of its SHA-256, as a signed
# integer (``int.from_bytes(sha256(b"dondoc: telegram polling").digest()[:8], "big",
# signed=True)``), as ``bot.scheduler.leader.PLANNING_LOCK``.
POLLING_LOCK = 6276209485594124191
# Seconds a check of the lock (or an attempt to take it) may take before it counts as
# failed: a busy database answers a ``SELECT 1`` in milliseconds; one that does not answer
# in seconds is cut off or restarting.
PATIENCE = 5.0


class PollingLock:
    """The session-level polling lock, held on a connection taken from ``engine`` for
    that alone. Its methods block (run them in a thread)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._held: Connection | None = None

    @property
    def held(self) -> bool:
        return self._held is not None

    def take(self) -> bool:
        """Whether this process holds the lock now (taken, or held from before)."""
        if self._held is not None:
            return True
        connection = self.engine.connect()
        try:
            got = connection.execute(select(func.pg_try_advisory_lock(POLLING_LOCK))).scalar_one()
            connection.commit()  # the lock is the session's: it outlives the transaction
        except BaseException:
            connection.close()
            raise
        if got:
            self._held = connection
        else:
            connection.close()
        return bool(got)

    def alive(self) -> bool:
        """Whether the lock's connection still answers (a connection that does not has
        lost the lock with its session, and is dropped)."""
        if self._held is None:
            return False
        try:
            self._held.execute(select(1))
            self._held.commit()
        except SQLAlchemyError:
            self.lost()
            return False
        return True

    def lost(self) -> None:
        """Forget the connection, and close it for good in a thread of its own: a check
        that timed out may still be using it (the close then waits for it), and it must
        not go back to the pool still holding the lock. Never blocks."""
        connection, self._held = self._held, None
        if connection is not None:
            threading.Thread(target=_invalidate, args=(connection,), daemon=True,
                             name="polling lock: close").start()  # fmt: skip

    def release(self) -> None:
        """Unlock and give the connection back to the pool; a connection already gone
        has released the lock with its session."""
        connection, self._held = self._held, None
        if connection is None:
            return
        try:
            connection.execute(select(func.pg_advisory_unlock(POLLING_LOCK)))
            connection.commit()
            connection.close()
        except SQLAlchemyError:
            self._held = connection
            self.lost()


def _invalidate(connection: Connection) -> None:
    """``connection`` closed, not returned to the pool (its session, and any lock it
    holds, ends with it)."""
    with contextlib.suppress(Exception):
        connection.invalidate()
        connection.close()


class PollingTurn:
    """Polls Telegram while this process holds the :class:`PollingLock`: ``start`` starts
    PTB's polling, ``stop`` stops it. :meth:`step` every ``every`` seconds (the fleet's
    heartbeat) takes the lock when it is free and checks it while held; a database call
    that takes longer than ``every`` (at least :data:`PATIENCE` seconds) counts as a
    failure (the lock as lost)."""

    def __init__(
        self, lock: PollingLock, start: Callable[[], Awaitable[object]],
        stop: Callable[[], Awaitable[object]], every: float,
    ) -> None:  # fmt: skip
        self.lock, self.start, self.stop, self.every = lock, start, stop, every
        self.polling = False
        self._waiting_told = False  # "another process receives" logged once
        self._task: asyncio.Task[None] | None = None

    async def step(self, *, raise_errors: bool = False) -> None:
        """Check the lock held, or try to take it and start polling. An error starting
        PTB's polling (a Telegram error) releases the lock again, and is raised with
        ``raise_errors`` or logged."""
        if self.polling:
            if not await self._call(self.lock.alive):
                self.lock.lost()
                await self._stop_polling("its database connection was lost")
            return
        taken = await self._call(self.lock.take)
        if taken is None:  # the database did not answer: nobody may hold the lock
            return
        if not taken:
            self._tell_waiting()
            return
        try:
            await self.start()
        except Exception as exc:
            await self._call(self.lock.release)
            if raise_errors:
                raise
            log.warning("Telegram: could not start polling (%s); trying again later.", exc)
            return
        self.polling, self._waiting_told = True, False
        log.warning("Telegram: this process now receives updates by polling "
                    "(it holds the polling lock).")  # fmt: skip

    async def _call(self, blocking: Callable[[], bool | None]) -> bool | None:
        """``blocking()`` in a thread, within ``every`` seconds; None when it failed (the
        database away or too slow: said by ``bot.db.OUTAGE`` where it lasts)."""
        try:
            return bool(await asyncio.wait_for(asyncio.to_thread(blocking),
                                               max(self.every, PATIENCE)))  # fmt: skip
        except (SQLAlchemyError, TimeoutError) as exc:
            log.debug("polling lock: %s", exc)
            return None

    def _tell_waiting(self) -> None:
        if not self._waiting_told:
            log.info("Telegram: another process receives updates by polling; this one sends "
                     "only and takes over if that one stops.")  # fmt: skip
            self._waiting_told = True

    async def _stop_polling(self, why: str) -> None:
        self.polling = False
        await self.stop()
        log.warning("Telegram: this process stopped receiving updates (%s).", why)

    def run(self) -> None:
        """:meth:`step` every ``every`` seconds in the background, until :meth:`close`."""
        self._task = asyncio.create_task(self._loop(), name="telegram polling lock")

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.every)
            try:
                await self.step()
            except Exception:  # never let the turn die: the process would stop receiving
                log.exception("Telegram polling turn failed")

    async def close(self) -> None:
        """Stop checking, stop polling, release the lock (SIGTERM)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.polling:
            await self._stop_polling("the process stops")
        await self._call(self.lock.release)
