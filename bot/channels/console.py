"""The console channel: messages printed to a terminal, for the demo and simulations."""

from __future__ import annotations

import html
import re
import sys
import uuid
from typing import TextIO

from bot.channels import Buttons, buttons_as_text
from bot.domain.numbers import thousands
from bot.render import TELEGRAM_LIMIT

_TAG = re.compile(r"<[^>]+>")
_LINK = re.compile(r'<a href="([^"]*)">(.*?)</a>', re.S)


def plain(text: str) -> str:
    """A message as a terminal shows it: no tags, a link's address after its words (a
    terminal has nothing to click)."""

    def link(m: re.Match[str]) -> str:
        words = _TAG.sub("", m.group(2))
        return m.group(1) if words in ("", m.group(1)) else f"{words} ({m.group(1)})"

    return html.unescape(_TAG.sub("", _LINK.sub(link, text)))


class ConsoleChannel:
    name = "console"
    limit = TELEGRAM_LIMIT  # the demo shows messages as Telegram would get them

    def __init__(self, stream: TextIO | None = None, *, quiet: bool = False) -> None:
        self.stream = stream or sys.stdout
        self.quiet = quiet
        self.sent: list[tuple[str, str]] = []
        self.documents: list[tuple[str, str, bytes]] = []

    async def send(self, chat_key: str, html_text: str, buttons: Buttons | None = None) -> str:
        self.sent.append((chat_key, html_text))
        if not self.quiet:
            commands = buttons_as_text(buttons)
            tail = f"\n{commands}" if commands else ""
            self.stream.write(f"\n──── → {chat_key} ────\n{plain(html_text)}{tail}\n")
        return uuid.uuid4().hex[:16]  # unique across runs, like a real channel's ids

    async def send_document(self, chat_key: str, filename: str, data: bytes) -> str:
        self.documents.append((chat_key, filename, data))
        if not self.quiet:
            self.stream.write(
                f"\n──── → {chat_key} ────\n📎 {filename} ({thousands(len(data))} byte)\n"
            )
        return uuid.uuid4().hex[:16]

    async def send_photo(self, chat_key: str, filename: str, data: bytes) -> str:
        return await self.send_document(chat_key, filename, data)
