"""Words live in templates/. One Jinja2 environment, HTML-escaped for Telegram's HTML mode.

A message is built from blocks (a header, one block per item, a footer) so that a long
one is split between items, under its channel's limit (:func:`split_message`, the one
splitter). Text that users typed is shown back shortened (the ``echo`` filter).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from bot.domain.actors import actor_label, channel_label
from bot.domain.numbers import percent, thousands
from bot.models import ChatRole

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
# sendMessage's text: "1-4096 characters after entities parsing" (Telegram Bot API).
TELEGRAM_LIMIT = 4096
# Zalo's sendMessage ``text``: "độ dài từ 1 đến 2000 ký tự" (Zalo Bot Platform docs,
# sendMessage). The unit is not documented (UNVERIFIED): dondoc counts UTF-16 code units
# (an emoji outside the BMP counts 2, so never fewer than characters) and cuts at 1,900,
# a margin under the 2,000 Zalo states.
ZALO_TEXT_MAX = 2000
ZALO_LIMIT = 1900

WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")


def vn_date(day: date) -> str:
    """ "Thứ Hai, 25/11/2024"."""
    return f"{WEEKDAYS[day.weekday()]}, {day:%d/%m/%Y}"


def short_date(day: date | None) -> str:
    return f"{day:%d/%m/%Y}" if day else ""


class _Environment(Environment):
    """Jinja2's environment, with ``n.code`` on a plain dict read as ``n["code"]`` at once.

    Jinja2 tries the attribute first and falls back to the item: on a dict that is an
    ``AttributeError`` raised and caught for every field a template shows, half the cost
    of rendering a planner's message. The answer is the same: a plain dict has no
    attribute but those of ``dict`` itself, which still go to Jinja2's own lookup.
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


_DICT_ATTRIBUTES = frozenset(dir(dict))


@cache
def environment() -> Environment:
    env = _Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["vn_date"] = vn_date
    env.filters["short_date"] = short_date
    env.filters["echo"] = echo
    env.filters["thousands"] = thousands
    env.filters["percent"] = percent  # 0.667 → "66,7%"
    env.filters["actor"] = actor_label  # the audit trail's "who" as people read it
    env.filters["channel"] = channel_label  # "console" → "chat thử"
    env.globals["ChatRole"] = ChatRole  # its members carry the words for each kind of chat
    return env


def blocks(template: str, header: dict[str, Any], items: Sequence[Any], **ctx: Any) -> list[str]:
    """Render the template's ``header``, ``item`` and ``footer`` macros as blocks: one
    message's text, the template loaded once (its module kept when there is no ``ctx``)."""
    module: Any = (
        environment().get_template(template).make_module(ctx) if ctx else _module(template)
    )
    rendered = [str(module.header(**header)).strip()]
    rendered += [str(module.item(item)).strip() for item in items]
    footer = str(module.footer(**header)).strip()
    return [b for b in [*rendered, footer] if b]


@cache
def _module(template: str) -> Any:
    """The template's macros, built once: a planner renders them for every message."""
    return environment().get_template(template).make_module({})


def visible_length(html_text: str) -> int:
    """What Telegram counts against its limit: the text left after HTML parsing (tags
    dropped, entities such as ``&amp;`` as one character), in UTF-16 code units, as
    Telegram measures text (an emoji outside the BMP counts 2). Never less than the
    number of characters, so a text within it is within any per-character limit too."""
    return utf16_length(_visible_text(html_text))


def _visible_text(html_text: str) -> str:
    return html.unescape(_TAG.sub("", html_text))


def utf16_length(text: str) -> int:
    """``text``'s length in UTF-16 code units (an emoji outside the BMP counts 2)."""
    return len(text.encode("utf-16-le")) // 2


