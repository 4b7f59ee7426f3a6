"""Replay the ladder day by day: one tick a day at a fixed hour, on a given database."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.channels import Channel
from bot.config import Settings
from bot.db import session_scope
from bot.domain.calendar import VIETNAM
from bot.domain.policy import Ladder, stage_label, stage_offset
from bot.domain.tthc import FILE_STAGES, MUST_APOLOGIZE, file_stage_label
from bot.domain.verbs import APPROVE_APOLOGY, callback_data
from bot.models import Agency, Apology, ApologyState, Notice, Outbox, OutboxState, TthcFile
from bot.scheduler.runner import tick


@dataclass
class Summary:
    stages: dict[str, int]  # plan notices by stage, in ladder order
    file_stages: dict[str, int]  # late-file notices by stage
    letters: int  # apology letters approved
    unspecified_lists: int
    messages: int  # chat messages delivered (a long one counts each of its parts)
    chats: int

    def rungs(self, ladder: Ladder) -> dict[str, int]:
        """The counts by the label of their stage on ``ladder``, in ladder order; the
        repeats after the last rung share one label, so they add up as one line."""
        out: dict[str, int] = {}
        for stage, count in self.stages.items():
            label = stage_label(stage, ladder)
            out[label] = out.get(label, 0) + count
        return out

    def file_rungs(self) -> dict[str, int]:
        """The late-file counts by the label of their stage."""
        return {file_stage_label(stage): count for stage, count in self.file_stages.items()}


async def replay(
    engine: Engine,
    channels: Mapping[str, Channel],
    first: date,
    last: date,
    *,
    at: time,
    settings: Settings,
    play_apologies: bool = False,
) -> Summary:
    """One tick a day. With ``play_apologies``, each file that reaches "phải xin lỗi" gets
    its letter from a simulated officer, approved by a simulated head, through the same
    chat handlers a person would use; the next tick delivers the Word letter."""
    day = first
    while day <= last:
        moment = datetime.combine(day, at, VIETNAM)
        await tick(engine, channels, moment, settings=settings, worker="simulate")
        if play_apologies:
            _play_apologies(engine, moment, settings)
        day += timedelta(days=1)
    return summary(engine)


def _play_apologies(engine: Engine, now: datetime, settings: Settings) -> None:
    from bot.handlers.core import Incoming, handle_button, handle_message
    from bot.services.actions import Sender
    from bot.services.calendar import load_calendar

    with session_scope(engine) as session:
        cal = load_calendar(session, settings.hours)
        due = session.exec(
            select(TthcFile, Agency)
            .join(Notice, col(Notice.file_id) == col(TthcFile.id))
            .join(Agency, col(TthcFile.agency_id) == col(Agency.id))
            .where(Notice.stage == MUST_APOLOGIZE.name, Notice.created_at == now)
        ).all()
        for file, agency in {f.id: (f, a) for f, a in due}.values():
            officer = Sender("console", f"nhom:{agency.code}", "mo-phong", "Cán bộ (mô phỏng)")
            new_date = cal.add_working_days(file.due_on, 5)
            for text in (f"/xinloi {file.code}", "Hồ sơ cần xác minh thêm với cơ quan liên quan (mô phỏng)",
                         f"{new_date:%d/%m/%Y}"):  # fmt: skip
                handle_message(session, Incoming(officer, text), now, cal, settings.apology)
            letter = session.exec(select(Apology).where(Apology.file_id == file.id)).first()
            if letter is not None:
                head = Sender(
                    "console", f"thu-truong:{agency.code}", "mo-phong-tt", "Thủ trưởng (mô phỏng)"
                )
                handle_button(session, head, callback_data(APPROVE_APOLOGY, letter.id), now, cal,
                              settings.apology)  # fmt: skip


def stage_order(stage: str) -> tuple[int, int]:
    """Ladder order: by working days from the due date; names no ladder makes last."""
    offset = stage_offset(stage)
    return (0, offset) if offset is not None else (1, 0)


def summary(engine: Engine) -> Summary:
    with Session(engine) as session:
        stages = Counter(
            session.exec(select(Notice.stage).where(col(Notice.assignment_id).is_not(None))).all()
        )
        file_stages = Counter(
            session.exec(select(Notice.stage).where(col(Notice.file_id).is_not(None))).all()
        )
        sent = session.exec(select(Outbox).where(Outbox.state == OutboxState.SENT)).all()
        approved = len(
            session.exec(select(Apology.id).where(Apology.state == ApologyState.APPROVED)).all()
        )
    return Summary(
        stages={s: stages[s] for s in sorted(stages, key=stage_order)},
        file_stages={s.name: file_stages[s.name] for s in FILE_STAGES if s.name in file_stages},
        letters=approved,
        unspecified_lists=sum(1 for o in sent if o.kind == "unspecified"),
        messages=sum(o.sent_parts for o in sent),
        chats=len({o.chat_id for o in sent}),
    )
