"""Warnings for open administrative files (hồ sơ TTHC) whose stage has come.

The same guarantees as the reminder ladder: one notice per file, stage, appointment
date and chat (a unique key), grouped per chat per tick, in the caller's transaction;
only files whose ``check_on`` day has come are read, a page at a time. The stages and their audiences are
``bot.domain.tthc``'s (Nghị định 61/2018/NĐ-CP).

A chat is told of at most ``settings.files.listed`` files by name in one tick, the most
urgent (``BY_URGENCY``, then the earliest appointment); the others of that tick are
counted by stage in the same message and listed on demand by /hoso. They get no notice
of their own: their check day has moved on, so no later tick tells of them again for
the same stage. An export full of historic late files thus makes one message per chat,
and the planner's memory holds ``listed`` files per chat, not the export.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from itertools import groupby
from typing import Any

from sqlalchemy import Row, select, tuple_
from sqlmodel import Session, col

from bot.config import Settings
from bot.domain.calendar import WorkCalendar
from bot.domain.tthc import (
    BY_URGENCY,
    DUE_SOON,
    MUST_APOLOGIZE,
    FileDecision,
    FileStage,
    decide_file,
)
from bot.domain.verbs import APOLOGIZE, button
from bot.models import (
    CHECK_NEVER,
    Agency,
    ChatRole,
    FileStatus,
    TthcFile,
)
from bot.render import blocks, split_message
from bot.scheduler.planners.messages import (
    Outgoing,
    Planned,
    PlannedMessage,
    existing_keys,
    move_check_on,
    write_messages,
)
from bot.scheduler.planners.routing import Recipient, Routes
from bot.services.apology import with_approved_letter

_MAX_BUTTONS = 8
_Decide = Callable[[date, bool], FileDecision]  # (appointment, letter approved) → decision
_Route = Callable[[int, FileStage], list[Recipient]]  # (agency id, stage) → its chats
_PAGE = 2000  # open files read per query: memory stays flat however many are open
_COLUMNS: tuple[Any, ...] = (
    col(TthcFile.id).label("id"), col(TthcFile.code).label("code"),
    col(TthcFile.procedure).label("procedure"), col(TthcFile.applicant_name).label("applicant"),
    col(TthcFile.received_at).label("received_at"), col(TthcFile.due_on).label("due_on"),
    col(TthcFile.check_on).label("check_on"), col(Agency.id).label("agency_id"),
    col(Agency.name).label("agency"),
)  # fmt: skip


_RANK = {stage.name: rank for rank, stage in enumerate(BY_URGENCY)}
# The stages before the appointment: the letter can still be sent in time.
_BEFORE_DUE = {DUE_SOON.name, MUST_APOLOGIZE.name}


@dataclass(slots=True)
class _Found:
    """A file to tell a chat of, not rendered yet: most are only counted in the end."""

    key: str  # the notice's key
    file: Row[Any]
    decision: FileDecision
    moved: bool  # on its new date, after an approved letter


@dataclass
class _ChatFiles:
    """What one chat is told about this tick: the ``listed`` most urgent files, kept in a
    heap whose top is the least urgent of them, and how many others there are by stage."""

    chat: Recipient
    listed: int
    heap: list[tuple[tuple[int, int, int], _Found]] = field(default_factory=list)
    more: Counter[str] = field(default_factory=Counter)

    def add(self, found: _Found) -> None:
        stage = found.decision.stage
        assert stage is not None
        # Negated, so that the heap's top is the least urgent: the one to count instead.
        rank = (-_RANK[stage.name], -found.file.due_on.toordinal(), -found.file.id)
        if len(self.heap) < self.listed:
            heapq.heappush(self.heap, (rank, found))
            return
        if rank > self.heap[0][0]:
            rank, found = heapq.heapreplace(self.heap, (rank, found))
        assert found.decision.stage is not None
        self.more[found.decision.stage.name] += 1

    def in_order(self) -> list[_Found]:
        """The files listed, the most urgent first."""
        return [f for _, f in sorted(self.heap, reverse=True)]


def plan_late_files(
    session: Session, now: datetime, settings: Settings, cal: WorkCalendar
) -> Planned:
    """This tick's file warnings (``settings.files``), one message per chat; the letter's
    legal basis (``settings.apology``) is named in them.

    Open files whose ``check_on`` day has come are read a page at a time in the order of
    that day (an index), and each page's ``check_on`` moves on before the next is read:
    a million open files after an import are never in memory at once. For each bound
    chat the ``settings.files.listed`` most urgent files are kept, the others counted;
    the messages are written in bulk.
    """
    today = cal.local(now).date()
    per_chat: dict[int, _ChatFiles] = {}
    looked_at = 0
    # A tick's files share few appointment dates and agencies: each decision and each
    # route is worked out once (a file's stage depends on its date and letter alone).
    decide: _Decide = cache(lambda due, moved: decide_file(due, today, cal, settings.files,
                                                           apology_approved=moved))  # fmt: skip
    routes: _Route | None = None
    for page in _open_files(session, today):
        looked_at += len(page)
        routes = routes or _routes(Routes.everywhere(session))  # read once, if any file is due
        _plan_page(session, page, today, decide, routes, settings.files.listed, per_chat)
    legal_basis = settings.apology.legal_basis
    outgoing = [_message(c, today, legal_basis, cal) for c in per_chat.values()]
    return Planned(write_messages(session, outgoing, now, today), looked_at=looked_at)


def _routes(everywhere: Routes) -> _Route:
    return cache(lambda agency_id, stage: everywhere.chats(agency_id, stage.audience))


def _open_files(session: Session, today: date) -> Iterator[Sequence[Row[Any]]]:
    """Open files whose check day has come, in pages ordered by (check day, id): each page
    starts after the last one's key, so a page moved on is never read twice."""
    after: tuple[date, int] = (date.min, 0)
    while True:
        page = session.execute(
            select(*_COLUMNS)
            .join(Agency, col(TthcFile.agency_id) == col(Agency.id))
            .where(
                col(TthcFile.status) == FileStatus.OPEN,
                col(TthcFile.check_on) <= today,
                tuple_(col(TthcFile.check_on), col(TthcFile.id)) > tuple_(*after),
            )
            .order_by(col(TthcFile.check_on), col(TthcFile.id))
            .limit(_PAGE)
        ).all()
        if not page:
            return
        yield page
        after = (page[-1].check_on, page[-1].id)


