"""Turn a lead/coordinating cell ("Các sở, ban, ngành; UBND cấp huyện") into agencies.

Cells are free text: lists split by commas, semicolons, "và", line breaks and bullet
dashes, names with commas inside ("Sở Văn hóa, Thể thao và Du lịch"), abbreviations,
classes of agencies, and role words after a name ("Sở Nội vụ tham mưu UBND tỉnh").
The matcher reads them against a registry; a name it cannot read is returned with
the closest known names, never dropped.

``scope`` is the agency that issued the plan: inside a department's own plan, "Văn
phòng Sở" and "Các phòng, đơn vị" mean that department's units.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from bot.domain.text import fold_aligned, key


class Kind(StrEnum):
    PROVINCE = "tinh"  # UBND tỉnh
    DEPARTMENT = "so"  # sở, ban, ngành cấp tỉnh
    DISTRICT = "huyen"  # UBND cấp huyện
    COMMUNE = "xa"  # UBND cấp xã
    UNIT = "phong"  # a unit inside an agency: phòng, văn phòng sở, trung tâm trực thuộc
    OTHER = "khac"  # mass organisations and central agencies' local branches


KIND_LABELS = {
    Kind.PROVINCE: "UBND tỉnh",
    Kind.DEPARTMENT: "Sở, ban, ngành",
    Kind.DISTRICT: "UBND cấp huyện",
    Kind.COMMUNE: "UBND cấp xã",
    Kind.UNIT: "Phòng, đơn vị trực thuộc",
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
    }
    return aliases.get(folded)


@dataclass(frozen=True)
class AgencyEntry:
    code: str
    name: str
    kind: Kind
    parent: str | None = None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Unknown:
    text: str
    suggestions: tuple[str, ...]

    def describe(self) -> str:
        if not self.suggestions:
            return f"“{self.text}”"
        return f"“{self.text}” (có phải: {', '.join(self.suggestions)}?)"


@dataclass(frozen=True)
class Match:
    codes: tuple[str, ...]
    unknown: tuple[Unknown, ...] = ()
    general: tuple[str, ...] = ()  # "các cơ quan, đơn vị có liên quan": kept as text


# Abbreviations, on matching keys (folded, punctuation as spaces). Longest first.
_ABBREVIATIONS = {
    "tt pvhcc": "trung tam phuc vu hanh chinh cong",
    "pvhcc": "phuc vu hanh chinh cong",
    "ubmttqvn": "uy ban mat tran to quoc viet nam",
    "ubmttq": "uy ban mat tran to quoc",
    "mttqvn": "mat tran to quoc viet nam",
    "mttq": "mat tran to quoc",
    "ubnd": "uy ban nhan dan",
    "hdnd": "hoi dong nhan dan",
    "vp": "van phong",
    "tn mt": "tai nguyen va moi truong",
    "tnmt": "tai nguyen va moi truong",
    "kh dt": "ke hoach va dau tu",
    "khdt": "ke hoach va dau tu",
    "tt tt": "thong tin va truyen thong",
    "tttt": "thong tin va truyen thong",
    "ld tb xh": "lao dong thuong binh va xa hoi",
    "ldtbxh": "lao dong thuong binh va xa hoi",
    "gd dt": "giao duc va dao tao",
    "gddt": "giao duc va dao tao",
    "nn ptnt": "nong nghiep va phat trien nong thon",
    "nnptnt": "nong nghiep va phat trien nong thon",
    "vh tt dl": "van hoa the thao va du lich",
    "vhttdl": "van hoa the thao va du lich",
    "kh cn": "khoa hoc va cong nghe",
    "khcn": "khoa hoc va cong nghe",
    "gtvt": "giao thong van tai",
    "bhxh": "bao hiem xa hoi",
    "cchc": "cai cach hanh chinh",
    "tthc": "thu tuc hanh chinh",
    "tp": "thanh pho",
}
_ABBREVIATION_RX = re.compile(
    r"\b(" + "|".join(re.escape(a) for a in sorted(_ABBREVIATIONS, key=len, reverse=True)) + r")\b"
)


def match_key(text: str) -> str:
    """The key a name is matched by: folded, punctuation gone, abbreviations spelled out."""
    return _ABBREVIATION_RX.sub(lambda m: _ABBREVIATIONS[m.group(1)], key(text))


# Classes of agencies. Values: a kind, or "units" (the units of the plan's issuer).
_CLASSES: dict[str, Kind | str] = {}
for _phrase, _target in [
    ("các sở, ban, ngành", Kind.DEPARTMENT),
    ("sở, ban, ngành", Kind.DEPARTMENT),
    ("các sở, ngành", Kind.DEPARTMENT),
    ("các sở, ban, ngành tỉnh", Kind.DEPARTMENT),
    ("các sở, ban, ngành của tỉnh", Kind.DEPARTMENT),
    ("các cơ quan chuyên môn thuộc UBND tỉnh", Kind.DEPARTMENT),
    ("UBND cấp huyện", Kind.DISTRICT),
    ("UBND các huyện, thành phố", Kind.DISTRICT),
    ("UBND các huyện, thị xã, thành phố", Kind.DISTRICT),
    ("các huyện, thành phố", Kind.DISTRICT),
    ("cấp huyện", Kind.DISTRICT),
    ("địa phương", Kind.DISTRICT),
    ("các địa phương", Kind.DISTRICT),
    ("UBND cấp xã", Kind.COMMUNE),
    ("UBND các xã, phường, thị trấn", Kind.COMMUNE),
    ("các xã, phường, thị trấn", Kind.COMMUNE),
    ("cấp xã", Kind.COMMUNE),
    ("các phòng, đơn vị", "units"),
    ("các phòng", "units"),
    ("các phòng chuyên môn", "units"),
    ("các phòng, đơn vị thuộc Sở", "units"),
    ("các đơn vị", "units"),
    ("các phòng, ban", "units"),
    ("các đơn vị sự nghiệp công lập", "units"),
]:
    _CLASSES[match_key(_phrase)] = _target

# References to "whoever is concerned": real, but naming no agency to remind.
_GENERAL = re.compile(
    r"^(?:cac )?(?:co quan|don vi|to chuc|ca nhan)\b.*$|^co quan truyen thong"
    r"|^don vi duoc chon|^cac co quan don vi dia phuong$"
)
# Words that end a name and start a role ("Sở Nội vụ tham mưu UBND tỉnh").
_ROLE = re.compile(
    r"\b(?:chu tri|tham muu|theo doi|don doc|chu dong|xay dung|tong hop|thuc hien|phoi hop"
    r"|duoc kiem tra|kiem tra|huong dan|co lien quan|lien quan)\b".replace(" ", r"\s+")
)
_HARD_SPLIT = re.compile(r"[;\n]+|(?:^|\s)[-–+•]\s+")
_MAX_MERGE = 6


class Registry:
    """The agencies a plan can name, indexed for matching."""

    def __init__(self, entries: Iterable[AgencyEntry]) -> None:
        self.entries = {e.code: e for e in entries}
        self._names: dict[str, list[str]] = defaultdict(list)
        self._units: dict[str, list[str]] = defaultdict(list)
        self._kinds: dict[Kind, list[str]] = defaultdict(list)
        for e in self.entries.values():
            for name in (e.name, *e.aliases):
                for k in {match_key(name), _loose(match_key(name))}:
                    codes = self._names[k]
                    if e.code not in codes:
                        codes.append(e.code)
            self._kinds[e.kind].append(e.code)
            if e.parent:
                self._units[e.parent].append(e.code)

    def match(self, cell: str, *, scope: str | None = None) -> Match:
        codes: list[str] = []
        unknown: list[Unknown] = []
        general: list[str] = []
        for clause in _HARD_SPLIT.split(cell or ""):
            if not clause.strip(" .,:"):
                continue
            found, missed, vague = self._match_clause(clause, scope)
            if missed or vague:
                # fold_aligned keeps offsets, so the cut applies to the original text.
                cut = _ROLE.search(fold_aligned(clause))
                if cut:
                    retry = self._match_clause(clause[: cut.start()], scope)
                    if (len(retry[1]), len(retry[2])) < (len(missed), len(vague)):
                        found, missed, vague = retry
            codes.extend(found)
            unknown.extend(missed)
            general.extend(vague)
        return Match(tuple(dict.fromkeys(codes)), tuple(unknown), tuple(dict.fromkeys(general)))

    def _match_clause(
        self, clause: str, scope: str | None
    ) -> tuple[list[str], list[Unknown], list[str]]:
        segments = [s.strip(" .:") for s in clause.split(",") if s.strip(" .:")]
        codes: list[str] = []
        unknown: list[Unknown] = []
        general: list[str] = []
        i = 0
        while i < len(segments):
            for j in range(min(len(segments), i + _MAX_MERGE), i, -1):
                text = ", ".join(segments[i:j])
                hit = self._lookup(text, scope)
                if hit is not None:
                    codes.extend(hit)
                    i = j
                    break
            else:
                text = segments[i]
                parts = re.split(r"\s+(?:và|va|cùng)\s+", text, flags=re.IGNORECASE)
                hits = [self._lookup(p, scope) for p in parts]
                if len(parts) > 1 and all(h is not None for h in hits):
                    codes.extend(c for h in hits if h is not None for c in h)
                elif _GENERAL.search(match_key(text)):
                    # "Cơ quan, đơn vị có liên quan": the rest of the clause is the same phrase.
                    general.append(", ".join(segments[i:]))
                    break
                else:
                    unknown.append(self._unknown(text, scope))
                i += 1
        return codes, unknown, general

    def _lookup(self, text: str, scope: str | None) -> list[str] | None:
        k = match_key(text)
        target = _CLASSES.get(k)
        if target == "units":
            return list(self._units.get(scope or "", [])) or None
        if isinstance(target, Kind):
            return list(self._kinds.get(target, []))
        codes = (
            self._names.get(k)
            or self._names.get(_strip_article(k))
            or self._names.get(_loose(k), [])
        )
        if len(codes) == 1:
            return list(codes)
        scoped = [c for c in codes if self.entries[c].parent == scope]
        return scoped[:1] or None

    def _unknown(self, text: str, scope: str | None) -> Unknown:
        k = match_key(text)
        close = difflib.get_close_matches(k, list(self._names), n=3, cutoff=0.6)
        names: list[str] = []
        for c in close:
            for code in self._names[c]:
                entry = self.entries[code]
                if scope is None or entry.parent in (None, scope):
                    names.append(entry.name)
        return Unknown(text.strip(), tuple(dict.fromkeys(names))[:3])


def _loose(k: str) -> str:
    """Without "và": "Sở Kế hoạch Đầu tư" is how many write "Sở Kế hoạch và Đầu tư"."""
    return " ".join(w for w in k.split() if w != "va")


def _strip_article(k: str) -> str:
    return k.removeprefix("cac ").removeprefix("co quan ")


def describe_unknown(items: Iterable[Unknown]) -> str:
    return "; ".join(u.describe() for u in items)
