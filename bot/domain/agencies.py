"""Read a lead/coordinating cell ("Các sở, ban, ngành; UBND cấp huyện") into agencies' parts.

A cell is read whole, left to right, the way an officer reads it; partial understanding
is not a reading. Every word ends up in one of:

- a **name** of a registered agency (or an alias), or a **class** of agencies ("Các sở,
  ban, ngành", "UBND các xã, phường, thị trấn", "các bộ, cơ quan ngang bộ") expanded to
  the registry's members of that kind. Names are matched longest first, so a registered
  name is never cut by a word inside it ("Sở Xây dựng", "Sở Văn hóa, Thể thao và Du
  lịch"); official names of departments and ministries are known even before the
  registry lists them, so an unregistered one is reported whole;
- the **scope** of the part just named: text in parentheses, after a colon, or after a
  role word ("chủ trì", "tham mưu", "theo chức năng, nhiệm vụ"…), kept as written. A
  numbered or bulleted item's text is its lead's scope;
- **general** text naming no agency ("các doanh nghiệp", "các cơ quan, đơn vị có liên
  quan"), kept but never reminded;
- separators: commas, semicolons, "và", line breaks, bullets and item numbers;
- or an **unknown** fragment: an error that names the fragment and the whole cell, with
  the closest registered names. Nothing is dropped silently.

``scope`` (the keyword of :meth:`Registry.match`) is the code of the agency that issued
the plan: inside a department's own plan, "Văn phòng Sở" and "Các phòng, đơn vị" mean
that department's units.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Literal

from bot.domain import agency_words as words
from bot.domain.text import fold_aligned, key


class Kind(StrEnum):
    PROVINCE = "tinh"  # UBND tỉnh
    DEPARTMENT = "so"  # sở, ban, ngành cấp tỉnh
    DISTRICT = "huyen"  # UBND cấp huyện
    COMMUNE = "xa"  # UBND cấp xã
    UNIT = "phong"  # a unit inside an agency: phòng, văn phòng sở, trung tâm trực thuộc
    MINISTRY = "bo"  # bộ, cơ quan ngang bộ (plans issued by the government or a ministry)
    OTHER = "khac"  # mass organisations and central agencies' local branches


KIND_LABELS = {
    Kind.PROVINCE: "UBND tỉnh",
    Kind.DEPARTMENT: "Sở, ban, ngành",
    Kind.DISTRICT: "UBND cấp huyện",
    Kind.COMMUNE: "UBND cấp xã",
    Kind.UNIT: "Phòng, đơn vị trực thuộc",
    Kind.MINISTRY: "Bộ, cơ quan ngang bộ",
    Kind.OTHER: "Cơ quan khác",
}


def parse_kind(text: str) -> Kind | None:
    """Read a kind written by an admin: "sở", "so", "UBND cấp huyện", "huyen"…"""
    folded = key(text)
    for kind in Kind:
        if folded in {kind.value, key(KIND_LABELS[kind])}:
            return kind
    aliases = {
        "ubnd tinh": Kind.PROVINCE,
        "cap huyen": Kind.DISTRICT,
        "cap xa": Kind.COMMUNE,
        "don vi": Kind.UNIT,
        "phong ban": Kind.UNIT,
        "nganh": Kind.DEPARTMENT,
        "bo nganh": Kind.MINISTRY,
        "co quan ngang bo": Kind.MINISTRY,
    }
    return aliases.get(folded)


@dataclass(frozen=True)
class AgencyEntry:
    code: str
    name: str
    kind: Kind
    parent: str | None = None
    aliases: tuple[str, ...] = ()


RoleHint = Literal["lead", "coordinate"]


@dataclass(frozen=True)
class Part:
    """One agency named by a cell, with what its part covers."""

    code: str
    via: str  # the words that named it: "Sở Y tế", "Các sở, ban, ngành"
    scope: str = ""  # "đối với cơ sở y tế", "tham mưu UBND tỉnh", an item's text
    role: RoleHint | None = None  # when the cell says it ("Sở Tư pháp phối hợp")


@dataclass(frozen=True)
class Unknown:
    """A fragment of a cell that names no known agency."""

    text: str
    suggestions: tuple[str, ...]
    cell: str = ""
    reason: str = ""  # why, when it is not simply missing from the registry

    def describe(self, *, with_cell: bool = True) -> str:
        """The fragment, why it is not read, the closest names, and the whole cell."""
        what = f"“{self.text}”"
        notes = [self.reason] if self.reason else []
        if self.suggestions:
            notes.append(f"có phải: {', '.join(self.suggestions)}?")
        if notes:
            what += f" ({'; '.join(notes)})"
        if with_cell and self.cell and " ".join(self.cell.split()) != self.text:
            what += f" trong ô “{' '.join(self.cell.split())}”"
        return what


@dataclass(frozen=True)
class Match:
    """The reading of one cell."""

    parts: tuple[Part, ...] = ()
    unknown: tuple[Unknown, ...] = ()
    general: tuple[str, ...] = ()  # "các cơ quan, đơn vị có liên quan": kept as text
    mentions: tuple[str, ...] = ()  # codes named inside a scope: "tham mưu UBND tỉnh"
    cell: str = ""

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.code for p in self.parts))

    @property
    def only_general(self) -> bool:
        """The cell names only groups that are not agencies: nobody to remind yet."""
        return bool(self.general) and not self.parts and not self.unknown


Reading = Match


def describe_unknown(items: Iterable[Unknown]) -> str:
    """Fragments of one cell, then the cell once: “A” (…); “B” (…) trong ô “…”."""
    items = list(items)
    text = "; ".join(u.describe(with_cell=False) for u in items)
    cells = {" ".join(u.cell.split()) for u in items if u.cell} - {u.text for u in items}
    if len(cells) == 1:
        text += f" trong ô “{cells.pop()}”"
    elif cells:
        return "; ".join(u.describe() for u in items)
    return text


@dataclass(frozen=True)
class Assigned:
    """One agency's part of a task, from both of its cells."""

    code: str
    role: RoleHint
    scope: str


