"""Chat commands, replies and buttons, the same for every channel.

A transport turns its update into an ``Incoming`` (or button data), calls one of these
functions inside a transaction, and sends back the answers. Commands: /start,
/lienket MÃ, /huylienket, /nhiemvu, /xong MÃ [ghi chú], /tiendo MÃ N% [ghi chú],
/giahan MÃ NGÀY lý do, /quahan, /trogiup. A reply to a reminder is read by
``bot.domain.replies``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from bot.domain.calendar import WorkCalendar
from bot.domain.numbers import parse_id
from bot.domain.replies import Done, Extension, Progress, Reply, Unclear, evidence_in, parse_reply
from bot.models import Agency, Assignment, Chat, Role, Status
from bot.render import answer
from bot.scheduler.settings import ApologySettings
from bot.services import actions, apology
from bot.services.actions import Answer, Sender
from bot.services.binding import Bound, find_chat, redeem
from bot.services.chats import deactivate_chat


@dataclass(frozen=True)
class Incoming:
    sender: Sender
    text: str
    reply_to: str | None = None  # the id of the bot message this replies to
    attachment: str = ""  # a file sent with the text: kept as evidence


_COMMAND = re.compile(r"^/([a-zA-Z_]+)(?:@\w+)?\s*(.*)$", re.DOTALL)


def handle_message(
    session: Session, incoming: Incoming, now: datetime, cal: WorkCalendar,
    apology_settings: ApologySettings | None = None,
) -> list[Answer]:  # fmt: skip
    sender, text = incoming.sender, incoming.text.strip()
    chat = find_chat(session, sender.channel, sender.chat_key)
    settings = apology_settings or ApologySettings()
    command = _COMMAND.match(text)
    if command:
        name, args = command.group(1).lower(), command.group(2).strip()
        if name in ("xinloi", "duyetxl", "tralai"):
            return _apology_command(session, chat, sender, name, args, now, cal, settings)
        return _command(session, chat, incoming, name, args, now, cal)
    if chat is None:
        return [Answer(answer("not_bound"))] if sender.private else []
    draft = apology.active_draft(session, chat, sender)
    if draft is not None:  # the bot asked this person for the letter's reason or date
        return [apology.continue_draft(session, draft, text, now, cal, settings)]
    if incoming.reply_to is None and not sender.private:
        return []  # talk among officers in the group: not for the bot
    reply = parse_reply(f"{text} {incoming.attachment}".strip(), today=cal.local(now).date())
    if isinstance(reply, Unclear) and (reply.asking or not incoming.attachment):
        return [Answer(answer("unclear"))]  # a file sent with a question is no answer either
    # In a private chat (and on Zalo, which has no reply threading) an answer without a
    # reply refers to the last message the bot sent there.
    context = incoming.reply_to or (
        actions.last_message_to(session, chat) if sender.private else None
    )
    parts = actions.parts_of_message(session, chat, context) if context else []
    if len(parts) != 1:
        candidates = parts or _own_open(session, chat)
        if not candidates:
            return [Answer(answer("unclear"))]
        described = [actions.describe(session, p) for p in candidates]
        return [Answer(answer("need_code", parts=described))]
    return [_apply(session, chat, sender, parts[0], reply, now, cal, incoming.attachment)]


def handle_button(
    session: Session, sender: Sender, data: str, now: datetime, cal: WorkCalendar,
    apology_settings: ApologySettings | None = None,
) -> list[Answer]:  # fmt: skip
    chat = find_chat(session, sender.channel, sender.chat_key)
    if chat is None:
        return [Answer(answer("not_bound"))]
    kind, _, ident = data.partition(":")
    if kind in ("x", "aa", "ab"):
        name = {"x": "xinloi", "aa": "duyetxl", "ab": "tralai"}[kind]
        return _apology_command(session, chat, sender, name, ident, now, cal,
                                apology_settings or ApologySettings())  # fmt: skip
    if kind in ("ea", "er"):
        request_id = parse_id(ident)
        if request_id is None:
            return [Answer(answer("unclear"))]
        return [actions.decide_extension(session, chat, sender, request_id, kind == "ea", now)]
    part = actions.part_by_code(session, ident)
    if part is None:
        return [Answer(answer("not_found", code=ident))]
    if kind == "d":
        return [actions.close(session, chat, sender, part, now)]
    if kind == "p":
        return [Answer(answer("usage", command="tiendo").replace("MÃ", actions.code_of(part)))]
    if kind == "e":
        return [Answer(answer("extension_needs_date", part=actions.describe(session, part)))]
    return [Answer(answer("unclear"))]


def _command(
    session: Session, chat: Chat | None, incoming: Incoming, name: str, args: str,
    now: datetime, cal: WorkCalendar,
) -> list[Answer]:  # fmt: skip
    sender = incoming.sender
    if name == "start":
        if chat is None:
            return [Answer(answer("start_unbound"))]
        agency = session.get(Agency, chat.agency_id) if chat.agency_id else None
        return [Answer(answer("start_bound", agency=agency.name if agency else "", role=chat.role))]
    if name in ("trogiup", "help"):
        return [Answer(answer("help"))]
    if name == "lienket":
        if not args:
            return [Answer(answer("bind_usage"))]
        result = redeem(session, args.split()[0], channel=sender.channel, chat_key=sender.chat_key,
                        title=sender.chat_title, now=now)  # fmt: skip
        if isinstance(result, Bound):
            name_ = result.agency.name if result.agency else ""
            return [Answer(answer("bound", agency=name_, role=result.chat.role))]
        return [Answer(answer("bind_failed", reason=result.reason))]
    if chat is None:
        return [Answer(answer("not_bound"))]
    if name == "huylienket":
        if not sender.is_admin:
            return [Answer(answer("admin_only"))]
        deactivate_chat(session, chat, now, tell_admins=False)
        return [Answer(answer("unbound_ok"))]
    today = cal.local(now).date()
    if name == "nhiemvu":
        return [
            Answer(
                answer(
                    "tasks", parts=actions.open_parts(session, chat), title="Việc đang thực hiện"
                )
            )
        ]
    if name == "baocao":
        if chat.agency_id is None:
            return [Answer(answer("help"))]
        from bot.reports.digest import head_digest, render_head_digest

        agency = session.get(Agency, chat.agency_id)
        assert agency is not None
        return [Answer(part) for part in render_head_digest(head_digest(session, agency, now, cal))]
    if name == "quahan":
        overdue = actions.open_parts(session, chat, overdue_on=today)
        return [Answer(answer("tasks", parts=overdue, title="Việc đã quá hạn"))]
    if name in ("duyet", "khongduyet"):
        request_id = parse_id(args.split()[0]) if args else None
        if request_id is None:
            return [Answer(answer("help"))]
        return [actions.decide_extension(session, chat, sender, request_id, name == "duyet", now)]
    if name in ("xong", "tiendo", "giahan"):
        code, _, rest = args.partition(" ")
        part = actions.part_by_code(session, code) if code else None
        if not code:
            return [Answer(answer("usage", command=name))]
        if part is None:
            return [Answer(answer("not_found", code=code))]
        if name == "xong":
            return [actions.close(session, chat, sender, part, now, rest.strip(),
                                  evidence_in(f"{rest} {incoming.attachment}"))]  # fmt: skip
        if name == "tiendo":
            reply = parse_reply(rest, today=today)
            if not isinstance(reply, Progress | Done) or (
                isinstance(reply, Progress) and reply.percent is None
            ):
                return [Answer(answer("usage", command=name))]
            percent = 100 if isinstance(reply, Done) else reply.percent
            return [actions.progress(session, chat, sender, part, now, percent, rest.strip())]
        reply = parse_reply(f"gia hạn {rest}", today=today)
        assert isinstance(reply, Extension)
        reason = re.sub(r"^\s*\d{1,2}\s*/\s*\d{1,2}(?:\s*/\s*\d{2,4})?\s*", "", rest).strip()
        return [
            actions.request_extension(session, chat, sender, part, now, reply.until, reason, cal)
        ]
    return [Answer(answer("help"))]


def _apology_command(
    session: Session, chat: Chat | None, sender: Sender, name: str, args: str, now: datetime,
    cal: WorkCalendar, settings: ApologySettings,
) -> list[Answer]:  # fmt: skip
    if chat is None:
        return [Answer(answer("not_bound"))]
    ident = args.split()[0] if args else ""
    if name == "xinloi":
        file = apology.file_by_code(session, ident) if ident else None
        if file is None:
            return [Answer(answer("not_found", code=f"hồ sơ {ident}" if ident else "mã hồ sơ"))]
        return [apology.start(session, chat, sender, file, now)]
    letter_id = parse_id(ident)
    if letter_id is None:
        return [Answer(answer("help"))]
    return [apology.decide(session, chat, sender, letter_id, name == "duyetxl", now, cal, settings)]


def _apply(
    session: Session, chat: Chat, sender: Sender, part: Assignment, reply: Reply,
    now: datetime, cal: WorkCalendar, attachment: str,
) -> Answer:  # fmt: skip
    if isinstance(reply, Done) or (isinstance(reply, Unclear) and attachment):
        evidence = (*reply.evidence, attachment) if isinstance(reply, Done) else (attachment,)
        note = reply.note if isinstance(reply, Done) else reply.text
        return actions.close(
            session, chat, sender, part, now, note, tuple(e for e in evidence if e)
        )
    if isinstance(reply, Progress):
        return actions.progress(session, chat, sender, part, now, reply.percent, reply.note)
    if isinstance(reply, Extension):
        return actions.request_extension(
            session, chat, sender, part, now, reply.until, reply.reason, cal
        )
    return Answer(answer("unclear"))


def _own_open(session: Session, chat: Chat) -> list[Assignment]:
    if chat.agency_id is None:
        return []
    return list(
        session.exec(
            select(Assignment).where(
                Assignment.agency_id == chat.agency_id, Assignment.status == Status.OPEN,
                Assignment.role == Role.LEAD,
            ).limit(10)
        ).all()
    )  # fmt: skip
