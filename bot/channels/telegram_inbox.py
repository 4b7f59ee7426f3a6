"""Telegram's updates through the inbox (``bot.services.inbox``): python-telegram-bot's
two documented extension points, its update queue (``ApplicationBuilder.update_queue``)
and its update processor (``ApplicationBuilder.concurrent_updates`` with a
``BaseUpdateProcessor``).

- :class:`InboxQueue` keeps each update before it joins the queue. The poller
  (``Updater``) awaits the queue's ``put`` before it asks for the next batch, which
  confirms the last one to Telegram; the webhook answers Telegram only after ``put`` too.
  So an update Telegram considers delivered is always kept. While the database is away,
  ``put`` waits for it (and the poller with it): better late than confirmed and lost.
- :class:`InboxProcessor` claims each update before its handlers run and marks it handled
  after; an update another process claimed, or handled already, is skipped. Updates are
  handled one at a time, in order, as before.
- :meth:`InboxQueue.recover` queues the updates nobody handles (a process was killed with
  them in its queue): at start, then every :data:`RECOVER_EVERY` seconds.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from telegram import Bot, Update
from telegram.ext import BaseUpdateProcessor

from bot.db import until_answered
from bot.services import inbox

log = logging.getLogger(__name__)

CHANNEL = "telegram"
#: Seconds between two looks for updates nobody handles; an update is looked at once it
#: is this old (younger ones may still be in a live process's queue).
RECOVER_EVERY = 30.0


def _payload(update: Update) -> dict[str, Any]:
    """The update as JSON, as Telegram sent it (PTB keeps what it received)."""
    data = json.loads(update.to_json())
    assert isinstance(data, dict)
    return data


class InboxQueue(asyncio.Queue[object]):
    """PTB's update queue, each :class:`~telegram.Update` kept in the inbox before it is
    queued; a redelivered update handled already is dropped. ``clock`` gives UTC-aware
    times."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        super().__init__()
        self.engine, self.clock = engine, clock
        self.here: set[str] = set()  # updates queued or being handled in this process

    async def put(self, item: object) -> None:
        if isinstance(item, Update):
            key, payload = str(item.update_id), _payload(item)
            try:
                fresh = await until_answered(
                    lambda: inbox.store(self.engine, CHANNEL, key, payload, self.clock()),
                    "keeping an update",
                )
            except Exception:  # never lose the update for the inbox's sake: handle it
                log.exception("update %s could not be kept in the inbox; handled anyway", key)
                fresh = True
            if not fresh:
                log.info("update %s delivered again, handled already: dropped", key)
                return
            self.here.add(key)
        await super().put(item)

    async def recover(self, bot: Bot, *, older_than: float) -> int:
        """Queue the updates nobody handles (kept more than ``older_than`` seconds ago,
        unclaimed or their claim run out, not queued here already); returns how many."""
        now, here = self.clock(), set(self.here)

        def look() -> list[tuple[str, dict[str, Any]]]:
            return inbox.leftovers(self.engine, CHANNEL, now, older_than=older_than, skip=here)

        found = await until_answered(look, "recovering updates")
        for key, payload in found:
            update = Update.de_json(payload, bot)
            self.here.add(key)
            await super().put(update)
        if found:
            log.warning("Telegram: handling %d update(s) a stopped process left", len(found))
        return len(found)

    async def keep_recovering(self, bot: Bot, every: float = RECOVER_EVERY) -> None:
        """:meth:`recover` every ``every`` seconds, until cancelled."""
        while True:
            await asyncio.sleep(every)
            try:
                await self.recover(bot, older_than=every)
            except Exception:  # the next round tries again
                log.exception("Telegram: looking for updates nobody handles failed")


class InboxProcessor(BaseUpdateProcessor):
    """Handles each update once over every process: claimed by ``worker`` in the inbox
    for ``lease_seconds`` before its handlers run (skipped when another process has it or
    it was handled), and marked handled after them, whatever they did. One update at a
    time."""

    def __init__(self, queue: InboxQueue, worker: str, lease_seconds: float = inbox.LEASE) -> None:
        super().__init__(max_concurrent_updates=1)
        self.queue, self.worker, self.lease = queue, worker, lease_seconds
        self.leaving = False  # stopping: what is still queued stays in the inbox

    def leave_the_rest(self) -> None:
        """The process stops (SIGTERM): the update in hand is finished, the ones still
        queued are left unclaimed in the inbox for the next process, rather than handled
        one by one while Docker's stop timeout (30 s) runs out."""
        self.leaving = True

    def resume(self) -> None:
        """Receiving starts (again: Telegram failed after ``getMe`` and is retried with
        the same application): updates are handled again."""
        self.leaving = False

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        if not isinstance(update, Update):
            await coroutine
            return
        key, engine, clock = str(update.update_id), self.queue.engine, self.queue.clock
        try:
            if self.leaving:
                if asyncio.iscoroutine(coroutine):
                    coroutine.close()
                return
            await inbox.handle_once(engine, CHANNEL, key, worker=self.worker, clock=clock,
                                    lease_seconds=self.lease, handling=coroutine)  # fmt: skip
        finally:
            self.queue.here.discard(key)

    async def initialize(self) -> None:
        """Nothing to set up: the inbox is the database's."""

    async def shutdown(self) -> None:
        """Nothing to close."""
