"""What an officer means by a free-text reply to a reminder.

"xong ạ", "đã hoàn thành", "done", "✅" → done; "50%", "đang làm, được 70%" → progress;
"xin gia hạn đến 30/12" → an extension request. Case, diacritics, politeness and emoji do
not matter; "chưa xong", "không xong được", "sắp xong" are not done. Anything else is
``Unclear`` and gets a short help answer, never a silent drop.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from bot.domain.text import clean, fold


@dataclass(frozen=True)
class Done:
    note: str = ""
    evidence: tuple[str, ...] = ()  # document numbers, links


@dataclass(frozen=True)
class Progress:
    percent: int | None  # None: a note on progress without a figure ("sắp xong")
    note: str = ""


@dataclass(frozen=True)
class Extension:
    until: date | None  # None: the officer did not say until when
    reason: str = ""


@dataclass(frozen=True)
class Unclear:
    text: str


Reply = Done | Progress | Extension | Unclear

_DONE_MARKS = ("✅", "✔", "☑", "👌🏻✅")
_DONE = re.compile(r"\b(?:xong|hoan thanh|hoan tat|done|finished|complete[d]?)\b")
_NOT_DONE = re.compile(
    r"\b(?:chua|khong|ko|k|sap|gan|chang|not|yet|con|dang|van chua|chua the)\b[^.;!?]{0,20}?"
    r"\b(?:xong|hoan thanh|hoan tat|done)\b"
)
_EXTENSION = re.compile(
    r"\b(?:gia han|lui han|xin them thoi gian|xin lui|keo dai thoi han|extend|extension)\b"
)
_PERCENT = re.compile(r"(\d{1,3})\s*(?:%|phan tram)")
_DATE = re.compile(r"(?<![\d/])(\d{1,2})\s*/\s*(\d{1,2})(?:\s*/\s*(\d{2,4}))?(?![\d/])")
_WORKING = re.compile(
    r"\b(?:dang (?:lam|thuc hien|trien khai|xu ly)|sap xong|gan xong|chua xong)\b"
)
_EVIDENCE = re.compile(
    r"https?://\S+|\b(?:so\s+)?\d+/[A-Za-zĐđ0-9.\-]+(?:/[A-Za-zĐđ0-9.\-]+)*",
)
_FILLER = re.compile(r"^(?:da|vang|ok|oke|okay|dạ|vâng)\b[\s,.!]*", re.IGNORECASE)


def parse_reply(text: str, *, today: date) -> Reply:
    """``today`` gives the year of "đến 30/12" (the next such day on or after today)."""
    raw = clean(text)
    folded = fold(raw)
    if not folded:
        return Unclear(raw)
    if _EXTENSION.search(folded):
        return Extension(_extension_date(folded, today), _reason(raw))
    percent = _PERCENT.search(folded)
    if percent:
        value = int(percent.group(1))
        if value > 100:
            return Unclear(raw)
        if value == 100:
            return Done(note=raw, evidence=evidence_in(raw))
        return Progress(value, raw)
    if any(mark in raw for mark in _DONE_MARKS) and not _NOT_DONE.search(folded):
        return Done(note=_note(raw), evidence=evidence_in(raw))
    if _NOT_DONE.search(folded) or _WORKING.search(folded):
        return Progress(None, raw)
    if _DONE.search(folded):
        return Done(note=_note(raw), evidence=evidence_in(raw))
    return Unclear(raw)


def _extension_date(folded: str, today: date) -> date | None:
    m = _DATE.search(folded)
    if not m:
        return None
    day, month = int(m.group(1)), int(m.group(2))
    year_text = m.group(3)
    try:
        if year_text:
            year = int(year_text) + (2000 if len(year_text) == 2 else 0)
            return date(year, month, day)
        candidate = date(today.year, month, day)
        return candidate if candidate >= today else date(today.year + 1, month, day)
    except ValueError:
        return None


def _reason(raw: str) -> str:
    """The words after the date or after "vì/do/lý do", if any."""
    m = re.search(r"\b(?:vì|vi|do|lý do|ly do|bởi|boi)\b[:\s]*(.+)$", raw, re.IGNORECASE)
    return m.group(1).strip(" .") if m else ""


def evidence_in(raw: str) -> tuple[str, ...]:
    return tuple(m.group(0).rstrip(".,;)") for m in _EVIDENCE.finditer(raw))


def _note(raw: str) -> str:
    """What is left once the done words and marks are taken out: a note, if any."""
    rest = raw
    for mark in _DONE_MARKS:
        rest = rest.replace(mark, " ")
    folded = fold(rest)
    if re.fullmatch(r"[\W_]*(?:(?:da|ok|oke|vang|roi|a|nhe|nha|em|anh|chi|bao cao|xin|sep|"
                    r"xong|hoan thanh|hoan tat|done|finished|completed?|thanks?|cam on)[\W_]*)*",
                    folded):  # fmt: skip
        return ""
    return clean(rest).strip(" ,.!")
