"""Telegram's limits kept by every ``dondoc run`` process together, not by each alone.

Telegram's limits are the bot's (Bot API FAQ, "My bot is hitting limits, how do I avoid
this?", https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this):
about 30 messages a second over all chats, 20 a minute to one group, one a second to one
private chat. Each process keeps them in its own limiter (``bot.channels.limits``); two
processes each at the ceiling would send twice as much. So, on PostgreSQL, the processes
sharing a database divide the work:

- **a heartbeat**: each process writes its worker id (``host:pid``) and the database's
  ``now()`` in the ``worker`` table every ``dispatch.heartbeat_seconds`` (5 s), and reads
  the others'. A worker seen within :data:`LIVE_BEATS` heartbeats is live; one that stops
  deletes its row (the others notice at their next heartbeat), one that dies (SIGKILL, a
  power cut) is left behind once its heartbeat is that old;
- **each chat to one live worker**: a chat belongs to bucket ``chat id mod``
  :data:`BUCKETS` (the chat's row in the database, the same for every process), and each
  bucket to the live worker with the highest hash of (worker, bucket) (rendezvous
  hashing: when a worker leaves only its buckets move, each to the next in its own
  order; one that joins takes about ``1/n`` of the buckets, from every other worker
  alike). A process claims only the outbox rows of its buckets, so a chat's messages go
  through one limiter and in their outbox order, as in one process; the buckets let the
  database pick the rows (``chat_id % 256 IN (…)``) without hashing in SQL;
- **the per-second budget divided**: each live worker's limiter lets through
  ``per_second // n`` messages a second (:func:`share`; at least one), so the fleet
  never goes past ``per_second``. Answers to people (a reply, a button) are sent by the
  process that received the update, through the same limiter and before its queued
  notices: they come out of that process's share, not on top of it;
- **a joining worker waits a heartbeat** (:attr:`Fleet.ready`) before it claims anything
  when others are live, so that each of them has seen it and lowered its own share and
  given up the buckets it takes: for a heartbeat the others still send at their old
  share, never the newcomer too;
- **a chat taken over** (the worker started, or the chat's owner left) is sent to once
  what was sent to it in the last minute, by whichever worker, is counted in its window
  (:meth:`Fleet.take_over`): a group's 20 a minute hold across the move.

On SQLite one process runs per database file (``bot.cli.run_lock``): there is no fleet,
the process owns every chat and keeps the whole budget.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy.engine import Engine

from bot.db import OUTAGE, first_line, unreachable
from bot.services import outbox, workers

log = logging.getLogger(__name__)

#: Chats are divided among workers by bucket, ``chat id mod BUCKETS``: enough for an even
#: division among a few dozen workers, few enough to name a worker's buckets in one query.
BUCKETS = 256
#: Heartbeats after which a silent worker is gone: its chats go to the others.
LIVE_BEATS = 3
#: Seconds of sends to a chat taken over that its new owner counts: a group's minute (Bot
#: API FAQ), with room for ``limits.margin_ms``.
_RECENT = 62.0


class Limiter(Protocol):
    """What the fleet sets on each channel's limiter (``bot.channels.limits.SendLimiter``)."""

    def share(self, per_second: int) -> None: ...

    def sent_before(self, chat: int, ago: float) -> None: ...


def bucket_of(chat_id: int) -> int:
    """The bucket of a chat, by its id in the database (the same in every process)."""
    return chat_id % BUCKETS


