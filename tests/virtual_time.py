"""Time as an argument for code that waits: a clock and a sleep that jump ahead.

``VirtualTime.run`` drives coroutines in the running event loop; whenever every one of
them is waiting, the clock jumps to the earliest sleeper and wakes it. Nothing really
sleeps, so a minute of sending takes a fraction of a second and its times are exact.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Awaitable
from datetime import datetime, timedelta
from typing import Any


class VirtualTime:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def clock(self) -> float:
        return self.now

    def datetime_clock(self, origin: datetime) -> Any:
        """A clock of aware datetimes: ``origin`` at the start, moving with this one."""
        start = self.now
        return lambda: origin + timedelta(seconds=self.now - start)

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + max(seconds, 0.0), next(self._seq), future))
        await future

    async def run(self, *coroutines: Awaitable[Any], spins: int = 40) -> list[Any]:
        """Run ``coroutines`` to their end; returns their results in order."""
        tasks = [asyncio.ensure_future(c) for c in coroutines]
        while not all(t.done() for t in tasks):
            for _ in range(spins):  # let everything that can run, run
                await asyncio.sleep(0)
            while self._sleepers and self._sleepers[0][2].done():  # cancelled sleeps
                heapq.heappop(self._sleepers)
            if all(t.done() for t in tasks):
                break
            if not self._sleepers:
                await asyncio.sleep(0.001)  # waiting on something else (a thread, a file)
                continue
            at, _, future = heapq.heappop(self._sleepers)
            self.now = max(self.now, at)
            future.set_result(None)
        return [t.result() for t in tasks]
