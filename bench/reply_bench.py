"""Time from an officer's reply arriving to its commit and the bot's acknowledgement.

    .venv/bin/python -m bench.reply_bench [--replies 300] [--rate-limit]

The real python-telegram-bot application polls a fake Bot API (in-process, over httpx's
mock transport); each reply "/xong NV…" is queued as an update, and the clock stops when
the fake receives the bot's answer, which is sent after the transaction committed.
SQLite file in a temporary folder. Prints p50/p95/max; asserts nothing.

The replies come as in a province: from the groups of many agencies (one group per
:data:`REPLIES_PER_GROUP` replies), one at a time, :data:`PER_SECOND` a second at most.
So with ``--rate-limit`` (dondoc's send limiter, as in production) no group nears
Telegram's 20 messages a minute and the bot its 30 a second: the figure is dondoc's
answer time with the limiter on, not a wait the limiter rightly imposes on a flood that
no province sends (300 replies to one group would take 15 minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import Engine

from bench.args import count, scaled
from bench.table import Figure
from bot.channels.telegram import build_application
from bot.config import Settings
from bot.db import make_engine, session_scope, upgrade
from bot.models import Agency, Assignment, Chat, ChatRole, Status
from tests.fake_telegram import FakeTelegram
from tests.province import at, build_province

NOW = at(date(2024, 12, 20), 8)
ISSUE_REPLIES = 300
MOST_REPLIES = 3_000  # ten times the issue's, as --size 10
REPLIES_PER_GROUP = 10  # half of Telegram's 20 a minute to one group
PER_SECOND = 20  # replies arriving a second at most: two thirds of the bot's 30
OFFICER = 501


@dataclass(frozen=True)
class Reply:
    chat: int  # the Telegram group it is written in
    part: int  # the assignment it closes


def groups_for(replies: int) -> int:
    return math.ceil(replies / REPLIES_PER_GROUP)


def build(engine: Engine, replies: int) -> list[Reply]:
    """A province with one agency and its bound Telegram group for every
    :data:`REPLIES_PER_GROUP` replies, and a task led by that agency for each reply."""
    province = build_province(engine)
    chats = []
    with session_scope(engine) as s:
        for g in range(groups_for(replies)):
            agency = Agency(code=f"bench-{g}", name=f"Đơn vị {g}", kind="so", aliases=[],
                            letter_symbol=f"DV{g}")  # fmt: skip
            s.add(agency)
            s.flush()
            assert agency.id is not None
            province.agencies[agency.code] = agency.id
            chat = -100_000 - g
            s.add(Chat(channel="telegram", chat_key=str(chat), title=agency.name,
                       agency_id=agency.id, role=ChatRole.GROUP, kind="group"))  # fmt: skip
            chats.append((agency.code, chat))
    out = []
    for i in range(replies):
        code, chat = chats[i % len(chats)]  # round robin: each group's replies spread out
        out.append(Reply(chat, province.add_task("31/12/2024", lead=code, text=f"Nhiệm vụ {i}")))
    return out


async def run(replies: int, *, rate_limit: bool = False) -> list[float]:
    """Seconds from each reply's arrival to its acknowledgement, one reply at a time."""
    with tempfile.TemporaryDirectory(prefix="dondoc-reply-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        engine = make_engine(url)
        try:
            plan = build(engine, replies)
            latencies = await answer_all(engine, plan, rate_limit=rate_limit)
            with session_scope(engine) as s:
                done = sum(s.get(Assignment, r.part).status == Status.DONE for r in plan)  # type: ignore[union-attr]
            assert done == replies, f"only {done} of {replies} closed"
        finally:
            engine.dispose()
    return latencies


async def answer_all(engine: Engine, plan: Sequence[Reply], *, rate_limit: bool) -> list[float]:
    """Play ``plan`` to the bot, paced; the application is stopped whatever happens."""
    fake = FakeTelegram()
    token = "1:bench"  # noqa: S105 - the fake API's, not a secret
    settings = Settings(telegram_token=token, telegram_base_url="http://bot-api.invalid/bot")
    app = build_application(settings, engine=engine, clock=lambda: NOW,
                            transport=fake.transport, rate_limit=rate_limit)  # fmt: skip
    latencies = []
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=1)
        try:
            for i, reply in enumerate(plan):
                start = time.perf_counter()
                await fake.say(reply.chat, OFFICER, f"/xong NV{reply.part}")
                try:
                    await fake.wait_sent(i + 1)
                except TimeoutError:
                    raise RuntimeError(
                        f"reply {i + 1} of {len(plan)} not answered in 10 s"
                    ) from None
                latencies.append(time.perf_counter() - start)
                await asyncio.sleep(max(0.0, 1 / PER_SECOND - latencies[-1]))
        finally:  # stopped before the context's shutdown, which refuses a running app
            if app.updater.running:
                await app.updater.stop()
            if app.running:
                await app.stop()
    return latencies


def plural(n: int, one: str, many: str = "") -> str:
    return f"{n:,} {one if n == 1 else many or one + 's'}"


def p95(seconds: list[float]) -> float:
    ordered = sorted(seconds)
    return ordered[max(0, math.ceil(len(ordered) * 0.95) - 1)]


# A p95 needs a sample: of fewer replies it is their slowest (the first, warming up).
FEWEST_REPLIES = 100


def replies_at(scale: float) -> int:
    return max(FEWEST_REPLIES, scaled(ISSUE_REPLIES, scale))


def sizes(scale: float) -> str:
    n = replies_at(scale)
    return f"reply {plural(n, 'reply', 'replies')} from {plural(groups_for(n), 'group')}"


def figures(scale: float) -> list[Figure]:
    """Issue #13's reply goal, p95 < 20 ms with the rate limiter on, over ``scale`` × 300
    replies from the groups of a province; and the same replies without the limiter,
    dondoc's own processing."""
    n = replies_at(scale)
    with_limiter = asyncio.run(run(n, rate_limit=True))
    without = asyncio.run(run(n))
    where = f"{plural(n, 'reply', 'replies')} from {plural(groups_for(n), 'group')}, {PER_SECOND}/s at most"
    return [
        Figure(
            f"reply → commit → answer, p95, limiter on, {where}",
            p95(with_limiter) * 1000,
            "ms",
            20,
            strict=True,
        ),
        Figure(
            f"reply → commit → answer, p95, limiter off, {where}",
            p95(without) * 1000,
            "ms",
            note="dondoc's processing alone",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--replies", type=count(MOST_REPLIES), default=ISSUE_REPLIES,
                        help=f"1 to {MOST_REPLIES:,} (default {ISSUE_REPLIES})")  # fmt: skip
    parser.add_argument("--rate-limit", action="store_true", help="with dondoc's send limiter")
    args = parser.parse_args()
    latencies = sorted(asyncio.run(run(args.replies, rate_limit=args.rate_limit)))
    ms = [x * 1000 for x in latencies]
    print(f"{plural(len(ms), 'reply', 'replies')} from {plural(groups_for(len(ms)), 'group')}, reply → commit → acknowledgement"
          f"{' (limiter on)' if args.rate_limit else ''}: p50 {statistics.median(ms):.1f} ms, "
          f"p95 {p95(latencies) * 1000:.1f} ms, max {ms[-1]:.1f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
