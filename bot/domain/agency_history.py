"""Agencies change: renamed, merged into another, split, dissolved, on a date, by an act.

In 2025 provincial departments were merged (Nghị định 45/2025/NĐ-CP, in force from
1 March 2025) and the district level of local government ended on 1 July 2025; plans
published before then name agencies that no longer exist as they were. A plan's cell is
read as written (names and aliases stay matchable forever, see
:mod:`bot.domain.agencies`); this module then says who does that work *on a given day*
(the day of the import or of the reminder, Vietnam's calendar):

- an agency that exists that day does it itself;
- an agency that changed before that day hands its work to its successors, following
  each successor's own later change ("Sở Giao thông vận tải" → "Sở Xây dựng" → …); a
  dissolution without successor hands it to nobody;
- a task that already has a part for the agency named or one of its successors keeps
  that part: re-importing an old plan after a merge changes nothing, and work closed by
  the agency as it then was stays under its name;
- a class of agencies ("UBND cấp huyện") counts only its members that exist that day;
  a class with none left is an error that says what changed and what replaced it,
  unless the admin maps it explicitly (``--map "UBND cấp huyện=UBND cấp xã"``).

Everything here is pure: the importers and ``bot.services.agency_changes`` bring the rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from bot.domain.agencies import KIND_LABELS, Assigned, Kind
from bot.domain.labelled import Labelled


class ChangeKind(Labelled):
    """How an agency stopped existing as it was; the label reads "X <label> Y"."""

    RENAMED = "renamed", "đổi tên thành"
    MERGED = "merged", "sáp nhập vào"
    SPLIT = "split", "chia tách thành"
    DISSOLVED = "dissolved", "giải thể"


@dataclass(frozen=True)
class Change:
    """One agency's change: ``on`` is the first day it no longer exists as it was."""

    code: str
    kind: ChangeKind
    on: date
    act: str  # "Nghị định số 45/2025/NĐ-CP ngày 28/02/2025"
    successors: tuple[str, ...] = ()
    # Its work has been handed on (``bot.services.agency_changes.apply_due``): from then
    # on the agency is treated as ended whatever day is asked about, since its parts and
    # files already are with its successors.
    applied: bool = False

    def describe(self, names: Mapping[str, str]) -> str:
        """ "Sở Kế hoạch và Đầu tư sáp nhập vào Sở Tài chính từ 01/03/2025 theo …"."""
        old = names.get(self.code, self.code)
        new = ", ".join(names.get(c, c) for c in self.successors)
        if self.kind is ChangeKind.DISSOLVED:
            what = f"{old} giải thể" + (f", công việc chuyển cho {new}" if new else "")
        else:
            what = f"{old} {self.kind.label} {new}"
        return f"{what} từ {self.on:%d/%m/%Y} theo {self.act}"


@dataclass(frozen=True)
class Succession:
    """Who does an agency's work on a day, and the changes that led there (oldest first)."""

    code: str
    path: tuple[Change, ...] = ()

    def describe(self, names: Mapping[str, str]) -> str:
        """ "Sở Kế hoạch và Đầu tư → Sở Tài chính từ 01/03/2025 theo …"; several steps
        joined with "; rồi "."""
        steps = []
        for i, change in enumerate(self.path):
            new = self.path[i + 1].code if i + 1 < len(self.path) else self.code
            steps.append(
                f"{names.get(change.code, change.code)} → {names.get(new, new)} "
                f"từ {change.on:%d/%m/%Y} theo {change.act}"
            )
        return "; rồi ".join(steps)


