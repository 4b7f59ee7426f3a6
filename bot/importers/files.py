"""Import a one-stop system's export of files (hồ sơ), streaming, in one transaction.

The same export re-imported each day updates files in place (status, result date,
holder); a file missing from today's export is left as it is. A file whose apology
letter was approved keeps the letter's new date.

An export of a million files is read about as fast as the database writes it. Rows are
read one at a time (:func:`iter_cells`) and written in batches of :data:`BATCH` (one
SELECT of the codes already there, one executemany INSERT on SQLite or one COPY on
PostgreSQL, one executemany UPDATE), so the export never sits in memory. On the way a
row is a plain tuple of the values as the database stores them (no dict, no model), so
that a file already there is compared with its row read back raw in one comparison;
what repeats down an export (a receipt's moment, a due date, an agency, a status) is
worked out once per distinct text. A code repeated in the file is found without
remembering the codes read: a file already in the table when its code comes was either
written by this import (its id is past the largest before it) or is marked in a bitmap
of the ids before, one bit a file.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import Connection
from sqlmodel import Session, select

from bot.db import driver_value, insert_values
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
from bot.importers.tabular import iter_cells
from bot.models import CHECK_NOW, Apology, ApologyState, TthcFile, utcnow
from bot.services.agency_changes import load_history
from bot.services.register import load_registry

BATCH = 5000  # rows per write: a few MB, whatever the export's length
MAX_ERRORS = 200  # a broken export can have millions of bad rows: show the first ones
_MEMO_MAX = 20_000  # distinct texts remembered per column: a few MB at most


@dataclass
class FileImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    # The first LISTED files added and changed, for a preview to name ("mã: what changes").
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)


LISTED = 10  # files a report names one by one; the rest are counted
# What a file's compared columns (_COMPARED) are called, for the changed files' list.
_LABELS = ("thủ tục", "lĩnh vực", "người nộp", "địa chỉ", "điện thoại", "cơ quan",
           "số ngày giải quyết", "hẹn trả", "tình trạng", "trạng thái", "ngày trả")  # fmt: skip


def parse_moment(text: str, cal: WorkCalendar) -> datetime | None:
    """ "22/01/2025 14:30", "22/01/2025", "2025-01-22 14:30:00" → an aware local time."""
    return moment_in(text, cal.tz)


def import_files(
    session: Session, path: Path, *, cal: WorkCalendar, settings: FileSettings, on: date,
    progress: Callable[[int], None] | None = None, at: datetime | None = None,
) -> FileImportReport:  # fmt: skip
    """Import ``path`` in the caller's transaction; raises ImportFailed listing bad rows.
    ``at``: when the files are stamped as imported (UTC; now by default).

    ``on`` is the import's day (Vietnam's calendar): a file still open whose agency no
    longer exists that day goes to its successor (one; after a split or a dissolution
    without one the row is an error asking for the agency that holds it now); a file
    already returned or closed stays with the agency as it then was.
    """
    rows = iter_cells(path, "files")
    header_line, header_cells = _header(path, rows)
    header = map_header(header_cells, "files")
    missing = [LABELS[c] for c in REQUIRED["files"] if c not in header]
    if "due" not in header and "days" not in header:
        missing.append(f"{LABELS['due']} hoặc {LABELS['days']}")
    if missing:
        raise ImportFailed(path, [RowError(header_line, "thiếu cột: " + ", ".join(missing))])

    registry, ids = load_registry(session)
    holders = _Holders(registry, ids, load_history(session), on)
    moved = set(
        session.exec(select(Apology.file_id).where(Apology.state == ApologyState.APPROVED)).all()
    )
    report = FileImportReport()
    errors: list[RowError] = []
    writer = _Writer(session.connection(), moved, report, at or utcnow(), holders)
    reader = _Reader(header, header_cells, holders, cal, settings, writer)
    batch: list[_Record] = []
    for record in reader.records(rows, errors):
        batch.append(record)
        if len(batch) >= BATCH:
            writer.write(batch, errors)
            batch = []
            if progress:
                progress(report.rows)
        if len(errors) >= MAX_ERRORS:
            break
    writer.write(batch, errors)
    if errors:
        raise ImportFailed(path, errors)
    if not report.rows:
        raise ImportFailed(path, [RowError(header_line, "tệp không có hồ sơ nào")])
    return report


def _header(path: Path, rows: Iterator[tuple[int, Sequence[str]]]) -> tuple[int, Sequence[str]]:
    first: int | None = None
    for line, cells in rows:
        first = first or line
        if is_header(map_header(cells, "files"), "files"):
            return line, cells
        if line > 50:
            break
    need = ", ".join(LABELS[c] for c in REQUIRED["files"])
    raise ImportFailed(path, [RowError(first or 1, f"không thấy dòng tiêu đề (cần: {need})")])


class _Holders:
    """The agency holding a file, read once per distinct cell."""

    def __init__(self, registry: Registry, ids: dict[str, int], history: History, on: date) -> None:
        self.registry, self.ids, self.history, self.on = registry, ids, history, on
        self.read: dict[str, str] = {}  # cell → agency code, or "!" + why it is not one
        self._holding: dict[str, int | str] = {}  # code → who holds its open files, or why nobody
        self._codes = {i: c for c, i in ids.items()}

    def code(self, cell: str) -> str:
        """The code ``cell`` names, or "!" and the reason."""
        if cell not in self.read:
            matched = self.registry.match(cell)
            if len(matched.codes) == 1 and not matched.unknown:
                self.read[cell] = matched.codes[0]
            elif not cell:
                self.read[cell] = "!thiếu đơn vị xử lý"
            else:
                hint = matched.unknown[0].describe() if matched.unknown else f"“{cell}”"
                # Read by an admin at the command line and on the web alike: no command named.
                self.read[cell] = (f"!đơn vị xử lý {hint} không có trong danh mục (thêm cơ quan, "
                                   "hoặc tên này vào cột “Tên gọi khác” của cơ quan đúng, trong "
                                   "tệp Danh mục cơ quan, rồi nạp lại danh mục đó)")  # fmt: skip
        return self.read[cell]

    def still_holds(self, holder_id: int, named_id: int) -> bool:
        """The file's holder took the named agency's work on (a merge applied after an
        earlier import of the same export): the file stays where it is."""
        return self._codes[holder_id] in self.history.heirs(self._codes[named_id])

    def now_holding(self, code: str) -> int | str:
        """The id of who holds an open file of ``code`` on the import's day, or why nobody."""
        found = self._holding.get(code)
        if found is None:
            found = self._holding[code] = self._now_holding(code)
        return found

    def _now_holding(self, code: str) -> int | str:
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


