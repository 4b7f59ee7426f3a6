"""Import the agency registry: code, name, kind, parent, aliases. Upsert by code.

An agency's names only grow: a row that renames an agency, or leaves out one of its
aliases, keeps the former name among its aliases, so plans and commands written with it
still find the agency."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from bot.domain.agencies import parse_kind
from bot.domain.text import clean, key
from bot.importers.columns import LABELS, REQUIRED, is_header, map_header
from bot.importers.errors import ImportFailed
from bot.importers.rows import RowError
from bot.importers.tabular import read_rows
from bot.models import Agency


@dataclass
class AgencyImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # The first LISTED agencies added and changed, for a preview to name.
    added: list[str] = field(default_factory=list)  # "Sở Tư pháp"
    changed: list[str] = field(default_factory=list)  # "Sở Tư pháp: tên, tên gọi khác"


LISTED = 10  # agencies a report names one by one; the rest are counted
_LABELS = {"kind": "loại", "aliases": "tên gọi khác",
           "letter_symbol": "ký hiệu văn bản"}  # fmt: skip


# An agency's code is typed in chat commands and stands in the web view's addresses.
# A code is in chat commands and in the web view's addresses (/co-quan/<code>): letters,
# digits and - _ . only, and not dots alone, which a browser reads as "this folder" or "the
# one above" (/co-quan/.. opens Tổng quan).
CODE_SHAPE = re.compile(r"(?!\.+$)[\w.\-]+")


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", key(name)).strip("-")[:64]


_SYMBOL = re.compile(r"[A-ZĐ0-9&.-]{1,16}")
NAME_MAX, CODE_MAX = 255, 64  # the registry's columns


def _check_symbols(
    parsed: list[tuple[int, dict[str, str]]], existing: dict[str, Agency], errors: list[RowError]
) -> None:
    """Each agency's letter symbol (the "STP" of "07/PXL-STP") is its own.

    A row without one gets its code's initials, when no other agency has them: Sở Tài
    nguyên và Môi trường and Sở Thông tin và Truyền thông would both be "ST", and their
    letters would share numbers, so such a clash asks for the symbol to be written.
    """
    owners: dict[str, str] = {
        a.letter_symbol: f"cơ quan “{a.name}” đã có trong danh mục"
        for a in existing.values()
        if a.letter_symbol and a.code not in {c["code"] for _, c in parsed}
    }
    for line, cells in parsed:
        given = cells.get("symbol", "").upper()
        symbol = given or "".join(w[0] for w in cells["code"].split("-") if w).upper()
        cells["symbol"] = symbol
        if not _SYMBOL.fullmatch(symbol):
            errors.append(RowError(line, f"ký hiệu văn bản “{symbol}” không hợp lệ "
                                         "(chữ in hoa, số, “-”, “&”, tối đa 16 ký tự)"))  # fmt: skip
            continue
        if symbol in owners:
            how = "" if given else " (suy từ mã, vì cột Ký hiệu văn bản để trống)"
            errors.append(RowError(line, f"ký hiệu văn bản “{symbol}”{how} trùng với {owners[symbol]}: "
                                         "mỗi cơ quan cần một ký hiệu riêng"))  # fmt: skip
            continue
        owners[symbol] = f"dòng {line} ({cells['name']})"


def _kept_names(agency: Agency, name: str, aliases: list[str], names: dict[str, str]) -> list[str]:
    """The row's aliases, then the agency's former name and aliases the row leaves out:
    a name once matched stays matchable (old plans, ``dondoc link "tên cũ"``), unless it
    is now the name of another agency."""
    kept = list(aliases)
    seen = {key(name), *(key(a) for a in aliases)}
    for former in (*agency.aliases, agency.name):
        k = key(former)
        if k in seen or names.get(k, agency.code) != agency.code:
            continue
        kept.append(former)
        seen.add(k)
    return kept


def import_agencies(session: Session, path: Path) -> AgencyImportReport:
    rows = read_rows(path, "agencies")
    header_at = next(
        (i for i, r in enumerate(rows) if is_header(map_header(r.cells, "agencies"), "agencies")),
        None,
    )
    if header_at is None:
        need = ", ".join(LABELS[c] for c in REQUIRED["agencies"])
        raise ImportFailed(path, [RowError(rows[0].line, f"không thấy dòng tiêu đề (cần: {need})")])
    header = map_header(rows[header_at].cells, "agencies")
    missing = [LABELS[c] for c in REQUIRED["agencies"] if c not in header]
    if missing:
        raise ImportFailed(
            path, [RowError(rows[header_at].line, "thiếu cột: " + ", ".join(missing))]
        )

    errors: list[RowError] = []
    parsed: list[tuple[int, dict[str, str]]] = []
    seen: dict[str, int] = {}
    for row in rows[header_at + 1 :]:
        if row.is_blank():
            continue
        cells = {n: clean(row.cells[i]) if i < len(row.cells) else "" for n, i in header.items()}
        if not cells.get("name"):
            errors.append(RowError(row.line, "thiếu tên cơ quan"))
            continue
        if len(cells["name"]) > NAME_MAX:
            errors.append(RowError(row.line, f"tên cơ quan dài {len(cells['name'])} ký tự, quá "
                                             f"{NAME_MAX} ký tự"))  # fmt: skip
            continue
        cells["code"] = cells.get("code") or slug(cells["name"])
        if len(cells["code"]) > CODE_MAX:
            errors.append(RowError(row.line, f"mã “{cells['code']}” dài quá {CODE_MAX} ký tự"))
            continue
        if not CODE_SHAPE.fullmatch(cells["code"]):
            errors.append(RowError(row.line, f"mã “{cells['code']}” chỉ được gồm chữ, số và các "
                                             "dấu - _ . (không có dấu cách, / ? # %; không "
                                             "chỉ gồm dấu chấm): mã nằm "
                                             "trong lệnh chat và địa chỉ trang web"))  # fmt: skip
            continue
        if cells["code"] in seen:
            errors.append(
                RowError(row.line, f"mã “{cells['code']}” trùng với dòng {seen[cells['code']]}")
            )
            continue
        seen[cells["code"]] = row.line
        if parse_kind(cells.get("kind", "")) is None:
            errors.append(
                RowError(
                    row.line,
                    f"loại “{cells.get('kind', '')}” không hợp lệ "
                    "(tinh, so, huyen, xa, phong, bo hoặc khac)",
                )
            )
        parsed.append((row.line, cells))

    existing = {a.code: a for a in session.exec(select(Agency)).all()}
    _check_symbols(parsed, existing, errors)
    names = {key(a.name): a.code for a in existing.values()}
    names.update({key(c["name"]): c["code"] for _, c in parsed})
    for line, cells in parsed:
        parent = cells.get("parent", "")
        if parent and parent not in seen and parent not in existing and key(parent) not in names:
            errors.append(RowError(line, f"cơ quan cấp trên “{parent}” không có trong danh mục"))
    if errors:
        raise ImportFailed(path, errors)

    report = AgencyImportReport()
    by_code = dict(existing)
    for _, cells in parsed:
        kind = parse_kind(cells["kind"])
        assert kind is not None  # validated above
        aliases = [clean(a) for a in re.split(r"[|;]", cells.get("aliases", "")) if clean(a)]
        agency = by_code.get(cells["code"])
        if agency is not None:
            aliases = _kept_names(agency, cells["name"], aliases, names)
        values: dict[str, Any] = {"name": cells["name"], "kind": kind.value, "aliases": aliases,
                                  "letter_symbol": cells["symbol"]}  # fmt: skip
        if agency is None:
            agency = Agency(code=cells["code"], **values)
            report.created += 1
            if len(report.added) < LISTED:
                report.added.append(cells["name"])
        elif any(getattr(agency, k) != v for k, v in values.items()):
            if len(report.changed) < LISTED:
                what = [f"tên mới “{v}”" if k == "name" else _LABELS[k]
                        for k, v in values.items() if getattr(agency, k) != v]  # fmt: skip
                report.changed.append(f"{agency.name}: {', '.join(what)}")
            for k, v in values.items():
                setattr(agency, k, v)
            report.updated += 1
        else:
            report.unchanged += 1
        session.add(agency)
        by_code[agency.code] = agency
    session.flush()
    for _, cells in parsed:
        parent_ref = cells.get("parent", "")
        parent_code = parent_ref if parent_ref in by_code else names.get(key(parent_ref))
        parent_id = by_code[parent_code].id if parent_code else None
        agency = by_code[cells["code"]]
        if agency.parent_id != parent_id:
            agency.parent_id = parent_id
            session.add(agency)
    session.flush()
    return report
