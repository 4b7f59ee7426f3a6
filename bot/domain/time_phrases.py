"""A small grammar of Vietnamese time expressions, as plans write them in "Tiến độ".

The text is folded (no diacritics, lower case) one character for one, cut into tokens
(words, numbers, punctuation), and read by the productions below. Each production is a
method that takes a token position and returns what it read and the position after it,
or ``None``; alternatives are tried in order, and a reading counts only when it
consumes the whole cell. *Partial understanding is not a reading*: what is left over is
reported, with the original words, so that the admin sees what was not understood.

    cell      := status | repeat | relative | since | bounded
    status    := "đã" verb+ …                       "Đã thực hiện xong"
    repeat    := (freq | anchor | window)+          "Định kỳ hằng quý, trước ngày 10 tháng cuối quý"
    relative  := [by] N unit "kể từ" anchor          "trong vòng 45 ngày kể từ ngày ban hành"
    since     := "từ" member ["trở đi"]              "Từ quý III/2028"
    bounded   := [marker+] members                  "Chậm nhất trước ngày 20/11 năm 2027"
    members   := member (conn member')*             "Quý I, II/2027", "Tháng 9-10/2027"
    member    := [qualifier] (date | day | month | quarter | first months | school year | year)
    qualifier := đầu | giữa | cuối | nửa đầu | nửa cuối | tuần đầu | tuần cuối | tuần thứ N
    conn      := , ; - và hoặc đến tới

``member'`` may leave out its unit ("Quý I, II": the II is a quarter) and its year (a
year written once at the end belongs to every member). This module only reads; what a
reading means as a due date (plan year, qualifier windows, start vs end) is decided in
:mod:`bot.domain.deadlines`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from typing import TypeVar

from bot.domain.text import fold_aligned

T = TypeVar("T")

# --- what a reading is made of ----------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """A period named in the text; ``year`` is ``None`` when the text leaves it out.

    ``unit``: "day" (``n`` = day, ``month``), "month" (``n``), "quarter" (``n`` 1–4),
    "first_months" (the first ``n`` months of the year), "last_months" (the last ``n``),
    "year", "school_year" (``year`` = the year it ends in), "plan_year" (a bare "năm":
    the plan's year).
    """

    unit: str
    n: int = 0
    month: int = 0
    year: int | None = None
    qualifier: str | None = None  # "dau", "giua", "cuoi", "nua dau", "nua cuoi", "tuan N"…


@dataclass(frozen=True)
class Bounded:
    """One or more periods; the deadline is the end of the last one.

    ``before``: the text says "trước": before a day is that day, before a longer period
    is the end of the period before it ("Trước năm 2028" → 31/12/2027).
    """

    members: tuple[Span, ...]
    before: bool = False
    is_range: bool = False  # "Tháng 9-10/2027", "Từ … đến …", "Giai đoạn 2026-2031"


@dataclass(frozen=True)
class Since:
    """A start without an end ("Từ quý III/2028"): ongoing from the start of ``span``."""

    span: Span
    period: str = "quarterly"  # "… và các năm tiếp theo": yearly


@dataclass(frozen=True)
class Relative:
    """``count`` units after the plan is signed or issued ("10 ngày kể từ ngày ký")."""

    count: int
    unit: str  # "day", "working_day", "week", "month"


@dataclass(frozen=True)
class AfterEvent:
    """Counted from an event that is not the plan's date ("kể từ ngày nhận được …")."""

    words: str


@dataclass(frozen=True)
class Repeat:
    """A task done each period. ``anchor`` is (months from the period's start, day).

    ``period``: "monthly", "quarterly", "half_yearly", "yearly", or ``None`` for an
    ongoing task with no period of its own ("Thường xuyên"). ``unsupported`` names a
    frequency the reminders cannot follow (weekly, daily).
    """

    period: str | None
    ongoing: bool = False
    anchor: tuple[int, int] | None = None
    ambiguous_anchor: bool = False
    window: tuple[Span, ...] = ()
    start: Span | None = None
    unsupported: str | None = None
    dated_first: bool = False  # "Tháng 12/2026 và thực hiện thường xuyên": a date, then ongoing
    until: Span | None = None  # "… đến năm 2030"


@dataclass(frozen=True)
class Status:
    """The cell says the work is done ("Đã xong", "Đã thực hiện xong")."""

    words: str


@dataclass(frozen=True)
class Vague:
    """A phrase that names no date ("Theo kế hoạch", "Kịp thời", "Khi có yêu cầu")."""


Reading = Bounded | Since | Relative | AfterEvent | Repeat | Status | Vague


@dataclass(frozen=True)
class Parsed:
    """What :func:`read` found: a reading, or the words it could not read."""

    reading: Reading | None
    leftover: str = ""  # the original words from the first one not understood
    notes: tuple[str, ...] = field(default=())  # parenthesised remarks with no time words


# --- tokens -----------------------------------------------------------------------------

_TOKEN = re.compile(r"[0-9]+|[a-z]+|[^\sa-z0-9]")
# Look-alikes typed or pasted from Word and PDFs, as the ASCII the grammar reads.
_LOOK_ALIKES = str.maketrans(
    {**{ch: "-" for ch in "–—−‐‑‒―－﹣⁃"}, **{ch: "/" for ch in "⁄∕／"},
     **{ch: None for ch in "\u00ad\u200b\u200c\u200d\u2060\ufeff\x00"}}
)  # fmt: skip
_BULLETS = "•+*·◦▪-–"
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8,
          "ix": 9, "x": 10, "xi": 11, "xii": 12}  # fmt: skip
