"""``plan_files(session, now)``: warnings for open administrative files, into the outbox.

The same guarantees as the plan reminders: one notice per file, stage, appointment date
and chat (a unique key), grouped per chat per tick, in the caller's transaction; only
files whose ``check_on`` day has come are read.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, select

from bot.domain.calendar import WorkCalendar
from bot.domain.policy import Audience
from bot.domain.tthc import MUST_APOLOGIZE, FileSettings, decide_file
from bot.domain.verbs import APOLOGIZE, button
from bot.models import Agency, Apology, ApologyState, Chat, ChatRole, FileStatus, Notice, TthcFile
from bot.render import blocks, split_message
from bot.scheduler.notices import existing_keys
from bot.services.outbox import enqueue

_MAX_BUTTONS = 8


def plan_files(
    session: Session, now: datetime, *, settings: FileSettings, cal: WorkCalendar, legal_basis: str
) -> list[dict[str, Any]]:
    """Insert this tick's file warnings; returns what was planned (chat, stage, file)."""
    today = cal.local(now).date()
    rows = session.exec(
        select(TthcFile, Agency)
        .join(Agency, col(TthcFile.agency_id) == col(Agency.id))
        .where(TthcFile.status == FileStatus.OPEN, col(TthcFile.check_on) <= today)
    ).all()
    if not rows:
        return []
    approved = set(
        session.exec(
            select(Apology.file_id).where(
                Apology.state == ApologyState.APPROVED,
                col(Apology.file_id).in_([f.id for f, _ in rows]),
            )
        ).all()
    )
    due: list[tuple[TthcFile, Agency, Any]] = []
    for file, agency in rows:
        decision = decide_file(
            file.due_on, today, cal, settings, apology_approved=file.id in approved
        )
        file.check_on = decision.next_check or date(9999, 12, 31)
        session.add(file)
        if decision.stage is not None:
            due.append((file, agency, decision))
    if not due:
        return []
    chats = session.exec(
        select(Chat).where(
            col(Chat.active),
            or_(col(Chat.agency_id).in_({a.id for _, a, _ in due}),
                col(Chat.role).in_([ChatRole.COORDINATOR])),
        )
    ).all()  # fmt: skip
    routes: dict[tuple[int | None, str], list[Chat]] = defaultdict(list)
    for chat in chats:
        routes[
            (chat.agency_id if chat.role in (ChatRole.GROUP, ChatRole.HEAD) else None, chat.role)
        ].append(chat)
    per_chat: dict[int, tuple[Chat, list[tuple[str, Any]]]] = {}
    for file, agency, decision in due:
        targets: dict[int | None, Chat] = {}
        for audience in sorted(decision.stage.audience):
            route = (
                (agency.id, audience.value)
                if audience in (Audience.GROUP, Audience.HEAD)
                else (None, audience.value)
            )
            targets.update({c.id: c for c in routes[route]})
        for chat in targets.values():
            assert chat.id is not None
            notice_key = f"file:{file.id}:{decision.stage.name}@{file.due_on.isoformat()}:{chat.id}"
            per_chat.setdefault(chat.id, (chat, []))[1].append(
                (notice_key, (file, agency, decision))
            )
    keys = [k for _, items in per_chat.values() for k, _ in items]
    existing = existing_keys(session, keys)
    planned: list[dict[str, Any]] = []
    for chat, items in per_chat.values():
        fresh = [(k, v) for k, v in items if k not in existing]
        if not fresh:
            continue
        views = [_view(file, agency, decision, chat, file.id in approved, legal_basis, cal)
                 for _, (file, agency, decision) in fresh]  # fmt: skip
        header = {"chat_role": chat.role, "agency": fresh[0][1][1].name if chat.role != ChatRole.COORDINATOR else "",
                  "today": today, "count": len(views)}  # fmt: skip
        parts = split_message(blocks("files.html.j2", header, views))
        digest = hashlib.sha256("\n".join(k for k, _ in fresh).encode()).hexdigest()[:20]
        buttons = [[list(button(APOLOGIZE, v["file_id"], f" {v['code']}"))] for v in views
                   if v["stage"] == MUST_APOLOGIZE.name and chat.role == ChatRole.GROUP][:_MAX_BUTTONS]  # fmt: skip
        outbox = enqueue(session, key=f"files:{chat.id}:{digest}", chat=chat, kind="files",
                         parts=parts, now=now, buttons=buttons)  # fmt: skip
        assert outbox is not None  # its notices are new: so is the digest of their keys
        for key, (file, _, decision) in fresh:
            session.add(Notice(key=key, file_id=file.id, chat_id=chat.id, stage=decision.stage.name,  # type: ignore[arg-type]
                               period=file.due_on.isoformat(), outbox_id=outbox.id, created_at=now))  # type: ignore[arg-type]  # fmt: skip
            planned.append({"chat": chat.id, "stage": decision.stage.name, "file": file.code})
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