# A file as the importer carries it: its values in the driver's form (driver_value), in
# _RECORD's order; the columns compared with the file already there come after the code.
_Record = tuple[Any, ...]
_COMPARED = ("procedure", "field", "applicant_name", "applicant_address", "applicant_phone",
             "agency_id", "processing_days", "due_on", "status_text", "status", "returned_at")  # fmt: skip
_RECORD = ("code", *_COMPARED, "received_at", "source_line")
_INSERTED = (*_RECORD, "original_due_on", "check_on", "updated_at")
_CODE, _AGENCY, _DUE, _STATUS = (
    _RECORD.index(c) for c in ("code", "agency_id", "due_on", "status")
)
_RECEIVED, _LINE = _RECORD.index("received_at"), _RECORD.index("source_line")
# The export's columns as the reader spreads a row's cells; an absent one reads "".
_FIELDS = ("code", "procedure", "field", "applicant", "address", "phone", "agency", "received",
           "days", "due", "returned", "status")  # fmt: skip
_DAYS = re.compile(r"^\s*(\d{1,3})")
_BAD: Any = object()  # a text that is not what its column needs
# Joins a row's cells to tell a space at a cell's end: printable, and if a cell holds it
# next to a space, the row is only cleaned the long way.
_SEPARATOR = "¦"
_SPACE_SEPARATOR, _SEPARATOR_SPACE = " " + _SEPARATOR, _SEPARATOR + " "