# Words that make a parenthesised remark part of the deadline rather than a note.
_TIME_WORDS = frozenset(
    ("ngay", "thang", "quy", "qui", "nam", "tuan", "truoc", "sau", "den", "tu", "han", "hang",
     "moi", "dinh", "ky", "thuong", "xuyen", "dau", "giua", "cuoi", "nua", "cham", "lien")
)  # fmt: skip


@dataclass(frozen=True)
class _Tok:
    text: str  # folded
    start: int  # offset in the original text
    end: int
    written: str = ""  # as written, in lower case: "sáu" (six) is not "sau" (after)

    @property
    def number(self) -> int | None:
        ascii_digits = self.text.isascii() and self.text.isdigit()
        return int(self.text) if ascii_digits and len(self.text) <= 9 else None


def _tokens(original: str) -> tuple[list[_Tok], list[str]]:
    """Tokens of the folded text; parenthesised remarks without time words are set aside."""
    folded = fold_aligned(original)
    toks = [
        _Tok(m.group(), m.start(), m.end(), original[m.start() : m.end()].lower())
        for m in _TOKEN.finditer(folded)
    ]
    # The nearest closing bracket after each token, found in one pass from the right.
    closes: list[int | None] = [None] * len(toks)
    nearest: int | None = None
    for k in range(len(toks) - 1, -1, -1):
        closes[k] = nearest
        if toks[k].text in ")]":
            nearest = k
    notes: list[str] = []
    out: list[_Tok] = []
    i = 0
    while i < len(toks):
        if toks[i].text in "([":
            close = closes[i]
            if close is not None:
                inner = toks[i + 1 : close]
                if inner and not any(t.text in _TIME_WORDS or t.number for t in inner):
                    notes.append(original[inner[0].start : inner[-1].end].strip())
                    i = close + 1
                    continue
        out.append(toks[i])
        i += 1
    return out, notes


def normalise(text: str) -> str:
    """The cell as the grammar reads it: NFC, look-alike dashes and slashes as ASCII,
    full-width forms and Roman numeral signs ("Ⅳ") as their letters, no invisible marks."""
    text = unicodedata.normalize("NFC", text).translate(_LOOK_ALIKES)
    return "".join(
        unicodedata.normalize("NFKC", ch)
        if "\uff01" <= ch <= "\uff5e" or "\u2160" <= ch <= "\u217f"
        else ch
        for ch in text
    )


def read(text: str) -> Parsed:
    """Read a deadline cell. Never raises; an unread cell has ``reading=None``.

    ``leftover`` quotes the original words from the first one not understood; it is empty
    when nothing at all was understood.
    """
    original = normalise(text)
    toks, notes = _tokens(original)
    parser = _Parser(toks)
    reading = parser.cell()
    if reading is not None:
        return Parsed(reading, notes=tuple(notes))
    at = parser.furthest
    # Quote from the first word not understood, with the brackets or marks before it; in
    # brackets, the whole remark ("(tối đa 30 ngày)", not "đa 30 ngày)").
    opened = next((k for k in range(min(at, len(toks)) - 1, -1, -1) if toks[k].text in "()"), None)
    if opened is not None and toks[opened].text == "(":
        at = opened
    while 0 < at < len(toks) and not toks[at - 1].text.isalnum():
        at -= 1
    leftover = original[toks[at].start :].strip() if 0 < at < len(toks) else ""
    if not any(ch.isalnum() for ch in leftover):
        leftover = ""  # a stray bracket says nothing: the whole cell is quoted instead
    return Parsed(None, leftover=" ".join(leftover.split()), notes=tuple(notes))


