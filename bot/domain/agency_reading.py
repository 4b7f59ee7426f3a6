"""The reading of one agency cell: each agency's part, what is only mentioned, general
groups, and the fragments nothing reads. See :mod:`bot.domain.agencies` for the rules."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from bot.domain import agency_lexicon as lx
from bot.domain.agency_lexicon import RoleHint

if TYPE_CHECKING:
    from bot.domain.agencies import Kind, Registry


@dataclass(frozen=True)
class Part:
    """One agency named by a cell, with what its part covers."""

    code: str
    via: str  # the words that named it: "Sở Y tế", "Các sở, ban, ngành"
    scope: str = ""  # "đối với cơ sở y tế", "tham mưu UBND tỉnh", an item's text
    role: RoleHint | None = None  # when the cell says it ("Sở Tư pháp phối hợp")
    by_class: bool = False  # a member of a class ("Các sở, ban, ngành"), not named itself


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
    excluded: tuple[str, ...] = ()  # codes a class leaves out: "(trừ Sở Y tế)"

    @property
    def codes(self) -> tuple[str, ...]:
        """The agencies named, in order, once each."""
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
    via: str = ""  # the words that named it
    by_class: bool = False  # only as a member of a class ("UBND cấp huyện")


def assign(lead: Match, coordinate: Match) -> list[Assigned]:
    """Each agency's part: its role is the column's unless the cell says otherwise ("Sở
    Tư pháp phối hợp" in a lead cell); an agency named in both columns leads."""
    parts: dict[str, Assigned] = {}
    for column, reading in (("lead", lead), ("coordinate", coordinate)):
        for p in reading.parts:
            role: RoleHint = p.role or column  # type: ignore[assignment]
            old = parts.get(p.code)
            if old is None:
                parts[p.code] = Assigned(p.code, role, p.scope, p.via, p.by_class)
                continue
            if old.by_class and not p.by_class:  # named as itself: that is how it is known
                old = replace(old, via=p.via, by_class=False)
            if old.role == "coordinate" and role == "lead":
                old = replace(old, role=role, scope=p.scope or old.scope)
            parts[p.code] = old
    return list(parts.values())


@dataclass
class _Item:
    parts: list[int] = field(default_factory=list)  # indices into the reader's parts
    scoped: bool = False


class CellReader:
    """One left-to-right pass over one cell."""

    def __init__(self, registry: Registry, cell: str, scope: str | None) -> None:
        self.reg = registry
        self.cell = unicodedata.normalize("NFC", cell)  # token offsets are into NFC text
        self.scope = scope
        self.toks = lx.tokenize(self.cell)
        self.markers = lx.item_markers(self.toks)
        self.numbered = len(self.markers) >= 2
        self.parts: list[Part] = []
        self.unknown: list[Unknown] = []
        self.general: list[str] = []
        self.mentions: list[str] = []
        self.excluded: list[str] = []
        # classes listed one after another in this clause ("các sở, ban, ngành, địa
        # phương"): where the run starts, and its items, for a qualifier after the last
        self.run: tuple[int, list[_Item]] | None = None
        self.dropped: set[int] = set()
        # "UBND các huyện: Trảng Bom, Long Khánh": the kinds whose members are written
        # without their head in this clause, and the bracket that ends the list
        self.member_kinds: tuple[Kind, ...] = ()
        self.member_close: int | None = None
        # the current clause (between separators)
        self.items: list[_Item] = []
        self.list_head: tuple[str, ...] | None = None
        self.last_head: tuple[str, ...] | None = None
        self.role: RoleHint | None = None
        self.joined = False  # the last token was a comma or "và": a list goes on
        # a bracket whose coordinating agencies are read as parts: (its closing bracket,
        # the role and items to restore there)
        self.restore: tuple[int, RoleHint | None, list[_Item]] | None = None

    def read(self) -> Match:
        """The whole cell, read."""
        pos = 0
        while pos < len(self.toks):
            pos = self._step(pos)
        return Match(
            parts=_merge([p for i, p in enumerate(self.parts) if i not in self.dropped]),
            unknown=tuple(self.unknown),
            general=tuple(dict.fromkeys(self.general)),
            mentions=tuple(c for c in dict.fromkeys(self.mentions) if c not in
                           {p.code for i, p in enumerate(self.parts) if i not in self.dropped}),
            cell=self.cell,
            excluded=tuple(dict.fromkeys(self.excluded)),
        )  # fmt: skip

    def text(self, start: int, end: int) -> str:
        """The original words of tokens ``start``..``end``, trimmed of separators."""
        if start >= end:
            return ""
        raw = self.cell[self.toks[start].start : self.toks[end - 1].end]
        return " ".join(raw.split()).strip(" ,;:.-–")

    def _clause_end(self) -> None:
        self.items, self.list_head, self.last_head, self.role = [], None, None, None
        self.member_kinds, self.member_close = (), None
        self.run = None
        self.joined = False

    def _step(self, pos: int) -> int:
        t = self.toks[pos]
        if pos in self.markers:
            self._clause_end()
            return self.markers[pos]
        if t.kind == lx.SEP:
            self._clause_end()
            return pos + 1
        if t.kind in (lx.COMMA, lx.JOIN, lx.CLOSE):
            if pos == self.member_close:
                self.member_kinds, self.member_close = (), None
            if self.restore is not None and self.restore[0] == pos:
                # "Sở Tài chính (chủ trì, phối hợp với Sở Xây dựng), Sở Y tế": the
                # coordinating agencies end with the bracket.
                _, self.role, self.items = self.restore
                self.restore = None
            self.joined = self.joined or t.kind == lx.COMMA
            return pos + 1
        if t.kind == lx.OPEN:
            return self._parenthesis(pos)
        if t.kind == lx.COLON:
            if self.items:
                return self._scope(pos + 1, self.items)
            return pos + 1
        if (found := lx.CONNECTORS.walk(self.toks, pos)) and self._next_is_item(found[0]):
            self.joined = True
            return found[0]
        if not self.items and (label := self._role_label(pos)):
            return label
        if (members := self._class_members(pos)) is not None:
            return members
        if head := self._list_head(pos):
            return head
        if (found_name := self._name(pos)) is not None:
            return found_name
        if self.items and (given := self._assigning(pos)) is not None:
            # "UBND tỉnh giao Sở Nội vụ": the agencies before assign, the ones after do it
            for item in self.items:
                self.mentions.extend(self.parts[i].code for i in item.parts)
                self.dropped.update(item.parts)
            self.items, self.run, self.last_head, self.joined = [], None, None, True
            return given
        if (co := self._coordinating(pos)) is not None:
            # "Sở Y tế chủ trì, phối hợp với các sở, ngành", "Sở Tài chính phối hợp Sở Xây
            # dựng": the agencies after it coordinate; the ones before keep their role.
            self.items, self.role, self.joined = [], "coordinate", True
            return co
        if self.items and (role := lx.ROLE_WORDS.walk(self.toks, pos)):
            return self._scope(pos, self.items)
        if self.items == [] and (role := lx.ROLE_WORDS.walk(self.toks, pos)):
            # A role with nobody before it ("Phối hợp với các sở"): the role, then names.
            self.role = lx.role_of(self.toks, pos)
            return role[0]
        title = lx.TITLES.walk(self.toks, pos)
        start = title[0] if title else pos
        if start + 1 < len(self.toks) and self.toks[start].text in ("cac", "nhung"):
            start += 1  # "Các thành viên Ban Chỉ đạo"
        if lx.GENERAL.walk(self.toks, start) is not None:
            # "Thủ trưởng các cơ quan cấp tỉnh có liên quan": a group, with its heads
            end = self._text_end(pos)
            if (listed := self._introduces(pos, end)) is not None:
                # "Các đơn vị sau: Sở Y tế, Sở Tài chính": the words before the colon only
                # say that a list follows; its agencies are the cell's.
                self.joined = False
                return listed
            self.general.append(self.text(pos, end))
            self._mention(pos, end)
            self.joined = False
            return end
        return self._unknown(pos)

    def _introduces(self, pos: int, end: int) -> int | None:
        """Past the colon of a general phrase from ``pos`` to ``end`` that only introduces a
        list of registered agencies ("Các đơn vị sau:", "Đơn vị thực hiện:"); None when
        the phrase has no such colon."""
        depth = 0
        for i in range(pos, min(end, len(self.toks))):
            kind = self.toks[i].kind
            depth += (kind == lx.OPEN) - (kind == lx.CLOSE)
            if kind == lx.COLON and depth == 0:
                after = i + 1
                if after < len(self.toks) and (
                    self.reg.starts_strong(self.toks, after) or self.reg.walk(self.toks, after)
                ):
                    return after
                return None
        return None

    def _coordinating(self, pos: int) -> int | None:
        """Where "phối hợp với" ends at ``pos``; a bare "phối hợp" too when an agency
        follows it ("Sở Tài chính phối hợp Sở Xây dựng"), not at the end of an item
        ("Sở Nội vụ phối hợp": a role)."""
        if co := lx.COORDINATING.walk(self.toks, pos):
            return self._after_colon(co[0])
        end = lx.match_seq(self.toks, pos, ("phoi", "hop"))
        if end is not None and end < len(self.toks) and self.toks[end].kind == lx.COLON:
            end += 1  # "(chủ trì; phối hợp: Sở Tư pháp)": the colon only opens the list
            if self.reg.starts_strong(self.toks, end) or self.reg.walk(self.toks, end):
                return end
            return None
        if end is None or end >= len(self.toks) or self.toks[end].kind != lx.WORD:
            return None
        start = end + 1 if self.toks[end].text in ("cac", "nhung") else end
        if self.reg.walk(self.toks, start) is not None or self.reg.walk(self.toks, end):
            return end
        return None

    def _after_colon(self, end: int) -> int:
        """ "phối hợp với: Sở Tư pháp": past the colon that opens the list."""
        if end + 1 < len(self.toks) and self.toks[end].kind == lx.COLON:
            return end + 1
        return end

    def _assigning(self, pos: int) -> int | None:
        """Where "giao" or "giao cho" ends at ``pos`` when an agency follows it."""
        for seq in (("giao", "cho"), ("giao",)):
            end = lx.match_seq(self.toks, pos, seq)
            if end is not None and self.reg.starts_strong(self.toks, end):
                return end
        return None

    def _next_is_item(self, pos: int) -> bool:
        return pos < len(self.toks) and self.toks[pos].kind == lx.WORD

    def _role_label(self, pos: int) -> int | None:
        """ "Chủ trì: …", "Cơ quan phối hợp: …" give the role; "Giao …" only opens."""
        for seq, role in lx.ROLE_LABELS:
            end = lx.match_seq(self.toks, pos, seq)
            if end is not None and end < len(self.toks) and self.toks[end].kind == lx.COLON:
                self.role = role  # type: ignore[assignment]
                return end + 1
        opening = lx.OPENINGS.walk(self.toks, pos)
        if opening is not None and self.reg.starts_strong(self.toks, opening[0]):
            return opening[0]
        return None

    def _kind(self, value: str) -> Kind:
        from bot.domain.agencies import Kind

        return Kind(value)

    def _class_kinds(self, found: lx.Found) -> tuple[Kind, ...]:
        from bot.domain.agencies import Kind

        kinds: list[Kind] = []
        for t in found.targets:
            if t.what != "class":
                return ()
            for value in t.value.split("+"):
                if value in {k.value for k in Kind}:
                    kinds.append(Kind(value))
        return tuple(dict.fromkeys(kinds))

    def _class_members(self, pos: int) -> int | None:
        """A class followed by the members it means: "UBND các huyện: Trảng Bom, Long
        Khánh", "UBND các huyện (Trảng Bom)", "UBND các huyện Trảng Bom" name those only;
        "Các sở, ban, ngành (trừ Sở Y tế)" all but those."""
        if title := lx.TITLES.walk(self.toks, pos):
            pos = title[0]  # "Chủ tịch UBND các huyện: Trảng Bom, Long Khánh"
        found = self.reg.walk(self.toks, pos)
        kinds = self._class_kinds(found) if found is not None else ()
        plural = False
        if not kinds:
            # "UBND các thành phố: Biên Hòa, Long Khánh" is no class alone, but names members
            for words, head in lx.PLURALS:
                end = lx.match_seq(self.toks, pos, words)
                if end is not None and (kind := lx.PLURAL_KINDS.get(head)):
                    found, kinds, plural = lx.Found(end, []), (self._kind(kind),), True
                    break
        if found is None or not kinds:
            return None
        if self.toks[pos].text in ("cac", "nhung") and (
            (named := self.reg.names_at(self.toks, pos + 1)) is not None and named[0] > found.end
        ):
            return None  # "các Sở Ngoại vụ": an article and a name, not "các sở" but "ngoài"
        n, i = len(self.toks), found.end
        bracket = i < n and self.toks[i].kind == lx.OPEN
        listed = i < n and self.toks[i].kind in (lx.COLON, lx.OPEN)
        start = i + 1 if i < n and self.toks[i].kind in (lx.COLON, lx.OPEN, lx.COMMA) else i
        if (excl := lx.EXCLUSIONS.walk(self.toks, start)) is not None and not plural:
            after = excl[0] + (excl[0] < n and self.toks[excl[0]].kind == lx.COLON)  # "trừ:"
            return self._exclusion(pos, found, kinds, after, bracket)
        if not listed:
            # written right after the class, a member must be read as one
            if i >= n or self.toks[i].kind != lx.WORD:
                return None
            if self.reg.members_at(self.toks, i, kinds) is None:
                return None
        else:
            starts = self._item_starts(start, bracket)
            if not starts:
                return None
            known = [
                s for s in starts
                if self.reg.members_at(self.toks, s, kinds) or self.reg.names_at(self.toks, s)
            ]  # fmt: skip
            if not known and not all(self._name_like(s) for s in starts):
                return None  # "Các sở, ban, ngành: rà soát TTHC": the class, and its scope
        self.member_kinds = kinds
        self.member_close = self._bracket_end(i) if bracket else None
        self.last_head = None
        heads = {k.value for k in kinds} & {"so", "bo"}
        # "Các Sở: Tài chính, Xây dựng": an official name the registry lacks is reported whole
        self.list_head = (heads.pop(),) if len(heads) == 1 else None
        self.joined = True
        return start

    def _item_starts(self, pos: int, bracket: bool) -> list[int]:
        """Where the items of a list start, up to the clause's (or the bracket's) end."""
        starts, i, depth = [pos], pos, 0
        while i < len(self.toks):
            t = self.toks[i]
            if t.kind == lx.SEP or i in self.markers:
                break
            if t.kind == lx.OPEN:
                depth += 1
            elif t.kind == lx.CLOSE:
                if depth == 0:
                    break
                depth -= 1
            elif depth == 0 and t.kind == lx.COMMA:
                starts.append(i + 1)
            elif depth == 0 and (joined := lx.CONNECTORS.walk(self.toks, i)) is not None:
                starts.append(joined[0])
                i = joined[0]
                continue
            i += 1
        if bracket and (i >= len(self.toks) or self.toks[i].kind != lx.CLOSE):
            return []
        return [s for s in starts if s < len(self.toks) and self.toks[s].kind == lx.WORD]

    def _bracket_end(self, pos: int) -> int:
        depth, i = 0, pos
        while i < len(self.toks):
            depth += self.toks[i].kind == lx.OPEN
            depth -= self.toks[i].kind == lx.CLOSE
            if depth == 0:
                return i
            i += 1
        return i

    def _name_like(self, pos: int) -> bool:
        """ "Trảng Bom", "Hố Nai 3": capitalised words, a place's name, not a role or text."""
        end, count = pos, 0
        while end < len(self.toks) and self.toks[end].kind in (lx.WORD, lx.JOIN):
            if lx.CONNECTORS.walk(self.toks, end) is not None:
                break
            end += 1
            count += 1
        words = [t for t in self.toks[pos:end] if t.kind == lx.WORD]
        if not words or count > 6:
            return False
        if any(trie.walk(self.toks, pos) for trie in (lx.ROLE_WORDS, lx.GENERAL, lx.TITLES)):
            return False
        return all(self.cell[t.start].isupper() or self.cell[t.start].isdigit() for t in words)

    def _exclusion(
        self, pos: int, found: lx.Found, kinds: tuple[Kind, ...], start: int, bracket: bool
    ) -> int:
        """ "Các sở, ban, ngành (trừ Sở Y tế, Sở Nội vụ)": the class but those agencies.
        What cannot be read there is an error: an agency would get a part it was spared."""
        i, out = start, list[str]()
        end_kinds = (lx.SEP, lx.CLOSE) if bracket else (lx.SEP, lx.OPEN)
        while i < len(self.toks) and self.toks[i].kind not in end_kinds and i not in self.markers:
            t = self.toks[i]
            if t.kind in (lx.COMMA, lx.JOIN):
                i += 1
                continue
            if (joined := lx.CONNECTORS.walk(self.toks, i)) is not None and out:
                i = joined[0]
                continue
            member = self.reg.members_at(self.toks, i, kinds)
            name = self.reg.names_at(self.toks, i)
            if name is not None and (member is None or name[0] >= member[0]):
                codes = [t.value for t in name[1] if t.what == "entry"]
                got: tuple[int, list[str]] | None = (name[0], self._resolve(codes) or [])
            else:
                got = member
            if got is None or not got[1]:
                if not bracket and out and self.toks[i - 1].kind == lx.COMMA:
                    # "Các sở, ngành, trừ Sở Y tế, UBND cấp huyện": the list goes on
                    i -= 1
                    stop = i
                    break
                stop = -1
                break
            out.extend(got[1])
            i = got[0]
        else:
            stop = -1
        if stop < 0:
            stop = i
            while stop < len(self.toks) and self.toks[stop].kind not in end_kinds:
                stop += 1  # what the exclusion says, whole, for an error
        if bracket and stop < len(self.toks) and self.toks[stop].kind == lx.CLOSE:
            stop += 1
        via = self.text(pos, found.end)
        if i < stop - bracket or not out:
            what = self.text(i, stop - bracket) if out else self.text(start, stop - bracket)
            self.unknown.append(
                Unknown(what or self.text(pos, stop), self.reg.suggest(what, self.scope),
                        self.cell, "cơ quan được trừ ra chưa đọc được"),
            )  # fmt: skip
            self.items.append(_Item())
            return stop
        members = set(self._expand(found))
        if strangers := [c for c in out if c not in members]:
            # "UBND cấp huyện (trừ Sở Y tế)": what is left out is not in the class
            self.unknown.append(
                Unknown(", ".join(self.reg.name(c) for c in strangers), (), self.cell,
                        f"cơ quan được trừ ra không thuộc “{via}”"),
            )  # fmt: skip
            self.items.append(_Item())
            return stop
        if (qualified := lx.qualifier_end(self.toks, stop)) is not None:
            # "Các sở, ngành (trừ Sở Y tế) liên quan": the relevant ones, a group
            self.general.append(self.text(pos, qualified))
            self.items.append(_Item())
            self.last_head, self.joined = None, False
            return qualified
        codes = self._not_named([c for c in self._expand(found) if c not in out])
        self.excluded.extend(out)
        item = _Item()
        for code in codes:
            item.parts.append(len(self.parts))
            self.parts.append(Part(code, via, role=self.role, by_class=True))
        self.items.append(item)
        self.last_head, self.joined = None, False
        return stop

    def _expand(self, found: lx.Found) -> list[str]:
        for t in found.targets:
            expanded = self.reg.expand(t.value, self.scope)
            if expanded:
                return expanded
        return []

    def _list_head(self, pos: int) -> int | None:
        """ "Các Sở: Tài chính, Xây dựng", "Các sở, ngành: Nội vụ, Y tế": each item after
        the colon is a Sở. Only when the first item is one ("Các sở, ban, ngành: rà soát
        TTHC" is the class, and its scope)."""
        if title := lx.TITLES.walk(self.toks, pos):
            pos = title[0]  # "Chủ tịch UBND các huyện An Lão, …"
        heads: list[tuple[int, tuple[str, ...]]] = []
        found = lx.KNOWN.walk(self.toks, pos)
        if found is not None:
            kinds = {t.value for t in found[1] if t.what == "class"}
            heads += [(found[0], (kind,)) for kind in ("so", "bo") if kind in kinds]
        start = pos + 1 if self.toks[pos].text == "cac" else pos
        for head, _label in lx.HEADS:
            end = lx.match_seq(self.toks, start, head)
            if end is not None:
                heads.append((end, head))
        for plural, head in lx.PLURALS:
            # "UBND các huyện An Lão, Vĩnh Thạnh": named districts, not all of them.
            end = lx.match_seq(self.toks, pos, plural)
            if (
                end is not None
                and end < len(self.toks)
                and self.toks[end].kind == lx.WORD
                and self.reg.walk(self.toks, end, head) is not None
            ):
                self.list_head, self.joined = head, True
                return end
        for end, head in heads:
            if (
                end < len(self.toks)
                and self.toks[end].kind == lx.COLON
                and self.reg.walk(self.toks, end + 1, head) is not None
            ):
                self.list_head, self.joined = head, True
                return end + 1
        return None

    def _name(self, pos: int) -> int | None:
        found: lx.Found | None = None
        prefix: tuple[str, ...] = ()
        if self.member_kinds and (member := self.reg.members_at(self.toks, pos, self.member_kinds)):
            name = self.reg.names_at(self.toks, pos)
            if name is None or name[0] < member[0]:
                self._member(pos, member)
                return member[0]
        if self.list_head:
            found = self.reg.walk(self.toks, pos, self.list_head)
            if found is not None and all(t.what == "class" for t in found.targets):
                found = None
            prefix = self.list_head if found else ()
        if found is None:
            found = self.reg.walk(self.toks, pos)
            article = pos
            while self.toks[article].text in ("cac", "nhung") and article + 1 < len(self.toks):
                # "các Bộ phận Một cửa": an article before a name, not the class "các bộ";
                # typed twice ("các các …") too.
                article += 1
                named = self.reg.walk(self.toks, article)
                if named is not None and (found is None or named.end > found.end):
                    pos, found = article, named
        if found is None and (title := lx.TITLES.walk(self.toks, pos)):
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
        if all(t.what == "class" for t in found.targets) and (
            end := lx.qualifier_end(self.toks, found.end)
        ):
            # "Các sở, ngành có liên quan": the relevant ones, not all of them: a group; so
            # are the classes listed just before ("các sở, ban, ngành, địa phương liên quan").
            start = pos
            if self.run is not None and self.joined:
                start, run_items = self.run
                for item in run_items:
                    self.dropped.update(item.parts)
                    item.parts = []
            self.run = None
            self.general.append(self.text(start, end))
            self.items.append(_Item())  # a role word after it belongs to it, not to others
            self.joined, self.last_head = False, None
            return end
        self._found(pos, found, prefix)
        self.joined = False
        return found.end

    def _member(self, pos: int, member: tuple[int, list[str]]) -> None:
        """ "Trảng Bom" in "UBND các huyện: Trảng Bom, …": the member, by its full name."""
        codes = self._resolve(member[1])
        via = self.text(pos, member[0])
        if codes is None:
            names = tuple(self.reg.name(c) for c in member[1])[:3]
            self.unknown.append(
                Unknown(via, names, self.cell, "có nhiều cơ quan trùng tên, cần ghi rõ")
            )
            self.items.append(_Item())
            return
        item = _Item()
        for code in codes:
            item.parts.append(len(self.parts))
            self.parts.append(Part(code, self.reg.name(code), role=self.role))
        self.items.append(item)
        self.joined = False

    def _whole(self, pos: int, found: lx.Found, prefix: tuple[str, ...]) -> lx.Found:
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
        if i >= len(self.toks) or self.toks[i].kind != lx.WORD:
            return True
        return (
            any(
                trie.walk(self.toks, i) is not None
                for trie in (lx.ROLE_WORDS, lx.GENERAL, lx.CONNECTORS, lx.COORDINATING, lx.TITLES)
            )
            or self.reg.walk(self.toks, i) is not None
        )

    def _vague(self, found: lx.Found) -> bool:
        """ "Các đơn vị" outside a department's plan names nobody: a general group."""
        return all(t.what == "class" for t in found.targets) and all(
            self.reg.expand(t.value, self.scope) is None for t in found.targets
        )

    def _found(self, pos: int, found: lx.Found, prefix: tuple[str, ...]) -> None:
        via = self.text(pos, found.end)
        if prefix:
            via = f"{lx.head_label(prefix)} {via}"  # "Xây dựng" in "Các Sở: …, Xây dựng"
        entries = [t.value for t in found.targets if t.what == "entry"]
        classes = [t for t in found.targets if t.what == "class"]
        item = _Item()
        seq = tuple(t.text for t in self.toks[pos : found.end] if t.kind == lx.WORD)
        self.last_head = lx.head_of((*prefix, *seq)) if not classes else None
        if entries:
            self.run = None
            codes = self._resolve(entries)
            if codes is None:
                names = tuple(self.reg.name(c) for c in entries)[:3]
                self.unknown.append(
                    Unknown(via, names, self.cell, "có nhiều cơ quan trùng tên, cần ghi rõ")
                )
                return
        elif classes:
            if self.run is None or not self.joined:
                self.run = (pos, [])
            self.run[1].append(item)
            expanded = self.reg.expand(classes[0].value, self.scope)
            if expanded is None:
                self.general.append(via)
                return
            if not expanded:
                self.unknown.append(
                    Unknown(via, (), self.cell, "danh mục chưa có cơ quan nào thuộc nhóm này")
                )
                return
            codes = self._not_named(expanded)
        else:
            self.unknown.append(Unknown(via, self.reg.suggest(via, self.scope), self.cell))
            return
        for code in codes:
            item.parts.append(len(self.parts))
            self.parts.append(Part(code, via, role=self.role, by_class=not entries))
        self.items.append(item)

    def _not_named(self, codes: list[str]) -> list[str]:
        """A class the named agencies coordinate with ("Sở Nội vụ phối hợp với các sở,
        ngành"): its other members; an agency named before keeps its own part."""
        if self.role != "coordinate":
            return codes
        named = {p.code for i, p in enumerate(self.parts) if i not in self.dropped}
        return [c for c in codes if c not in named]

    def _resolve(self, codes: list[str]) -> list[str] | None:
        if len(codes) == 1:
            return codes
        scoped = [c for c in codes if self.reg.entries[c].parent == self.scope]
        return scoped[:1] or None

    def _parenthesis(self, pos: int) -> int:
        depth, end = 0, pos
        while end < len(self.toks):
            kind = self.toks[end].kind
            depth += kind == lx.OPEN
            depth -= kind == lx.CLOSE
            end += 1
            if depth == 0:
                break
        if not self.items:
            return pos + 1  # "(Sở Nội vụ)": read what is inside
        close = end - (self.toks[end - 1].kind == lx.CLOSE)
        if (excl := lx.EXCLUSIONS.walk(self.toks, pos + 1)) is not None:
            at = excl[0] + (excl[0] < close and self.toks[excl[0]].kind == lx.COLON)
            if self.reg.walk(self.toks, at) is not None or (
                self.member_kinds and self.reg.members_at(self.toks, at, self.member_kinds)
            ):
                # "UBND các huyện: Trảng Bom, Long Khánh (trừ Trảng Bom)": nothing to leave
                # out of named agencies; which is meant is for the writer to say
                self.unknown.append(
                    Unknown(self.text(pos + 1, close), (), self.cell,
                            "chỉ trừ ra được khỏi một nhóm cơ quan, không khỏi các cơ quan đã nêu tên"),
                )  # fmt: skip
                return end
        for k in range(pos + 1, close):
            if self._coordinating(k) is not None and (
                k == pos + 1 or self.toks[k - 1].kind in (lx.COMMA, lx.WORD)
            ):
                # "(chủ trì, phối hợp với Sở Xây dựng)": the role, then coordinating parts
                cut = k - (self.toks[k - 1].kind == lx.COMMA)
                before = "" if lx.bare_role(self.toks, pos + 1, cut) else self.text(pos + 1, cut)
                role = lx.role_of(self.toks, pos + 1) if cut > pos + 1 else None
                self._set_scope(self.items[-1:], before, role)
                self._mention(pos + 1, k)
                if close < len(self.toks):
                    self.restore = (close, self.role, self.items)
                return k
        inside = "" if lx.bare_role(self.toks, pos + 1, close) else self.text(pos + 1, close)
        self._set_scope(self.items[-1:], inside, lx.role_of(self.toks, pos + 1))  # "(chủ trì)"
        self._mention(pos + 1, end)
        return end

    def _scope(self, pos: int, items: list[_Item]) -> int:
        if lx.match_any(self.toks, pos, lx.QUALIFIERS):
            items = items[-1:]  # "Sở Nội vụ, các sở, ngành liên quan": only the group's
        end = self._text_end(pos)
        text = "" if lx.bare_role(self.toks, pos, end) else self.text(pos, end)
        self._set_scope(items, text, lx.role_of(self.toks, pos))
        self._mention(pos, end)
        self.joined = False
        return end

    def _set_scope(self, items: list[_Item], text: str, role: RoleHint | None = None) -> None:
        self.run = None  # a class with its own scope is no longer a bare list item
        for item in items:
            if item.scoped:
                continue
            item.scoped = True
            for i in item.parts:
                part = self.parts[i]
                self.parts[i] = replace(part, scope=text or part.scope, role=role or part.role)

    def _text_end(self, pos: int) -> int:
        """Where a scope or a general phrase starting at ``pos`` ends: at the clause's end,
        or at a comma before a registered name (a new item). Parentheses stay inside. The
        agencies listed right after a verb that takes one as object are its objects, all of
        them ("hướng dẫn Sở Nội vụ, Sở Tài chính"), up to one that has its own verb."""
        i = self._objects_end(pos)
        depth = 0
        while i < len(self.toks):
            t = self.toks[i]
            if i in self.markers and depth == 0:
                break
            if t.kind == lx.OPEN:
                depth += 1
            elif t.kind == lx.CLOSE:
                depth = max(0, depth - 1)
            elif depth == 0 and self._ends_text(i):
                break
            elif t.kind == lx.WORD and i > pos and (objects := self._objects_end(i)) > i:
                i = objects  # "giúp UBND tỉnh hướng dẫn Sở Nội vụ, Sở Tài chính"
                continue
            elif t.kind == lx.WORD and (name := self.reg.names_at(self.toks, i)) is not None:
                i = name[0]  # a name inside the text stays whole ("Lao động - Thương binh")
                continue
            i += 1
        return i

    def _objects_end(self, pos: int) -> int:
        """After "tham mưu", "hướng dẫn", "trình"… (not "phối hợp"): where the list of
        registered agencies that are its objects ends; ``pos`` when none follows it."""
        verb = lx.OBJECT_VERBS.walk(self.toks, pos)
        if verb is None:
            return pos
        i = start = verb[0]
        first = True
        while (name := self._object_at(i)) is not None:
            if not first and self._has_own_verb(name[0]):
                return start  # "…, Sở Tư pháp phối hợp": a new part, not an object
            i, first = name[0], False
            start = i
            j = i
            if j < len(self.toks) and self.toks[j].kind == lx.COMMA:
                j += 1
            if (joined := lx.CONNECTORS.walk(self.toks, j)) is not None:
                j = joined[0]
            if j == i or j >= len(self.toks):
                break
            i = j
        return start if not first else pos

    def _object_at(self, i: int) -> tuple[int, list[lx.Target]] | None:
        """A registered name, or a class ("hướng dẫn UBND cấp huyện, Sở Y tế"), at ``i``."""
        if (name := self.reg.names_at(self.toks, i)) is not None:
            return name
        found = self.reg.walk(self.toks, i)
        return (found.end, found.targets) if found is not None else None

    def _has_own_verb(self, i: int) -> bool:
        return i < len(self.toks) and (
            lx.role_of(self.toks, i) is not None or self._coordinating(i) is not None
        )

    def _ends_text(self, i: int) -> bool:
        t = self.toks[i]
        after = i + 1 if t.kind == lx.COMMA else i
        if after < len(self.toks) and self._coordinating(after) is not None:
            return True  # "chủ trì, phối hợp với …": the coordinating agencies follow
        if t.kind == lx.WORD and i > 0 and self.toks[i - 1].kind == lx.WORD:
            # "các doanh nghiệp BHXH tỉnh": a separator is missing. But "các cơ quan thuộc
            # UBND tỉnh" names UBND tỉnh as an object, and "cơ sở y tế" is no "Sở Y tế":
            # a new item starts with a capital after a word that takes no object.
            before = tuple(x.text for x in self.toks[max(0, i - 6) : i] if x.kind == lx.WORD)
            if (
                not any(before[-len(seq) :] == seq for seq in lx.LINKING)
                and self.cell[t.start].isupper()
                and self.reg.starts_strong(self.toks, i)
            ):
                return True
        if (joined := lx.CONNECTORS.walk(self.toks, i)) is not None:
            # "các cơ quan trung ương … và Chủ tịch UBND các cấp", "Sở Y tế theo chức năng,
            # nhiệm vụ và Bưu điện tỉnh": the text ends, another agency follows.
            return joined[0] < len(self.toks) and self.reg.starts_strong(self.toks, joined[0])
        if t.kind == lx.SEP:
            # Items of a numbered cell end only at the next number: "; " is inside them.
            return not self.numbered or t.text == "-"
        return (
            t.kind == lx.COMMA
            and i + 1 < len(self.toks)
            and self.reg.starts_strong(self.toks, i + 1)
        )

    def _mention(self, start: int, end: int) -> None:
        i = start
        while i < end:
            found = self.reg.names_at(self.toks[:end], i)
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
            if t.kind in (lx.COMMA, lx.SEP, lx.OPEN, lx.CLOSE, lx.COLON) or i in self.markers:
                break
            if t.kind == lx.WORD and (
                lx.CUTTING.walk(self.toks, i) is not None or self.reg.starts_strong(self.toks, i)
            ):
                break
            i += 1
        text = self.text(pos, i)
        if text:
            suggestions = self.reg.suggest(text, self.scope)
            if self.member_kinds:
                # "Nhơn Trạch" in "UBND các huyện: Trảng Bom, Nhơn Trạch": a member missing
                suggestions = self.reg.suggest_member(text, self.member_kinds) or suggestions
            self.unknown.append(Unknown(text, suggestions, self.cell))
            self.items.append(_Item())  # a role word after it belongs to it, not to others
        self.joined = False
        return i


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
        merged[p.code] = replace(
            old,
            scope=scope,
            role=old.role or p.role,
            by_class=old.by_class and p.by_class,
            via=old.via if not old.by_class else p.via,
        )
    return tuple(merged.values())
