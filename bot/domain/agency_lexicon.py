"""The words of agency cells: tokens with their offsets, and the tries they are read with.

A token is a folded word (diacritics off, abbreviations spelled out: "UBND" → "uy ban nhan
dan") or a punctuation mark, with its span in the cell, so that what is read can be
quoted back exactly as written. The tries hold the phrases of
:mod:`bot.domain.agency_words`; a :class:`Trie` walk finds every phrase that starts at a
token.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from bot.domain import agency_words as words
from bot.domain.text import fold_aligned

RoleHint = Literal["lead", "coordinate"]

WORD, COMMA, SEP, JOIN, OPEN, CLOSE, COLON = "w", ",", "sep", "join", "(", ")", ":"


@dataclass(frozen=True)
class Tok:
    """A word (folded) or a punctuation mark of a cell, with its span in the cell."""

    kind: str
    text: str  # the folded word, or the punctuation
    start: int
    end: int


_RAW = re.compile(r"\w+|\n|[^\w\s]")
_BULLETS = "-–—+•*·"


def _raw_tokens(text: str) -> list[Tok]:
    """Tokens of NFC ``text``, with offsets into it; a line break is a separator."""
    text = unicodedata.normalize("NFC", text)
    folded = "".join(
        "\n" if ch == "\n" else f for ch, f in zip(text, fold_aligned(text), strict=True)
    )
    out: list[Tok] = []
    depth = 0
    for m in _RAW.finditer(folded):
        s, e, t = m.start(), m.end(), m.group()
        if t[0].isalnum() or t[0] == "_":
            out.append(Tok(WORD, t, s, e))
        elif t == ";" and depth > 0 and re.search(r"[)\]]", folded[e:].split("\n")[0]):
            # "(trừ Sở Y tế; Sở Nội vụ)": inside brackets a semicolon lists, like a comma
            out.append(Tok(COMMA, ",", s, e))
        elif t == "\n" or t == ";":
            out.append(Tok(SEP, t, s, e))
        elif t == ",":
            out.append(Tok(COMMA, t, s, e))
        elif t in "([":
            depth += 1
            out.append(Tok(OPEN, t, s, e))
        elif t in ")]":
            depth = max(0, depth - 1)
            out.append(Tok(CLOSE, t, s, e))
        elif t == ":":
            out.append(Tok(COLON, t, s, e))
        elif (
            t in _BULLETS
            and (s == 0 or folded[s - 1].isspace())
            and (e == len(folded) or folded[e].isspace())
        ):
            out.append(Tok(SEP, "-", s, e))  # a spaced dash: a bullet, or a name's dash
        else:
            out.append(Tok(JOIN, t, s, e))
    return out


_ABBR = sorted(
    ((tuple(a.split()), tuple(b.split())) for a, b in words.ABBREVIATIONS.items()),
    key=lambda ab: -len(ab[0]),
)


def tokenize(text: str) -> list[Tok]:
    """Tokens with abbreviations spelled out; each spelled-out word keeps the source span."""
    raw = _raw_tokens(text)
    out: list[Tok] = []
    i = 0
    while i < len(raw):
        t = raw[i]
        if t.kind == WORD:
            for short, long in _ABBR:
                j, n, ok = i, 0, True
                while n < len(short):
                    while j < len(raw) and raw[j].kind == JOIN and n > 0:
                        j += 1
                    if j >= len(raw) or raw[j].kind != WORD or raw[j].text != short[n]:
                        ok = False
                        break
                    j, n = j + 1, n + 1
                if ok:
                    out.extend(Tok(WORD, w, t.start, raw[j - 1].end) for w in long)
                    i = j
                    break
            else:
                out.append(t)
                i += 1
        else:
            out.append(t)
            i += 1
    return out


def words_of(text: str) -> tuple[str, ...]:
    """The folded words of ``text``, abbreviations spelled out."""
    return tuple(t.text for t in tokenize(text) if t.kind == WORD)


def key_words(name: str) -> list[tuple[str, ...]]:
    """The word sequences a name is indexed under: with its commas and without, with and
    without "và" ("Sở Kế hoạch Đầu tư" is how many write "Sở Kế hoạch và Đầu tư")."""
    with_commas = tuple(t.text for t in tokenize(name) if t.kind in (WORD, COMMA))
    bare = tuple(w for w in with_commas if w != ",")
    variants = {with_commas, bare}
    variants |= {tuple(w for w in v if w != "va") for v in list(variants)}
    return [tuple(_strip_commas(v)) for v in variants if any(w != "," for w in v)]


def _strip_commas(v: tuple[str, ...]) -> Iterator[str]:
    prev = ","
    for w in v:
        if not (w == "," and prev == ","):
            yield w
        prev = w
    # a trailing comma cannot be matched usefully; callers never index one


# --- the lexicon -----------------------------------------------------------------------

_END = "$"


@dataclass(frozen=True)
class Target:
    """What a phrase is: a registered agency, a class of agencies, or an official name."""

    what: Literal["entry", "class", "known"]
    value: str  # a code, a class target, or an official name
    strong: bool = True


class Trie:
    """Phrases as sequences of words (and commas where a name has them)."""

    def __init__(self) -> None:
        self.root: dict[str, Any] = {}

    def add(self, seq: tuple[str, ...], target: Target) -> None:
        """Index ``seq`` as ``target``."""
        node = self.root
        for w in seq:
            node = node.setdefault(w, {})
        found: list[Target] = node.setdefault(_END, [])
        if target not in found:
            found.append(target)

    def walk(
        self, toks: list[Tok], pos: int, prefix: tuple[str, ...] = ()
    ) -> tuple[int, list[Target]] | None:
        """The longest entry starting at ``pos`` (after ``prefix``): (end, targets)."""
        found = self.walk_all(toks, pos, prefix)
        return found[-1] if found else None

    def walk_all(
        self, toks: list[Tok], pos: int, prefix: tuple[str, ...] = ()
    ) -> list[tuple[int, list[Target]]]:
        """Every entry starting at ``pos`` (after ``prefix``), shortest first."""
        node: dict[str, Any] = self.root
        for w in prefix:
            nxt = node.get(w)
            if not isinstance(nxt, dict):
                return []
            node = nxt
        found: list[tuple[int, list[Target]]] = []
        i = pos
        while i < len(toks):
            t = toks[i]
            if t.kind == SEP and t.text != ";" and found and found[-1][0] == i:
                break  # a whole name ends at a line break or a bullet: the next line is new
            if t.kind in (JOIN, SEP) and t.text != ";":
                i += 1  # "Lao động - Thương binh", a name broken over two lines
                continue
            step = t.text if t.kind in (WORD, COMMA) else None
            nxt = node.get(step) if step else None
            if not isinstance(nxt, dict):
                break
            node = nxt
            i += 1
            ends = node.get(_END)
            if isinstance(ends, list) and t.kind == WORD:
                found.append((i, ends))
        return found


KNOWN = Trie()
for _phrase, _target, _strong in words.CLASSES:
    for _seq in key_words(_phrase):
        KNOWN.add(_seq, Target("class", _target, _strong))
for _name in words.OFFICIAL_NAMES:
    for _seq in key_words(_name):
        KNOWN.add(_seq, Target("known", _name))
        if _seq[-1] != "tinh":
            KNOWN.add((*_seq, "tinh"), Target("known", _name))


def phrases(items: Iterable[str]) -> Trie:
    """A trie of plain phrases: role words, connectors, titles…"""
    trie = Trie()
    for item in items:
        for seq in key_words(item):
            trie.add(seq, Target("known", item))
    return trie


ROLE_WORDS = phrases(words.ROLE_WORDS)
COORDINATING = phrases(words.COORDINATING)
QUALIFIERS = [words_of(p) for p in ("có liên quan", "liên quan", "được kiểm tra", "được chọn")]
# After a class, these pick the relevant ones: not all of them, so a group kept as text.
RELEVANT = [words_of(p) for p in ("có liên quan", "liên quan", "có trách nhiệm liên quan")]
CUTTING = phrases(words.CUTTING_ROLE_WORDS)
GENERAL = phrases(words.GENERAL_HEADS)
CONNECTORS = phrases(words.CONNECTORS)
TITLES = phrases(words.TITLES)
OPENINGS = phrases(words.OPENINGS)
HEADS = sorted(((words_of(h), h) for h in words.LIST_HEADS), key=lambda hl: -len(hl[0]))
ROLE_LABELS = [(words_of(p), role) for p, role in words.ROLE_LABELS]
# Role words that take an agency as object ("tham mưu UBND tỉnh"), and plural markers.
LINKING = [words_of(p) for p in words.ROLE_WORDS if p not in words.CLOSING_ROLE_WORDS] + [
    ("cac",),
    ("nhung",),
]
EXCLUSIONS = phrases(words.EXCLUSIONS)
# Role words whose object can be an agency: "hướng dẫn Sở Nội vụ, Sở Tài chính" names
# both as objects (mentioned), not as parts.
OBJECT_VERBS = phrases(words.OBJECT_VERBS)
LEAD_WORDS = {("chu", "tri"), ("la", "co", "quan", "chu", "tri"), ("lam", "dau", "moi")}


# The registry kind a plural head's members are ("UBND các thành phố" → districts).
PLURAL_KINDS = {words_of(head): kind for head, kind in words.PLURAL_KINDS.items()}
PLURALS = [
    (words_of(plural), words_of(head))
    for full, head in words.PLURAL_HEADS
    for plural in (full, full.removeprefix("UBND "))
]


def head_of(seq: tuple[str, ...]) -> tuple[str, ...] | None:
    """The list head a name starts with ("Sở", "UBND huyện"), for shorthand lists."""
    for head, _label in HEADS:
        if seq[: len(head)] == head and len(seq) > len(head):
            return head
    return None


def head_label(head: tuple[str, ...]) -> str:
    """The head as written, for saying what a shorthand item was read as."""
    return next(label for words_, label in HEADS if words_ == head)


@dataclass(frozen=True)
class Found:
    """A phrase found at a position: where it ends, and what it names."""

    end: int
    targets: list[Target]


def role_of(toks: list[Tok], pos: int) -> RoleHint | None:
    """The role the words at ``pos`` give: "phối hợp" coordinates, "chủ trì" leads."""
    seq = tuple(t.text for t in toks[pos : pos + 5] if t.kind == WORD)
    if seq[:2] == ("phoi", "hop") or seq[1:4] in {("vi", "phoi", "hop"), ("quan", "phoi", "hop")}:
        return "coordinate"  # "(đơn vị phối hợp)"
    if seq[:2] in {("co", "quan"), ("don", "vi")} and seq[2:4] == ("chu", "tri"):
        return "lead"  # "(cơ quan chủ trì)"
    if any(seq[: len(w)] == w for w in LEAD_WORDS):
        return "lead"
    return None


_BARE_ROLES = {
    *LEAD_WORDS,
    ("phoi", "hop"),
    ("la", "don", "vi", "chu", "tri"),
    *(words_of(p) for p, _role in words.ROLE_LABELS),
}
_BARE_TAILS = {(), ("thuc", "hien"), ("trien", "khai"), ("trien", "khai", "thuc", "hien")}


def bare_role(toks: list[Tok], start: int, end: int) -> bool:
    """The words ``start``..``end`` only say the role ("chủ trì", "(phối hợp)", "chủ trì
    thực hiện", "cơ quan chủ trì"): a role, not a scope."""
    seq = tuple(t.text for t in toks[start:end] if t.kind == WORD)
    if any(t.kind not in (WORD, JOIN) for t in toks[start:end]):
        return False
    return any(seq[: len(role)] == role and seq[len(role) :] in _BARE_TAILS for role in _BARE_ROLES)


def qualifier_end(toks: list[Tok], pos: int) -> int | None:
    """Where a qualifier that picks the relevant ones of a class ends: "có liên quan",
    "khác có liên quan"."""
    if pos < len(toks) and toks[pos].text == "khac":
        pos += 1
    for seq in RELEVANT:
        end = match_seq(toks, pos, seq)
        if end is not None:
            return end
    return None


def match_any(toks: list[Tok], pos: int, seqs: list[tuple[str, ...]]) -> bool:
    """Whether one of ``seqs`` starts at ``pos``."""
    return any(match_seq(toks, pos, seq) is not None for seq in seqs)


def match_seq(toks: list[Tok], pos: int, seq: tuple[str, ...]) -> int | None:
    """Where ``seq`` ends when it starts at ``pos`` (punctuation joins skipped)."""
    i = pos
    for w in seq:
        while i < len(toks) and toks[i].kind == JOIN:
            i += 1
        if i >= len(toks) or toks[i].text != w:
            return None
        i += 1
    return i


_ITEM_NUMBER = re.compile(r"^(?:\d{1,2}|[a-h])$")


def item_markers(toks: list[Tok]) -> dict[int, int]:
    """Item numbers in a cell ("1. Sở Tài chính: …; 2. Sở Nội vụ …", "a) …  b) …"):
    token index → index after the marker. Numbers must follow each other from 1 (or a)."""
    markers: dict[int, int] = {}
    expected = {"digit": 1, "letter": "a"}
    for i, t in enumerate(toks[:-1]):
        if t.kind != WORD or not _ITEM_NUMBER.match(t.text):
            continue
        after = toks[i + 1]
        if not (after.kind in (JOIN, CLOSE) and after.text in ".)"):
            continue
        at_start = i == 0 or toks[i - 1].kind in (SEP, COLON)
        if t.text.isdigit():
            if int(t.text) != expected["digit"] or (int(t.text) == 1 and not at_start):
                continue
            expected["digit"] = int(t.text) + 1
        else:
            if (
                after.text != ")"
                or t.text != expected["letter"]
                or (t.text == "a" and not at_start)
            ):
                continue
            expected["letter"] = chr(ord(t.text) + 1)
        markers[i] = i + 2
    return markers
