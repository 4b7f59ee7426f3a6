"""What officers and heads do from a chat: close a part, report progress, ask for more
time, decide on it. Each takes a session and plain values, checks who may do it, records
the change (who, which chat, which message, when, old → new) and says what to answer.
Every transport calls these; none of them sees a Telegram ``Update``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.domain.calendar import VIETNAM, WorkCalendar
from bot.domain.deadlines import YEARS
from bot.domain.numbers import parse_id
from bot.domain.verbs import APPROVE_EXTENSION, REJECT_EXTENSION, button
from bot.models import (
    NO_WORK,
    Agency,
    Assignment,
    Chat,
    ChatRole,
    ExtensionRequest,
    Notice,
    Plan,
    RequestState,
    Role,
    SentMessage,
    Status,
    Task,
    shown_key,
)
from bot.render import answer
from bot.services.assignments import Actor, extend, mark_done, record_change
from bot.services.outbox import enqueue


@dataclass(frozen=True)
class Sender:
    """Who wrote, and where: the same for every channel."""

    channel: str
    chat_key: str
    user_id: str
    user_name: str = ""
    message_id: str | None = None
    is_admin: bool = False
    chat_title: str = ""
    private: bool = False

    @property
    def actor(self) -> Actor:
        who = f"{self.channel}:{self.user_id}" + (f" ({self.user_name})" if self.user_name else "")
        return Actor(who[:128], chat_id=self.chat_key, message_id=self.message_id)


@dataclass
class Answer:
    """What the bot says back: HTML, buttons under it, and ``outcome``, the name of the
    answer given (a macro of ``templates/answers.html.j2``, "" for a list or a digest):
    what the log says happened (``bot.handlers.core``)."""

    html: str
    buttons: list[list[tuple[str, str]]] = field(default_factory=list)
    outcome: str = ""


def said(name: str, /, **ctx: Any) -> Answer:
    """The answer ``name`` of ``templates/answers.html.j2`` rendered with ``ctx``, its
    name kept as the outcome."""
    return Answer(answer(name, **ctx), outcome=name)


_CODE = re.compile(r"^(?:nv)?(.+)$", re.IGNORECASE)


def part_by_code(session: Session, code: str) -> Assignment | None:
    """A part by its code ("NV12", "nv12", "#12", "12"); ``None`` for anything else."""
    m = _CODE.match(code.strip().lstrip("#"))
    ident = parse_id(m.group(1)) if m else None
    return session.get(Assignment, ident) if ident is not None else None


def code_of(part: Assignment) -> str:
    return f"NV{part.id}"


def describe(session: Session, part: Assignment) -> dict[str, Any]:
    task = session.get(Task, part.task_id)
    agency = session.get(Agency, part.agency_id)
    assert task is not None and agency is not None
    plan = session.get(Plan, task.plan_id)
    assert plan is not None
    return {"code": code_of(part), "task": task.text, "indicator": task.indicator,
            "task_key": shown_key(task.key), "plan": plan.number,
            "agency": agency.name, "due": part.due_on, "progress": part.progress,
            "status": part.status, "role": part.role}  # fmt: skip


def _leads(session: Session, part: Assignment) -> list[str]:
    """The agencies leading the task: parts open, snoozed or done (a cancelled part, or
    one handed to a successor, leads nothing)."""
    rows = session.exec(
        select(Agency.name)
        .join(Assignment, col(Assignment.agency_id) == col(Agency.id))
        .where(Assignment.task_id == part.task_id, Assignment.role == Role.LEAD,
               col(Assignment.status).in_([Status.OPEN, Status.SNOOZED, Status.DONE]))
        .order_by(col(Assignment.id))
    ).all()  # fmt: skip
    return list(rows)


def _may_act(chat: Chat, sender: Sender, part: Assignment) -> bool:
    """Only the lead agency's own chats (or an admin) change a part."""
    if sender.is_admin:
        return True
    return (
        chat.agency_id == part.agency_id
        and part.role == Role.LEAD
        and chat.role in (ChatRole.GROUP, ChatRole.HEAD)
    )


