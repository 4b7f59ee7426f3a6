"""Chat commands, replies and buttons, the same for every channel.

A transport turns its update into an ``Incoming`` (or button data), calls one of these
functions inside a transaction, and sends back the answers. The commands and buttons are
the verbs of :mod:`bot.domain.verbs`; each has its handler here (``_COMMANDS``,
``_BUTTONS``). A reply to a reminder is read by ``bot.domain.replies``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from bot.config import ApologySettings
from bot.db import busy
from bot.domain.calendar import WorkCalendar
from bot.domain.mentions import strip_mentions
from bot.domain.numbers import parse_id
from bot.domain.replies import Done, Extension, Progress, Reply, Unclear, evidence_in, parse_reply
from bot.domain.verbs import (
    APOLOGIZE,
    APPROVE_APOLOGY,
    APPROVE_EXTENSION,
    BIND,
    DONE,
    EXTEND,
    FILES,
    HELP,
    OVERDUE,
    PROGRESS,
    REJECT_EXTENSION,
    REPORT,
    RETURN_APOLOGY,
    START,
    TASKS,
    UNBIND,
    WEB,
    Verb,
    find_command,
    help_lines,
    parse_button,
)
from bot.models import Agency, Assignment, Chat, ChatRole, Role, Status
from bot.render import answer, split_message
from bot.services import actions, apology, web_access
from bot.services.actions import Answer, Sender, said
from bot.services.binding import (
    BindingRefused,
    Bound,
    code_target,
    find_chat,
    redeem,
    unbind_chat,
)
from bot.services.files import files_at_hand

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Incoming:
    sender: Sender
    text: str
    reply_to: str | None = None  # the id of the bot message this replies to
    attachment: str = ""  # a file sent with the text: kept as evidence
    # Every message of this chat that reaches the bot is meant for it, without a reply:
    # in a Zalo group the bot receives only its mentions and quotes (Zalo Bot docs,
    # "Tương tác với Bot trong Nhóm"), and Zalo's quote field is not documented.
    addressed: bool = False
    bot_names: tuple[str, ...] = ()  # the bot's display names, to take off a mention


def handle_message(
    session: Session, incoming: Incoming, now: datetime, cal: WorkCalendar,
    settings: ApologySettings,
) -> list[Answer]:  # fmt: skip
    """The answers to one message; every message the bot answers is one log line
    (:func:`_log_event`). Talk not meant for the bot gets no answer and no line."""
    event = _Event()
    answers = _handle_message(session, incoming, now, cal, settings, event)
    if answers:
        _log_event(incoming.sender, event, answers)
    return answers


def _handle_message(
    session: Session, incoming: Incoming, now: datetime, cal: WorkCalendar,
    settings: ApologySettings, event: _Event,
) -> list[Answer]:  # fmt: skip
    sender, today = incoming.sender, cal.local(now).date()
    text = strip_mentions(incoming.text, incoming.bot_names, today=today)
    chat = find_chat(session, sender.channel, sender.chat_key)
    if not text and incoming.text.strip() and not incoming.attachment:  # "@Đôn Đốc" alone
        event.what = "mention"
        return [_help_answer(sender, incoming.bot_names)] if chat else _not_bound()
    command = find_command(text)
    if command:
        call = _Call(session, chat, sender, command.args, now, cal, settings, incoming.attachment,
                     incoming.bot_names)  # fmt: skip
        if command.verb is None:  # a command the bot does not know
            event.what = "unknown command"
            return _help(call) if chat is not None else _not_bound()
        event.what, event.about = f"/{command.verb.command}", _about(command.verb, command.args)
        if command.verb.bound_only and chat is None:
            return _not_bound()
        return _COMMANDS[command.verb](call)
    direct = sender.private or incoming.addressed
    event.what = "reply"
    if chat is None:
        return _not_bound() if direct else []
    draft = apology.active_draft(session, chat, sender)
    if draft is not None:  # the bot asked this person for the letter's reason or date
        event.what, event.about = "reply apology draft", f"letter {draft.id}"
        return [apology.continue_draft(session, draft, text, now, cal, settings)]
    if incoming.reply_to is None and not direct:
        return []  # talk among officers in a Telegram group: not for the bot
    reply = parse_reply(f"{text} {incoming.attachment}".strip(), today=today)
    event.what = f"reply {reply.__class__.__name__.lower()}"
    if isinstance(reply, Unclear) and (reply.asking or not incoming.attachment):
        return [said("unclear")]  # a file sent with a question is no answer either
    # In a private chat, and in a Zalo group (no reply threading), an answer without a
    # reply refers to the last message the bot sent there, but only when that cannot be
    # mistaken: with other open tasks reminded in this chat, "xong ạ" may quote an older
    # reminder (Zalo does not say which message was quoted), so the bot asks for the code.
    context = incoming.reply_to or (actions.last_message_to(session, chat) if direct else None)
    parts = actions.parts_of_message(session, chat, context) if context else []
    several = False
    if incoming.reply_to is None and len(parts) == 1:
        reminded = actions.reminded_open_parts(session, chat)
        several = any(p.id != parts[0].id for p in reminded)
        if several:
            parts = [parts[0], *(p for p in reminded if p.id != parts[0].id)]
    if len(parts) != 1:
        candidates = parts or _own_open(session, chat)
        if not candidates:
            return [said("unclear")]
        event.about = ",".join(actions.code_of(p) for p in candidates)
        described = [actions.describe(session, p) for p in candidates]
        return [said("need_code", parts=described, several_reminders=several)]
    event.about = actions.code_of(parts[0])
    return [_apply(session, chat, sender, parts[0], reply, now, cal, incoming.attachment)]


def handle_no_text(sender: Sender) -> list[Answer]:
    """A message without words (a sticker, a picture without caption): the sender hears
    that the bot reads words only; one log line, as for any message answered."""
    answers = [said("text_only")]
    _log_event(sender, _Event("message without text"), answers)
    return answers


@dataclass
class _Event:
    """What one message or button was (``/xong``, ``button done``, ``reply done``…) and
    the task(s), request, file or letter it was about, filled in as it is handled."""

    what: str = ""
    about: str = ""


# The outcome a log line gives, by the answer's name (templates/answers.html.j2); any
# other answer (a list, the help, a digest) is "answered".
_OUTCOMES = {
    "recorded": {"done_ok", "progress_ok", "note_ok", "extension_requested",
                 "extension_decided", "bound", "unbound_ok", "apology_sent_to_head",
                 "apology_to_head", "apology_decided", "apology_sent_back"},
    "asked for more": {"need_code", "usage", "bind_usage", "extension_needs_date",
                       "apology_ask_reason", "apology_ask_date"},
    "not understood": {"unclear", "not_found", "extension_bad_date", "apology_bad_date",
                       "text_only"},
    "refused": {"refused", "admin_only", "not_bound", "bound_elsewhere", "bind_failed",
                "unbind_refused",
                "already_done", "already_decided", "refused_decision", "cancelled", "moved",
                "apology_refused", "apology_not_open", "apology_pending",
                "apology_second_move", "apology_refused_decision",
                "apology_already_decided"},
    "failed": {"failed", "part_failed", "step_failed", "busy"},
}  # fmt: skip


def failure_answer(exc: BaseException) -> str:
    """What a chat is answered when handling its message failed with ``exc``: the
    database busy (another's long write) → to send again in a few minutes; anything else
    → that dondoc failed. Never the error's own (English) words."""
    return answer("busy") if busy(exc) else answer("failed")


def outcome(answer_name: str) -> str:
    """What happened, for the log, from the name of the answer given ("done_ok" →
    "recorded", "need_code" → "asked for more", "unclear" → "not understood")."""
    for result, names in _OUTCOMES.items():
        if answer_name in names:
            return result
    return "answered"


def _about(verb: Verb, args: str) -> str:
    """What a command or a button is about, for the log: the task's code, the request,
    the file or the letter (its first word only: never the note after it, and never a
    link code)."""
    first = args.split()[0] if args.split() else ""
    if not first or verb in (BIND, UNBIND, START, HELP, TASKS, OVERDUE, REPORT, FILES):
        return ""
    if verb is APOLOGIZE:  # a file's code, as the province writes it (phones are masked)
        return f"file {first[:40]}"
    # A number typed where an id goes may be anything, a phone number too: an id of the
    # register has fewer than nine digits.
    ident = parse_id(first.upper().lstrip("#").removeprefix("NV"))
    shown = "?" if ident is None or ident >= _ID_LIMIT else str(ident)
    if verb in (DONE, PROGRESS, EXTEND):
        return f"NV{shown}"
    return f"{'letter' if verb in (APPROVE_APOLOGY, RETURN_APOLOGY) else 'request'} {shown}"


_ID_LIMIT = 10**8


def _log_event(sender: Sender, event: _Event, answers: list[Answer]) -> None:
    """One INFO line per command, button or reply handled: what it was, the task(s) it
    was about, the chat, from whom (their channel's user id; never their words, which
    may hold a phone number) and the outcome (recorded, refused, not understood, asked
    for more…, with the answer's name)."""
    name = answers[0].outcome if answers else ""
    result = outcome(name)
    about = f" {event.about}" if event.about else ""
    log.info("%s%s in %s %s from user %s: %s%s", event.what, about, sender.channel,
             sender.chat_key, sender.user_id, result, f" ({name})" if name else "",
             extra={"event": event.what, "about": event.about, "channel": sender.channel,
                    "chat": sender.chat_key, "user": sender.user_id, "outcome": result,
                    "answer": name})  # fmt: skip


def _help_answer(sender: Sender, bot_names: tuple[str, ...]) -> Answer:
    zalo_group = sender.channel == "zalo" and not sender.private  # it hears only mentions
    bot = bot_names[0] if bot_names else "tên bot"
    return said("help", commands=help_lines(), zalo_group=zalo_group, bot=bot)


def handle_button(
    session: Session, sender: Sender, data: str, now: datetime, cal: WorkCalendar,
    settings: ApologySettings,
) -> list[Answer]:  # fmt: skip
    """The answers to one button pressed, and its one log line (:func:`_log_event`)."""
    event = _Event("button")
    answers = _handle_button(session, sender, data, now, cal, settings, event)
    _log_event(sender, event, answers)
    return answers


def _handle_button(
    session: Session, sender: Sender, data: str, now: datetime, cal: WorkCalendar,
    settings: ApologySettings, event: _Event,
) -> list[Answer]:  # fmt: skip
    chat = find_chat(session, sender.channel, sender.chat_key)
    if chat is None:
        return _not_bound()
    pressed = parse_button(data)
    if pressed is None:  # data no button of the bot carries
        return [said("unclear")]
    verb, ident = pressed
    event.what, event.about = f"button {verb.name}", _about(verb, ident)
    handler = _BUTTONS.get(verb) or _COMMANDS[verb]
    return handler(_Call(session, chat, sender, ident, now, cal, settings))


@dataclass(frozen=True)
class _Call:
    """One command or button press: who, where, and the text after the command (for a
    button, the ident its data carries)."""

    session: Session
    chat: Chat | None  # None only for the verbs that work in a chat not yet bound
    sender: Sender
    args: str
    now: datetime
    cal: WorkCalendar
    settings: ApologySettings
    attachment: str = ""
    bot_names: tuple[str, ...] = ()  # the bot's display names (Zalo's help names it)

    @property
    def bound(self) -> Chat:
        assert self.chat is not None, "a verb that needs a bound chat"
        return self.chat

    @property
    def first_arg(self) -> str:
        return self.args.split()[0] if self.args else ""


_Handler = Callable[[_Call], list[Answer]]


def _not_bound() -> list[Answer]:
    return [said("not_bound")]


def _help(call: _Call) -> list[Answer]:
    return [_help_answer(call.sender, call.bot_names)]


def _start(call: _Call) -> list[Answer]:
    chat = call.chat
    if chat is None:  # in a private chat, the user's id: what ADMIN_*_IDS lists
        user_id = call.sender.user_id if call.sender.private else ""
        return [said("start_unbound", user_id=user_id)]
    agency = call.session.get(Agency, chat.agency_id) if chat.agency_id else None
    return [said("start_bound", agency=agency.name if agency else "", role=chat.role)]


def _bind(call: _Call) -> list[Answer]:
    if not call.args:
        return [said("bind_usage")]
    sender = call.sender
    bound = call.chat
    if bound is not None and not sender.is_admin and not _same_binding(call, bound):
        # A code meant for another agency must not quietly take a bound group away from
        # its agency: only an admin moves a chat (or unbinds it first).
        agency = call.session.get(Agency, bound.agency_id) if bound.agency_id else None
        return [said("bound_elsewhere", agency=agency.name if agency else "",
                              role=bound.role)]  # fmt: skip
    result = redeem(call.session, call.first_arg, channel=sender.channel, chat_key=sender.chat_key,
                    title=sender.chat_title, now=call.now, private=sender.private)  # fmt: skip
    if isinstance(result, Bound):
        name = result.agency.name if result.agency else ""
        return [said("bound", agency=name, role=result.chat.role)]
    return [said("bind_failed", reason=result.reason)]


def _same_binding(call: _Call, chat: Chat) -> bool:
    """Whether the code binds ``chat`` to what it is bound to already (binding again
    changes nothing then); an unknown code is left to ``redeem`` to refuse."""
    link = code_target(call.session, call.first_arg)
    return link is None or (link.agency_id == chat.agency_id and link.role == chat.role)


def _unbind(call: _Call) -> list[Answer]:
    if not call.sender.is_admin:
        return [said("admin_only")]
    try:
        unbind_chat(call.session, call.bound, actor=call.sender.actor, now=call.now)
    except BindingRefused as refused:
        return [said("unbind_refused", reason=str(refused))]
    return [said("unbound_ok")]


def _tasks(call: _Call) -> list[Answer]:
    parts = actions.open_parts(call.session, call.bound)
    return [said("tasks", parts=parts, title="Việc đang thực hiện")]


def _overdue(call: _Call) -> list[Answer]:
    today = call.cal.local(call.now).date()
    overdue = actions.open_parts(call.session, call.bound, overdue_on=today)
    return [said("tasks", parts=overdue, title="Việc đã quá hạn")]


def _report(call: _Call) -> list[Answer]:
    chat = call.bound
    if chat.agency_id is None:
        return _help(call)
    from bot.reports.digest import head_digest, render_head_digest

    agency = call.session.get(Agency, chat.agency_id)
    assert agency is not None
    digest = head_digest(call.session, agency, call.now, call.cal)
    return [Answer(part) for part in render_head_digest(digest)]


def _files(call: _Call) -> list[Answer]:
    """/hoso: the files to act on today and the late ones, of the chat's agency (of every
    agency in a coordinator's or an admin's chat)."""
    chat = call.bound
    own = chat.role in (ChatRole.GROUP, ChatRole.HEAD)
    today = call.cal.local(call.now).date()
    found = files_at_hand(call.session, call.cal, today, chat.agency_id if own else None)
    text = answer("files", found=found, own=own, today=today)
    return [Answer(part) for part in split_message([text])]


def _web(call: _Call) -> list[Answer]:
    """/web: a one-time link to the web view for a head's, a coordinator's or an admin's
    chat; a group is refused politely (a link there is read by every member, and the
    group has its agency's work in the chat already)."""
    chat = call.bound
    if chat.role not in web_access.WEB_ROLES:
        return [Answer(answer("web_group"))]
    sender = call.sender
    url = web_access.issue_link(call.session, chat, user_id=sender.user_id,
                                user_name=sender.user_name, now=call.now)  # fmt: skip
    if url is None:
        return [Answer(answer("web_not_served"))]
    agency = call.session.get(Agency, chat.agency_id) if chat.agency_id else None
    minutes = int(web_access.LINK_TTL.total_seconds() // 60)
    return [Answer(answer("web_link", url=url, minutes=minutes, role=chat.role,
                          agency=agency.name if agency else ""))]  # fmt: skip


def _decide_extension(approve: bool, *, button: bool) -> _Handler:
    def handle(call: _Call) -> list[Answer]:
        request_id = parse_id(call.first_arg) if call.args else None
        if request_id is None:
            return [said("unclear")] if button else _help(call)
        return [actions.decide_extension(call.session, call.bound, call.sender, request_id,
                                         approve, call.now)]  # fmt: skip

    return handle


def _part_command(verb: Verb) -> _Handler:
    """/xong, /tiendo, /giahan: a task's code, then what is said of it."""

    def handle(call: _Call) -> list[Answer]:
        code, _, rest = call.args.partition(" ")
        if not code:
            return [said("usage", usage=verb.usage)]
        part = actions.part_by_code(call.session, code)
        if part is None:
            return [said("not_found", code=code)]
        session, chat, sender, now = call.session, call.bound, call.sender, call.now
        today = call.cal.local(now).date()
        if verb is DONE:
            return [actions.close(session, chat, sender, part, now, rest.strip(),
                                  evidence_in(f"{rest} {call.attachment}"))]  # fmt: skip
        if verb is PROGRESS:
            reply = parse_reply(rest, today=today)
            if not isinstance(reply, Progress | Done) or (
                isinstance(reply, Progress) and reply.percent is None
            ):
                return [said("usage", usage=verb.usage)]
            percent = 100 if isinstance(reply, Done) else reply.percent
            return [actions.progress(session, chat, sender, part, now, percent, rest.strip())]
        extension = parse_reply(f"gia hạn {rest}", today=today)
        assert isinstance(extension, Extension)
        reason = re.sub(r"^\s*\d{1,2}\s*/\s*\d{1,2}(?:\s*/\s*\d{2,4})?\s*", "", rest).strip()
        return [actions.request_extension(session, chat, sender, part, now, extension.until,
                                          reason, call.cal, extension.no_such_day)]  # fmt: skip

    return handle


def _part_button(verb: Verb) -> _Handler:
    """✅ 📝 ⏳ under a reminder: the data carries the task's id."""

    def handle(call: _Call) -> list[Answer]:
        session = call.session
        part = actions.part_by_code(session, call.args)
        if part is None:
            return [said("not_found", code=call.args)]
        if verb is DONE:
            return [actions.close(session, call.bound, call.sender, part, call.now)]
        if verb is PROGRESS:
            usage = answer("usage", usage=verb.usage).replace("MÃ", actions.code_of(part))
            return [Answer(usage, outcome="usage")]
        return [said("extension_needs_date", part=actions.describe(session, part))]

    return handle


def _apologize(call: _Call) -> list[Answer]:
    ident = call.first_arg
    file = apology.file_by_code(call.session, ident) if ident else None
    if file is None:
        return [said("not_found", code=f"hồ sơ {ident}" if ident else "mã hồ sơ")]
    return [apology.start(call.session, call.bound, call.sender, file, call.now)]


def _decide_apology(approve: bool) -> _Handler:
    def handle(call: _Call) -> list[Answer]:
        letter_id = parse_id(call.first_arg)
        if letter_id is None:
            return _help(call)
        return [apology.decide(call.session, call.bound, call.sender, letter_id, approve,
                               call.now, call.cal, call.settings)]  # fmt: skip

    return handle


# What each verb does when typed as a command.
_COMMANDS: dict[Verb, _Handler] = {
    START: _start, HELP: _help, BIND: _bind, UNBIND: _unbind, TASKS: _tasks,
    OVERDUE: _overdue, REPORT: _report, FILES: _files, WEB: _web,
    DONE: _part_command(DONE), PROGRESS: _part_command(PROGRESS), EXTEND: _part_command(EXTEND),
    APPROVE_EXTENSION: _decide_extension(True, button=False),
    REJECT_EXTENSION: _decide_extension(False, button=False),
    APOLOGIZE: _apologize, APPROVE_APOLOGY: _decide_apology(True),
    RETURN_APOLOGY: _decide_apology(False),
}  # fmt: skip
# A button does what its command does with the ident as the text after it, but these.
_BUTTONS: dict[Verb, _Handler] = {
    DONE: _part_button(DONE), PROGRESS: _part_button(PROGRESS), EXTEND: _part_button(EXTEND),
    APPROVE_EXTENSION: _decide_extension(True, button=True),
    REJECT_EXTENSION: _decide_extension(False, button=True),
}  # fmt: skip


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
            session, chat, sender, part, now, reply.until, reply.reason, cal, reply.no_such_day
        )
    return said("unclear")


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
