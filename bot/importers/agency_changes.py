"""Import the agencies' changes: ``dondoc import agency-changes FILE`` (CSV or XLSX).

Columns (header words as :mod:`bot.importers.columns` reads them): "Ngày hiệu lực"
(dd/mm/yyyy), "Thay đổi" (đổi tên | sáp nhập | chia tách | giải thể, with or without
diacritics), "Cơ quan" (code or name), "Cơ quan kế tục" (codes or names separated by
"|" or ";", empty for a dissolution without successor), "Văn bản" (the act), and an
optional "Ghi chú". Successors must already be in the registry (``dondoc import
agencies`` first). The whole file is one transaction in the caller's session: any bad
row and nothing is written (:class:`ImportFailed`, each error by line). A row already
recorded as written is unchanged, so importing the same file again is a no-op.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlmodel import Session

from bot.domain.agency_history import ChangeKind
from bot.domain.text import clean
from bot.domain.when import read_moment
from bot.importers.columns import LABELS, REQUIRED, is_header, map_header
from bot.importers.errors import ImportFailed
from bot.importers.rows import RowError
from bot.importers.tabular import Row, read_rows
from bot.models import Agency, AgencyChange
from bot.services.agency_changes import (
    ChangeRefused,
    act_problem,
    agency_names,
    as_change,
    change_of,
    parse_kind,
    record_change,
    successors_of,
)
from bot.services.register import find_agency

TABLE = "agency_changes"


@dataclass
class ChangesImportReport:
    """What the file held: changes recorded now, rows already recorded as written."""

    created: list[str] = field(default_factory=list)  # descriptions of the new changes
    unchanged: int = 0


@dataclass(frozen=True)
class _Read:
    line: int
    agency: Agency
    kind: ChangeKind
    on: date
    act: str
    successors: tuple[Agency, ...]


def import_agency_changes(
    session: Session, path: Path, *, actor: str, now: datetime
) -> ChangesImportReport:
    """Record every change of the file (``actor``: who imports, e.g. "import:changes.csv";
    ``now``: aware). Raises :class:`ImportFailed` naming each bad row's line: unreadable
    date or kind, unknown agency or successor, no act or one without a number, a
    successor that is one of the agency's own units, a successor count that does not
    fit the kind, a second different change for one agency, whatever
    :func:`bot.services.agency_changes.record_change` refuses."""
    rows = read_rows(path, TABLE)
    header_at = next(
        (i for i, r in enumerate(rows) if is_header(map_header(r.cells, TABLE), TABLE)), None
    )
    if header_at is None:
        need = ", ".join(LABELS[c] for c in REQUIRED[TABLE])
        raise ImportFailed(path, [RowError(rows[0].line, f"không thấy dòng tiêu đề (cần: {need})")])
    header = map_header(rows[header_at].cells, TABLE)
    missing = [LABELS[c] for c in REQUIRED[TABLE] if c not in header]
    if missing:
        raise ImportFailed(
            path, [RowError(rows[header_at].line, "thiếu cột: " + ", ".join(missing))]
        )
    errors: list[RowError] = []
    read: list[_Read] = []
    for row in rows[header_at + 1 :]:
        if row.is_blank():
            continue
        found = _read_row(session, row, header)
        if isinstance(found, RowError):
            errors.append(found)
        else:
            read.append(found)
    report = ChangesImportReport()
    _record_all(session, read, errors, report, actor, now)
    if errors:
        raise ImportFailed(path, errors)
    return report


def _read_row(session: Session, row: Row, header: dict[str, int]) -> _Read | RowError:
    cells = {n: clean(row.cells[i]) if i < len(row.cells) else "" for n, i in header.items()}
    problems: list[str] = []
    moment = read_moment(cells["effective_on"])
    if moment is None or moment[1] is not None:
        problems.append(f"ngày hiệu lực “{cells['effective_on']}” không phải một ngày (dd/mm/yyyy)")
    kind = parse_kind(cells["change"])
    if kind is None:
        problems.append(f"thay đổi “{cells['change']}” không hợp lệ (đổi tên, sáp nhập, chia tách "
                        "hoặc giải thể)")  # fmt: skip
    agency = find_agency(session, cells["changed"]) if cells["changed"] else None
    if agency is None:
        problems.append(f"cơ quan “{cells['changed']}” không có trong danh mục"
                        if cells["changed"] else "thiếu cơ quan")  # fmt: skip
    successors: list[Agency] = []
    for name in (clean(n) for n in re.split(r"[|;]", cells.get("successors", ""))):
        if not name:
            continue
        if (heir := find_agency(session, name)) is None:
            problems.append(f"cơ quan kế tục “{name}” không có trong danh mục (thêm trước bằng "
                            "dondoc import agencies)")  # fmt: skip
        else:
            successors.append(heir)
    if (problem := act_problem(cells["act"])) is not None:
        problems.append(problem)
    if problems:
        return RowError(row.line, "; ".join(problems))
    assert moment is not None and kind is not None and agency is not None
    return _Read(row.line, agency, kind, moment[0], cells["act"], tuple(successors))


def _record_all(
    session: Session, read: list[_Read], errors: list[RowError], report: ChangesImportReport,
    actor: str, now: datetime,
) -> None:  # fmt: skip
    """Each row recorded in the file's order, unless it is already recorded as written."""
    lines: dict[str, int] = {}
    for r in read:
        if r.agency.code in lines:
            errors.append(RowError(r.line, f"{r.agency.name} đã có thay đổi ở dòng "
                                           f"{lines[r.agency.code]}"))  # fmt: skip
            continue
        lines[r.agency.code] = r.line
        existing = change_of(session, r.agency)
        if existing is not None and _same(session, existing, r):
            report.unchanged += 1
            continue
        try:
            change = record_change(session, agency=r.agency, kind=r.kind, on=r.on, act=r.act,
                                   successors=list(r.successors), actor=actor, now=now)  # fmt: skip
        except ChangeRefused as exc:
            errors.append(RowError(r.line, exc.reason))
            continue
        report.created.append(as_change(session, change).describe(agency_names(session)))


def _same(session: Session, existing: AgencyChange, r: _Read) -> bool:
    """The row says what is already recorded: same kind, day, act and successors."""
    return (
        existing.kind == r.kind.value
        and existing.effective_on == r.on
        and existing.act == " ".join(r.act.split())
        and [a.id for a in successors_of(session, existing)] == [a.id for a in r.successors]
    )
