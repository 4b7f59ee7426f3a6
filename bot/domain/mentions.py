"""Leading @mentions, taken off a message before its command or answer is read.

In a Zalo group the bot receives a message only when it is mentioned ("Bot sẽ nhận được
sự kiện khi người dùng gõ @ và chọn tên của Bot trong tin nhắn", Zalo Bot docs, "Tương
tác với Bot trong Nhóm"), so "@Đôn Đốc xong ạ" is how "xong ạ" arrives there; how the
mention is written in the text is not documented, so it is read as plain text. Telegram
users write "@dondoc_bot /xong NV12" the same way.

A display name may hold spaces and Vietnamese letters. The bot's own names, when known,
are taken off exactly (set ``ZALO_BOT_NAME``); any other "@Name" is the "@" word and the
capitalised words after it, up to a command, another mention, a number or a word in
lower case, never a word whose loss would change what the answer says ("@Bot Chưa xong"
stays "Chưa xong") and never the first word of a sentence that is no answer.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date

from bot.domain.replies import Unclear, parse_reply

_SEPARATORS = " \t\n,:;-–"
_WORD = re.compile(r"\S+")


def strip_mentions(text: str, names: Iterable[str] = (), *, today: date) -> str:
    """``text`` without its leading mentions: "@Đôn Đốc xong ạ" → "xong ạ", "@dondoc
    /xong NV12" → "/xong NV12", "@Đôn Đốc" → "". ``names``: the bot's display names, if
    known; ``today`` reads dates as the reply reader does."""
    rest = unicodedata.normalize("NFC", text).strip()
    known = [unicodedata.normalize("NFC", n).strip().lstrip("@") for n in names]
    known = [n for n in known if n]
    while rest.startswith("@"):
        after = _after_name(rest[1:], known)
        if after is None:
            after = _after_guessed_name(rest[1:], today)
        rest = after.lstrip(_SEPARATORS)
    return rest


def _after_name(text: str, names: list[str]) -> str | None:
    """The text after one of ``names`` (the longest that fits), if it starts with one."""
    for name in sorted(names, key=len, reverse=True):
        head, after = text[: len(name)], text[len(name) :]
        if head.casefold() == name.casefold() and not after[:1].isalnum():
            return after
    return None


def _after_guessed_name(text: str, today: date) -> str:
    """The text after a name not known: its first word, then each capitalised word that
    changes nothing of what the rest says and is followed by more of a name, the end, a
    command, a number or an answer ("@Đôn Đốc xong ạ"), not by the start of a sentence
    ("@Đôn Đốc Chờ kết quả xác minh" keeps "Chờ")."""
    if not text[:1] or text[:1].isspace():  # a lone "@" names no one
        return text
    found = list(_WORD.finditer(text))
    words, starts = [m.group() for m in found], [m.start() for m in found] + [len(text)]
    taken = 1
    while taken < len(words) and _name_word(words[taken]):
        rest, shorter = text[starts[taken] :], text[starts[taken + 1] :]
        if type(parse_reply(rest, today=today)) is not type(parse_reply(shorter, today=today)):
            break
        following = words[taken + 1] if taken + 1 < len(words) else ""
        sentence = following[:1].isalpha() and not _name_word(following)
        if sentence and not _answers(shorter, today):
            break
        taken += 1
    return text[starts[taken] :]


def _answers(text: str, today: date) -> bool:
    """Whether ``text`` reads as an answer, or as a question about one."""
    reply = parse_reply(text, today=today)
    return not isinstance(reply, Unclear) or reply.asking


def _name_word(word: str) -> bool:
    """A word that may be part of a display name: "Đốc", "Nam"; not "/xong", "@Bot",
    "xong", "70%"."""
    return bool(word) and word[0].isupper()


def mention_commands(text: str, name: str) -> str:
    """Each command the bot knows in ``text``, written as a Zalo group must type it:
    "gõ /nhiemvu" → "gõ @Đôn Đốc /nhiemvu" (a group's bot hears only mentions). ``name``:
    the bot's display name, or a placeholder when it is not configured."""
    from bot.domain.verbs import VERBS

    commands = "|".join(sorted({c for v in VERBS for c in (v.command, *v.aliases)}, key=len,
                               reverse=True))  # fmt: skip
    pattern = re.compile(rf"(?<![\w@/.:])/(?:{commands})\b")
    return pattern.sub(lambda m: f"@{name} {m.group(0)}", text)