def _coordinates(session: Session, chat: Chat, part: Assignment) -> Assignment | None:
    """The coordinating part of the same task held by this chat's agency, if any."""
    return session.exec(
        select(Assignment).where(
            Assignment.task_id == part.task_id,
            Assignment.agency_id == chat.agency_id,
            Assignment.role == Role.COORDINATE,
        )
    ).first()


def _refusal(session: Session, part: Assignment, what: str) -> Answer:
    return said("refused", what=what, part=describe(session, part), leads=_leads(session, part))


def close(
    session: Session, chat: Chat, sender: Sender, part: Assignment, now: datetime,
    note: str = "", evidence: tuple[str, ...] = (),
) -> Answer:  # fmt: skip
    if not _may_act(chat, sender, part):
        return _note_or_refuse(session, chat, sender, part, now, note, "đánh dấu hoàn thành")
    if part.status == Status.DONE:
        return said("already_done", part=describe(session, part))
    if part.status in NO_WORK:
        return said(str(part.status), part=describe(session, part))
    full_note = "; ".join(x for x in (note, *(f"Minh chứng: {e}" for e in evidence)) if x)
    mark_done(session, part, sender.actor, now, full_note)
    return said("done_ok", part=describe(session, part), evidence=evidence, who=sender.user_name)


def progress(
    session: Session, chat: Chat, sender: Sender, part: Assignment, now: datetime,
    percent: int | None, note: str = "",
) -> Answer:  # fmt: skip
    if not _may_act(chat, sender, part):
        return _note_or_refuse(session, chat, sender, part, now, note, "báo cáo tiến độ")
    if part.status in NO_WORK:
        return said(str(part.status), part=describe(session, part))
    if part.status == Status.DONE:
        return said("already_done", part=describe(session, part))
    if percent is not None and percent != part.progress:
        record_change(session, part, sender.actor, now, "progress", part.progress, percent, note)
        part.progress = percent
    else:
        record_change(session, part, sender.actor, now, "note", None, None, note)
    return said("progress_ok", part=describe(session, part), percent=percent, note=note)


def _note_or_refuse(
    session: Session,
    chat: Chat,
    sender: Sender,
    part: Assignment,
    now: datetime,
    note: str,
    what: str,
) -> Answer:
    """A coordinating agency adds a note to the task; anyone else gets a polite refusal."""
    own = _coordinates(session, chat, part) if chat.agency_id else None
    if own is not None and note:
        record_change(session, own, sender.actor, now, "note", None, None, note)
        return said("note_ok", part=describe(session, part), leads=_leads(session, part))
    return _refusal(session, part, what)


def request_extension(
    session: Session, chat: Chat, sender: Sender, part: Assignment, now: datetime,
    until: date | None, reason: str, cal: WorkCalendar, no_such_day: str = "",
) -> Answer:  # fmt: skip
    """Ask the agency's head for more time until ``until``; ``no_such_day`` is the date the
    officer wrote when it is no real day (then ``until`` is None and the answer says so)."""
    if not _may_act(chat, sender, part):
        return _refusal(session, part, "xin gia hạn")
    if part.status in NO_WORK:
        return said(str(part.status), part=describe(session, part))
    if part.status != Status.OPEN:
        return said("already_done", part=describe(session, part))
    today = cal.local(now).date()
    if until is None:
        return said("extension_needs_date", part=describe(session, part),
                             no_such_day=no_such_day)  # fmt: skip
    # A date years away is a typing slip ("31/12/9999"), not a request a head can weigh.
    if (
        until <= today
        or (part.due_on is not None and until <= part.due_on)
        or until.year not in YEARS
    ):
        return said("extension_bad_date", part=describe(session, part), until=until)
    # The newest request is the agency's ask: one still pending before it is withdrawn, so
    # that a head answering both in turn cannot move the due date back to the earlier.
    _settle_pending(session, col(ExtensionRequest.assignment_id) == part.id,
                    RequestState.WITHDRAWN, sender.actor, now)  # fmt: skip
    request = ExtensionRequest(
        assignment_id=part.id, until=until, reason=reason, requested_by=sender.actor.who,  # type: ignore[arg-type]
        requested_in_chat_id=chat.id, requested_at=now,
    )  # fmt: skip
    session.add(request)
    session.flush()
    record_change(session, part, sender.actor, now, "extension_request", part.due_on, until, reason)
    heads = chats_of(session, part.agency_id, ChatRole.HEAD) or admin_chats(session)
    details = describe(session, part)
    text = answer(
        "extension_to_head", part=details, until=until, reason=reason, who=sender.user_name
    )
    buttons = [[button(APPROVE_EXTENSION, request.id), button(REJECT_EXTENSION, request.id)]]
    for head in heads:
        notify(session, head, f"extension:{request.id}:{head.id}", text, now, buttons)
    return said("extension_requested", part=details, until=until, heads=bool(heads))