def split_message(parts: Sequence[str], limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Join HTML blocks into messages whose visible length (:func:`visible_length`) is at
    most ``limit``, cutting between blocks.

    A block longer than the limit is cut at a line break, else at a space, else anywhere;
    never inside a tag or an entity, and a tag open at a cut is closed before it and
    opened again after it, so every message is valid HTML on its own. The one splitter:
    the planner, the dispatcher and every chat answer use it with their channel's limit.
    """
    # Most messages fit whole: their length with tags and entities still in (never less
    # than the visible length) says so without parsing them.
    if parts and all(parts):
        whole = parts[0] if len(parts) == 1 else "\n\n".join(parts)
        if utf16_length(whole) <= limit:
            return [whole] if _visible_text(whole).strip() else []
    return _split(parts, limit)


def _split(parts: Sequence[str], limit: int) -> list[str]:
    messages: list[str] = []
    current, size = "", 0
    for block in parts:
        for piece in _pieces(block, limit):
            length = visible_length(piece)
            if not current:
                current, size = piece, length
            elif size + 2 + length <= limit:
                current, size = f"{current}\n\n{piece}", size + 2 + length
            else:
                messages.append(current)
                current, size = piece, length
    if current:
        messages.append(current)
    return [m for m in messages if _visible_text(m).strip()]


def split_smaller(html_text: str) -> list[str] | None:
    """A message the channel refused as too long, in pieces of half its visible length;
    ``None`` when it is too short to be the problem (then it is refused for good)."""
    length = visible_length(html_text)
    if length <= _SMALLEST:
        return None
    return split_message([html_text], max(length // 2, _SMALLEST))


_SMALLEST = 64
_TOKEN = re.compile(r"<[^>]*>|&(?:#\d+|#x[0-9a-fA-F]+|\w+);|.", re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_TAG_NAME = re.compile(r"<\s*(/?)\s*([a-zA-Z0-9-]+)")


def _units(token: str) -> int:
    if token.startswith("<"):
        return 0
    return utf16_length(html.unescape(token) if token.startswith("&") else token)


def _pieces(block: str, limit: int) -> list[str]:
    if visible_length(block) <= limit:
        return [block]
    tokens = _TOKEN.findall(block)
    pieces: list[str] = []
    start, opened = 0, list[str]()  # tags open at the start of the current piece
    while start < len(tokens):
        stack, size, end = list(opened), 0, start
        soft: dict[str, tuple[int, list[str]]] = {}  # the last line break and space, if any
        while end < len(tokens):
            units = _units(tokens[end])
            if size + units > limit:
                break
            _track(tokens[end], stack)
            size += units
            end += 1
            if tokens[end - 1] in ("\n", " "):
                soft[tokens[end - 1]] = (end, list(stack))
        if end < len(tokens) and soft:  # prefer a line break, then a space, to a hard cut
            end, stack = soft.get("\n") or soft[" "]
        if end == start:  # one token wider than the whole limit: send it alone
            end, stack = start + 1, list(opened)
            _track(tokens[start], stack)
        body = "".join(tokens[start:end])
        reopen = "".join(f"<{t}>" for t in opened)
        close = "".join(f"</{_name(t)}>" for t in reversed(stack))
        pieces.append(f"{reopen}{body}{close}".strip("\n "))
        start, opened = end, stack
    return [p for p in pieces if p]


def _name(tag: str) -> str:
    return tag.split()[0]


def _track(token: str, stack: list[str]) -> None:
    """Keep the open tags (with their attributes) as a cut must close and reopen them."""
    m = _TAG_NAME.match(token) if token.startswith("<") else None
    if m is None or token.endswith("/>"):
        return
    closing, name = m.group(1), m.group(2).lower()
    if closing:
        for i in range(len(stack) - 1, -1, -1):
            if _name(stack[i]).lower() == name:
                del stack[i:]
                break
    else:
        stack.append(token[1:-1].strip())


ECHO_LIMIT = 200  # characters of a user's own text repeated back to them


def echo(text: object, limit: int = ECHO_LIMIT) -> str:
    """A user's text shown back (a note, a code, a reason): at most ``limit`` characters,
    cut at a word with "…". The whole text stays in the audit trail; this is only what a
    chat shows of it."""
    value = " ".join(str(text or "").split())
    if len(value) <= limit:
        return value
    cut = value[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,.;:") + "…"


def answer(name: str, **ctx: Any) -> str:
    """One of the short answers in ``templates/answers.html.j2``, by its macro's name."""
    module = environment().get_template("answers.html.j2").module
    return str(getattr(module, name)(**ctx)).strip()