# --- the productions -------------------------------------------------------------------

_Result = tuple[T, int] | None

_CONNECTORS = (",", ";", "-", "va", "hoac", "den", "toi", "&", "+", "/")
_LEAD_VERBS = ("du kien", "thoi han hoan thanh", "thoi gian hoan thanh", "thoi han", "thoi gian",
               "tien do", "hoan thanh", "thuc hien", "trien khai", "xong", "ket thuc",
               "ban hanh", "to chuc", "bao cao", "tong hop", "gui")  # fmt: skip
_BY_MARKERS = ("cham nhat la", "cham nhat vao", "cham nhat", "khong qua", "khong muon hon",
               "han chot", "han", "den het", "den", "het", "trong vong", "trong", "vao",
               "ca", "suot", "xong trong", "xong truoc")  # fmt: skip
_QUALIFIERS = ("nua dau", "nua cuoi", "tuan dau tien", "tuan cuoi cung", "tuan dau", "tuan cuoi", "thuong tuan", "trung tuan",
               "ha tuan", "dau", "giua", "cuoi")  # fmt: skip
_QUALIFIER_ALIASES = {"thuong tuan": "dau", "trung tuan": "giua", "ha tuan": "cuoi",
                      "tuan dau tien": "tuan dau", "tuan cuoi cung": "tuan cuoi"}  # fmt: skip
_VAGUE = ("theo", "khi", "tuy", "sau khi", "ngay khi", "kip thoi", "dot xuat", "som",
          "can cu", "phu hop", "truoc khi", "dong thoi")  # fmt: skip
# "ngày ký", "ngày ban hành Kế hoạch (này)", "ngày Kế hoạch được ký ban hành", "ngày ký
# Quyết định này": the plan's own date. Any other document or event has no date here.
_THIS_PLAN = r"(?:(?:ke hoach|kh)(?: nay)?|(?:quyet dinh|van ban|de an|chuong trinh) nay)"
_PLAN_SIGNED = re.compile(
    rf"(?:ngay )?(?:(?:ky|ban hanh|ky ban hanh)(?: {_THIS_PLAN})?"
    rf"|{_THIS_PLAN} (?:duoc )?(?:ky|ban hanh|ky ban hanh))"
)
_REPEAT_FILLERS = ("va", "hoac", "theo", "che do", "gui bao cao", "bao cao", "thuc hien",
                   "dot xuat", "trong", "cua", "nop", "nhiem vu", "la", "tung giai doan",
                   "mot lan", "1 lan", "to chuc", "trien khai", "cap nhat")  # fmt: skip
# Months in words ("tháng Mười Hai", "tháng Giêng"), matched as written: folded, "sáu"
# (six) would be "sau" (after: "tháng sau") and "tư" (four) "từ" (from). Longest first.
_MONTH_WORDS = (("mười một", 11), ("mười hai", 12), ("giêng", 1), ("một", 1), ("hai", 2),
                ("ba", 3), ("tư", 4), ("bốn", 4), ("năm", 5), ("sáu", 6), ("bảy", 7),
                ("tám", 8), ("chín", 9), ("mười", 10), ("chạp", 12))  # fmt: skip
_CENTURY = 2000  # a two-digit year in a full date ("30/6/25"): plans are of this century
_PERIOD_WORDS = (("6 thang", "half_yearly"), ("nua nam", "half_yearly"),
                 ("thang", "monthly"), ("quy", "quarterly"), ("qui", "quarterly"),
                 ("nam", "yearly"), ("tuan", "weekly"), ("ngay", "daily"))  # fmt: skip