def decide_extension(
    session: Session, chat: Chat, sender: Sender, request_id: int, approve: bool, now: datetime
) -> Answer:
    """A head's or an admin's answer, in a chat, to request ``request_id``
    (:func:`settle_extension`: the head of that part's agency speaks from its head chat)."""
    head_of = chat.agency_id if chat.role == ChatRole.HEAD else None
    return settle_extension(session, request_id, approve, sender.actor, now,
                            is_admin=sender.is_admin, head_of=head_of)  # fmt: skip


def _settle_pending(
    session: Session, which: Any, state: RequestState, actor: Actor, now: datetime
) -> int:
    """Requests ``which`` (a condition) still pending set to ``state`` by ``actor``, in
    one statement (a request decided meanwhile is left as it is): how many changed."""
    done = session.execute(
        update(ExtensionRequest)
        .where(which, col(ExtensionRequest.state) == RequestState.PENDING)
        .values(state=state, decided_by=actor.who, decided_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(done.rowcount)  # type: ignore[attr-defined]


def may_decide_extension(agency_id: int, *, is_admin: bool, head_of: int | None) -> bool:
    """Whether someone may approve or reject a request for more time on a part of agency
    ``agency_id``: an admin, or that agency's head (``head_of``: the agency whose head
    they speak as, ``None`` for anyone else)."""
    return is_admin or (head_of is not None and head_of == agency_id)


def settle_extension(
    session: Session, request_id: int, approve: bool, actor: Actor, now: datetime, *,
    is_admin: bool, head_of: int | None,
) -> Answer:  # fmt: skip
    """Request ``request_id`` approved (the part's due date moves to the date asked) or
    rejected, by ``actor`` (a chat's sender or a web viewer), with the audit trail's row
    and a message to each of the agency's group chats. Answers (by ``outcome``)
    ``not_found``, ``refused_decision`` (:func:`may_decide_extension`),
    ``already_decided`` (decided or withdrawn before: nothing changes, even when two
    answers race) or ``extension_decided``."""
    request = session.get(ExtensionRequest, request_id)
    if request is None:
        return said("not_found", code=f"đề nghị {request_id}")
    part = session.get(Assignment, request.assignment_id)
    assert part is not None
    if not may_decide_extension(part.agency_id, is_admin=is_admin, head_of=head_of):
        return said("refused_decision", part=describe(session, part))
    state = RequestState.APPROVED if approve else RequestState.REJECTED
    today = now.astimezone(VIETNAM).date()
    # An approval that would move the due date back, or to a day gone by, is no extension:
    # the request is withdrawn and the head told why (the group may ask again).
    stale = approve and (request.until < today
                         or (part.due_on is not None and request.until <= part.due_on))  # fmt: skip
    if stale:
        state = RequestState.WITHDRAWN
    # Only a request still pending changes, in one statement: of two answers at once
    # (a button in chat, a tab on the web) the second finds it decided.
    settled = _settle_pending(session, col(ExtensionRequest.id) == request_id, state, actor, now)
    session.refresh(request)
    if settled != 1:
        return said("already_decided", request=request, part=describe(session, part))
    if stale:
        return said("extension_stale", part=describe(session, part), until=request.until,
                    passed=request.until < today)  # fmt: skip
    if approve:
        extend(session, part, request.until, actor, now, request.reason)
    else:
        record_change(session, part, actor, now, "extension_rejected", None, request.until, "")
    details = describe(session, part)
    for group in chats_of(session, part.agency_id, ChatRole.GROUP):
        notify(session, group, f"decision:{request.id}:{group.id}",
                answer("extension_decided_group", part=details, approve=approve,
                       until=request.until, by_head=head_of == part.agency_id),
                now)  # fmt: skip
    return said("extension_decided", part=details, approve=approve, until=request.until)


def open_parts(
    session: Session, chat: Chat, *, overdue_on: date | None = None
) -> list[dict[str, Any]]:
    """The chat's agency's open parts (all agencies' for a coordinator or admin chat)."""
    query = select(Assignment).where(Assignment.status == Status.OPEN)
    if chat.role in (ChatRole.GROUP, ChatRole.HEAD):
        query = query.where(Assignment.agency_id == chat.agency_id)
    if overdue_on is not None:
        query = query.where(col(Assignment.due_on) < overdue_on, Assignment.role == Role.LEAD)
    rows = session.exec(query.order_by(col(Assignment.due_on), col(Assignment.id))).all()
    return [describe(session, part) for part in rows]


def parts_of_message(session: Session, chat: Chat, message_key: str) -> list[Assignment]:
    """The parts a bot message (that a user replied to) was about, for this chat."""
    sent = session.exec(
        select(SentMessage).where(
            SentMessage.chat_id == chat.id, SentMessage.message_key == message_key
        )
    ).first()
    if sent is None:
        return []
    ids = session.exec(
        select(Notice.assignment_id).where(
            Notice.outbox_id == sent.outbox_id, Notice.chat_id == chat.id,
            col(Notice.assignment_id).is_not(None),  # a late-file warning covers no part
        )
    ).all()  # fmt: skip
    parts = [session.get(Assignment, i) for i in dict.fromkeys(ids)]
    return [p for p in parts if p is not None and p.status == Status.OPEN]


def reminded_open_parts(session: Session, chat: Chat) -> list[Assignment]:
    """The open parts the bot has reminded this chat of, earliest due first."""
    reminded = select(Notice.assignment_id).where(
        Notice.chat_id == chat.id, col(Notice.assignment_id).is_not(None)
    )
    return list(
        session.exec(
            select(Assignment)
            .where(col(Assignment.id).in_(reminded), Assignment.status == Status.OPEN)
            .order_by(col(Assignment.due_on), col(Assignment.id))
        ).all()
    )


def last_message_to(session: Session, chat: Chat) -> str | None:
    return session.exec(
        select(SentMessage.message_key)
        .where(SentMessage.chat_id == chat.id)
        .order_by(col(SentMessage.id).desc())
    ).first()


def chats_of(session: Session, agency_id: int, role: ChatRole) -> list[Chat]:
    return list(
        session.exec(
            select(Chat).where(Chat.agency_id == agency_id, Chat.role == role, col(Chat.active))
        ).all()
    )


def admin_chats(session: Session) -> list[Chat]:
    return list(
        session.exec(select(Chat).where(Chat.role == ChatRole.ADMIN, col(Chat.active))).all()
    )


def notify(
    session: Session, chat: Chat, key: str, text: str, now: datetime,
    buttons: list[list[tuple[str, str]]] | None = None,
) -> None:  # fmt: skip
    """A message to another chat goes through the outbox, like every notice (once per key)."""
    enqueue(session, key=key, chat=chat, kind="notice", parts=[text], now=now,
            buttons=buttons or ())  # fmt: skip


def alert_admins(
    session: Session, subject: str, text: str, now: datetime, *, skip_chat_id: int | None = None
) -> int:
    """Tell every active admin chat (but ``skip_chat_id``) once about ``subject``: the
    outbox key carries it, so the same subject alerts nobody twice. Returns how many chats
    were told."""
    told = 0
    for admin in admin_chats(session):
        if admin.id == skip_chat_id:
            continue
        notify(session, admin, f"alert:{subject}:{admin.id}"[:160], text, now)
        told += 1
    return told