def _plan_page(
    session: Session, page: Sequence[Row[Any]], today: date, decide: _Decide,
    routes: _Route, listed: int, per_chat: dict[int, _ChatFiles],
) -> None:  # fmt: skip
    """Decide each file of ``page``, move its check day, keep its notices not yet planned."""
    approved = with_approved_letter(session, [f.id for f in page])
    next_check: dict[date, list[int]] = defaultdict(list)
    found: list[tuple[Recipient, _Found]] = []
    for file in page:
        moved = file.id in approved
        decision = decide(file.due_on, moved)
        # Never today or before: a file moved on is not met again further down the pages.
        next_check[max(decision.next_check or CHECK_NEVER, today + timedelta(days=1))].append(
            file.id
        )
        if decision.stage is None:
            continue
        for chat in routes(file.agency_id, decision.stage):
            key = f"file:{file.id}:{decision.stage.name}@{file.due_on.isoformat()}:{chat.id}"
            found.append((chat, _Found(key, file, decision, moved)))
    move_check_on(session, TthcFile, next_check)
    existing = existing_keys(session, [f.key for _, f in found])
    for chat, f in found:
        if f.key not in existing:
            per_chat.setdefault(chat.id, _ChatFiles(chat, listed)).add(f)


def _message(c: _ChatFiles, today: date, legal_basis: str, cal: WorkCalendar) -> Outgoing:
    """One chat's warning, rendered once, with a button for each file to apologise for."""
    chat = c.chat
    listed = c.in_order()
    views = [_view(f, chat.role, cal) for f in listed]
    # One block per stage, its heading (and the letter's legal basis) said once.
    groups = [{"stage": stage, "legal_basis": legal_basis, "files": list(files)}
              for stage, files in groupby(views, key=lambda v: v["stage"])]  # fmt: skip
    more = [{"stage": s.name, "count": c.more[s.name]} for s in BY_URGENCY if c.more[s.name]]
    stages = {g["stage"] for g in groups} | set(c.more)
    header = {"chat_role": chat.role, "agency": views[0]["agency"] if chat.role != ChatRole.COORDINATOR else "",
              "today": today, "count": len(views) + c.more.total(), "more": more,
              "can_apologize": bool(stages & _BEFORE_DUE)}  # fmt: skip
    parts = split_message(blocks("files.html.j2", header, groups))
    buttons = [[list(button(APOLOGIZE, v["file_id"], f" {v['code']}"))] for v in views
               if v["stage"] == MUST_APOLOGIZE.name and chat.role == ChatRole.GROUP][:_MAX_BUTTONS]  # fmt: skip
    notices = {
        f.key: {"file_id": v["file_id"], "stage": v["stage"], "period": v["due"].isoformat()}
        for f, v in zip(listed, views, strict=True)
    }
    covered = [{"stage": v["stage"], "file": v["code"]} for v in views]
    return Outgoing(PlannedMessage(chat, "files", parts, covered), notices, buttons)


def _view(found: _Found, chat_role: str, cal: WorkCalendar) -> dict[str, Any]:
    file, decision = found.file, found.decision
    assert decision.stage is not None
    return {
        "file_id": file.id, "code": file.code, "procedure": file.procedure, "applicant": file.applicant,
        "received": cal.local(file.received_at).date(), "due": file.due_on, "agency": file.agency,
        "stage": decision.stage.name, "working_days": decision.working_days, "chat_role": chat_role,
        "moved": found.moved,
    }  # fmt: skip
