"""Import a one-stop system's export of files (hồ sơ), streaming, in one transaction.

The same export re-imported each day updates files in place (status, result date,
holder); a file missing from today's export is left as it is. Rows are read one at a
time and written in batches of :data:`BATCH` (one SELECT of the codes already there, one
executemany INSERT, one executemany UPDATE, plain rows, no models), so an export of a
million files does not sit in memory: the codes already read, which tell a code repeated
in the file, are kept in a temporary table, not in a Python set. A file whose apology
letter was approved keeps the letter's new date.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Connection, MetaData, String, Table, bindparam, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from bot.db import insert_rows
from bot.domain.agencies import Registry
from bot.domain.agency_history import History
from bot.domain.calendar import WorkCalendar
from bot.domain.text import clean as clean_cell
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

BATCH = 5000  # rows per write: a few MB, whatever the export's length
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
    batch: list[dict[str, Any]] = []
    cells_of = _Cells(header)
    header_cells = cells_of(header_row)
    writer = _Writer(session.connection(), moved, report, utcnow(), holders)
    read = _Reader(holders, cal, settings)
    for row in rows:
        if row.is_blank():
            continue
        cells = cells_of(row)
        if cells == header_cells:
            continue  # the header again
        record = read(row, cells, errors)
        if record is None:
            continue
        batch.append(record)
        if len(batch) >= BATCH:
            writer.write(batch, errors)
            batch = []
            if progress:
                progress(report.rows)
        if len(errors) >= MAX_ERRORS:
            break
    writer.write(batch, errors)
    writer.close()
    if errors:
        raise ImportFailed(path, errors)
    if not report.rows:
        raise ImportFailed(path, [RowError(header_row.line, "tệp không có hồ sơ nào")])
    return report


class _Cells:
    """A row's cells by column name, cleaned; a value that repeats down a column (the
    agency, the status, the procedure) is cleaned once."""

    _REPEATING = frozenset({"agency", "status", "procedure", "field", "days"})
    _MEMO_MAX = 20_000  # distinct values kept per import: a few MB at most

    def __init__(self, header: dict[str, int]) -> None:
        self.header = list(header.items())
        self.memo: dict[str, str] = {}

    def __call__(self, row: Row) -> dict[str, str]:
        out: dict[str, str] = {}
        width = len(row.cells)
        for name, i in self.header:
            cell = row.cells[i] if i < width else ""
            if name not in self._REPEATING:
                out[name] = clean_cell(cell)
                continue
            done = self.memo.get(cell)
            if done is None:
                if len(self.memo) >= self._MEMO_MAX:
                    self.memo.clear()
                done = self.memo[cell] = clean_cell(cell)
            out[name] = done
        return out


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


class _Reader:
    """Rows to records, with what repeats down an export worked out once: the due date
    of a day, a cut-off side and a number of working days; the kind of a status text."""

    def __init__(self, holders: _Holders, cal: WorkCalendar, settings: FileSettings) -> None:
        self.holders, self.cal, self.settings = holders, cal, settings
        self._due: dict[tuple[date, bool, int], date] = {}
        self._kind: dict[tuple[str, bool], FileKind] = {}

    def __call__(
        self, row: Row, cells: dict[str, str], errors: list[RowError]
    ) -> dict[str, Any] | None:
        return _record(row, cells, self, errors)

    def due_date(self, received: datetime, days: int) -> date:
        cutoff = self.settings.cutoff
        local = self.cal.local(received)
        key = (local.date(), cutoff is not None and local.time() >= cutoff, days)
        found = self._due.get(key)
        if found is None:
            found = self._due[key] = due_date(received, days, self.cal, cutoff)
        return found

    def kind(self, status_text: str, returned: bool) -> FileKind:
        found = self._kind.get((status_text, returned))
        if found is None:
            if len(self._kind) >= 10_000:
                self._kind.clear()
            found = self._kind[(status_text, returned)] = file_kind(status_text, returned)
        return found


def _record(
    row: Row, cells: dict[str, str], reader: _Reader, errors: list[RowError]
) -> dict[str, Any] | None:
    holders, cal = reader.holders, reader.cal
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
        due = reader.due_date(received, days)
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
    status = reader.kind(cells.get("status", ""), returned is not None)
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


_WRITTEN = (*_COMPARED, "received_at", "source_line", "check_on", "updated_at")
# The codes read so far in this import, to tell a code repeated in the file: a temporary
# table, so that a million codes cost the database's pages, not this process's memory.
_SEEN = Table("dondoc_import_seen", MetaData(), Column("code", String(64), primary_key=True))


class _Writer:
    """Writes batches of records in the import's transaction, as plain rows."""

    def __init__(self, conn: Connection, moved: set[int], report: FileImportReport,
                 now: datetime, holders: _Holders) -> None:  # fmt: skip
        self.conn, self.moved, self.report, self.now, self.holders = (
            conn,
            moved,
            report,
            now,
            holders,
        )
        self.files = TthcFile.metadata.tables["tthcfile"]
        on_commit = " ON COMMIT DROP" if conn.dialect.name == "postgresql" else ""
        conn.exec_driver_sql(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS dondoc_import_seen "
            f"(code VARCHAR(64) PRIMARY KEY){on_commit}"
        )
        conn.execute(_SEEN.delete())

    def close(self) -> None:
        self.conn.exec_driver_sql("DROP TABLE IF EXISTS dondoc_import_seen")

    def write(self, batch: list[dict[str, Any]], errors: list[RowError]) -> None:
        """Write ``batch`` (once the file has an error, only remember its codes: it will
        all be rolled back); a code already read is an error on the line repeating it."""
        fresh = self._first_seen(batch, errors)
        if not fresh or errors:
            return
        self.report.rows += len(fresh)
        for record in fresh:
            kind = record["status"]
            self.report.by_kind[kind] = self.report.by_kind.get(kind, 0) + 1
        self._upsert(fresh)

    def _first_seen(
        self, batch: list[dict[str, Any]], errors: list[RowError]
    ) -> list[dict[str, Any]]:
        codes = [r["code"] for r in batch]
        before = set(
            self.conn.execute(sa_select(_SEEN.c.code).where(_SEEN.c.code.in_(codes))).scalars()
        )
        fresh: list[dict[str, Any]] = []
        for record in batch:
            if record["code"] in before:
                errors.append(RowError(record["source_line"],
                                       f"mã hồ sơ “{record['code']}” lặp lại trong tệp"))  # fmt: skip
                continue
            before.add(record["code"])
            fresh.append(record)
        if fresh:
            insert_rows(self.conn, _SEEN, [{"code": r["code"]} for r in fresh])
        return fresh

    def _upsert(self, batch: list[dict[str, Any]]) -> None:
        files = self.files
        existing = {
            row.code: row
            for row in self.conn.execute(
                sa_select(files.c.id, files.c.code, *(files.c[k] for k in _COMPARED)).where(
                    files.c.code.in_([r["code"] for r in batch])
                )
            )
        }
        new, changed = [], []
        for record in batch:
            current = existing.get(record["code"])
            if current is None:
                new.append({**record, "original_due_on": record["due_on"], "check_on": CHECK_NOW,
                            "updated_at": self.now})  # fmt: skip
                continue
            if current.id in self.moved:
                record["due_on"] = current.due_on  # the approved letter's date stands
            if current.agency_id != record["agency_id"] and self.holders.still_holds(
                current.agency_id, record["agency_id"]
            ):
                record["agency_id"] = current.agency_id
            if all(getattr(current, k) == record[k] for k in _COMPARED):
                self.report.unchanged += 1
                continue
            values = {**record, "check_on": CHECK_NOW, "updated_at": self.now}
            changed.append({"b_id": current.id, **{f"b_{k}": values[k] for k in _WRITTEN}})
        if new:
            insert_rows(self.conn, files, new)
            self.report.created += len(new)
        if changed:
            columns: dict[str, Any] = {k: bindparam(f"b_{k}") for k in _WRITTEN}
            self.conn.execute(
                update(files).where(files.c.id == bindparam("b_id")).values(**columns), changed
            )
            self.report.updated += len(changed)