class History:
    """Every recorded change, by the agency that changed."""

    def __init__(self, changes: Iterable[Change] = ()) -> None:
        self.changes = {c.code: c for c in changes}

    def ended(self, code: str, day: date) -> Change | None:
        """The change that ended ``code`` on or before ``day``, or already applied; None
        while it exists."""
        change = self.changes.get(code)
        return change if change is not None and (change.applied or change.on <= day) else None

    def exists(self, code: str, day: date) -> bool:
        return self.ended(code, day) is None

    def successors(self, code: str, day: date) -> tuple[Succession, ...]:
        """The agencies doing ``code``'s work on ``day``: itself while it exists, else its
        successors' successors on that day; empty after a dissolution without one."""
        out: dict[str, Succession] = {}

        def walk(at: str, path: tuple[Change, ...]) -> None:
            change = self.ended(at, day)
            if change is None:
                out.setdefault(at, Succession(at, path))
                return
            for nxt in change.successors:
                if nxt != code and all(nxt != c.code for c in path):  # a cycle: bad data
                    walk(nxt, (*path, change))

        walk(code, ())
        return tuple(out.values())

    def heirs(self, code: str) -> list[str]:
        """``code`` and every agency its work passes to through every recorded change,
        whatever its date, nearest first: a part or a file any of them holds is this
        agency's work."""
        found, at = [code], 0
        while at < len(found):
            change = self.changes.get(found[at])
            found.extend(n for n in (change.successors if change else ()) if n not in found)
            at += 1
        return found


REPLACED_CLASS = {Kind.DISTRICT: Kind.COMMUNE}
"""A class of agencies that no longer has members, and the class its work went to: the
district level ended on 1 July 2025 and local government has two levels, province and
commune (Luật Tổ chức chính quyền địa phương số 72/2025/QH15)."""


@dataclass(frozen=True)
class Routed:
    """One agency's part of a task on the import's day."""

    code: str
    role: str
    scope: str
    kept: bool = False  # a former agency's part: history, left as it is
    change: str = ""  # how the named agency led here, for the part's history


@dataclass(frozen=True)
class Rerouted:
    """A former agency (or a class) named by the plan whose part went elsewhere: the
    names as written and as registered, and how, in a sentence ("Sở Kế hoạch và Đầu tư →
    Sở Tài chính từ 01/03/2025 theo …", or "… theo --map “…”")."""

    named: str
    to: tuple[str, ...]
    how: str


@dataclass(frozen=True)
class Mapped:
    """An admin's explicit replacement (``--map "OLD=NEW"``) for one agency code."""

    to: tuple[str, ...]  # the codes that take the work
    text: str  # "UBND cấp huyện=UBND cấp xã", as written
    # OLD was a class: it replaces the class's members, not an agency the plan names by
    # itself (which keeps its own recorded successor).
    classes_only: bool = False


@dataclass(frozen=True)
class RoutingError:
    """Why work the plan gives cannot be routed, in Vietnamese; ``role``: the column of
    the words at fault ("lead", "coordinate")."""

    role: str
    reason: str


@dataclass
class Routing:
    parts: list[Routed] = field(default_factory=list)
    rerouted: list[Rerouted] = field(default_factory=list)
    errors: list[RoutingError] = field(default_factory=list)


@dataclass(frozen=True)
class Registered:
    """What routing needs to know of a registered agency."""

    name: str
    kind: str