def assign(lead: Match, coordinate: Match) -> list[Assigned]:
    """Each agency's part: its role is the column's unless the cell says otherwise ("Sở
    Tư pháp phối hợp" in a lead cell); an agency named in both columns leads."""
    parts: dict[str, Assigned] = {}
    for column, reading in (("lead", lead), ("coordinate", coordinate)):
        for p in reading.parts:
            role: RoleHint = p.role or column  # type: ignore[assignment]
            old = parts.get(p.code)
            if old is None:
                parts[p.code] = Assigned(p.code, role, p.scope)
            elif old.role == "coordinate" and role == "lead":
                parts[p.code] = Assigned(p.code, role, p.scope or old.scope)
    return list(parts.values())


# --- tokens ------------------------------------------------------------------------------

_WORD, _COMMA, _SEP, _JOIN, _OPEN, _CLOSE, _COLON = "w", ",", "sep", "join", "(", ")", ":"


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str  # the folded word, or the punctuation
    start: int
    end: int


_RAW = re.compile(r"\w+|\n|[^\w\s]")
_BULLETS = "-–—+•*·"


def _raw_tokens(text: str) -> list[_Tok]:
    """Tokens of NFC ``text``, with offsets into it; a line break is a separator."""
    text = unicodedata.normalize("NFC", text)
    folded = "".join(
        "\n" if ch == "\n" else f for ch, f in zip(text, fold_aligned(text), strict=True)
    )
    out: list[_Tok] = []
    for m in _RAW.finditer(folded):
        s, e, t = m.start(), m.end(), m.group()
        if t[0].isalnum() or t[0] == "_":
            out.append(_Tok(_WORD, t, s, e))
        elif t == "\n" or t == ";":
            out.append(_Tok(_SEP, t, s, e))
        elif t == ",":
            out.append(_Tok(_COMMA, t, s, e))
        elif t in "([":
            out.append(_Tok(_OPEN, t, s, e))
        elif t in ")]":
            out.append(_Tok(_CLOSE, t, s, e))
        elif t == ":":
            out.append(_Tok(_COLON, t, s, e))
        elif (
            t in _BULLETS
            and (s == 0 or folded[s - 1].isspace())
            and (e == len(folded) or folded[e].isspace())
        ):
            out.append(_Tok(_SEP, "-", s, e))  # a spaced dash: a bullet, or a name's dash
        else:
            out.append(_Tok(_JOIN, t, s, e))
    return out


_ABBR = sorted(
    ((tuple(a.split()), tuple(b.split())) for a, b in words.ABBREVIATIONS.items()),
    key=lambda ab: -len(ab[0]),
)