def _weight(worker: str, bucket: int) -> int:
    """Rendezvous hashing's score of ``worker`` for ``bucket``: a stable hash (not
    Python's ``hash``, which differs between processes)."""
    digest = hashlib.blake2b(f"{worker}/{bucket}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def owner(bucket: int, live: Sequence[str]) -> str:
    """The live worker that sends to the chats of ``bucket``: the highest score, ties (a
    hash collision) broken by the worker id."""
    return max(live, key=lambda worker: (_weight(worker, bucket), worker))


def owned(worker: str, live: Sequence[str]) -> frozenset[int]:
    """The buckets ``worker`` sends to among the ``live`` workers (it counts itself live)."""
    everyone = sorted({*live, worker})
    return frozenset(b for b in range(BUCKETS) if owner(b, everyone) == worker)


def share(per_second: int, live: int) -> int:
    """Messages a second each of ``live`` workers may send so that together they send at
    most ``per_second`` (Telegram's 30 a second for one bot): the whole divided evenly,
    rounded down, at least one."""
    return max(1, per_second // max(1, live))


class Fleet:
    """This process among the ``dondoc run`` processes on one PostgreSQL database: its
    heartbeat, the buckets it sends to and its share of the per-second budget, set on
    every limiter ``limiters()`` gives (the channels open at the time).

    ``clock`` is monotonic seconds (the warm-up), ``now`` the time of day (the age of
    the parts another worker sent); the heartbeat's times are the database's. Database
    calls run in a worker thread; the limiters are touched in the loop only.
    """

    def __init__(
        self, engine: Engine, worker: str, *, per_second: int, heartbeat_seconds: float,
        limiters: Callable[[], Iterable[Limiter]] = tuple,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:  # fmt: skip
        self.engine, self.worker, self.per_second = engine, worker, per_second
        self.every = heartbeat_seconds  # seconds between heartbeats
        self.limiters, self.clock = limiters, clock
        self.shared = engine.dialect.name == "postgresql"
        self.live: tuple[str, ...] = (worker,)
        self.buckets: frozenset[int] = frozenset(range(BUCKETS))
        self._ready_at: float | None = None if self.shared else -1.0
        self._held: frozenset[int] = frozenset()  # its buckets it has taken over
        self.now = now

    @property
    def ready(self) -> bool:
        """Whether this worker may claim rows: once every other live worker has had a
        heartbeat's time to see it (at once when it started alone, or on SQLite)."""
        return self._ready_at is not None and self.clock() >= self._ready_at

    def chats(self) -> Collection[int] | None:
        """The buckets whose rows this worker may claim (``None``: every chat, on SQLite):
        those it owns and has taken over, none before it is :attr:`ready`."""
        return self._held if self.shared else None

    async def heartbeat(self) -> None:
        """Say this worker is alive, read who else is, follow (its buckets, its share);
        once :attr:`ready`, take over the buckets new to it (:meth:`take_over`)."""
        if not self.shared:
            return
        self.follow(await asyncio.to_thread(self.heard))
        gained = self.buckets - self._held
        if self.ready and gained:
            await self.take_over(gained)
            self._held = self._held | gained

    async def take_over(self, buckets: frozenset[int]) -> None:
        """Before this worker sends to the chats of ``buckets`` (new to it: it started,
        or their owner left), each part sent to them in the last minute by another
        worker is counted in the chat's window, so that a group gets no more than its 20
        a minute across the move (Bot API FAQ). Only chats with messages waiting."""
        limiters = list(self.limiters())
        if not buckets or not limiters:
            return
        since = self.now() - timedelta(seconds=_RECENT)
        sends = await asyncio.to_thread(outbox.recent_sends, self.engine, "telegram",
                                        outbox.Buckets(buckets, BUCKETS), since)  # fmt: skip
        now = self.now()
        for key, at in sends:
            with contextlib.suppress(ValueError):  # "@channel": no window of ours
                chat = int(key)
                for limiter in limiters:
                    limiter.sent_before(chat, (now - at).total_seconds())

    def heard(self) -> tuple[str, ...]:
        """Say this worker is alive and read who else is (one short transaction: blocking,
        safe in a worker thread)."""
        return tuple(workers.beat(self.engine, self.worker, LIVE_BEATS * self.every))

    def follow(self, live: tuple[str, ...]) -> None:
        """Take the buckets and the share of this worker among ``live`` (in the loop that
        owns the limiters)."""
        if self._ready_at is None:  # the first heartbeat: alone, or wait for the others
            alone = live == (self.worker,)
            # A heartbeat and a fifth: every other worker has read the table once since.
            self._ready_at = self.clock() + (0.0 if alone else self.every * 1.2)
        if live != self.live:
            gone = sorted(set(self.live) - set(live))
            joined = sorted(set(live) - set(self.live))
            self.live, self.buckets = live, owned(self.worker, live)
            log.info("fleet: %d live worker(s), %d of %d chat buckets here, %d msg/s "
                     "(joined: %s; gone: %s)", len(live), len(self.buckets), BUCKETS,
                     self.share(), ", ".join(joined) or "-", ", ".join(gone) or "-")  # fmt: skip
        self._held = self._held & self.buckets  # what moved away is not claimed any more
        for limiter in self.limiters():
            limiter.share(self.share())

    def share(self) -> int:
        """This worker's messages a second (the whole budget on SQLite)."""
        return share(self.per_second, len(self.live)) if self.shared else self.per_second

    async def run(self) -> None:
        """Heartbeats every ``heartbeat_seconds`` until cancelled (after the sender has
        finished its last messages: then :meth:`leave`). A heartbeat that fails (the
        database away) is tried again at the next one; meanwhile the buckets and the
        share stay as they were."""
        if not self.shared:
            return
        while True:
            try:
                await self.heartbeat()
            except Exception as exc:
                if not OUTAGE.failed(exc, "saying the worker is alive"):
                    log.exception("fleet heartbeat failed")
            await asyncio.sleep(self._next_wait())

    def _next_wait(self) -> float:
        """Seconds to the next heartbeat: one interval, or less if this worker becomes
        :attr:`ready` sooner (it then takes its chats over at once)."""
        if self._ready_at is None or self.ready:
            return self.every
        return min(self.every, max(0.0, self._ready_at - self.clock()) + 0.01)

    async def leave(self) -> None:
        """This worker stops: its row is deleted, so that the others take its chats and
        its share at their next heartbeat rather than after three."""
        if not self.shared:
            return
        try:
            await asyncio.to_thread(workers.leave, self.engine, self.worker)
        except Exception as exc:
            # The database away as the worker stops (SIGTERM during an outage): one line,
            # as every outage is said; any other error keeps its traceback.
            away = unreachable(exc)
            log.warning("fleet: could not delete this worker's heartbeat (%s); the others "
                        "take its chats once it is old",
                        f"database unreachable: {first_line(exc)}" if away else
                        exc.__class__.__name__, exc_info=not away)  # fmt: skip
