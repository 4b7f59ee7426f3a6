"""Import a one-stop system's export of files (hồ sơ), streaming, in one transaction.

The same export re-imported each day updates files in place (status, result date,
holder); a file missing from today's export is left as it is. Rows are read one at a
time and written in batches, so an export of a million files does not sit in memory.
A file whose apology letter was approved keeps the letter's new date.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlmodel import Session, col, select

from bot.domain.agencies import Registry
from bot.domain.agency_history import History
from bot.domain.calendar import WorkCalendar
from bot.domain.text import clean
from bot.domain.tthc import FileSettings, due_date, file_kind
from bot.domain.tthc import Kind as FileKind
from bot.domain.when import moment_in
from bot.importers.columns import LABELS, REQUIRED, is_header, map_header
from bot.importers.errors import ImportFailed
from bot.importers.rows import RowError
from bot.importers.tabular import Row, iter_rows
from bot.models import CHECK_NOW, Apology, ApologyState, TthcFile, utcnow
from bot.services.agency_changes import load_history
from bot.services.register import load_registry

BATCH = 2000
MAX_ERRORS = 200  # a broken export can have millions of bad rows: show the first ones


@dataclass
class FileImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


def parse_moment(text: str, cal: WorkCalendar) -> datetime | None:
    """ "22/01/2025 14:30", "22/01/2025", "2025-01-22 14:30:00" → an aware local time."""
    return moment_in(text, cal.tz)


def import_files(
    session: Session, path: Path, *, cal: WorkCalendar, settings: FileSettings, on: date,
    progress: Callable[[int], None] | None = None,
) -> FileImportReport:  # fmt: skip
    """Import ``path`` in the caller's transaction; raises ImportFailed listing bad rows.

    ``on`` is the import's day (Vietnam's calendar): a file still open whose agency no
    longer exists that day goes to its successor (one; after a split or a dissolution
    without one the row is an error asking for the agency that holds it now); a file
    already returned or closed stays with the agency as it then was.
    """
    rows = iter_rows(path, "files")
    header_row = _header(path, rows)
    header = map_header(header_row.cells, "files")
    missing = [LABELS[c] for c in REQUIRED["files"] if c not in header]
    if "due" not in header and "days" not in header:
        missing.append(f"{LABELS['due']} hoặc {LABELS['days']}")
    if missing:
        raise ImportFailed(path, [RowError(header_row.line, "thiếu cột: " + ", ".join(missing))])

    registry, ids = load_registry(session)
    holders = _Holders(registry, ids, load_history(session), on)
    moved = set(
        session.exec(select(Apology.file_id).where(Apology.state == ApologyState.APPROVED)).all()
    )
    report = FileImportReport()
    errors: list[RowError] = []
    seen: set[str] = set()
    batch: list[dict[str, Any]] = []
    now = utcnow()
    header_cells = {n: clean(header_row.cells[i]) for n, i in header.items()}
    for row in rows:
        if row.is_blank():
            continue
        cells = {n: clean(row.cells[i]) if i < len(row.cells) else "" for n, i in header.items()}
        if cells == header_cells:
            continue  # the header again
        record = _record(row, cells, holders, cal, settings, errors)
        if record is None:
            continue
        if record["code"] in seen:
            errors.append(RowError(row.line, f"mã hồ sơ “{record['code']}” lặp lại trong tệp"))
            continue
        seen.add(record["code"])
        report.rows += 1
        report.by_kind[record["status"]] = report.by_kind.get(record["status"], 0) + 1
        batch.append(record)
        if len(batch) >= BATCH:
            _write(session, batch, moved, report, now, holders)
            batch = []
            if progress:
                progress(report.rows)
        if len(errors) >= MAX_ERRORS:
            break
    if errors:
        raise ImportFailed(path, errors)
    if not report.rows:
        raise ImportFailed(path, [RowError(header_row.line, "tệp không có hồ sơ nào")])
    _write(session, batch, moved, report, now, holders)
    return report


def _header(path: Path, rows: Iterator[Row]) -> Row:
    first: Row | None = None
    for row in rows:
        first = first or row
        if is_header(map_header(row.cells, "files"), "files"):
            return row
        if row.line > 50:
            break
    need = ", ".join(LABELS[c] for c in REQUIRED["files"])
    raise ImportFailed(
        path, [RowError(first.line if first else 1, f"không thấy dòng tiêu đề (cần: {need})")]
    )


class _Holders:
    """The agency holding a file, read once per distinct cell."""

    def __init__(self, registry: Registry, ids: dict[str, int], history: History, on: date) -> None:
        self.registry, self.ids, self.history, self.on = registry, ids, history, on
        self._read: dict[str, str] = {}  # cell → agency code, or "!" + why it is not one
        self._codes = {i: c for c, i in ids.items()}

    def code(self, cell: str) -> str:
        """The code ``cell`` names, or "!" and the reason."""
        if cell not in self._read:
            matched = self.registry.match(cell)
            if len(matched.codes) == 1 and not matched.unknown:
                self._read[cell] = matched.codes[0]
            elif not cell:
                self._read[cell] = "!thiếu đơn vị xử lý"
            else:
                hint = matched.unknown[0].describe() if matched.unknown else f"“{cell}”"
                self._read[cell] = f"!đơn vị xử lý {hint} không có trong danh mục"
        return self._read[cell]

    def still_holds(self, holder_id: int, named_id: int) -> bool:
        """The file's holder took the named agency's work on (a merge applied after an
        earlier import of the same export): the file stays where it is."""
        return self._codes[holder_id] in self.history.heirs(self._codes[named_id])

    def now_holding(self, code: str) -> int | str:
        """The id of who holds an open file of ``code`` on the import's day, or why nobody."""
        if (change := self.history.ended(code, self.on)) is None:
            return self.ids[code]
        successors = self.history.successors(code, self.on)
        if len(successors) == 1:
            return self.ids[successors[0].code]
        names = {c: e.name for c, e in self.registry.entries.items()}
        return (
            f"đơn vị xử lý không còn: {change.describe(names)}; ghi đơn vị đang giữ hồ sơ "
            "vào cột Đơn vị xử lý"
        )