def _tokens(text: str) -> list[_Tok]:
    """Tokens with abbreviations spelled out; each spelled-out word keeps the source span."""
    raw = _raw_tokens(text)
    out: list[_Tok] = []
    i = 0
    while i < len(raw):
        t = raw[i]
        if t.kind == _WORD:
            for short, long in _ABBR:
                j, n, ok = i, 0, True
                while n < len(short):
                    while j < len(raw) and raw[j].kind == _JOIN and n > 0:
                        j += 1
                    if j >= len(raw) or raw[j].kind != _WORD or raw[j].text != short[n]:
                        ok = False
                        break
                    j, n = j + 1, n + 1
                if ok:
                    out.extend(_Tok(_WORD, w, t.start, raw[j - 1].end) for w in long)
                    i = j
                    break
            else:
                out.append(t)
                i += 1
        else:
            out.append(t)
            i += 1
    return out


def _words(text: str) -> tuple[str, ...]:
    return tuple(t.text for t in _tokens(text) if t.kind == _WORD)


def _key_words(name: str) -> list[tuple[str, ...]]:
    """The word sequences a name is indexed under: with its commas and without, with and
    without "và" ("Sở Kế hoạch Đầu tư" is how many write "Sở Kế hoạch và Đầu tư")."""
    with_commas = tuple(t.text for t in _tokens(name) if t.kind in (_WORD, _COMMA))
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
class _Target:
    what: Literal["entry", "class", "known"]
    value: str  # a code, a class target, or an official name
    strong: bool = True


class _Trie:
    def __init__(self) -> None:
        self.root: dict[str, Any] = {}

    def add(self, seq: tuple[str, ...], target: _Target) -> None:
        node = self.root
        for w in seq:
            node = node.setdefault(w, {})
        found: list[_Target] = node.setdefault(_END, [])
        if target not in found:
            found.append(target)

    def walk(
        self, toks: list[_Tok], pos: int, prefix: tuple[str, ...] = ()
    ) -> tuple[int, list[_Target]] | None:
        """The longest entry starting at ``pos`` (after ``prefix``): (end, targets)."""
        found = self.walk_all(toks, pos, prefix)
        return found[-1] if found else None

    def walk_all(
        self, toks: list[_Tok], pos: int, prefix: tuple[str, ...] = ()
    ) -> list[tuple[int, list[_Target]]]:
        """Every entry starting at ``pos`` (after ``prefix``), shortest first."""
        node: dict[str, Any] = self.root
        for w in prefix:
            nxt = node.get(w)
            if not isinstance(nxt, dict):
                return []
            node = nxt
        found: list[tuple[int, list[_Target]]] = []
        i = pos
        while i < len(toks):
            t = toks[i]
            if t.kind == _SEP and t.text != ";" and found and found[-1][0] == i:
                break  # a whole name ends at a line break or a bullet: the next line is new
            if t.kind in (_JOIN, _SEP) and t.text != ";":
                i += 1  # "Lao động - Thương binh", a name broken over two lines
                continue
            step = t.text if t.kind in (_WORD, _COMMA) else None
            nxt = node.get(step) if step else None
            if not isinstance(nxt, dict):
                break
            node = nxt
            i += 1
            ends = node.get(_END)
            if isinstance(ends, list) and t.kind == _WORD:
                found.append((i, ends))
        return found


_KNOWN = _Trie()
for _phrase, _target, _strong in words.CLASSES:
    for _seq in _key_words(_phrase):
        _KNOWN.add(_seq, _Target("class", _target, _strong))
for _name in words.OFFICIAL_NAMES:
    for _seq in _key_words(_name):
        _KNOWN.add(_seq, _Target("known", _name))
        if _seq[-1] != "tinh":
            _KNOWN.add((*_seq, "tinh"), _Target("known", _name))


def _phrases(items: Iterable[str]) -> _Trie:
    trie = _Trie()
    for item in items:
        for seq in _key_words(item):
            trie.add(seq, _Target("known", item))
    return trie


_ROLE_WORDS = _phrases(words.ROLE_WORDS)
_COORDINATING = _phrases(words.COORDINATING)
_QUALIFIERS = [_words(p) for p in ("có liên quan", "liên quan", "được kiểm tra", "được chọn")]
_CUTTING = _phrases(words.CUTTING_ROLE_WORDS)
_GENERAL = _phrases(words.GENERAL_HEADS)
_CONNECTORS = _phrases(words.CONNECTORS)
_TITLES = _phrases(words.TITLES)
_HEADS = sorted(((_words(h), h) for h in words.LIST_HEADS), key=lambda hl: -len(hl[0]))
_ROLE_LABELS = [(_words(p), role) for p, role in words.ROLE_LABELS]
# Role words that take an agency as object ("tham mưu UBND tỉnh"), and plural markers.
_LINKING = [_words(p) for p in words.ROLE_WORDS if p not in words.CLOSING_ROLE_WORDS] + [
    ("cac",),
    ("nhung",),
]
_LEAD_WORDS = {("chu", "tri"), ("la", "co", "quan", "chu", "tri"), ("lam", "dau", "moi")}


