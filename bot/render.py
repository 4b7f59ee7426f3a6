"""Words live in templates/. One Jinja2 environment, HTML-escaped for Telegram's HTML mode.

A message is built from blocks (a header, one block per item, a footer) so that a long
one is split between items, under Telegram's 4096-character limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
TELEGRAM_LIMIT = 4096

WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")


def vn_date(day: date) -> str:
    """ "Thứ Hai, 25/11/2024"."""
    return f"{WEEKDAYS[day.weekday()]}, {day:%d/%m/%Y}"


def short_date(day: date | None) -> str:
    return f"{day:%d/%m/%Y}" if day else ""


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["vn_date"] = vn_date
    env.filters["short_date"] = short_date
    return env


def blocks(template: str, header: dict[str, Any], items: Sequence[Any], **ctx: Any) -> list[str]:
    """Render the template's ``header``, ``item`` and ``footer`` macros as blocks."""
    module = environment().get_template(template).make_module(ctx)
    rendered = [str(module.header(**header)).strip()]  # type: ignore[attr-defined]
    rendered += [str(module.item(item)).strip() for item in items]  # type: ignore[attr-defined]
    footer = str(module.footer(**header)).strip()  # type: ignore[attr-defined]
    return [b for b in [*rendered, footer] if b]


def split_message(parts: Sequence[str], limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Join blocks into messages of at most ``limit`` characters, cutting between blocks.

    A single block longer than the limit is cut at line breaks (or hard, as a last resort).
    """
    messages: list[str] = []
    current = ""
    for block in parts:
        for piece in _pieces(block, limit):
            candidate = f"{current}\n\n{piece}" if current else piece
            if len(candidate) <= limit:
                current = candidate
            else:
                messages.append(current)
                current = piece
    if current:
        messages.append(current)
    return messages


def _pieces(block: str, limit: int) -> list[str]:
    if len(block) <= limit:
        return [block]
    pieces: list[str] = []
    current = ""
    for line in block.split("\n"):
        while len(line) > limit:
            pieces.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) <= limit:
            current = candidate
        else:
            pieces.append(current)
            current = line
    if current:
        pieces.append(current)
    return pieces


def answer(name: str, **ctx: Any) -> str:
    """One of the short answers in ``templates/answers.html.j2``, by its macro's name."""
    module = environment().get_template("answers.html.j2").module
    return str(getattr(module, name)(**ctx)).strip()
