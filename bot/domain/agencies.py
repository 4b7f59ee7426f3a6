"""Read a lead/coordinating cell ("Các sở, ban, ngành; UBND cấp huyện") into agencies' parts.

A cell is read whole, left to right, the way an officer reads it; partial understanding
is not a reading. Every word ends up in one of:

- a **name** of a registered agency (or an alias), or a **class** of agencies ("Các sở,
  ban, ngành", "UBND các xã, phường, thị trấn", "các bộ, cơ quan ngang bộ") expanded to
  the registry's members of that kind. Names are matched longest first, so a registered
  name is never cut by a word inside it ("Sở Xây dựng", "Sở Văn hóa, Thể thao và Du
  lịch"); official names of departments and ministries are known even before the
  registry lists them, so an unregistered one is reported whole;
- a class's **members** ("UBND các huyện: Trảng Bom, Long Khánh", "UBND các huyện (Trảng
  Bom)", "Các sở: Tài chính, Y tế"): those only; an unknown member is an error. A class
  with an **exclusion** ("(trừ Sở Y tế)", "ngoài …", "không bao gồm …"): all but those,
  or an error. A class (or a list of classes) qualified "(có) liên quan" is general text;
- the **scope** of the part just named: text in parentheses, after a colon, or after a
  role word ("tham mưu", "theo chức năng, nhiệm vụ"…), kept as written; a bare role
  ("chủ trì", "(phối hợp)") is the part's role, not a scope. A numbered or bulleted
  item's text is its lead's scope. Agencies after "phối hợp (với)" coordinate; agencies
  right after a verb that takes an object ("hướng dẫn Sở Nội vụ, Sở Tài chính") are all
  *mentioned*, up to one with its own role ("…, Sở Tư pháp phối hợp");
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
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from bot.domain import agency_lexicon as lx
from bot.domain.agency_lexicon import RoleHint
from bot.domain.agency_reading import (
    Assigned,
    CellReader,
    Match,
    Part,
    Reading,
    Unknown,
    assign,
    describe_unknown,
)
from bot.domain.text import key

__all__ = [
    "KIND_LABELS",
    "AgencyEntry",
    "Assigned",
    "Kind",
    "Match",
    "Part",
    "Reading",
    "Registry",
    "RoleHint",
    "Unknown",
    "assign",
    "describe_unknown",
    "parse_kind",
]


class Kind(StrEnum):
    """The kind of an agency, which classes of agencies in cells expand to."""

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
    """One agency of the registry, with the names it is written by."""

    code: str
    name: str
    kind: Kind
    parent: str | None = None
    aliases: tuple[str, ...] = ()


_UBND = ("uy", "ban", "nhan", "dan")
_LOCAL = (Kind.PROVINCE, Kind.DISTRICT, Kind.COMMUNE)


def _variants(seq: tuple[str, ...], kind: Kind) -> set[tuple[str, ...]]:
    """How plans shorten a registered name: "UBND huyện Trảng Bom" is also "huyện Trảng
    Bom"; "Sở Nội vụ" also "Sở Nội vụ tỉnh"; "Sở Nội vụ tỉnh Đồng Nai" also "Sở Nội vụ
    tỉnh" and "Sở Nội vụ"; "UBND tỉnh Đồng Nai" also "UBND tỉnh"."""
    out = {seq}
    place = seq[4:]
    if kind in _LOCAL and seq[:4] == _UBND and len(place) >= 2:
        out.add(place)
    provincial = kind in (Kind.DEPARTMENT, Kind.OTHER)
    if provincial and seq[-1] != "tinh":
        out.add((*seq, "tinh"))
    if (provincial or kind is Kind.PROVINCE) and "tinh" in seq[1:-1]:
        at = seq.index("tinh", 1)
        out.add(seq[: at + 1])
        if provincial:
            out.add(seq[:at])
    return out


_LEVELS = (
    ("huyen",),
    ("thanh", "pho"),
    ("thi", "xa"),
    ("quan",),
    ("xa",),
    ("phuong",),
    ("thi", "tran"),
    ("dac", "khu"),
    ("tinh",),
)


def _member_forms(seq: tuple[str, ...], kind: Kind) -> set[tuple[str, ...]]:
    """How a class's member is written after it: "Trảng Bom" in "UBND các huyện: Trảng
    Bom" (a district or a city), "Tài chính" in "Các sở: Tài chính", "Y tế" in "các bộ
    (trừ Y tế)". Only names that have such a head."""
    if kind in _LOCAL and seq[:4] == _UBND:
        rest = seq[4:]
        for level in _LEVELS:
            if rest[: len(level)] == level and len(rest) > len(level):
                return {rest[len(level) :]}
        return set()
    head = {Kind.DEPARTMENT: "so", Kind.MINISTRY: "bo"}.get(kind)
    if head and seq[0] == head and len(seq) > 1:
        rest = seq[1:]
        return {rest, rest[:-1]} if rest[-1] == "tinh" and len(rest) > 1 else {rest}
    return set()