_PLURALS = [
    (_words(plural), _words(head))
    for full, head in words.PLURAL_HEADS
    for plural in (full, full.removeprefix("UBND "))
]


def _head_of(seq: tuple[str, ...]) -> tuple[str, ...] | None:
    for head, _label in _HEADS:
        if seq[: len(head)] == head and len(seq) > len(head):
            return head
    return None


def _head_label(head: tuple[str, ...]) -> str:
    return next(label for words_, label in _HEADS if words_ == head)


# --- the registry and the reader ----------------------------------------------------------


_UBND = ("uy", "ban", "nhan", "dan")
_LOCAL = (Kind.PROVINCE, Kind.DISTRICT, Kind.COMMUNE)


class Registry:
    """The agencies a plan can name, indexed for reading cells."""

    def __init__(self, entries: Iterable[AgencyEntry]) -> None:
        self.entries = {e.code: e for e in entries}
        self._trie = _Trie()
        self._units: dict[str, list[str]] = defaultdict(list)
        self._kinds: dict[Kind, list[str]] = defaultdict(list)
        self._keys: dict[str, list[str]] = defaultdict(list)  # for suggestions
        for e in self.entries.values():
            for name in (e.name, *e.aliases):
                for seq in _key_words(name):
                    self._trie.add(seq, _Target("entry", e.code))
                    place = seq[4:]  # "UBND huyện Trảng Bom" is also "huyện Trảng Bom"
                    if e.kind in _LOCAL and seq[:4] == _UBND and len(place) >= 2:
                        self._trie.add(place, _Target("entry", e.code))
                    if e.kind in (Kind.DEPARTMENT, Kind.OTHER) and seq[-1] != "tinh":
                        self._trie.add((*seq, "tinh"), _Target("entry", e.code))
                k = " ".join(_words(name))
                if e.code not in self._keys[k]:
                    self._keys[k].append(e.code)
            self._kinds[e.kind].append(e.code)
            if e.parent:
                self._units[e.parent].append(e.code)

    def match(self, cell: str, *, scope: str | None = None) -> Match:
        """Read ``cell``; ``scope`` is the code of the plan's issuer (see the module doc)."""
        return _Reader(self, cell or "", scope).read()

    def name(self, code: str) -> str:
        return self.entries[code].name

    # -- used by the reader --

    def walk(self, toks: list[_Tok], pos: int, prefix: tuple[str, ...] = ()) -> _Found | None:
        """The longest name or class at ``pos``: the registry's first, then the lexicon's."""
        found = self.walk_all(toks, pos, prefix)
        return found[-1] if found else None

    def walk_all(self, toks: list[_Tok], pos: int, prefix: tuple[str, ...] = ()) -> list[_Found]:
        """Every name or class at ``pos``, shortest first; at one end the registry's."""
        by_end: dict[int, list[_Target]] = {}
        for end, targets in _KNOWN.walk_all(toks, pos, prefix):
            by_end[end] = targets
        for end, targets in self._trie.walk_all(toks, pos, prefix):
            by_end[end] = targets
        return [_Found(end, by_end[end]) for end in sorted(by_end)]

    def starts_strong(self, toks: list[_Tok], pos: int) -> bool:
        """A registered name or a strong class starts at ``pos``: a new item begins."""
        found = self.walk(toks, pos)
        if found is None and (title := _TITLES.walk(toks, pos)):
            found = self.walk(toks, title[0])  # "…, Chủ tịch UBND các huyện"
        return found is not None and any(
            t.what == "entry" or (t.what == "class" and t.strong) for t in found.targets
        )

    def expand(self, target: str, scope: str | None) -> list[str] | None:
        """A class's members; None when the class means nothing here (units, no issuer)."""
        if target == "units":
            return list(self._units.get(scope or "", [])) or None
        if target == "local":
            return self._local()
        if target == "central+local":
            return self._kinds.get(Kind.MINISTRY, []) + self._local()
        return [c for kind in target.split("+") for c in self._kinds.get(Kind(kind), [])]

    def _local(self) -> list[str]:
        levels = (
            (Kind.PROVINCE,) if self._kinds.get(Kind.MINISTRY) else (Kind.DISTRICT, Kind.COMMUNE)
        )
        for kind in levels:
            if self._kinds.get(kind):
                return list(self._kinds[kind])
        return []

    def suggest(self, text: str, scope: str | None) -> tuple[str, ...]:
        k = " ".join(t.text for t in _tokens(text) if t.kind == _WORD)
        close = difflib.get_close_matches(k, list(self._keys), n=3, cutoff=0.6)
        names: list[str] = []
        for c in close:
            for code in self._keys[c]:
                entry = self.entries[code]
                if scope is None or entry.parent in (None, scope):
                    names.append(entry.name)
        return tuple(dict.fromkeys(names))[:3]