def _record(
    row: Row, cells: dict[str, str], holders: _Holders, cal: WorkCalendar,
    settings: FileSettings, errors: list[RowError],
) -> dict[str, Any] | None:  # fmt: skip
    bad: list[str] = []
    code = cells.get("code", "")
    if not code:
        bad.append("thiếu mã hồ sơ")
    holder = holders.code(cells.get("agency", ""))
    if holder.startswith("!"):
        bad.append(holder[1:])
    received = parse_moment(cells.get("received", ""), cal)
    if received is None:
        bad.append(f"ngày tiếp nhận “{cells.get('received', '')}” không hợp lệ (dd/mm/yyyy hh:mm)")
    days: int | None = None
    if cells.get("days"):
        digits = re.match(r"^\s*(\d{1,3})", cells["days"])
        days = int(digits.group(1)) if digits else None
        if days is None:
            bad.append(f"thời hạn giải quyết “{cells['days']}” không phải số ngày làm việc")
    due: date | None = None
    if cells.get("due"):
        moment = parse_moment(cells["due"], cal)
        due = moment.date() if moment else None
        if due is None:
            bad.append(f"ngày hẹn trả “{cells['due']}” không hợp lệ")
    elif days is not None and received is not None:
        due = due_date(received, days, cal, settings.cutoff)
    elif not bad:
        bad.append("thiếu ngày hẹn trả và thời hạn giải quyết")
    returned = parse_moment(cells["returned"], cal) if cells.get("returned") else None
    if cells.get("returned") and returned is None:
        bad.append(f"ngày trả kết quả “{cells['returned']}” không hợp lệ")
    if received is not None and due is not None and due < received.date():
        bad.append(
            f"ngày hẹn trả {due:%d/%m/%Y} trước ngày tiếp nhận {received:%d/%m/%Y}: "
            "một hồ sơ không thể hẹn trả trước khi nhận"
        )
    status = file_kind(cells.get("status", ""), returned is not None)
    agency = holders.ids.get(holder, 0)
    if not bad and status is FileKind.OPEN:
        agency_or_why = holders.now_holding(holder)
        if isinstance(agency_or_why, str):
            bad.append(agency_or_why)
        else:
            agency = agency_or_why
    if bad:
        errors.append(RowError(row.line, "; ".join(bad)))
        return None
    assert received is not None and due is not None
    return {
        "code": code, "procedure": cells.get("procedure", ""), "field": cells.get("field", ""),
        "applicant_name": cells.get("applicant", ""), "applicant_address": cells.get("address", ""),
        "applicant_phone": cells.get("phone", "")[:32], "agency_id": agency, "received_at": received,
        "processing_days": days, "due_on": due, "status_text": cells.get("status", ""),
        "status": status.value,
        "returned_at": returned, "source_line": row.line,
    }  # fmt: skip


_COMPARED = ("procedure", "field", "applicant_name", "applicant_address", "applicant_phone", "agency_id",
             "processing_days", "due_on", "status_text", "status", "returned_at")  # fmt: skip


def _write(session: Session, batch: list[dict[str, Any]], moved: set[int], report: FileImportReport,
           now: datetime, holders: _Holders) -> None:  # fmt: skip
    if not batch:
        return
    existing = {
        f.code: f
        for f in session.exec(
            select(TthcFile).where(col(TthcFile.code).in_([r["code"] for r in batch]))
        )
    }
    new, changed = [], []
    for record in batch:
        current = existing.get(record["code"])
        if current is None:
            new.append(
                {
                    **record,
                    "original_due_on": record["due_on"],
                    "check_on": CHECK_NOW,
                    "updated_at": now,
                }
            )
            continue
        if current.id in moved:
            record["due_on"] = current.due_on  # the approved letter's date stands
        if current.agency_id != record["agency_id"] and holders.still_holds(
            current.agency_id, record["agency_id"]
        ):
            record["agency_id"] = current.agency_id
        if all(getattr(current, k) == record[k] for k in _COMPARED):
            report.unchanged += 1
            continue
        values = {**record, "check_on": CHECK_NOW, "updated_at": now}
        changed.append({"b_id": current.id, **{f"b_{k}": v for k, v in values.items()}})
    if new:
        session.execute(insert(TthcFile), new)
        report.created += len(new)
    if changed:
        columns: dict[str, Any] = {
            k: bindparam(f"b_{k}")
            for k in (*_COMPARED, "received_at", "source_line", "check_on", "updated_at")
        }
        session.connection().execute(
            update(TthcFile).where(col(TthcFile.id) == bindparam("b_id")).values(**columns), changed
        )
        report.updated += len(changed)
    session.expire_all()
