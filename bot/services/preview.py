"""What a tick would send at a moment, as plain values; nothing is written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from bot.config import Settings
from bot.models import Agency
from bot.scheduler.planner import plan
from bot.scheduler.runner import apply_changes
from bot.services.calendar import load_calendar


@dataclass(frozen=True)
class PreviewMessage:
    """One message as the planner would write it to the outbox."""

    chat: str  # the chat's title, else its key
    channel: str
    chat_id: str
    agency: str  # "" for a chat of no agency
    role: str
    kind: str
    stages: list[str]
    assignments: list[int]
    text: str


@dataclass(frozen=True)
class Preview:
    messages: list[PreviewMessage]
    held_until: datetime | None  # outside the sending window: when the next one opens


def preview(session: Session, now: datetime, settings: Settings) -> Preview:
    """Plan at ``now`` in ``session``, then roll back: the messages, and nothing changed."""
    cal = load_calendar(session, settings.hours)
    held_until = None if cal.in_window(now) else cal.next_window(now)
    apply_changes(session, now, cal)  # as the tick does: the work is where it is on that day
    result = plan(session, now, settings=settings, cal=cal)
    agencies = {a.id: a.name for a in session.exec(select(Agency))}
    messages = [
        PreviewMessage(
            chat=m.chat.title or m.chat.chat_key,
            channel=m.chat.channel,
            chat_id=m.chat.chat_key,
            agency=agencies.get(m.chat.agency_id, ""),
            role=m.chat.role,
            kind=m.kind,
            stages=sorted({n["stage"] for n in m.notices}),
            assignments=[n["assignment_id"] for n in m.notices if "assignment_id" in n],
            text="\n\n".join(m.parts),
        )
        for m in result.messages
    ]
    session.rollback()  # a preview changes nothing
    return Preview(messages, held_until)
