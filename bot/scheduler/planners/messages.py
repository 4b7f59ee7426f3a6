"""What a planner returns, and the one way notices become a message in the outbox."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlmodel import Session, col, select

from bot.config import Settings, Weekly
from bot.domain.calendar import WorkCalendar
from bot.models import Chat, Notice, Outbox
from bot.render import answer
from bot.services.actions import alert_admins
from bot.services.outbox import enqueue

T = TypeVar("T")
log = logging.getLogger(__name__)
_CHUNK = 500  # keys per query: well under every database's limit on bound parameters


@dataclass
class PlannedMessage:
    """One message a planner put in the outbox: for whom, of what kind, its text in
    parts, and what it covers (one dict per notice, with at least its ``stage``)."""

    chat: Chat
    kind: str  # reminder | files | digest | unspecified (Outbox.kind)
    parts: list[str]
    notices: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Planned:
    """What one planner did in one tick: the messages it put in the outbox, and how many
    rows whose check day had come it looked at (parts, files): its cost follows what is
    due, and this says so."""

    messages: list[PlannedMessage] = field(default_factory=list)
    looked_at: int = 0


#: A planner: ``(session, now, settings, cal)`` → what it planned, written in the
#: caller's transaction. ``now`` is aware; ``cal`` is the province's working-day
#: calendar with its office hours, loaded once per tick.
Planner = Callable[[Session, datetime, Settings, WorkCalendar], Planned]


def existing_keys(session: Session, keys: Sequence[str]) -> set[str]:
    """The notice keys already planned: the check that keeps every notice single."""
    found: set[str] = set()
    for i in range(0, len(keys), _CHUNK):
        chunk = keys[i : i + _CHUNK]
        found.update(session.exec(select(Notice.key).where(col(Notice.key).in_(chunk))).all())
    return found


def enqueue_notices(
    session: Session, chat: Chat, kind: str, parts: list[str], notices: dict[str, dict[str, Any]],
    now: datetime, buttons: list[list[list[str]]] | None = None,
) -> Outbox:  # fmt: skip
    """One message to ``chat`` covering ``notices`` (by key, keys not yet planned, as
    :func:`existing_keys` tells; each with the rest of its ``Notice`` row: the part or
    file, stage, period). Its outbox key is a digest of theirs, so the same notices never
    make a second message; each notice row points at the message."""
    keys = sorted(notices)
    digest = hashlib.sha256("\n".join(keys).encode()).hexdigest()[:20]
    outbox = enqueue(session, key=f"{kind}:{chat.id}:{digest}", chat=chat, kind=kind,
                     parts=parts, now=now, buttons=buttons or [])  # fmt: skip
    assert outbox is not None  # its notices are new: so is the digest of their keys
    assert chat.id is not None and outbox.id is not None
    session.add_all(
        Notice(key=key, chat_id=chat.id, outbox_id=outbox.id, created_at=now, **fields)
        for key, fields in notices.items()
    )
    return outbox


def weekly_key(kind: str, now: datetime, when: Weekly, cal: WorkCalendar) -> str | None:
    """``"digest:2025-W02"`` once the week's moment ``when`` has come (local time), else
    None: the outbox key (with the chat's id) that makes a weekly message single."""
    local = cal.local(now)
    if local.weekday() != when.weekday or local.time() < when.at:
        return None
    year, week, _ = local.date().isocalendar()
    return f"{kind}:{year}-W{week:02d}"


def isolated(
    session: Session, now: datetime, what: str, empty: Callable[[], T], step: Callable[[], T]
) -> T:
    """Run one section of the tick in a savepoint; if it fails, undo what it wrote, log
    it, tell the admins once a day (``what`` names the section in Vietnamese), and go on
    without it: ``empty()`` is returned instead."""
    try:
        with session.begin_nested():
            return step()
    except Exception as exc:  # isolate the section, whatever it is
        log.exception("planner: %s failed", what)
        text = answer("step_failed", what=what, reason=f"{exc.__class__.__name__}: {exc}")
        alert_admins(session, f"plan-step:{what}:{now:%Y%m%d}", text, now)
        return empty()