class Registry:
    """The agencies a plan can name, indexed for reading cells."""

    def __init__(self, entries: Iterable[AgencyEntry]) -> None:
        self.entries = {e.code: e for e in entries}
        self._trie = lx.Trie()
        self._units: dict[str, list[str]] = defaultdict(list)
        self._kinds: dict[Kind, list[str]] = defaultdict(list)
        self._keys: dict[str, list[str]] = defaultdict(list)  # for suggestions
        self._members: dict[Kind, lx.Trie] = defaultdict(lx.Trie)
        self._places: dict[Kind, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for e in self.entries.values():
            for name in (e.name, *e.aliases):
                for seq in lx.key_words(name):
                    for variant in _variants(seq, e.kind):
                        self._trie.add(variant, lx.Target("entry", e.code))
                    for form in _member_forms(seq, e.kind):
                        self._members[e.kind].add(form, lx.Target("entry", e.code))
                        place = " ".join(w for w in form if w != ",")
                        if e.code not in self._places[e.kind][place]:
                            self._places[e.kind][place].append(e.code)
                k = " ".join(lx.words_of(name))
                if e.code not in self._keys[k]:
                    self._keys[k].append(e.code)
            self._kinds[e.kind].append(e.code)
            if e.parent:
                self._units[e.parent].append(e.code)

    def match(self, cell: str, *, scope: str | None = None) -> Match:
        """Read ``cell``; ``scope`` is the code of the plan's issuer (see the module doc)."""
        return CellReader(self, cell or "", scope).read()

    def name(self, code: str) -> str:
        """The official name of ``code``."""
        return self.entries[code].name

    # -- used by the reader --

    def names_at(self, toks: list[lx.Tok], pos: int) -> tuple[int, list[lx.Target]] | None:
        """The longest registered name (not class, not lexicon) at ``pos``."""
        return self._trie.walk(toks, pos)

    def walk(self, toks: list[lx.Tok], pos: int, prefix: tuple[str, ...] = ()) -> lx.Found | None:
        """The longest name or class at ``pos``: the registry's first, then the lexicon's."""
        found = self.walk_all(toks, pos, prefix)
        return found[-1] if found else None

    def walk_all(
        self, toks: list[lx.Tok], pos: int, prefix: tuple[str, ...] = ()
    ) -> list[lx.Found]:
        """Every name or class at ``pos``, shortest first; at one end the registry's."""
        by_end: dict[int, list[lx.Target]] = {}
        for end, targets in lx.KNOWN.walk_all(toks, pos, prefix):
            by_end[end] = targets
        for end, targets in self._trie.walk_all(toks, pos, prefix):
            by_end[end] = targets
        return [lx.Found(end, by_end[end]) for end in sorted(by_end)]

    def starts_strong(self, toks: list[lx.Tok], pos: int) -> bool:
        """A registered name or a strong class starts at ``pos``: a new item begins."""
        found = self.walk(toks, pos)
        if found is None and (title := lx.TITLES.walk(toks, pos)):
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

    def members_at(
        self, toks: list[lx.Tok], pos: int, kinds: Iterable[Kind]
    ) -> tuple[int, list[str]] | None:
        """The longest member of one of ``kinds`` written without its head at ``pos``
        ("Trảng Bom" after "UBND các huyện"): (end, codes)."""
        best: tuple[int, list[str]] | None = None
        for kind in kinds:
            found = self._members[kind].walk(toks, pos) if kind in self._members else None
            if found is not None and (best is None or found[0] > best[0]):
                best = (found[0], [t.value for t in found[1]])
        return best

    def suggest_member(self, text: str, kinds: Iterable[Kind]) -> tuple[str, ...]:
        """Up to three members of ``kinds`` whose names are close to ``text``."""
        k = " ".join(t.text for t in lx.tokenize(text) if t.kind == lx.WORD)
        names: list[str] = []
        for kind in kinds:
            places = self._places.get(kind, {})
            for close in difflib.get_close_matches(k, list(places), n=3, cutoff=0.6):
                names.extend(self.entries[c].name for c in places[close])
        return tuple(dict.fromkeys(names))[:3]

    def suggest(self, text: str, scope: str | None) -> tuple[str, ...]:
        """Up to three registered names close to ``text``, for an error message."""
        k = " ".join(t.text for t in lx.tokenize(text) if t.kind == lx.WORD)
        close = difflib.get_close_matches(k, list(self._keys), n=3, cutoff=0.6)
        names: list[str] = []
        for kind in (Kind.DISTRICT, Kind.COMMUNE, Kind.DEPARTMENT, Kind.MINISTRY):
            # "Long Khánh" in "UBND huyện Trảng Bom, Long Khánh": UBND thành phố Long Khánh
            places = self._places.get(kind, {})
            for place in difflib.get_close_matches(k, list(places), n=3, cutoff=0.8):
                names.extend(self.entries[c].name for c in places[place])
        if names:
            return tuple(dict.fromkeys(names))[:3]
        for c in close:
            for code in self._keys[c]:
                entry = self.entries[code]
                if scope is None or entry.parent in (None, scope):
                    names.append(entry.name)
        return tuple(dict.fromkeys(names))[:3]