class _Reader:
    """Rows to records, with what repeats down an export worked out once per distinct
    text: the moment of a receipt or a result and its stored form, a number of days, an
    appointment date, the due date of a day, a cut-off side and a number of working days
    (the calendar is pure), the kind of a status, an agency and who holds its open files."""

    def __init__(self, header: dict[str, int], header_cells: Sequence[str], holders: _Holders,
                 cal: WorkCalendar, settings: FileSettings, writer: _Writer) -> None:  # fmt: skip
        self.holders, self.cal, self.cutoff = holders, cal, settings.cutoff
        self.stored_moment, self.stored_day = writer.stored_moment, writer.stored_day
        used = [name for name in _FIELDS if name in header]
        self.columns = [header[name] for name in used]  # code, agency, received: 3 at least
        self.width = max(self.columns) + 1
        self.pick = itemgetter(*self.columns)
        # The used cells, cleaned, then "" for any absent column: _FIELDS, in its order.
        self.spread = itemgetter(*(used.index(n) if n in used else len(used) for n in _FIELDS))
        width = len(header_cells)
        self.header_values = self.clean(
            [header_cells[i] if i < width else "" for i in self.columns]
        )
        self._agency: dict[str, Any] = {}  # text → (why it is not one, agency id, code)
        self._received: dict[str, Any] = {}  # text → (moment, stored, local day, due dates)
        self._dues: dict[tuple[date, bool], dict[int, Any]] = {}  # (day, after cut-off) → …
        self._returned: dict[str, Any] = {}  # text → the moment stored
        self._days: dict[str, Any] = {}  # text → working days
        self._due_text: dict[str, Any] = {}  # text → (date, stored)
        self._kind: dict[str, str] = {}  # status text → kind, unless returned

    @staticmethod
    def clean(cells: Sequence[str]) -> list[str]:
        """:func:`clean_cell` of each cell, NFC already (:func:`iter_cells`). Most rows are
        clean as they come: printable (no whitespace but the space), no space doubled or
        at a cell's end, as one look at the cells joined tells; the others are worked on
        joined by a NUL (one split a row instead of one a cell), or, should a cell hold a
        NUL (a control character refused in a CSV, illegal in XLSX's XML), cell by cell."""
        joined = _SEPARATOR.join(cells)
        if (
            joined.isprintable()
            and "  " not in joined
            and _SPACE_SEPARATOR not in joined
            and _SEPARATOR_SPACE not in joined
            and not joined.startswith(" ")
            and not joined.endswith(" ")
        ):
            return list(cells)
        joined = "\0".join(cells)
        out = " ".join(joined.split()).replace(" \0", "\0").replace("\0 ", "\0").split("\0")
        if len(out) != len(cells):  # a NUL after all
            return [clean_cell(c) for c in cells]
        return out

    def records(
        self, rows: Iterable[tuple[int, Sequence[str]]], errors: list[RowError]
    ) -> Iterator[_Record]:
        """The records of ``rows``; a bad row goes to ``errors`` instead (reading stops at
        :data:`MAX_ERRORS`); blank rows and the header repeated on each page are skipped."""
        width, pick, spread, clean = self.width, self.pick, self.spread, self.clean
        header_values = self.header_values
        holders, agency_of = self.holders, self._agency
        received_of, returned_of = self._received, self._returned
        days_of, due_text_of, kind_of = self._days, self._due_text, self._kind
        open_, returned_kind = FileKind.OPEN.value, FileKind.RETURNED.value
        for line, cells in rows:
            if len(cells) < width:
                cells = [*cells, *[""] * (width - len(cells))]
            values = clean(pick(cells))
            if values == header_values:
                continue  # the header again
            if not any(values) and not "".join(cells).strip():
                continue  # a blank row
            values.append("")
            (code, procedure, field_, applicant, address, phone, agency_text, received_text,
             days_text, due_text, returned_text, status_text) = spread(values)  # fmt: skip
            bad: list[str] = []
            if not code:
                bad.append("thiếu mã hồ sơ")
            why_not, agency, holder = agency_of.get(agency_text) or self._read_agency(agency_text)
            if why_not:
                bad.append(why_not)
            received = received_of.get(received_text) or self._read_received(received_text)
            if received is _BAD:
                bad.append(f"ngày tiếp nhận “{received_text}” không hợp lệ (dd/mm/yyyy hh:mm)")
                received = None
            days = None
            if days_text:
                days = days_of.get(days_text) or self._read_days(days_text)
                if days is _BAD:
                    bad.append(f"thời hạn giải quyết “{days_text}” không phải số ngày làm việc")
                    days = None
            due = None  # (date, stored)
            if due_text:
                due = due_text_of.get(due_text) or self._read_due(due_text)
                if due is _BAD:
                    bad.append(f"ngày hẹn trả “{due_text}” không hợp lệ")
                    due = None
            elif days is not None and received is not None:
                due = received[3].get(days) or self._due_date(received, days)
            elif not bad:
                bad.append("thiếu ngày hẹn trả và thời hạn giải quyết")
            returned = None
            if returned_text:
                returned = returned_of.get(returned_text) or self._read_returned(returned_text)
                if returned is _BAD:
                    bad.append(f"ngày trả kết quả “{returned_text}” không hợp lệ")
                    returned = None
            if received is not None and due is not None and due[0] < received[2]:
                bad.append(
                    f"ngày hẹn trả {due[0]:%d/%m/%Y} trước ngày tiếp nhận {received[2]:%d/%m/%Y}: "
                    "một hồ sơ không thể hẹn trả trước khi nhận"
                )
            if returned is not None:
                status = returned_kind  # whatever the status says
            else:
                status = kind_of.get(status_text) or self._read_kind(status_text)
            if not bad and status == open_:
                holding = holders.now_holding(holder)
                if isinstance(holding, str):
                    bad.append(holding)
                else:
                    agency = holding
            if bad:
                errors.append(RowError(line, "; ".join(bad)))
                if len(errors) >= MAX_ERRORS:
                    return
                continue
            assert received is not None and due is not None
            yield (code, procedure, field_, applicant, address, phone[:32], agency, days, due[1],
                   status_text, status, returned, received[1], line)  # fmt: skip

    def _read_agency(self, text: str) -> Any:
        code = self.holders.code(text)
        found = (code[1:], 0, "") if code.startswith("!") else ("", self.holders.ids[code], code)
        return _remember(self._agency, text, found)

    def _read_received(self, text: str) -> Any:
        moment = parse_moment(text, self.cal)
        found = _BAD
        if moment is not None:
            local = self.cal.local(moment)
            after = self.cutoff is not None and local.time() >= self.cutoff
            dues = self._dues.get((local.date(), after))
            if dues is None:
                dues = _remember(self._dues, (local.date(), after), {})
            found = (moment, self.stored_moment(moment), local.date(), dues)
        return _remember(self._received, text, found)

    def _due_date(self, received: Any, days: int) -> Any:
        """The due date of ``days`` working days from ``received``, and its stored form,
        kept with every receipt of that day on that side of the cut-off."""
        due = due_date(received[0], days, self.cal, self.cutoff)
        received[3][days] = found = (due, self.stored_day(due))
        return found

    def _read_returned(self, text: str) -> Any:
        moment = parse_moment(text, self.cal)
        found = _BAD if moment is None else self.stored_moment(moment)
        return _remember(self._returned, text, found)

    def _read_days(self, text: str) -> Any:
        digits = _DAYS.match(text)
        return _remember(self._days, text, int(digits.group(1)) if digits else _BAD)

    def _read_due(self, text: str) -> Any:
        moment = parse_moment(text, self.cal)
        found = _BAD if moment is None else (moment.date(), self.stored_day(moment.date()))
        return _remember(self._due_text, text, found)

    def _read_kind(self, status_text: str) -> str:
        kind = file_kind(status_text, False).value
        return _remember(self._kind, status_text, kind)  # type: ignore[no-any-return]


