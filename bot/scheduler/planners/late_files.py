"""Warnings for open administrative files (hồ sơ TTHC) whose stage has come.

The same guarantees as the reminder ladder: one notice per file, stage, appointment
date and chat (a unique key), grouped per chat per tick, in the caller's transaction;
only files whose ``check_on`` day has come are read, a page at a time. The stages and their audiences are
``bot.domain.tthc``'s (Nghị định 61/2018/NĐ-CP).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Row, select, tuple_
from sqlmodel import Session, col

from bot.config import Settings
from bot.domain.calendar import WorkCalendar
from bot.domain.tthc import MUST_APOLOGIZE, FileDecision, decide_file
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
_PAGE = 2000  # open files read per query: memory stays flat however many are open
_COLUMNS: tuple[Any, ...] = (
    col(TthcFile.id).label("id"), col(TthcFile.code).label("code"),
    col(TthcFile.procedure).label("procedure"), col(TthcFile.applicant_name).label("applicant"),
    col(TthcFile.received_at).label("received_at"), col(TthcFile.due_on).label("due_on"),
    col(TthcFile.check_on).label("check_on"), col(Agency.id).label("agency_id"),
    col(Agency.name).label("agency"),
)  # fmt: skip


@dataclass
class _ChatFiles:
    """What one chat is told about this tick: notice key → the file's view."""

    chat: Recipient
    items: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def plan_late_files(
    session: Session, now: datetime, settings: Settings, cal: WorkCalendar
) -> Planned:
    """This tick's file warnings (``settings.files``), one message per chat; the letter's
    legal basis (``settings.apology``) is named in them.

    Open files whose ``check_on`` day has come are read a page at a time in the order of
    that day (an index), and each page's ``check_on`` moves on before the next is read:
    a million open files after an import are never in memory at once. Only the notices
    still to plan for a bound chat are kept; the messages are written in bulk.
    """
    today = cal.local(now).date()
    routes: Routes | None = None
    per_chat: dict[int, _ChatFiles] = {}
    looked_at = 0
    for page in _open_files(session, today):
        looked_at += len(page)
        routes = routes or Routes.everywhere(session)
        _plan_page(session, page, today, cal, settings, routes, per_chat)
    outgoing = [_message(c, today) for c in per_chat.values()]
    return Planned(write_messages(session, outgoing, now, today), looked_at=looked_at)


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
    session: Session, page: Sequence[Row[Any]], today: date, cal: WorkCalendar,
    settings: Settings, routes: Routes, per_chat: dict[int, _ChatFiles],
) -> None:  # fmt: skip
    """Decide each file of ``page``, move its check day, keep its notices not yet planned."""
    approved = with_approved_letter(session, [f.id for f in page])
    next_check: dict[date, list[int]] = defaultdict(list)
    found: list[tuple[str, Recipient, dict[str, Any]]] = []
    for file in page:
        moved = file.id in approved
        decision = decide_file(file.due_on, today, cal, settings.files, apology_approved=moved)
        # Never today or before: a file moved on is not met again further down the pages.
        next_check[max(decision.next_check or CHECK_NEVER, today + timedelta(days=1))].append(
            file.id
        )
        if decision.stage is None:
            continue
        chats = routes.chats(file.agency_id, decision.stage.audience)
        view = _view(file, decision, moved, settings.apology.legal_basis, cal) if chats else {}
        for chat in chats:
            key = f"file:{file.id}:{decision.stage.name}@{file.due_on.isoformat()}:{chat.id}"
            found.append((key, chat, view))
    move_check_on(session, TthcFile, next_check)
    existing = existing_keys(session, [k for k, _, _ in found])
    for key, chat, view in found:
        if key not in existing:
            assert chat.id is not None
            per_chat.setdefault(chat.id, _ChatFiles(chat)).items.append((key, view))


def _message(c: _ChatFiles, today: date) -> Outgoing:
    """One chat's warning, rendered once, with a button for each file to apologise for."""
    chat = c.chat
    views = [{**v, "chat_role": chat.role} for _, v in c.items]
    header = {"chat_role": chat.role, "agency": views[0]["agency"] if chat.role != ChatRole.COORDINATOR else "",
              "today": today, "count": len(views)}  # fmt: skip
    parts = split_message(blocks("files.html.j2", header, views))
    buttons = [[list(button(APOLOGIZE, v["file_id"], f" {v['code']}"))] for v in views
               if v["stage"] == MUST_APOLOGIZE.name and chat.role == ChatRole.GROUP][:_MAX_BUTTONS]  # fmt: skip
    notices = {
        key: {"file_id": v["file_id"], "stage": v["stage"], "period": v["due"].isoformat()}
        for key, v in c.items
    }
    covered = [{"stage": v["stage"], "file": v["code"]} for v in views]
    return Outgoing(PlannedMessage(chat, "files", parts, covered), notices, buttons)


def _view(
    file: Row[Any], decision: FileDecision, moved: bool, legal_basis: str, cal: WorkCalendar
) -> dict[str, Any]:
    assert decision.stage is not None
    return {
        "file_id": file.id, "code": file.code, "procedure": file.procedure, "applicant": file.applicant,
        "received": cal.local(file.received_at).date(), "due": file.due_on, "agency": file.agency,
        "stage": decision.stage.name, "working_days": decision.working_days, "chat_role": "",
        "moved": moved, "legal_basis": legal_basis,
    }  # fmt: skip