def route(
    assigned: Iterable[Assigned],
    *,
    history: History,
    day: date,
    held: Iterable[str] = (),
    mapping: Mapping[str, Mapped] | None = None,
    agencies: Mapping[str, Registered],
) -> Routing:
    """Each part of one task as it stands on ``day``.

    ``assigned``: the parts as the plan names them (:func:`bot.domain.agencies.assign`).
    ``held``: codes of the agencies the task already has parts for. ``mapping``: the
    admin's explicit replacements by code; they win over the history, every time, so
    that the same import gives the same parts. ``agencies``: every registered agency by
    code. In order, an agency named (itself or as a class's member):

    1. keeps the parts of its former selves the task has, untouched (``kept``): closed
       work stays under the agency as it was;
    2. is replaced as the admin mapped it;
    3. is the part the task already has for its work, the nearest in its line of
       successors that exists on ``day`` (where re-routing left it);
    4. exists on ``day``: does its part itself;
    5. as a class's member that no longer exists: drops out (the class's members that
       exist carry its work);
    6. else goes to its successors on ``day``, or is an error when it has none.

    A class with no member left is an error offering the class that replaced it.
    Returns the parts, what was re-routed, and the errors in Vietnamese.
    """
    mapping = mapping or {}
    held = set(held)
    names = {c: a.name for c, a in agencies.items()}
    out = Routing()
    parts: dict[str, Routed] = {}
    classes: dict[str, list[str]] = {}  # a class as written → its members left that day

    def add(code: str, a: Assigned, *, kept: bool = False, change: str = "") -> None:
        old = parts.get(code)
        if old is None:
            parts[code] = Routed(code, a.role, a.scope, kept, change)
        elif old.role == "coordinate" and a.role == "lead":
            parts[code] = Routed(code, a.role, a.scope or old.scope, old.kept, old.change)

    def rerouted(entry: Rerouted) -> None:
        if entry not in out.rerouted:
            out.rerouted.append(entry)

    for a in assigned:
        members = classes.setdefault(a.via, []) if a.by_class else []
        mine = [c for c in history.heirs(a.code) if c in held]
        for code in mine:
            if not history.exists(code, day):
                add(code, a, kept=True)
                members.append(code)
        mapped = mapping.get(a.code)
        if mapped is not None and (a.by_class or not mapped.classes_only):
            # A class's map speaks of the class; an agency's map of that agency, wherever
            # the plan names it.
            named = a.via if mapped.classes_only else names.get(a.code, a.code)
            to = tuple(names.get(c, c) for c in mapped.to)
            how = f"{named} → {', '.join(to)} theo --map “{mapped.text}”"
            for code in mapped.to:
                add(code, a, change=how)
            members.extend(mapped.to)
            rerouted(Rerouted(named, to, how))
            continue
        live = [c for c in mine if history.exists(c, day)]
        if live or mine:
            if live:
                add(live[0], a)
                members.append(live[0])
            continue
        if history.exists(a.code, day):
            add(a.code, a)
            members.append(a.code)
            continue
        if a.by_class:
            continue
        successors = history.successors(a.code, day)
        if not successors:
            change = history.ended(a.code, day)
            assert change is not None
            out.errors.append(RoutingError(a.role,
                f"“{names.get(a.code, a.code)}” không còn: {change.describe(names)}, không có "
                f"cơ quan kế tục; ghi cơ quan nhận việc vào ô, hoặc nhập lại với "
                f"--map “{names.get(a.code, a.code)}=<cơ quan nhận việc>”"
            ))  # fmt: skip
            continue
        for s in successors:
            add(s.code, a, change=s.describe(names))
        rerouted(
            Rerouted(names.get(a.code, a.code), tuple(names.get(s.code, s.code) for s in successors),
                     "; ".join(s.describe(names) for s in successors))
        )  # fmt: skip
    for via, members in classes.items():
        if not members:
            role = next(a.role for a in assigned if a.via == via and a.by_class)
            out.errors.append(
                RoutingError(role, _empty_class(via, assigned, history, day, agencies))
            )
    out.parts = list(parts.values())
    return out


def _empty_class(
    via: str,
    assigned: Iterable[Assigned],
    history: History,
    day: date,
    agencies: Mapping[str, Registered],
) -> str:
    """Why a class names nobody on ``day``, and what to write instead."""
    members = [a.code for a in assigned if a.via == via and a.by_class]
    names = {c: a.name for c, a in agencies.items()}
    changes = [c for m in members if (c := history.ended(m, day)) is not None]
    acts = sorted({c.act for c in changes})
    first = min((c.on for c in changes), default=day)
    kinds = {agencies[m].kind for m in members if m in agencies}
    instead = ""
    if len(kinds) == 1 and (new := REPLACED_CLASS.get(Kind(kinds.pop()))):
        label = KIND_LABELS[new]
        instead = f"; thay bằng “{label}”, hoặc nhập lại với --map “{via}={label}”"
    else:
        instead = f"; ghi cơ quan nhận việc vào ô, hoặc nhập lại với --map “{via}=<cơ quan>”"
    gone = ", ".join(names.get(m, m) for m in members[:3]) + ("…" if len(members) > 3 else "")
    return (
        f"“{via}”: không còn cơ quan nào thuộc nhóm này từ {first:%d/%m/%Y} "
        f"({gone} — theo {', '.join(acts)}){instead}"
    )