@dataclass(frozen=True)
class _Found:
    end: int
    targets: list[_Target]


@dataclass
class _Item:
    parts: list[int] = field(default_factory=list)  # indices into the reader's parts
    scoped: bool = False


class _Reader:
    """One left-to-right pass over one cell."""

    def __init__(self, registry: Registry, cell: str, scope: str | None) -> None:
        self.reg = registry
        self.cell = unicodedata.normalize("NFC", cell)  # token offsets are into NFC text
        self.scope = scope
        self.toks = _tokens(self.cell)
        self.markers = _item_markers(self.toks)
        self.numbered = len(self.markers) >= 2
        self.parts: list[Part] = []
        self.unknown: list[Unknown] = []
        self.general: list[str] = []
        self.mentions: list[str] = []
        # the current clause (between separators)
        self.items: list[_Item] = []
        self.list_head: tuple[str, ...] | None = None
        self.last_head: tuple[str, ...] | None = None
        self.role: RoleHint | None = None
        self.joined = False  # the last token was a comma or "và": a list goes on

    def read(self) -> Match:
        pos = 0
        while pos < len(self.toks):
            pos = self._step(pos)
        return Match(
            parts=_merge(self.parts),
            unknown=tuple(self.unknown),
            general=tuple(dict.fromkeys(self.general)),
            mentions=tuple(c for c in dict.fromkeys(self.mentions) if c not in
                           {p.code for p in self.parts}),
            cell=self.cell,
        )  # fmt: skip

    def text(self, start: int, end: int) -> str:
        """The original words of tokens ``start``..``end``, trimmed of separators."""
        if start >= end:
            return ""
        raw = self.cell[self.toks[start].start : self.toks[end - 1].end]
        return " ".join(raw.split()).strip(" ,;:.-–")

    def _clause_end(self) -> None:
        self.items, self.list_head, self.last_head, self.role = [], None, None, None
        self.joined = False

    def _step(self, pos: int) -> int:
        t = self.toks[pos]
        if pos in self.markers:
            self._clause_end()
            return self.markers[pos]
        if t.kind == _SEP:
            self._clause_end()
            return pos + 1
        if t.kind in (_COMMA, _JOIN, _CLOSE):
            self.joined = self.joined or t.kind == _COMMA
            return pos + 1
        if t.kind == _OPEN:
            return self._parenthesis(pos)
        if t.kind == _COLON:
            if self.items:
                return self._scope(pos + 1, self.items)
            return pos + 1
        if (found := _CONNECTORS.walk(self.toks, pos)) and self._next_is_item(found[0]):
            self.joined = True
            return found[0]
        if not self.items and (label := self._role_label(pos)):
            return label
        if head := self._list_head(pos):
            return head
        if (found_name := self._name(pos)) is not None:
            return found_name
        if co := _COORDINATING.walk(self.toks, pos):
            # "Sở Y tế chủ trì, phối hợp với các sở, ngành": the agencies after it coordinate.
            self.items, self.role, self.joined = [], "coordinate", True
            return co[0]
        if self.items and (role := _ROLE_WORDS.walk(self.toks, pos)):
            return self._scope(pos, self.items)
        if self.items == [] and (role := _ROLE_WORDS.walk(self.toks, pos)):
            # A role with nobody before it ("Phối hợp với các sở"): the role, then names.
            self.role = _role_of(self.toks, pos)
            return role[0]
        title = _TITLES.walk(self.toks, pos)
        if _GENERAL.walk(self.toks, title[0] if title else pos) is not None:
            # "Thủ trưởng các cơ quan cấp tỉnh có liên quan": a group, with its heads
            end = self._text_end(pos, general=True)
            self.general.append(self.text(pos, end))
            self._mention(pos, end)
            self.joined = False
            return end
        return self._unknown(pos)

    def _next_is_item(self, pos: int) -> bool:
        return pos < len(self.toks) and self.toks[pos].kind == _WORD

    def _role_label(self, pos: int) -> int | None:
        for seq, role in _ROLE_LABELS:
            end = _match_seq(self.toks, pos, seq)
            if end is not None and end < len(self.toks) and self.toks[end].kind == _COLON:
                self.role = role  # type: ignore[assignment]
                return end + 1
        return None

    def _list_head(self, pos: int) -> int | None:
        """ "Các Sở: Tài chính, Xây dựng", "Các sở, ngành: Nội vụ, Y tế": each item after
        the colon is a Sở. Only when the first item is one ("Các sở, ban, ngành: rà soát
        TTHC" is the class, and its scope)."""
        if title := _TITLES.walk(self.toks, pos):
            pos = title[0]  # "Chủ tịch UBND các huyện An Lão, …"
        heads: list[tuple[int, tuple[str, ...]]] = []
        found = _KNOWN.walk(self.toks, pos)
        if found is not None:
            kinds = {t.value for t in found[1] if t.what == "class"}
            heads += [(found[0], (kind,)) for kind in ("so", "bo") if kind in kinds]
        start = pos + 1 if self.toks[pos].text == "cac" else pos
        for head, _label in _HEADS:
            end = _match_seq(self.toks, start, head)
            if end is not None:
                heads.append((end, head))
        for plural, head in _PLURALS:
            # "UBND các huyện An Lão, Vĩnh Thạnh": named districts, not all of them.
            end = _match_seq(self.toks, pos, plural)
            if (
                end is not None
                and end < len(self.toks)
                and self.toks[end].kind == _WORD
                and self.reg.walk(self.toks, end, head) is not None
            ):
                self.list_head, self.joined = head, True
                return end
        for end, head in heads:
            if (
                end < len(self.toks)
                and self.toks[end].kind == _COLON
                and self.reg.walk(self.toks, end + 1, head) is not None
            ):
                self.list_head, self.joined = head, True
                return end + 1
        return None

    def _name(self, pos: int) -> int | None:
        found: _Found | None = None
        prefix: tuple[str, ...] = ()
        if self.list_head:
            found = self.reg.walk(self.toks, pos, self.list_head)
            if found is not None and all(t.what == "class" for t in found.targets):
                found = None
            prefix = self.list_head if found else ()
        if found is None:
            found = self.reg.walk(self.toks, pos)
            if self.toks[pos].text in ("cac", "nhung") and pos + 1 < len(self.toks):
                # "các Bộ phận Một cửa": an article before a name, not the class "các bộ".
                named = self.reg.walk(self.toks, pos + 1)
                if named is not None and (found is None or named.end > found.end):
                    pos, found = pos + 1, named
        if found is None and (title := _TITLES.walk(self.toks, pos)):
            after = self.reg.walk(self.toks, title[0])
            if after is not None:
                pos, found = title[0], after
        if found is None and self.joined and self.last_head:
            found = self.reg.walk(self.toks, pos, self.last_head)
            if found is not None and all(t.what == "class" for t in found.targets):
                found = None  # "Sở Nội vụ, ngành" is no "sở, ngành": a shorthand names one
            prefix = self.last_head if found else ()
        if found is None or self._vague(found):
            return None
        found = self._whole(pos, found, prefix)
        self._found(pos, found, prefix)
        self.joined = False
        return found.end

    def _whole(self, pos: int, found: _Found, prefix: tuple[str, ...]) -> _Found:
        """The longest name, unless it leaves the next words unreadable where a shorter one
        does not: "Các sở, ban, ngành Tỉnh Đoàn" is the class and Tỉnh Đoàn, not "các sở,
        ban, ngành tỉnh" and an unknown "Đoàn". Partial understanding is not a reading."""
        if self._readable_at(found.end):
            return found
        shorter = [f for f in self.reg.walk_all(self.toks, pos, prefix) if f.end < found.end]
        for candidate in reversed(shorter):
            after = self.reg.walk(self.toks, candidate.end)
            if after is not None and after.end > found.end:
                return candidate  # the two names read further than the one
        return found

    def _readable_at(self, i: int) -> bool:
        if i >= len(self.toks) or self.toks[i].kind != _WORD:
            return True
        return (
            any(
                trie.walk(self.toks, i) is not None
                for trie in (_ROLE_WORDS, _GENERAL, _CONNECTORS, _COORDINATING, _TITLES)
            )
            or self.reg.walk(self.toks, i) is not None
        )

    def _vague(self, found: _Found) -> bool:
        """ "Các đơn vị" outside a department's plan names nobody: a general group."""
        return all(t.what == "class" for t in found.targets) and all(
            self.reg.expand(t.value, self.scope) is None for t in found.targets
        )

    def _found(self, pos: int, found: _Found, prefix: tuple[str, ...]) -> None:
        via = self.text(pos, found.end)
        if prefix:
            via = f"{_head_label(prefix)} {via}"  # "Xây dựng" in "Các Sở: …, Xây dựng"
        entries = [t.value for t in found.targets if t.what == "entry"]
        classes = [t for t in found.targets if t.what == "class"]
        item = _Item()
        seq = tuple(t.text for t in self.toks[pos : found.end] if t.kind == _WORD)
        self.last_head = _head_of((*prefix, *seq)) if not classes else None
        if entries:
            codes = self._resolve(entries)
            if codes is None:
                names = tuple(self.reg.name(c) for c in entries)[:3]
                self.unknown.append(
                    Unknown(via, names, self.cell, "có nhiều cơ quan trùng tên, cần ghi rõ")
                )
                return
        elif classes:
            expanded = self.reg.expand(classes[0].value, self.scope)
            if expanded is None:
                self.general.append(via)
                return
            if not expanded:
                self.unknown.append(
                    Unknown(via, (), self.cell, "danh mục chưa có cơ quan nào thuộc nhóm này")
                )
                return
            codes = expanded
        else:
            self.unknown.append(Unknown(via, self.reg.suggest(via, self.scope), self.cell))
            return
        for code in codes:
            item.parts.append(len(self.parts))
            self.parts.append(Part(code, via, role=self.role))
        self.items.append(item)

    def _resolve(self, codes: list[str]) -> list[str] | None:
        if len(codes) == 1:
            return codes
        scoped = [c for c in codes if self.reg.entries[c].parent == self.scope]
        return scoped[:1] or None

    def _parenthesis(self, pos: int) -> int:
        depth, end = 0, pos
        while end < len(self.toks):
            kind = self.toks[end].kind
            depth += kind == _OPEN
            depth -= kind == _CLOSE
            end += 1
            if depth == 0:
                break
        if not self.items:
            return pos + 1  # "(Sở Nội vụ)": read what is inside
        inside = self.text(pos + 1, end - (self.toks[end - 1].kind == _CLOSE))
        self._set_scope(self.items[-1:], inside, _role_of(self.toks, pos + 1))  # "(chủ trì)"
        self._mention(pos + 1, end)
        return end

    def _scope(self, pos: int, items: list[_Item]) -> int:
        if _match_any(self.toks, pos, _QUALIFIERS):
            items = items[-1:]  # "Sở Nội vụ, các sở, ngành liên quan": only the group's
        end = self._text_end(pos)
        self._set_scope(items, self.text(pos, end), _role_of(self.toks, pos))
        self._mention(pos, end)
        self.joined = False
        return end

    def _set_scope(self, items: list[_Item], text: str, role: RoleHint | None = None) -> None:
        for item in items:
            if item.scoped:
                continue
            item.scoped = True
            for i in item.parts:
                part = self.parts[i]
                self.parts[i] = replace(part, scope=text or part.scope, role=role or part.role)

    def _text_end(self, pos: int, *, general: bool = False) -> int:
        """Where a scope or a general phrase starting at ``pos`` ends: at the clause's end,
        or at a comma before a registered name (a new item). Parentheses stay inside."""
        i = pos
        depth = 0
        while i < len(self.toks):
            t = self.toks[i]
            if i in self.markers and depth == 0:
                break
            if t.kind == _OPEN:
                depth += 1
            elif t.kind == _CLOSE:
                depth = max(0, depth - 1)
            elif depth == 0 and self._ends_text(i, general):
                break
            elif t.kind == _WORD and (name := self.reg._trie.walk(self.toks, i)) is not None:
                i = name[0]  # a name inside the text stays whole ("Lao động - Thương binh")
                continue
            i += 1
        return i

    def _ends_text(self, i: int, general: bool = False) -> bool:
        t = self.toks[i]
        after = i + 1 if t.kind == _COMMA else i
        if after < len(self.toks) and _COORDINATING.walk(self.toks, after) is not None:
            return True  # "chủ trì, phối hợp với …": the coordinating agencies follow
        if t.kind == _WORD and i > 0 and self.toks[i - 1].kind == _WORD:
            # "các doanh nghiệp BHXH tỉnh": a separator is missing. But "các cơ quan thuộc
            # UBND tỉnh" names UBND tỉnh as an object, and "cơ sở y tế" is no "Sở Y tế":
            # a new item starts with a capital after a word that takes no object.
            before = tuple(x.text for x in self.toks[max(0, i - 6) : i] if x.kind == _WORD)
            if (
                not any(before[-len(seq) :] == seq for seq in _LINKING)
                and self.cell[t.start].isupper()
                and self.reg.starts_strong(self.toks, i)
            ):
                return True
        if (joined := _CONNECTORS.walk(self.toks, i)) is not None:
            # "các cơ quan trung ương … và Chủ tịch UBND các cấp", "Sở Y tế theo chức năng,
            # nhiệm vụ và Bưu điện tỉnh": the text ends, another agency follows.
            return joined[0] < len(self.toks) and self.reg.starts_strong(self.toks, joined[0])
        if t.kind == _SEP:
            # Items of a numbered cell end only at the next number: "; " is inside them.
            return not self.numbered or t.text == "-"
        return (
            t.kind == _COMMA and i + 1 < len(self.toks) and self.reg.starts_strong(self.toks, i + 1)
        )

    def _mention(self, start: int, end: int) -> None:
        i = start
        while i < end:
            found = self.reg._trie.walk(self.toks[:end], i)
            if found is not None:
                codes = [t.value for t in found[1] if t.what == "entry"]
                resolved = self._resolve(codes) if codes else None
                self.mentions.extend(resolved or [])
                i = found[0]
            else:
                i += 1

    def _unknown(self, pos: int) -> int:
        """A fragment nothing reads: up to the next comma, bracket, separator, role word
        that no name contains, or registered name."""
        i = pos + 1
        while i < len(self.toks):
            t = self.toks[i]
            if t.kind in (_COMMA, _SEP, _OPEN, _COLON) or i in self.markers:
                break
            if t.kind == _WORD and (
                _CUTTING.walk(self.toks, i) is not None or self.reg.starts_strong(self.toks, i)
            ):
                break
            i += 1
        text = self.text(pos, i)
        if text:
            self.unknown.append(Unknown(text, self.reg.suggest(text, self.scope), self.cell))
            self.items.append(_Item())  # a role word after it belongs to it, not to others
        self.joined = False
        return i


