"""The chat verbs: one table of what a person can tell the bot, by command or button.

Each :class:`Verb` names its command (``/xong``) and aliases, the kind its buttons carry
in their callback data (``d`` in ``d:12``) and their label, its usage line, and the
command a channel without buttons (Zalo, the console) shows in a button's place. From
this table alone: commands are looked up (:func:`find_command`), button data is built
(:func:`button`) and read back (:func:`parse_button`), buttons are written as commands
(:func:`typed_equivalent`) and the help's command list is made (:func:`help_lines`).
What each verb does is in :mod:`bot.handlers.core`, one handler per verb.

Button data already sent stays valid: a kind and its meaning never change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Telegram's callback_data: "Data to be sent in a callback query to the bot when the
# button is pressed, 1-64 bytes" (Bot API, InlineKeyboardButton).
CALLBACK_DATA_LIMIT = 64


@dataclass(frozen=True)
class VerbButton:
    """The button of a verb, and the command typed instead where there are no buttons."""

    kind: str  # the prefix of its callback data: "d" in "d:12"; never changes once sent
    label: str  # "✅ Hoàn thành"
    typed: str  # what to type instead of pressing it, "{}" for the code: "/xong {}"
    code_prefix: str = ""  # the ident as a code to type: "NV" + "12"


@dataclass(frozen=True)
class Verb:
    name: str  # what the verb does, for code: "done", "approve_extension"
    command: str  # typed as /command, without the slash
    usage: str = ""  # the command as the help shows it: "/xong MÃ [ghi chú]"
    purpose: str = ""  # what it does, as the help says it: "báo hoàn thành"
    button: VerbButton | None = None
    aliases: tuple[str, ...] = ()
    bound_only: bool = True  # refused in a chat not yet bound to an agency

    def code(self, ident: object) -> str:
        """The code a person types for a button's ident: "NV12" for a task's "12"."""
        return f"{self.button.code_prefix if self.button else ''}{ident}"


# The table: name, command, usage, purpose, button (kind, label, typed instead, code prefix).
START = Verb("start", "start", bound_only=False)
HELP = Verb("help", "trogiup", aliases=("help",), bound_only=False)
BIND = Verb("bind", "lienket", "/lienket MÃ", "liên kết nhóm với cơ quan", bound_only=False)
UNBIND = Verb("unbind", "huylienket", "/huylienket", "bỏ liên kết")
TASKS = Verb("tasks", "nhiemvu", "/nhiemvu", "việc đang thực hiện, kèm mã (NV…)")
OVERDUE = Verb("overdue", "quahan", "/quahan", "việc đã quá hạn")
FILES = Verb("files", "hoso", "/hoso", "hồ sơ TTHC phải xử lý gấp và hồ sơ đã trễ hạn")
WEB = Verb("web", "web", "/web", "đường dẫn mở giao diện web (thủ trưởng, cơ quan đôn đốc, quản trị)")  # fmt: skip
REPORT = Verb("report", "baocao", "/baocao", "báo cáo tổng hợp của cơ quan (như bản gửi Thủ trưởng hằng tuần)")  # fmt: skip
DONE = Verb("done", "xong", "/xong MÃ [ghi chú]", "báo hoàn thành", VerbButton("d", "✅ Hoàn thành", "/xong {}", "NV"))  # fmt: skip
PROGRESS = Verb("progress", "tiendo", "/tiendo MÃ 70% [ghi chú]", "báo tiến độ", VerbButton("p", "📝 Tiến độ", "/tiendo {} 70%", "NV"))  # fmt: skip
EXTEND = Verb("extend", "giahan", "/giahan MÃ 30/12/2025 lý do", "xin gia hạn", VerbButton("e", "⏳ Gia hạn", "/giahan {} NGÀY lý do", "NV"))  # fmt: skip
APPROVE_EXTENSION = Verb("approve_extension", "duyet", "/duyet SỐ", "duyệt đề nghị gia hạn", VerbButton("ea", "✅ Duyệt", "/duyet {}"))  # fmt: skip
REJECT_EXTENSION = Verb("reject_extension", "khongduyet", "/khongduyet SỐ", "không duyệt đề nghị gia hạn", VerbButton("er", "✖️ Không duyệt", "/khongduyet {}"))  # fmt: skip
APOLOGIZE = Verb("apologize", "xinloi", "/xinloi MÃ_HỒ_SƠ", "soạn văn bản xin lỗi và hẹn lại", VerbButton("x", "✍️ Xin lỗi", "/xinloi {}"))  # fmt: skip
APPROVE_APOLOGY = Verb("approve_apology", "duyetxl", "/duyetxl SỐ", "duyệt văn bản xin lỗi", VerbButton("aa", "✅ Duyệt văn bản", "/duyetxl {}"))  # fmt: skip
RETURN_APOLOGY = Verb("return_apology", "tralai", "/tralai SỐ", "trả lại dự thảo văn bản xin lỗi", VerbButton("ab", "↩️ Trả lại", "/tralai {}"))  # fmt: skip

VERBS: tuple[Verb, ...] = (
    START, HELP, BIND, UNBIND, TASKS, OVERDUE, REPORT, FILES, WEB, DONE, PROGRESS, EXTEND,
    APPROVE_EXTENSION, REJECT_EXTENSION, APOLOGIZE, APPROVE_APOLOGY, RETURN_APOLOGY,
)  # fmt: skip

# The help's command list, a line a tuple (verbs on one line are joined by "; ").
HELP_LINES: tuple[tuple[Verb, ...], ...] = (
    (TASKS,), (DONE,), (PROGRESS,), (EXTEND,), (OVERDUE,), (REPORT,), (FILES,), (WEB,),
    (BIND, UNBIND),
)  # fmt: skip

_BY_COMMAND = {name: verb for verb in VERBS for name in (verb.command, *verb.aliases)}
_BY_KIND = {verb.button.kind: verb for verb in VERBS if verb.button}

_COMMAND = re.compile(r"^/([a-zA-Z_]+)(?:@\w+)?\s*(.*)$", re.DOTALL)


@dataclass(frozen=True)
class Command:
    verb: Verb | None  # None: a command the bot does not know
    name: str  # as typed, lower case, without the slash and @BotName
    args: str


def find_command(text: str) -> Command | None:
    """``/xong@DondocBot NV12 đã gửi`` → DONE with "NV12 đã gửi"; ``None`` if ``text`` is
    not a command."""
    match = _COMMAND.match(text.strip())
    if match is None:
        return None
    name = match.group(1).lower()
    return Command(_BY_COMMAND.get(name), name, match.group(2).strip())


def _button_of(verb: Verb) -> VerbButton:
    if verb.button is None:
        raise ValueError(f"/{verb.command} has no button")
    return verb.button


def callback_data(verb: Verb, ident: object) -> str:
    """The data a button of ``verb`` carries for ``ident`` (a task's or a letter's id)."""
    data = f"{_button_of(verb).kind}:{ident}"
    if not 0 < len(data.encode()) <= CALLBACK_DATA_LIMIT:
        raise ValueError(f"callback data over {CALLBACK_DATA_LIMIT} bytes: {data[:80]!r}")
    return data


def button(verb: Verb, ident: object, suffix: str = "") -> tuple[str, str]:
    """(label, callback data) of a button; ``suffix`` tells apart buttons of one verb in a
    message (" NV12")."""
    return f"{_button_of(verb).label}{suffix}", callback_data(verb, ident)


def parse_button(data: str) -> tuple[Verb, str] | None:
    """``"d:12"`` → (DONE, "12"); ``None`` for data no verb makes."""
    kind, sep, ident = data.partition(":")
    verb = _BY_KIND.get(kind) if sep else None
    return (verb, ident) if verb is not None else None


def typed_equivalent(data: str) -> str | None:
    """The command that does what the button with ``data`` does: ``"/xong NV12"``."""
    parsed = parse_button(data)
    if parsed is None:
        return None
    verb, ident = parsed
    return _button_of(verb).typed.format(verb.code(ident))


def help_lines() -> list[str]:
    """The help's command list: "/xong MÃ [ghi chú] – báo hoàn thành", …"""
    return ["; ".join(f"{v.usage} – {v.purpose}" for v in line) for line in HELP_LINES]
