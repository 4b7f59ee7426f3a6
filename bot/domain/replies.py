"""What an officer means by a free-text reply to a reminder.

"xong ạ", "đã hoàn thành", "done", "✅" → done; "50%", "đang làm, được 70%" → progress;
"xin gia hạn đến 30/12" → an extension request. Case, diacritics, politeness and emoji do
not matter; "chưa xong", "không xong được", "sắp xong" are not done. A sentence that only
asks or supposes is no answer: a question ("xong chưa vậy?", "hoàn thành rồi à",
"xong không anh"), a condition ("nếu xong thì…") or what someone else said ("anh Nam
bảo xong rồi") is ``Unclear``, as is anything else, and gets a short help answer, never
a silent drop and never a closed task.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from bot.domain.numbers import parse_percent
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
    until: date | None  # None: the officer did not say until when, or no real day
    reason: str = ""
    no_such_day: str = ""  # the date as written when it is no real day ("31/02")


@dataclass(frozen=True)
class Unclear:
    text: str
    # It asks or supposes something ("xong chưa?", "file này được chưa anh?"): a file sent
    # with these words is not an answer either.
    asking: bool = False


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
_PERCENT = re.compile(r"(?<![0-9])([0-9]+)\s*(?:%|phan tram)")
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
    if _EXTENSION.search(folded):  # "cho em xin gia hạn được không ạ?" is still a request
        until = _extension_date(folded, today)
        written = _DATE.search(folded)
        no_such_day = written.group(0).strip() if written and until is None else ""
        return Extension(until, _reason(raw), no_such_day)
    if not _asserts(raw):
        return Unclear(raw, asking=True)
    percent = _PERCENT.search(folded)
    if percent:
        value = parse_percent(percent.group(1))
        if value is None:
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
    return Unclear(raw, asking=_asks_anything(raw))


# --- questions, conditions, reported speech ---------------------------------------------
# Words are written with their diacritics and matched as written. A word is also matched
# without diacritics, except where that folded form is another common word: those are
# matched folded only when the whole message is written without diacritics, or never
# ("a" is far more often "ạ", politeness, than "à", a question; "ho" is "hồ" in "hồ sơ").
_QUESTION_END = ("chưa", "không", "ko", "k", "kh", "khg", "kg", "hk", "hok", "hông", "hem", "à",
                 "hả", "hở", "hử", "ư", "nhỉ", "nhở", "chứ", "sao", "nào", "hén", "ha", "ta")  # fmt: skip
_TRAILING = ("anh", "chị", "em", "ạ", "a", "vậy", "zậy", "z", "v", "thế", "đấy", "đó", "ơi", "rồi",
             "ấy", "sếp", "bạn", "ad", "admin", "bot", "nữa", "luôn", "hết", "cả", "nhé", "nha",
             "nhe", "nhen")  # fmt: skip
_INTERROGATIVE = ("bao giờ", "khi nào", "lúc nào", "bao lâu", "tại sao", "vì sao", "thế nào",
                  "ra sao", "làm sao", "có phải", "phải không", "đúng không", "được không",
                  "ai", "đâu", "hay chưa", "hay không")  # fmt: skip
_CONDITIONAL = ("nếu", "giả sử", "giả như", "trường hợp", "hễ", "miễn là", "khi", "sau khi",
                "để", "sẽ", "định", "dự kiến", "phấn đấu", "cố gắng", "cố", "hy vọng", "hi vọng",
                "mong", "muốn", "cần", "phải", "nên", "hãy", "đợi", "chờ", "mai", "ngày mai",
                "tuần sau", "tuần tới", "tháng sau", "tháng tới",
                # not sure of it: "hình như xong rồi", "chắc là xong"
                "hình như", "có lẽ", "chắc là", "không biết", "chưa biết", "không rõ", "chưa rõ",
                "nghe đâu")  # fmt: skip
_REPORTED = ("nghe nói", "nghe bảo", "thấy bảo", "thấy nói", "cho biết", "cho hay", "báo là",
             "báo rằng", "nói là", "nói rằng", "bảo là", "bảo rằng", "anh ấy", "chị ấy", "ông ấy",
             "bà ấy", "cô ấy", "em ấy", "cậu ấy", "họ", "người ta", "bên đó", "bên kia", "bên ấy",
             "phòng kia", "đơn vị kia", "đơn vị đó")  # fmt: skip
_SAYING = ("bảo", "nói", "kể")  # a verb of saying right before the answer: "anh Nam bảo xong"
_PLAIN_ONLY = {"khi", "ai", "se", "nao", "sao", "ha", "hen", "chu", "hong", "hem", "do", "the",
               "ay", "thi", "mong", "ke", "mai", "ta", "u", "phai", "hay"}  # fmt: skip
# "bên Sở Tư pháp xong rồi" is about another unit; "bên em xong rồi" is the writer's own.
_OWN_SIDE = ("em", "e", "mình", "tôi", "tui", "tớ", "chúng", "này", "ta", "tao")
# "có" (to have), "cán bộ", "cho" (for), "nền", "muộn" (late), "đổi", "đính kèm"…
_NEVER_FOLDED = {"a", "bao", "noi", "ho", "de", "dau", "co", "can", "cho", "nen", "muon", "doi",
                 "dinh"}  # fmt: skip
_SIGNAL = re.compile(r"\b(?:xong|hoan thanh|hoan tat|done|finished|complete[d]?)\b|[0-9]\s*%")
_SENTENCE = re.compile(r"[^.!?？;\n]+[.!?？;\n]*")
_ANSWER_WORDS = ("xong", "done", "finished", "complete", "completed")


def _carries_answer(sentence: str) -> bool:
    return bool(_SIGNAL.search(fold(sentence))) or any(m in sentence for m in _DONE_MARKS)


def _asserts(raw: str) -> bool:
    """Whether the text states its answer rather than asks, supposes or reports it.

    Read sentence by sentence: a sentence carrying an answer ("xong", a percentage, ✅)
    counts only if it is not a question, a condition or someone else's words. "Xong rồi
    ạ. Anh xem giúp em nhé?" states; "Xong chưa vậy?" asks. A text with no such sentence
    is left to the other rules (which find nothing to record).
    """
    sentences = [s.strip() for s in _SENTENCE.findall(raw) if s.strip()] or [raw]
    plain = fold(raw) == " ".join(raw.lower().split())
    carrying = [s for s in sentences if _carries_answer(s)]
    return not carrying or any(not (_asks(s, plain) or _supposes(s, plain)) for s in carrying)


def _asks_anything(raw: str) -> bool:
    plain = fold(raw) == " ".join(raw.lower().split())
    sentences = [s.strip() for s in _SENTENCE.findall(raw) if s.strip()]
    return any(_asks(s, plain) for s in sentences)


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", unicodedata.normalize("NFC", text.lower()))


def _forms(form: str, plain: bool) -> tuple[str, ...]:
    """The spellings under which ``form`` is recognised in this message."""
    folded = fold(form)
    if folded == form or folded in _NEVER_FOLDED or (folded in _PLAIN_ONLY and not plain):
        return (form,)
    return (form, folded)


def _is(word: str, forms: tuple[str, ...], plain: bool) -> bool:
    return any(word in _forms(form, plain) for form in forms)


def _has(words: list[str], forms: tuple[str, ...], plain: bool) -> bool:
    text = f" {' '.join(words)} "
    return any(f" {spelling} " in text for form in forms for spelling in _forms(form, plain))


def _asks(sentence: str, plain: bool) -> bool:
    """A question: a "?", a question particle at the end ("xong chưa anh", "xong rồi à",
    "có xong không"), or a question word ("bao giờ xong", "ai xong rồi")."""
    if "?" in sentence or "？" in sentence:
        return True
    words = _words(sentence)
    while words and _is(words[-1], _TRAILING, plain) and not _is(words[-1], _QUESTION_END, plain):
        words.pop()
    if words and _is(words[-1], _QUESTION_END, plain):
        return True
    return _has(_words(sentence), _INTERROGATIVE, plain)


def _supposes(sentence: str, plain: bool) -> bool:
    """A condition or an intention before the answer ("nếu xong thì…", "khi xong em sẽ
    báo", "em sẽ hoàn thành"), "thì" right after it ("xong thì báo"), or someone else's
    words ("anh Nam bảo xong rồi", "nghe nói bên đó đã xong")."""
    words = _words(sentence)
    folded = [fold(w) for w in words]
    cut = next((i for i, w in enumerate(folded) if w in _ANSWER_WORDS
                or (w == "hoan" and folded[i + 1 : i + 2] in (["thanh"], ["tat"]))), None)  # fmt: skip
    if cut is None:  # the answer is a mark or a percentage: look at the whole sentence
        cut = next((i for i, w in enumerate(words) if w.isdigit()), len(words))
    before, after = words[:cut], words[cut + 1 : cut + 5]
    if _has(before, _CONDITIONAL, plain) or _has(before, _REPORTED, plain):
        return True
    trimmed = before
    while trimmed and _is(trimmed[-1], ("đã", "vừa", "mới", "là", "rằng", "cũng"), plain):
        trimmed = trimmed[:-1]
    if trimmed and _is(trimmed[-1], _SAYING, plain) and trimmed[-2:-1] != ["đảm"]:
        return True  # "đảm bảo đã xong" (I assure you it is done) is the writer's own word
    for word, following in zip(before, [*before[1:], ""][: len(before)], strict=True):
        if _is(word, ("bên", "phía"), plain) and following and not _is(following, _OWN_SIDE, plain):
            return True
        if word == "chắc" and following != "chắn":  # "chắc xong rồi": probably
            return True
    return any(_is(w, ("thì",), plain) for w in after)


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