def _role_of(toks: list[_Tok], pos: int) -> RoleHint | None:
    seq = tuple(t.text for t in toks[pos : pos + 5] if t.kind == _WORD)
    if seq[:2] == ("phoi", "hop"):
        return "coordinate"
    if any(seq[: len(w)] == w for w in _LEAD_WORDS):
        return "lead"
    return None


def _match_any(toks: list[_Tok], pos: int, seqs: list[tuple[str, ...]]) -> bool:
    return any(_match_seq(toks, pos, seq) is not None for seq in seqs)


def _match_seq(toks: list[_Tok], pos: int, seq: tuple[str, ...]) -> int | None:
    i = pos
    for w in seq:
        while i < len(toks) and toks[i].kind == _JOIN:
            i += 1
        if i >= len(toks) or toks[i].text != w:
            return None
        i += 1
    return i


_ITEM_NUMBER = re.compile(r"^(?:\d{1,2}|[a-h])$")


def _item_markers(toks: list[_Tok]) -> dict[int, int]:
    """Item numbers in a cell ("1. Sở Tài chính: …; 2. Sở Nội vụ …", "a) …  b) …"):
    token index → index after the marker. Numbers must follow each other from 1 (or a)."""
    markers: dict[int, int] = {}
    expected = {"digit": 1, "letter": "a"}
    for i, t in enumerate(toks[:-1]):
        if t.kind != _WORD or not _ITEM_NUMBER.match(t.text):
            continue
        after = toks[i + 1]
        if not (after.kind in (_JOIN, _CLOSE) and after.text in ".)"):
            continue
        at_start = i == 0 or toks[i - 1].kind in (_SEP, _COLON)
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


def _merge(parts: list[Part]) -> tuple[Part, ...]:
    """One part per agency: a name written twice (seed 000) is one part."""
    merged: dict[str, Part] = {}
    for p in parts:
        if p.code not in merged:
            merged[p.code] = p
            continue
        old = merged[p.code]
        # Named once without a scope, the agency has the whole task; else the scopes add up.
        scope = "" if not (old.scope and p.scope) else old.scope
        if scope and p.scope not in scope:
            scope = f"{scope}; {p.scope}"
        merged[p.code] = replace(old, scope=scope, role=old.role or p.role)
    return tuple(merged.values())
