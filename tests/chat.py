"""Chat in tests, without a transport: what a person says or presses, answered in one
transaction as the handlers answer it, and the scheduler's tick (plan, then dispatch),
all with the shared settings and calendar of ``tests.province``."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.engine import Engine

from bot.channels import Channel
from bot.channels.console import ConsoleChannel
from bot.db import session_scope
from bot.handlers.core import Incoming, handle_button, handle_message
from bot.scheduler.dispatcher import DispatchResult, dispatch
from bot.scheduler.planner import plan
from bot.services.actions import Sender
from tests.province import CAL, SETTINGS


def say(engine: Engine, who: Sender, text: str, now: datetime) -> str:
    """``who`` writes ``text`` at ``now``: the answers, joined by lines."""
    with session_scope(engine) as s:
        answers = handle_message(s, Incoming(who, text), now, CAL, SETTINGS.apology)
        return "\n".join(a.html for a in answers)


def press(engine: Engine, who: Sender, data: str, now: datetime) -> str:
    """``who`` presses the button ``data`` at ``now``: the answers, joined by lines."""
    with session_scope(engine) as s:
        return "\n".join(a.html for a in handle_button(s, who, data, now, CAL, SETTINGS.apology))


async def tick(
    engine: Engine, channels: Mapping[str, Channel], now: datetime, *, worker: str = "t"
) -> DispatchResult:
    """One turn of the scheduler at ``now``: plan what is due, then send it on ``channels``."""
    with session_scope(engine) as s:
        plan(s, now, settings=SETTINGS, cal=CAL)
    return await dispatch(engine, channels, now, worker=worker, settings=SETTINGS, cal=CAL)


def send_all(engine: Engine, now: datetime) -> ConsoleChannel:
    """Send what the outbox holds at ``now`` to a quiet console, and return it."""
    channel = ConsoleChannel(quiet=True)
    asyncio.run(dispatch(engine, {"console": channel}, now, worker="t", settings=SETTINGS, cal=CAL))
    return channel