def _remember(memo: dict[Any, Any], key: Any, value: Any) -> Any:
    if len(memo) >= _MEMO_MAX:
        memo.clear()
    memo[key] = value
    return value


class _Writer:
    """Writes batches of records in the import's transaction, as the driver's values."""

    def __init__(self, conn: Connection, moved: set[int], report: FileImportReport,
                 now: datetime, holders: _Holders) -> None:  # fmt: skip
        self.conn, self.moved, self.report, self.holders = conn, moved, report, holders
        self.files = TthcFile.metadata.tables["tthcfile"]
        self.stored_moment = driver_value(conn.dialect, self.files.c.received_at)
        self.stored_day = driver_value(conn.dialect, self.files.c.due_on)
        self.tail = (self.stored_day(CHECK_NOW), self.stored_moment(now))  # check_on, updated_at
        self.postgres = conn.dialect.name == "postgresql"
        if self.postgres:
            # One import of files at a time, so that a file past ``before`` is this one's
            # (SQLite's writers queue already).
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext('dondoc import files'))")
        self.before: int = conn.exec_driver_sql("SELECT max(id) FROM tthcfile").scalar() or 0
        self.seen = bytearray(self.before // 8 + 1)  # the files there before, read in this import
        # Column names from this module, never from the file.
        mark = "%s" if self.postgres else "?"
        self.select = f"SELECT id, code, {', '.join(_COMPARED)} FROM tthcfile WHERE code "  # noqa: S608
        assignments = ", ".join(f"{c} = {mark}" for c in (*_RECORD[1:], "check_on", "updated_at"))
        self.update = f"UPDATE tthcfile SET {assignments} WHERE id = {mark}"  # noqa: S608

    def write(self, batch: list[_Record], errors: list[RowError]) -> None:
        """Write ``batch``; a code already read is an error on the line repeating it. The
        rows are written even after an error, so that the repeats further down are told
        too: the caller's transaction is rolled back."""
        if not batch:
            return
        codes = [r[_CODE] for r in batch]
        existing = {row[1]: row for row in self._existing(codes)}
        kinds = Counter(map(itemgetter(_STATUS), batch))
        repeats = len(set(codes)) < len(batch)
        here: set[str] = set()
        before, seen, moved, tail = self.before, self.seen, self.moved, self.tail
        new: list[_Record] = []
        changed: list[_Record] = []
        unchanged = 0
        if not existing and not repeats:  # a first import: every file new
            new = [(*r, r[_DUE], *tail) for r in batch]  # original_due_on, check_on, updated_at
            batch = []
        for record in batch:
            code = record[_CODE]
            if repeats:
                if code in here:
                    errors.append(_repeated(record))
                    kinds[record[_STATUS]] -= 1
                    continue
                here.add(code)
            current = existing.get(code)  # (id, code, *_COMPARED): record[i] is current[i + 1]
            if current is None:
                new.append((*record, record[_DUE], *tail))  # original_due_on, check_on, updated_at
                continue
            file_id = current[0]
            if file_id > before or seen[file_id >> 3] & (1 << (file_id & 7)):
                errors.append(_repeated(record))
                kinds[record[_STATUS]] -= 1
                continue
            seen[file_id >> 3] |= 1 << (file_id & 7)
            if file_id in moved:  # the approved letter's date stands
                record = (*record[:_DUE], current[_DUE + 1], *record[_DUE + 1 :])
            holder = current[_AGENCY + 1]
            if holder != record[_AGENCY] and self.holders.still_holds(holder, record[_AGENCY]):
                record = (*record[:_AGENCY], holder, *record[_AGENCY + 1 :])
            if current[2:] == record[1:_RECEIVED]:
                unchanged += 1
                continue
            changed.append((*record[1:], *tail, file_id))
            if len(self.report.changed) < LISTED:
                what = [label for label, old, now in zip(_LABELS, current[2:], record[1:_RECEIVED],
                                                         strict=True) if old != now]  # fmt: skip
                self.report.changed.append(f"{code}: {', '.join(what)}")
        self.report.added.extend(r[_CODE] for r in new[: LISTED - len(self.report.added)])
        self.report.rows += len(new) + len(changed) + unchanged
        self.report.unchanged += unchanged
        for kind, count in kinds.items():
            if count:
                self.report.by_kind[kind] = self.report.by_kind.get(kind, 0) + count
        if new:
            insert_values(self.conn, self.files, _INSERTED, new)
            self.report.created += len(new)
        if changed:
            self.conn.exec_driver_sql(self.update, changed)
            self.report.updated += len(changed)

    def _existing(self, codes: list[str]) -> list[tuple[Any, ...]]:
        """(id, code, *_COMPARED) of the files of ``codes`` already there, as stored."""
        cursor: Any = self.conn.connection.cursor()
        try:
            if self.postgres:  # one text, not an array psycopg builds code by code
                cursor.execute(
                    self.select + "= ANY(string_to_array(%s, chr(31)))", (_US.join(codes),)
                )
            else:
                cursor.execute(self.select + f"IN ({', '.join('?' * len(codes))})", codes)
            return list(cursor.fetchall())
        finally:
            cursor.close()


# Joins the codes sent to PostgreSQL: a code is a cleaned cell, and cleaning takes the
# unit separator away (str.split counts it as a space).
_US = "\x1f"


def _repeated(record: _Record) -> RowError:
    return RowError(record[_LINE], f"mã hồ sơ “{record[_CODE]}” lặp lại trong tệp")
