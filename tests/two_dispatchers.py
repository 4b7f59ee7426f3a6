"""One of two dispatcher processes on one database (``tests/test_burst.py``).

    python -m tests.two_dispatchers DATABASE_URL ORIGIN OUT

Drains the outbox as ``dondoc run`` does (``OutboxRelay.drain_once``, as worker ``host:pid``)
through a slow channel (100 ms a message) until nothing is left to send, on a clock that
runs 10 times faster than the real one from ``ORIGIN`` (``time.monotonic()``, the same
in every process): the 10 s lease lasts 1 s, a message 1 s, the pass about 3 s (30 s). Each
message the channel sends is a line ``chat<TAB>text<TAB>worker`` in ``OUT``.
"""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import Session, col, func, select

from bot.channels import Buttons
from bot.config import DispatchSettings, Settings
from bot.db import make_engine
from bot.models import Outbox, OutboxState
from bot.scheduler.dispatcher import worker_id
from bot.scheduler.relay import OutboxRelay

START = datetime(2024, 12, 20, 1, 0, tzinfo=UTC)  # 08:00 in Vietnam, a Friday
SPEED = 10.0
SETTINGS = Settings(dispatch=DispatchSettings(lease_seconds=10, in_flight=4))


class SlowChannel:
    """A channel that takes 100 ms a message and keeps its own limits (so it is sent to
    ``in_flight`` at a time)."""

    name = "console"
    limit = 4096

    def __init__(self, out: Path, worker: str) -> None:
        self.out, self.worker = out.open("a", encoding="utf-8"), worker

    def delay(self, chat_key: str | None) -> float:
        return 0.0

    async def send(self, chat_key: str, html: str, buttons: Buttons | None = None) -> str:
        await asyncio.sleep(0.1)
        self.out.write(f"{chat_key}\t{html}\t{self.worker}\n")
        self.out.flush()
        return f"{chat_key}:{html}"

    async def send_document(self, chat_key: str, filename: str, data: bytes) -> str:
        raise NotImplementedError

    async def send_photo(self, chat_key: str, filename: str, data: bytes) -> str:
        raise NotImplementedError


async def main(url: str, origin: float, out: Path) -> None:
    engine = make_engine(url)

    def clock() -> datetime:
        return START + timedelta(seconds=(time.monotonic() - origin) * SPEED)

    worker = worker_id()
    sender = OutboxRelay(engine, {"console": SlowChannel(out, worker)}, settings=SETTINGS, clock=clock,
                    worker=worker)  # fmt: skip
    while True:
        with Session(engine) as s:
            left = s.exec(select(func.count()).where(
                col(Outbox.state).in_([OutboxState.PENDING, OutboxState.SENDING]))).one()  # fmt: skip
        if not left:
            break
        await sender.drain_once()
        await asyncio.sleep(0.01)
    engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], float(sys.argv[2]), Path(sys.argv[3])))