class _Parser:
    def __init__(self, toks: list[_Tok]) -> None:
        self.t = toks
        self.furthest = 0
        self.ranged = False

    # -- terminals --
    def _see(self, i: int) -> None:
        self.furthest = max(self.furthest, i)

    def word(self, i: int, phrase: str) -> int | None:
        """Match ``phrase`` ("cham nhat") as consecutive tokens from ``i``."""
        parts = phrase.split()
        if i + len(parts) > len(self.t):
            return None
        if all(self.t[i + k].text == p for k, p in enumerate(parts)):
            self._see(i + len(parts))
            return i + len(parts)
        return None

    def one_of(self, i: int, phrases: tuple[str, ...]) -> _Result[str]:
        for phrase in phrases:
            j = self.word(i, phrase)
            if j is not None:
                return phrase, j
        return None

    def num(self, i: int, lo: int = 0, hi: int = 10**9, digits: int | None = None) -> _Result[int]:
        n = self.t[i].number if i < len(self.t) else None
        if n is None or not lo <= n <= hi or digits not in (None, len(self.t[i].text)):
            return None
        self._see(i + 1)
        return n, i + 1

    def year(self, i: int) -> _Result[int]:
        return self.num(i, digits=4)

    def month_word(self, i: int) -> _Result[int]:
        """A month in words after "tháng", as written ("Mười Hai", "Giêng"). "Năm" followed
        by a year ("tháng năm 2025") is not read: it may be a month or the word "năm"."""
        for words, n in _MONTH_WORDS:
            parts = words.split()
            if i + len(parts) > len(self.t):
                continue
            if all(self.t[i + k].written == p for k, p in enumerate(parts)):
                j = i + len(parts)
                if words == "năm" and self.year(j) is not None:
                    return None
                self._see(j)
                return n, j
        return None

    def month_number(self, i: int) -> _Result[int]:
        """The month after "tháng": in words, a Roman numeral or digits."""
        return self.month_word(i) or self.roman_or_num(i, 12)

    def roman_or_num(self, i: int, hi: int) -> _Result[int]:
        # A Roman numeral past ``hi`` ("Quý V") is read, and flagged by the meaning.
        if i < len(self.t) and (n := _ROMAN.get(self.t[i].text)) and n <= max(hi, 12):
            self._see(i + 1)
            return n, i + 1
        # Out-of-range numbers are read here and flagged by the meaning (month 13).
        return self.num(i, 0, 99)

    def end(self, i: int) -> bool:
        """Only punctuation and lead verbs ("Trong quý III năm 2026, hoàn thành") remain."""
        while True:
            while i < len(self.t) and self.t[i].text in ".;,:!":
                i += 1
            verb = self.one_of(i, _LEAD_VERBS)
            if verb is None:
                return i == len(self.t)
            i = verb[1]

    def skip_punct(self, i: int) -> int:
        while i < len(self.t) and self.t[i].text in ".;,:-()[]":
            i += 1
        return i

    def many(self, i: int, phrases: tuple[str, ...]) -> tuple[list[str], int]:
        found = []
        while (m := self.one_of(i, phrases)) is not None:
            found.append(m[0])
            i = m[1]
        return found, i

    # -- the cell --
    def cell(self) -> Reading | None:
        # Bullets, and lead verbs ("Hoàn thành trong quý IV"), carry no time.
        start = 0
        while start < len(self.t) and self.t[start].text in _BULLETS:
            start += 1
        start = self.skip_punct(start)
        while (verb := self.one_of(start, _LEAD_VERBS)) is not None:
            start = self.skip_punct(verb[1])
        for production in (self.status, self.repeat, self.relative, self.bounded, self.since):
            got = production(start)
            if got is not None and self.end(got[1]):
                return got[0]
        if self.one_of(start, _VAGUE) is not None:
            return Vague()
        return None

    def status(self, i: int) -> _Result[Reading]:
        j = self.word(i, "da")
        if j is None:
            return None
        verbs, k = self.many(j, (*_LEAD_VERBS, "co", "xay dung"))
        if not verbs:
            return None
        # What follows "Đã xong" is its evidence ("Đã xong (QĐ số 12/QĐ-UBND)", "năm 2026"),
        # unless it says the work goes on: "Đã hoàn thành 50%", "Đã triển khai, đang …".
        rest = " ".join(t.text for t in self.t[k:])
        if rest and not re.match(r"^(?:[(:,.;]|tai |theo |nam \d{4}|vao |ngay )", rest):
            return None
        if re.search(r"%|\b(?:dang|tiep|mot phan|chua|con|se|thuong xuyen|dinh ky|hang)\b", rest):
            return None
        self._see(len(self.t))
        return Status(" ".join(t.text for t in self.t[i:k])), len(self.t)

    # -- bounded periods: "Quý I, II/2027", "Trước năm 2028", "Từ tháng 2 đến tháng 5/2027" --
    def bounded(self, i: int) -> _Result[Reading]:
        markers, j = self.many(i, ("truoc", *_BY_MARKERS))
        before = any(m.startswith("truoc") or m == "xong truoc" for m in markers)
        if (k := self.word(j, "tu nay den")) is not None:  # "Từ nay đến năm 2030"
            k = self.word(k, "het") or k
            got = self.members(k)
            return None if got is None else (Bounded(got[0][-1:], before, True), got[1])
        if (k := self.word(j, "tu")) is not None:  # "từ X đến Y": needs the end
            got = self.members(k)
            if got is None or len(got[0]) < 2:
                return None
            return Bounded(got[0], before, True), got[1]
        k = self.word(j, "giai doan")
        got = self.members(j if k is None else k)
        if got is None:
            return None
        members, j = got
        if k is not None and members[0].unit != "year":
            return None
        return Bounded(members, before, k is not None or self.ranged), j

    def since(self, i: int) -> _Result[Reading]:
        j = self.one_of(i, ("bat dau tu", "ke tu", "tu"))
        got = self.member(i if j is None else j[1])
        if got is None:
            return None
        span, k = got
        k = self.skip_punct(k)
        period, going_on = "quarterly", False
        if (m := self.one_of(k, ("tro di", "tro ve sau", "ve sau"))) is not None:
            k, going_on = m[1], True
        elif (following := self.following_periods(k)) is not None:
            (period, k), going_on = following, True
        if j is None and not going_on:
            return None  # without "từ", only "… trở đi" or "… các năm tiếp theo" says it starts
        return Since(span, period), k

    def following_periods(self, i: int) -> _Result[str]:
        """ "và các năm (quý, tháng) tiếp theo": the period it goes on in."""
        j = self.word(i, "va")
        if j is None:
            return None
        j = self.word(j, "cac") or self.word(j, "nhung") or j
        unit = self.one_of(j, ("nam", "quy", "thang"))
        if unit is None or (after := self.one_of(unit[1], ("tiep theo", "sau", "ke tiep"))) is None:
            return None
        return {"nam": "yearly", "quy": "quarterly", "thang": "monthly"}[unit[0]], after[1]

    def members(self, i: int) -> _Result[tuple[Span, ...]]:
        """Members joined by connectors; sets ``ranged`` when a connector makes a range."""
        self.ranged = False
        got = self.member(i)
        if got is None:
            return None
        spans, j = [got[0]], got[1]
        while True:
            conn = self.one_of(j, _CONNECTORS)
            if conn is None:
                break
            k = conn[1]
            if (m := self.one_of(k, ("den het", "den", "va", "het"))) is not None:
                k = m[1]  # "- đến", ", và", "đến hết"
            ranged = conn[0] in ("-", "den", "toi") or (m is not None and m[0] != "va")
            # After a school year, "2028-2029" is the next school year, not two years.
            if spans[-1].unit == "school_year":
                nxt = self.continuation(k, spans[-1]) or self.member(k)
            else:
                nxt = self.member(k) or self.continuation(k, spans[-1])
            if nxt is None:
                break
            spans.append(nxt[0])
            j = nxt[1]
            self.ranged = self.ranged or ranged
        return tuple(spans), j

    def continuation(self, i: int, previous: Span) -> _Result[Span]:
        """A member that leaves out its unit: the II in "Quý I, II/2027"."""
        if previous.unit == "school_year":  # "Năm học 2027-2028 và 2028-2029"
            return self.school_year_numbers(i)
        hi = {"quarter": 4, "month": 12}.get(previous.unit)
        if hi is None:
            return None
        got = self.roman_or_num(i, hi)
        if got is None or (self.t[i].number is not None and len(self.t[i].text) > 2):
            return None
        n, j = got
        if self.word(j, "/") is not None and self.num(j + 1, digits=None) and not self.year(j + 1):
            return None  # "9/10" is a day, not a month
        year, j = self.year_suffix(j)
        return Span(previous.unit, n, year=year), j

    def year_suffix(self, i: int) -> tuple[int | None, int]:
        j = self.skip_punct(i) if i < len(self.t) and self.t[i].text == "," else i
        for sep in ("/", "-", ".", "nam", ""):
            k = self.word(j, sep) if sep else j
            if k is not None and (y := self.year(k)) is not None:
                return y[0], y[1]
        return None, i

    def member(self, i: int) -> _Result[Span]:
        qual = self.one_of(i, _QUALIFIERS)
        if qual is not None or (qual := self.week_ordinal(i)) is not None:
            j = self.word(qual[1], "cua") or qual[1]
            got = self.month(j) or self.quarter(j) or self.school_year(j) or self.year_member(j)
            if got is None:
                return None
            q = _QUALIFIER_ALIASES.get(qual[0], qual[0])
            return replace(got[0], qualifier=q), got[1]
        for production in (
            self.full_date, self.day, self.first_months, self.month, self.quarter,
            self.school_year, self.year_member,
        ):  # fmt: skip
            got = production(i)
            if got is not None:
                return got
        return None

    def week_ordinal(self, i: int) -> _Result[str]:
        j = self.word(i, "tuan thu")
        if j is None:
            return None
        n = self.roman_or_num(j, 5)
        return (f"tuan {n[0]}", n[1]) if n else None

    def full_date(self, i: int) -> _Result[Span]:
        """ "31/12/2025", "31-12-2025", "31.12.2025", "30/6/25" (a two-digit year of this
        century), "2025-12-31" (ISO, year first)."""
        j = self.word(i, "ngay") or i
        if (y := self.year(j)) is not None:  # ISO: year, month, day with one separator
            s1 = self.one_of(y[1], ("-", "/", "."))
            m = self.num(s1[1], 1, 12, digits=2) if s1 else None
            s2 = self.word(m[1], s1[0]) if m and s1 else None
            d = self.num(s2, 1, 31, digits=2) if s2 is not None else None
            if d is not None and m is not None and self.word(d[1], s1[0] if s1 else "") is None:
                return Span("day", d[0], m[0], y[0]), d[1]
            return None
        d = self.num(j, 0, 99)
        if d is not None and (s1 := self.one_of(d[1], ("/", ".", "-"))) is not None:
            m = self.num(s1[1], 0, 99)
            if m is not None and (s2 := self.word(m[1], s1[0])) is not None:
                y = self.year(s2)
                if y is not None:
                    return Span("day", d[0], m[0], y[0]), y[1]
                short = self.num(s2, 0, 99, digits=2)
                if short is not None and self.word(short[1], s1[0]) is None:
                    return Span("day", d[0], m[0], _CENTURY + short[0]), short[1]
        return None

    def day(self, i: int) -> _Result[Span]:
        """ "20/11", "20/11 năm 2027", "ngày 15 tháng 10 năm 2024"."""
        j = self.word(i, "ngay")
        d = self.num(j if j is not None else i, 0, 99)
        if d is None or (d[0] > 31 and j is None):
            return None
        if (k := self.word(d[1], "thang")) is not None:
            m = self.month_number(k)  # "ngày 5 tháng Ba"
        elif (k := self.word(d[1], "/")) is not None:
            m = self.num(k, 0, 99)
        else:
            return None
        if m is None or (self.year(k) is not None):
            return None
        year, end = self.year_suffix(m[1])
        if self.word(m[1], "/") is not None and year is None:
            return None  # "30/11/24": a two-digit year is not guessed
        return Span("day", d[0], m[0], year), end

    def month(self, i: int) -> _Result[Span]:
        j = self.word(i, "thang")
        if j is None:
            # "09/2027" with no word: a month of a year.
            m = self.num(i, 0, 99)
            if m is not None and self.word(m[1], "/") is not None:
                y = self.year(m[1] + 1)
                if y is not None:
                    return Span("month", m[0], year=y[0]), y[1]
            return None
        m = self.month_number(j)
        if m is None:
            return None
        if self.word(m[1], "/") is not None and self.year(m[1] + 1) is None:
            return None
        year, k = self.year_suffix(m[1])
        return Span("month", m[0], year=year), k

    def quarter(self, i: int) -> _Result[Span]:
        q = self.one_of(i, ("quy", "qui", "q"))
        if q is None:
            return None
        n = self.roman_or_num(q[1], 4)
        if n is None:
            return None
        year, k = self.year_suffix(n[1])
        return Span("quarter", n[0], year=year), k

    def first_months(self, i: int) -> _Result[Span]:
        """ "6 tháng đầu năm 2025", "9 tháng đầu năm", "nửa đầu năm" is a qualifier."""
        n = self.num(i, 1, 12)
        if n is None or (j := self.word(n[1], "thang")) is None:
            return None
        which = self.one_of(j, ("dau", "cuoi"))
        if which is None or (k := self.word(which[1], "nam")) is None:
            return None
        year = self.year(k)
        unit = "first_months" if which[0] == "dau" else "last_months"
        return Span(unit, n[0], year=year[0] if year else None), year[1] if year else k

    def school_year(self, i: int) -> _Result[Span]:
        j = self.word(i, "nam hoc")
        return None if j is None else self.school_year_numbers(j)

    def school_year_numbers(self, j: int) -> _Result[Span]:
        if (a := self.year(j)) is None:
            return None
        sep = self.one_of(a[1], ("-", "/", "den"))
        if sep is None:
            return None
        if (b := self.year(sep[1])) is not None and b[0] == a[0] + 1:
            return Span("school_year", year=b[0]), b[1]
        short = self.num(sep[1], digits=2)  # "Năm học 2027-28"
        if short is not None and short[0] == (a[0] + 1) % 100:
            return Span("school_year", year=a[0] + 1), short[1]
        return None

    def year_member(self, i: int) -> _Result[Span]:
        j = self.word(i, "nam")
        y = self.year(j if j is not None else i)
        if y is not None:
            if self.word(y[1], "/") is not None:
                return None
            return Span("year", year=y[0]), y[1]
        if j is not None and self.word(j, "hoc") is None:
            return Span("plan_year"), j  # "Trong năm": the plan's year
        return None

    # -- relative to the plan: "trong vòng 45 ngày kể từ ngày ban hành Kế hoạch" --
    def relative(self, i: int) -> _Result[Reading]:
        _, j = self.many(i, ("trong thoi han", "trong vong", "trong", "sau", "cham nhat",
                             "khong qua", "toi da", "truoc"))  # fmt: skip
        n = self.num(j, 1, 3650)
        if n is None:
            return None
        units = (("ngay lam viec", "working_day"), ("ngay", "day"), ("tuan", "week"),
                 ("thang", "month"))  # fmt: skip
        unit = next(((u, at) for w, u in units if (at := self.word(n[1], w)) is not None), None)
        if unit is None:
            return None
        k = self.one_of(self.skip_punct(unit[1]), ("ke tu", "tinh tu", "sau khi", "sau", "tu"))
        if k is None:
            return None
        rest = [t.text for t in self.t[k[1] :]]
        self._see(len(self.t))
        words = " ".join(rest)
        if _PLAN_SIGNED.fullmatch(words.strip(" .;,")):
            return Relative(n[0], unit[0]), len(self.t)
        return AfterEvent(words), len(self.t)

    # -- recurring: "Trước ngày 25 hằng tháng", "Định kỳ hằng quý, trước ngày 10 tháng cuối quý" --
    def repeat(self, i: int) -> _Result[Reading]:
        period: str | None = None
        periodic = False  # a bare "định kỳ": periodic, quarterly unless a period is named
        ongoing = False
        anchors: list[tuple[str, int, int, str | None]] = []
        window: list[Span] = []
        start: Span | None = None
        until: Span | None = None
        unsupported: str | None = None
        dated_first = False
        j = i
        while True:
            j = self.skip_punct(j)
            _, j = self.many(j, _REPEAT_FILLERS)
            if self.end(j):
                break
            if (k := self.one_of(j, ("thuong xuyen", "lien tuc"))) is not None:
                ongoing, j = True, k[1]
            elif (f := self.frequency(j)) is not None:
                (found, unsupported_word), j = f
                if unsupported_word:
                    unsupported = unsupported_word
                elif found == "periodic":
                    periodic = True
                else:
                    period = found
            elif (a := self.anchor(j)) is not None:
                anchors.append(a[0])
                period = period or a[0][3]  # only "hằng tháng" inside an anchor names one
                j = a[1]
            elif (k := self.one_of(j, ("bat dau tu", "tu"))) is not None and (
                m := self.member(k[1])
            ) is not None:
                start, j = m
            elif (k := self.one_of(j, ("den het", "den", "toi"))) is not None and (
                m := self.member(k[1])
            ) is not None:
                until, j = m  # "Tháng 12 hằng năm đến năm 2030"
            elif (g := self.bounded(j)) is not None and isinstance(g[0], Bounded):
                # A window is a stretch of time ("trong năm 2027", "giai đoạn 2026-2030");
                # a day or a "trước" is a due date this reading cannot place.
                if g[0].before or any(m.unit == "day" for m in g[0].members):
                    return None
                first = not (period or periodic or ongoing or anchors or window)
                dated_first = dated_first or (first and g[0].members[-1].year is not None)
                window.extend(g[0].members)
                j = g[1]
            else:
                break
        if period is None and periodic:
            period = "quarterly"  # "Báo cáo định kỳ": a periodic report is quarterly
        if period is None and not ongoing and unsupported is None:
            return None
        anchor, ambiguous = self.resolve_anchor(anchors, period)
        reading = Repeat(
            period,
            ongoing,
            anchor,
            ambiguous,
            tuple(window),
            start,
            unsupported,
            dated_first,
            until,
        )
        return reading, j

    def frequency(self, i: int) -> _Result[tuple[str | None, str | None]]:
        lead = self.one_of(i, ("dinh ky hang", "dinh ky moi", "dinh ky", "hang", "moi"))
        if lead is not None:
            for word, period in _PERIOD_WORDS:
                if (k := self.word(lead[1], word)) is not None:
                    if period in ("weekly", "daily"):
                        return (None, word), k
                    return (period, None), k
            if lead[0] == "dinh ky":
                return ("periodic", None), lead[1]
            return None
        n = self.num(i, 1, 12)
        if n is not None and (k := self.word(n[1], "thang")) is not None:
            for sep in ("mot lan", "1 lan", "/ lan", "/ 1 lan"):
                if (m := self.word(k, sep)) is not None and n[0] in (1, 3, 6, 12):
                    period = {1: "monthly", 3: "quarterly", 6: "half_yearly", 12: "yearly"}[n[0]]
                    return (period, None), m
        return None

    def anchor(self, i: int) -> _Result[tuple[str, int, int, str | None]]:
        """A day in each period: (which month, month offset, day, the period it implies)."""
        _, j = self.many(i, ("truoc", "cham nhat", "vao", "la", "khong qua"))
        k = self.word(j, "ngay") or j
        if k == j and j == i:
            return None
        d = self.num(k, 1, 31)
        if d is None:
            return None
        k = d[1]
        if (slash := self.word(k, "/")) is not None and (mm := self.num(slash, 1, 12)) is not None:
            if self.word(mm[1], "/") is not None:
                return None  # a full date: not an anchor
            return ("yearly", mm[0] - 1, d[0], None), mm[1]
        k = self.word(k, "cua") or k
        if (each := self.one_of(k, ("hang thang", "moi thang"))) is not None:
            return ("monthly", 0, d[0], "monthly"), each[1]
        if (m := self.word(k, "thang")) is None:
            return ("bare", 0, d[0], None), k
        if (n := self.num(m, 1, 12)) is not None and self.word(n[1], "/") is None:
            return ("yearly", n[0] - 1, d[0], None), n[1]
        which = self.one_of(m, ("dau", "giua", "cuoi cung", "cuoi", "thu", "sau", "tiep theo",
                                "ke tiep"))  # fmt: skip
        if which is None:
            return ("this_month", 0, d[0], None), m
        k = which[1]
        ordinal = {"dau": 1, "giua": 2, "cuoi": -1, "cuoi cung": -1}.get(which[0])
        if which[0] == "thu" and (n := self.roman_or_num(k, 12)) is not None:
            ordinal, k = n[0], n[1]
        if which[0] in ("sau", "tiep theo", "ke tiep"):
            return ("next_month", 1, d[0], None), k
        k = self.word(k, "cua") or k
        of = self.one_of(k, ("quy", "nam", "ky"))
        nxt = False
        if of is not None:
            k = of[1]
            if (s := self.one_of(k, ("sau", "tiep theo", "ke tiep"))) is not None:
                nxt, k = True, s[1]
        kind = f"{'next_' if nxt else ''}{of[0] if of else 'ky'}:{ordinal}"
        return (kind, 0, d[0], None), k

    @staticmethod
    def resolve_anchor(
        anchors: list[tuple[str, int, int, str | None]], period: str | None
    ) -> tuple[tuple[int, int] | None, bool]:
        """(months from the period's start, day) for the one anchor, if it is clear."""
        if not anchors:
            return None, False
        if len(anchors) > 1 or period is None:
            return None, True
        kind, offset, day, _ = anchors[0]
        size = {"monthly": 1, "quarterly": 3, "half_yearly": 6, "yearly": 12}[period]
        if kind in ("monthly", "this_month", "bare") and period == "monthly":
            return (0, day), False
        if kind == "next_month" and period == "monthly":
            return (1, day), False
        if kind == "yearly" and period == "yearly":
            return (offset, day), False
        if ":" in kind:
            scope, ordinal_text = kind.split(":")
            ordinal = int(ordinal_text)
            base = scope.removeprefix("next_")
            fits = {"quarterly": ("quy", "ky"), "yearly": ("nam", "ky"), "half_yearly": ("ky",)}
            if base in fits.get(period, ()):
                month = size - 1 if ordinal == -1 else ordinal - 1
                if 0 <= month < size:
                    return (month + (size if scope.startswith("next_") else 0), day), False
        return None, True  # "Hằng quý, trước ngày 15": the 15th of which month?
