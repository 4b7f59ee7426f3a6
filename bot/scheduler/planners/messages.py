"""What a planner returns, and the one way notices become a message in the outbox."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from bot.config import Settings, Weekly
from bot.db import unreachable
from bot.domain.calendar import WorkCalendar
from bot.models import Assignment, Chat, Notice, Outbox, TthcFile
from bot.render import answer
from bot.scheduler.planners.routing import Recipient
from bot.services.actions import alert_admins
from bot.services.outbox import NewMessage, enqueue_many, insert_new

T = TypeVar("T")
log = logging.getLogger(__name__)
_CHUNK = 500  # keys per query: well under every database's limit on bound parameters


@dataclass(slots=True)
class PlannedMessage:
    """One message a planner put in the outbox: for whom, of what kind, its text in
    parts, and what it covers (one dict per notice, with at least its ``stage``)."""

    chat: Chat | Recipient  # a planner that routes many notices reads chats as plain rows
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


@dataclass(slots=True)
class Outgoing:
    """A message a planner built and has not written yet: for whom, its parts and buttons,
    and its notices (by key, keys not yet planned as :func:`existing_keys` tells; each
    with the rest of its ``Notice`` row: ``assignment_id`` or ``file_id``, stage, period)."""

    planned: PlannedMessage
    notices: dict[str, dict[str, Any]]
    buttons: Sequence[Sequence[Sequence[str]]] = ()

    def outbox_key(self) -> str:
        """A digest of the notices' keys: the same notices never make a second message."""
        digest = hashlib.sha256("\n".join(sorted(self.notices)).encode()).hexdigest()[:20]
        return f"{self.planned.kind}:{self.planned.chat.id}:{digest}"


def write_messages(
    session: Session, outgoing: Sequence[Outgoing], now: datetime, recheck_on: date
) -> list[PlannedMessage]:
    """Write ``outgoing`` in bulk: one INSERT per table for the outbox rows, then for their
    notice rows, each ``ON CONFLICT (key) DO NOTHING``; returns the messages written.

    Each notice key is written at most once, even by two planners at once (the second
    waits for the first's commit at the conflicting key). A message that lost one of its
    notices to another planner that way is withdrawn, its notices with it, and its parts
    and files are looked at again on ``recheck_on`` (today): the notices no one has sent
    yet are planned then, none twice and none lost.
    """
    if not outgoing:
        return []
    session.flush()  # the planner's own changes first: a withdrawal below comes after them
    keys = [o.outbox_key() for o in outgoing]
    ids = enqueue_many(
        session, [_new_message(o, k) for o, k in zip(outgoing, keys, strict=True)], now
    )
    written = [(o, ids[k]) for o, k in zip(outgoing, keys, strict=True) if k in ids]
    rows = [
        {"key": key, "chat_id": o.planned.chat.id, "outbox_id": outbox_id, "created_at": now,
         "assignment_id": None, "file_id": None, **fields}
        for o, outbox_id in written
        for key, fields in o.notices.items()
    ]  # fmt: skip
    added = insert_new(session, Notice.metadata.tables["notice"], rows, returning="id")
    lost = [(o, i) for o, i in written if any(k not in added for k in o.notices)]
    if lost:
        _withdraw(session, lost, added, recheck_on)
    kept = {i for _, i in written} - {i for _, i in lost}
    return [o.planned for o, i in written if i in kept]


def move_check_on(session: Session, model: type[Assignment] | type[TthcFile],
                  by_day: dict[date, list[int]]) -> None:  # fmt: skip
    """Set ``check_on`` of the rows of ``model`` by id: one UPDATE per day and few
    hundred ids, whatever the number of rows (objects already in the session follow)."""
    for day, ids in by_day.items():
        for start in range(0, len(ids), _CHUNK):
            session.execute(
                update(model)
                .where(col(model.id).in_(ids[start : start + _CHUNK]))
                .values(check_on=day)
            )


def _new_message(o: Outgoing, key: str) -> NewMessage:
    assert o.planned.chat.id is not None
    return NewMessage(key=key, chat_id=o.planned.chat.id, kind=o.planned.kind,
                      parts=o.planned.parts, buttons=o.buttons)  # fmt: skip


def _withdraw(
    session: Session, lost: list[tuple[Outgoing, int]], added: dict[str, Any], recheck_on: date
) -> None:
    """Take back messages that another planner beat to one of their notices."""
    log.warning("planner: %d message(s) raced another planner; planned again", len(lost))
    notice_ids = [added[k] for o, _ in lost for k in o.notices if k in added]
    for chunk in _chunks(notice_ids):
        session.execute(delete(Notice).where(col(Notice.id).in_(chunk)))
    for chunk in _chunks([i for _, i in lost]):
        session.execute(delete(Outbox).where(col(Outbox.id).in_(chunk)))
    for model, column in ((Assignment, "assignment_id"), (TthcFile, "file_id")):
        again = {f[column] for o, _ in lost for f in o.notices.values() if f.get(column)}
        for chunk in _chunks(sorted(again)):
            session.execute(
                update(model).where(col(model.id).in_(chunk)).values(check_on=recheck_on)
            )


def _chunks(values: Sequence[T]) -> list[Sequence[T]]:
    return [values[i : i + _CHUNK] for i in range(0, len(values), _CHUNK)]


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
    without it: ``empty()`` is returned instead. The database away is no section's fault:
    that is raised, for the tick to say once (``bot.db.OUTAGE``) and try again."""
    try:
        with session.begin_nested():
            return step()
    except Exception as exc:  # isolate the section, whatever it is
        if unreachable(exc):
            raise
        log.exception("planner: %s failed", what)
        text = answer("step_failed", what=what, reason=f"{exc.__class__.__name__}: {exc}")
        alert_admins(session, f"plan-step:{what}:{now:%Y%m%d}", text, now)
        return empty()
