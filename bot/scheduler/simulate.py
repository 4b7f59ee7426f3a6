"""Replay the ladder day by day: one tick a day at a fixed hour, on a given database."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.channels import Channel
from bot.models import Notice, Outbox, OutboxState
from bot.scheduler.runner import tick
from bot.scheduler.settings import SchedulerSettings


@dataclass
class Summary:
    stages: dict[str, int]  # notices by stage, in ladder order
    unspecified_lists: int
    messages: int  # chat messages delivered (a long one counts each of its parts)
    chats: int

    def rungs(self) -> dict[str, int]:
        """The same counts with the repeats after the last rung added up as one line."""
        fixed = ("before-", "due", "late-1", "late-3", "late-7")
        out: dict[str, int] = {}
        for stage, count in self.stages.items():
            name = stage if stage.startswith(fixed[:2]) or stage in fixed else "nhắc lại"
            out[name] = out.get(name, 0) + count
        return out


async def replay(
    engine: Engine,
    channels: Mapping[str, Channel],
    first: date,
    last: date,
    *,
    at: time,
    tz: ZoneInfo,
    settings: SchedulerSettings,
) -> Summary:
    day = first
    while day <= last:
        await tick(
            engine, channels, datetime.combine(day, at, tz), settings=settings, worker="simulate"
        )
        day += timedelta(days=1)
    return summary(engine)


def stage_order(stage: str) -> tuple[int, int]:
    kind, _, n = stage.partition("-")
    rank = {"before": 0, "due": 1, "late": 2}.get(kind, 3)
    return rank, -int(n) if kind == "before" else int(n or 0)


def summary(engine: Engine) -> Summary:
    with Session(engine) as session:
        stages = Counter(session.exec(select(Notice.stage)).all())
        sent = session.exec(select(Outbox).where(Outbox.state == OutboxState.SENT)).all()
    return Summary(
        stages={s: stages[s] for s in sorted(stages, key=stage_order)},
        unspecified_lists=sum(1 for o in sent if o.kind == "unspecified"),
        messages=sum(o.sent_parts for o in sent),
        chats=len({o.chat_id for o in sent}),
    )
