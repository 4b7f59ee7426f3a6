"""Warnings for open administrative files (hồ sơ TTHC) whose stage has come.

The same guarantees as the reminder ladder: one notice per file, stage, appointment
date and chat (a unique key), grouped per chat per tick, in the caller's transaction;
only files whose ``check_on`` day has come are read. The stages and their audiences are
``bot.domain.tthc``'s (Nghị định 61/2018/NĐ-CP).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from bot.config import Settings
from bot.domain.calendar import WorkCalendar
from bot.domain.tthc import MUST_APOLOGIZE, decide_file
from bot.domain.verbs import APOLOGIZE, button
from bot.models import (
    CHECK_NEVER,
    Agency,
    Chat,
    ChatRole,
    FileStatus,
    TthcFile,
)
from bot.render import blocks, split_message
from bot.scheduler.planners.messages import (
    Planned,
    PlannedMessage,
    enqueue_notices,
    existing_keys,
)
from bot.scheduler.planners.routing import Routes
from bot.services.apology import with_approved_letter

_MAX_BUTTONS = 8


def plan_late_files(
    session: Session, now: datetime, settings: Settings, cal: WorkCalendar
) -> Planned:
    """This tick's file warnings (``settings.files``), one message per chat; the letter's
    legal basis (``settings.apology``) is named in them."""
    today = cal.local(now).date()
    rows = session.exec(
        select(TthcFile, Agency)
        .join(Agency, col(TthcFile.agency_id) == col(Agency.id))
        .where(TthcFile.status == FileStatus.OPEN, col(TthcFile.check_on) <= today)
    ).all()
    if not rows:
        return Planned()
    approved = with_approved_letter(session, [f.id for f, _ in rows])
    due: list[tuple[TthcFile, Agency, Any]] = []
    for file, agency in rows:
        decision = decide_file(
            file.due_on, today, cal, settings.files, apology_approved=file.id in approved
        )
        file.check_on = decision.next_check or CHECK_NEVER
        session.add(file)
        if decision.stage is not None:
            due.append((file, agency, decision))
    if not due:
        return Planned(looked_at=len(rows))
    routes = Routes(session, {a.id for _, a, _ in due})
    per_chat: dict[int, tuple[Chat, list[tuple[str, Any]]]] = {}
    for file, agency, decision in due:
        for chat in routes.chats(agency.id, decision.stage.audience):
            assert chat.id is not None
            notice_key = f"file:{file.id}:{decision.stage.name}@{file.due_on.isoformat()}:{chat.id}"
            per_chat.setdefault(chat.id, (chat, []))[1].append(
                (notice_key, (file, agency, decision))
            )
    keys = [k for _, items in per_chat.values() for k, _ in items]
    existing = existing_keys(session, keys)
    legal_basis = settings.apology.legal_basis
    planned = Planned(looked_at=len(rows))
    for chat, items in per_chat.values():
        fresh = [(k, v) for k, v in items if k not in existing]
        if not fresh:
            continue
        views = [_view(file, agency, decision, chat, file.id in approved, legal_basis, cal)
                 for _, (file, agency, decision) in fresh]  # fmt: skip
        header = {"chat_role": chat.role, "agency": fresh[0][1][1].name if chat.role != ChatRole.COORDINATOR else "",
                  "today": today, "count": len(views)}  # fmt: skip
        parts = split_message(blocks("files.html.j2", header, views))
        buttons = [[list(button(APOLOGIZE, v["file_id"], f" {v['code']}"))] for v in views
                   if v["stage"] == MUST_APOLOGIZE.name and chat.role == ChatRole.GROUP][:_MAX_BUTTONS]  # fmt: skip
        notices = {
            key: {"file_id": file.id, "stage": decision.stage.name,
                  "period": file.due_on.isoformat()}
            for key, (file, _, decision) in fresh
        }  # fmt: skip
        enqueue_notices(session, chat, "files", parts, notices, now, buttons)
        covered = [{"stage": d.stage.name, "file": f.code} for _, (f, _, d) in fresh]
        planned.messages.append(PlannedMessage(chat, "files", parts, covered))
    return planned


def _view(
    file: TthcFile,
    agency: Agency,
    decision: Any,
    chat: Chat,
    moved: bool,
    legal_basis: str,
    cal: WorkCalendar,
) -> dict[str, Any]:
    return {
        "file_id": file.id, "code": file.code, "procedure": file.procedure, "applicant": file.applicant_name,
        "received": cal.local(file.received_at).date(), "due": file.due_on, "agency": agency.name,
        "stage": decision.stage.name, "working_days": decision.working_days, "chat_role": chat.role,
        "moved": moved, "legal_basis": legal_basis,
    }  # fmt: skip
