"""Read a CSV or XLSX file into numbered rows of text cells.

CSV: UTF-8 with or without BOM, UTF-16 (Excel's "Unicode text"), and the Windows code
pages Excel uses on Vietnamese machines (cp1258) are recognised (a byte that is not text
is named by its line and place; the old Vietnamese fonts TCVN3 and VNI are refused; a
DOS end-of-file mark, Ctrl-Z, ending the file is dropped); the delimiter (comma,
semicolon or tab) is the one under which the table's header row reads, and quoting is
always RFC 4180's. XLSX: the first sheet, up to its last value (never its stated
dimension), merged cells filled from their top-left cell (a deadline merged over
several tasks applies to each of them).

An XLSX sheet of plain values (no formula, no error cell) up to :data:`_CALAMINE_MOST`
bytes of XML is read by calamine (python-calamine, Rust): ten times openpyxl's speed,
measured on a 100,000-row export (0.9 s against 11.5 s), for the same cells; it holds
the whole sheet in memory (about 1.3 times its XML), hence the bound. Any other sheet is
streamed by openpyxl's parser, which also tells a formula with no saved value from an
empty cell, and shows an error cell as Excel does ("#N/A"): calamine shows both empty.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import itertools
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

from charset_normalizer import from_bytes
from openpyxl import load_workbook
from openpyxl.reader.excel import ExcelReader
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser
from openpyxl.worksheet.cell_range import CellRange
from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum


class FileProblem(Exception):
    """The file as a whole cannot be read; the message is for the admin (“FILE:LINE: reason”
    when one line is at fault)."""

    def __init__(self, path: Path, reason: str, line: int | None = None) -> None:
        super().__init__(f"{path}:{line}: {reason}" if line is not None else f"{path}: {reason}")
        self.path = path
        self.reason = reason
        self.line = line


@dataclass(frozen=True)
class Row:
    line: int  # 1-based line (CSV) or row number (XLSX), as the admin sees it
    cells: tuple[str, ...]

    def is_blank(self) -> bool:
        return not any(c.strip() for c in self.cells)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def read_rows(path: Path, table: str | None = None) -> list[Row]:
    """Every row of the file. ``table`` ("tasks", "files", "agencies") names the header
    the table must have, so that a CSV's delimiter is read from its header row."""
    _check_path(path)
    if path.suffix.lower() in _EXCEL:
        merged: list[CellRange] = []
        rows = list(_xlsx_rows(path, merged))
        rows = _fill_merged(rows, merged)
    else:
        rows = _read_csv(path, table)
    if not any(not r.is_blank() for r in rows):
        raise FileProblem(path, "tệp trống")
    return rows


_EXCEL = {".xlsx", ".xlsm"}
_TEXT = {".csv", ".tsv", ".txt"}
TABLE_SUFFIXES = frozenset(_EXCEL | _TEXT)  # the endings of the files :func:`read_rows` reads


def _check_path(path: Path) -> None:
    if path.is_dir():
        raise FileProblem(path, "đây là một thư mục, không phải tệp: ghi đường dẫn đến tệp")
    if not path.is_file():
        raise FileProblem(path, "không tìm thấy tệp")
    suffix = path.suffix.lower()
    if suffix not in _EXCEL | _TEXT:
        raise FileProblem(
            path, f"không đọc được loại tệp {suffix or '(không đuôi)'}: dùng .csv hoặc .xlsx"
        )
    if suffix in _EXCEL:
        check_unzipped(path)


# An .xlsx or .docx is a zip of XML. A sheet of 170,000 rows of a one-stop export is
# about 100 MB of XML (:data:`_CALAMINE_MOST`), 5 to 20 times its zipped size; a "zip
# bomb" (a cell of 300 MB of one repeated letter in a file of 300 KB) would have the
# readers parse it for minutes and gigabytes of memory. Refused from the zip's own
# directory, before anything is unzipped.
MOST_UNZIPPED = 400 * 1024 * 1024  # bytes of all the members, unzipped
MOST_RATIO = 100  # unzipped/zipped of one member larger than :data:`_RATIO_FROM`
_RATIO_FROM = 10 * 1024 * 1024


def check_unzipped(path: Path) -> None:
    """Raise FileProblem when the zip (an .xlsx, a .docx) in ``path`` would unzip to more
    than :data:`MOST_UNZIPPED` bytes, or holds a member over 10 MB unzipped that is more
    than :data:`MOST_RATIO` times its zipped size. A file that is no zip is left to the
    readers to say."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        return
    total = sum(m.file_size for m in members)
    swollen = any(m.file_size > _RATIO_FROM and m.file_size > MOST_RATIO * max(m.compress_size, 1)
                  for m in members)  # fmt: skip
    if total > MOST_UNZIPPED or swollen:
        raise FileProblem(
            path, f"nội dung tệp khi giải nén lớn bất thường ({total // (1024 * 1024)} MB "
            f"từ tệp {max(1, path.stat().st_size // 1024)} KB): không đọc tệp này; hãy mở "
            "bằng Excel hoặc Word, kiểm tra rồi lưu lại thành tệp mới",
        )  # fmt: skip


def decode(path: Path, data: bytes) -> str:
    """Bytes → text, or a clear error naming the line, the place in it and the bytes that
    are not text in the file's encoding. A DOS end-of-file mark (Ctrl-Z) ending the file
    is dropped."""
    encoding = _encoding(path, data)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        before = exc.object[: exc.start].decode(exc.encoding, errors="replace")
        raise _decoding_problem(path, exc, before, 0, len(data)) from None
    text = _without_eof_mark(text)
    bad = _CONTROL.search(text)
    if bad:
        raise _control_problem(path, _breaks(text[: bad.start()]) + 1, bad.group())
    # cp1258 writes tones as combining marks: compose them so "ệ" matches "ệ".
    return unicodedata.normalize("NFC", text)


_EOF_MARK = "\x1a"  # Ctrl-Z: old DOS and Windows tools end a text file with it


def _without_eof_mark(text: str) -> str:
    """``text`` without the end-of-file marks that end it (anywhere else one is an error)."""
    return text.rstrip(_EOF_MARK) if text.endswith(_EOF_MARK) else text


_SAVE_AS_UTF8 = "lưu lại tệp dưới dạng CSV UTF-8"


def _control_problem(path: Path, line: int, char: str) -> FileProblem:
    return FileProblem(
        path,
        f"dòng {line}: có ký tự lạ (mã 0x{ord(char):02X}): tệp không phải văn bản CSV hoặc sai "
        f"bảng mã: hãy {_SAVE_AS_UTF8}",
    )


def _decoding_problem(
    path: Path, exc: UnicodeDecodeError, before: str, lines_before: int, size: int
) -> FileProblem:
    """Where the bytes stop being text: ``before`` is the text decoded from the start of
    line ``lines_before + 1`` (or of the file) up to the bad bytes."""
    before = before.removeprefix("\ufeff")
    line = lines_before + _breaks(before) + 1
    char = len(before) - max(before.rfind("\n"), before.rfind("\r"))
    where = f"dòng {line}, ký tự thứ {char}"
    if exc.encoding.replace("_", "-").startswith("utf-16") and size % 2:
        return FileProblem(
            path, f"{where}: tệp UTF-16 bị cắt cụt (số byte lẻ): hãy lưu hoặc xuất lại tệp"
        )
    raw = _bad_bytes(exc)
    shown = " ".join(f"0x{b:02X}" for b in raw)
    return FileProblem(
        path,
        f"{where}: sai bảng mã, {'các byte' if len(raw) > 1 else 'byte'} {shown} không phải "
        f"chữ trong bảng mã {_encoding_name(exc.encoding)}: hãy {_SAVE_AS_UTF8}",
    )


def _bad_bytes(exc: UnicodeDecodeError, most: int = 8) -> bytes:
    """The bytes from the first that is not text in ``exc.encoding`` to the next that is
    (``most`` at most): a damaged letter is often more than one byte."""
    data, end = exc.object, max(exc.end, exc.start + 1)
    if codecs.lookup(exc.encoding).name.startswith("utf-16"):
        return bytes(data[exc.start : end])
    while end < len(data) and end - exc.start < most:
        try:
            data[end : end + 4].decode(exc.encoding)  # a character is 4 bytes at most
        except UnicodeDecodeError as after:
            if after.start == 0:
                end += after.end
                continue
        break
    return bytes(data[exc.start : min(end, exc.start + most)])


def _encoding_name(codec: str) -> str:
    name = codecs.lookup(codec).name
    return {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "utf-16": "UTF-16", "utf-16-le": "UTF-16",
            "utf-16-be": "UTF-16", "cp1258": "Windows-1258", "cp1252": "Windows-1252"}.get(
        name, name
    )  # fmt: skip


_DELIMITERS = (",", ";", "\t")
_HEADER_SEARCH = 50  # records looked at for the header row


class _Rfc4180(csv.excel):
    """Excel's CSV (RFC 4180: ``""`` inside a quoted cell is one quote); only the
    delimiter varies."""


def _dialect(sample: str, table: str | None) -> type[csv.Dialect]:
    """The delimiter under which the table's header row reads as a header; otherwise the
    sniffer's. Lines above the header (a plan's title, number, date) often hold commas
    that mislead a sniffer looking at the whole sample. Only the delimiter is taken:
    the quoting stays RFC 4180's whatever the sniffer thinks of it."""
    from bot.importers.columns import is_header, map_header

    delimiter = ","
    found: list[tuple[int, int, str]] = []
    if table is not None:
        for candidate in _DELIMITERS:
            reader = csv.reader(io.StringIO(sample, newline=""), _Rfc4180, delimiter=candidate)
            try:
                for index, cells in enumerate(itertools.islice(reader, _HEADER_SEARCH)):
                    mapping = map_header(cells, table)
                    if is_header(mapping, table):
                        found.append((index, -len(mapping), candidate))
                        break
            except csv.Error:
                continue
    if found:
        delimiter = min(found)[2]
    else:
        with contextlib.suppress(csv.Error):  # no pattern at all: a comma
            delimiter = csv.Sniffer().sniff(sample, delimiters="".join(_DELIMITERS)).delimiter
    return type("_Dialect", (_Rfc4180,), {"delimiter": delimiter})


_SAMPLE = 65536


def _read_csv(path: Path, table: str | None) -> list[Row]:
    text = decode(path, path.read_bytes())
    return list(_csv_rows(path, io.StringIO(text, newline=""), _dialect(text[:_SAMPLE], table)))


class _Lines:
    """Feeds a CSV reader one physical line at a time, keeping the lines of the record
    being read: where each record starts, and where a quote left open began."""

    def __init__(self, source: Iterable[str]) -> None:
        self._source = iter(source)
        self.count = 0  # physical lines read so far
        self.record: list[str] = []  # the lines of the record being read

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = next(self._source)
        self.count += 1
        self.record.append(line)
        return line


def _csv_rows(path: Path, source: Iterable[str], dialect: type[csv.Dialect]) -> Iterator[Row]:
    """Records with the line each starts on. A quote opened and never closed would swallow
    the rest of the file into one cell: that is an error at the line the quote opens."""
    lines = _Lines(source)
    reader = csv.reader(lines, dialect)
    start = 1
    last: tuple[Row, list[str]] | None = None  # held back: only the last can run to the end
    try:
        for cells in reader:
            if last is not None:
                yield last[0]
            last, lines.record = (Row(start, tuple(cells)), lines.record), []
            start = lines.count + 1
    except csv.Error as exc:  # e.g. a quoted cell grown past the field limit
        if _open_quote(lines.record, dialect.delimiter) is not None:
            raise _unclosed(path, start, lines.record, dialect.delimiter) from None
        raise FileProblem(path, f"CSV hỏng ({exc})", line=start) from None
    if last is not None:
        if _open_quote(last[1], dialect.delimiter) is not None:
            raise _unclosed(path, last[0].line, last[1], dialect.delimiter)
        yield last[0]


def _unclosed(path: Path, start: int, record: list[str], delimiter: str) -> FileProblem:
    line = start + (_open_quote(record, delimiter) or 0)
    return FileProblem(
        path,
        f"dấu ngoặc kép mở ở dòng {line} chưa đóng (ô này nuốt hết phần còn lại của tệp): "
        'hãy thêm dấu " đóng ô hoặc bỏ dấu " mở',
        line=line,
    )


def _open_quote(record: list[str], delimiter: str) -> int | None:
    """The index (within ``record``) of the line whose quote opens a cell that the record's
    lines never close, read as the csv module reads it (``""`` inside quotes is a quote, a
    quote inside an unquoted cell is text); None when every quote closes."""
    opened: int | None = None
    at_start = True
    for index, line in enumerate(record):
        i = 0
        while i < len(line):
            char = line[i]
            if opened is not None:
                if char == '"':
                    if line[i + 1 : i + 2] == '"':
                        i += 1
                    else:
                        opened, at_start = None, False
            elif char == '"' and at_start:
                opened = index
            else:
                at_start = char in (delimiter, "\r", "\n")
            i += 1
    return opened


_MISSING = object()  # a formula cell whose value was never calculated


class _SheetParser(WorkSheetParser):  # type: ignore[misc]
    """openpyxl's streaming sheet parser, telling a formula with no saved value (as
    scripts write them) from an empty cell."""

    def parse_cell(self, element: Any) -> dict[str, Any]:
        cell: dict[str, Any] = super().parse_cell(element)
        if cell["value"] is None and element.find(FORMULA_TAG) is not None:
            cell["value"] = _MISSING
        return cell


def _xlsx_rows(path: Path, merged: list[CellRange] | None = None) -> Iterator[Row]:
    """The first sheet's rows that hold a value, each cut after its last value; merged
    ranges are appended to ``merged`` once the rows are read."""
    if _plain_values(path):
        return _calamine_rows(path, merged)
    return _openpyxl_rows(path, merged)


_CALAMINE_MOST = 100_000_000  # bytes of a sheet's XML (~170,000 rows of an export)
# The end of a formula's tag, "</f>" or "</x:f>" (a shared formula's other cells, "<f
# …/>", follow its first cell's "<f …>…</f>"), or an error cell's type, looked for as plain
# bytes: a regular expression took as long as calamine's reading. Text that happens to
# hold one only sends the sheet to openpyxl.
_NOT_PLAIN = (b"f>", b' t="e"')


def _plain_values(path: Path) -> bool:
    """Whether the workbook's first sheet holds only values (no formula, no error cell)
    in at most :data:`_CALAMINE_MOST` bytes of XML. A file that is not a workbook is not:
    openpyxl's reading names what is wrong with it."""
    try:
        part = _first_sheet_part(path)
        with zipfile.ZipFile(path) as package:
            if part is None or package.getinfo(part).file_size > _CALAMINE_MOST:
                return False
            with package.open(part) as xml:
                tail = b""
                while block := xml.read(1 << 20):
                    chunk = tail + block
                    if any(mark in chunk for mark in _NOT_PLAIN):
                        return False
                    tail = block[-8:]  # a mark cut between two blocks
    except Exception:  # openpyxl and zipfile raise many kinds for a damaged file
        return False
    return True


def _first_sheet_part(path: Path) -> str | None:
    """The zip member of the workbook's first worksheet, as openpyxl finds it (a chart
    sheet is passed over, as its ``worksheets`` does); its manifest and workbook part
    only are read."""
    reader = ExcelReader(path, read_only=True, data_only=True)
    try:
        reader.read_manifest()
        reader.read_workbook()
        for _sheet, rel in reader.parser.find_sheets():
            if rel.target in reader.valid_files and "chartsheet" not in rel.Type:
                return str(rel.target)
        return None
    finally:
        reader.archive.close()


def _calamine_rows(path: Path, merged: list[CellRange] | None) -> Iterator[Row]:
    """:func:`_xlsx_rows` by calamine, for a sheet of plain values."""
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except CalamineError:
        raise FileProblem(
            path, f"không phải tệp Excel (.xlsx) hợp lệ: {_not_excel(path)}"
        ) from None
    try:
        sheets = [m.name for m in workbook.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet]
        name = sheets[0] if sheets else "?"
        try:
            sheet = workbook.get_sheet_by_name(name)
        except CalamineError as exc:  # also: no worksheet at all
            raise FileProblem(
                path, f"trang tính “{name}” hỏng ({exc.__class__.__name__})"
            ) from None
        # Its rows count from the sheet's first (the first ones may be empty), its cells from
        # the first column holding a value (tests/test_real_files.py holds it to that).
        left = sheet.start[1] if sheet.start else 0
        for index, values in enumerate(sheet.iter_rows()):
            width = len(values)
            while width and values[width - 1] in (None, ""):
                width -= 1
            if width:
                cells = [""] * left + [_cell_text(v) for v in values[:width]]
                yield Row(index + 1, tuple(cells))
        if merged is not None:
            merged.extend(
                CellRange(min_row=r0 + 1, min_col=c0 + 1, max_row=r1 + 1, max_col=c1 + 1)
                for (r0, c0), (r1, c1) in sheet.merged_cell_ranges or ()
            )
    finally:
        workbook.close()


def _openpyxl_rows(path: Path, merged: list[CellRange] | None = None) -> Iterator[Row]:
    """:func:`_xlsx_rows` by openpyxl's streaming parser.

    The sheet is read as its XML holds it: the stored ``<dimension>`` (wrong in some
    exporters' files) and formatted empty cells (Excel keeps them down to row 1,048,576)
    do not count. Merged ranges are appended to ``merged`` once the rows are read.
    """
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged file
        raise FileProblem(
            path, f"không phải tệp Excel (.xlsx) hợp lệ: {_not_excel(path)}"
        ) from None
    try:
        sheet = workbook.worksheets[0]
        # openpyxl's read-only sheet trusts <dimension>; its parser, used directly, does not.
        with sheet._get_source() as source:
            parser = _SheetParser(
                source, sheet._shared_strings, data_only=True, epoch=workbook.epoch,
                date_formats=workbook._date_formats, timedelta_formats=workbook._timedelta_formats,
            )  # fmt: skip
            try:
                for number, cells in parser.parse():
                    values = {
                        c["column"]: c["value"] for c in cells if c["value"] not in (None, "")
                    }
                    if not values:
                        continue
                    blank = [c for c, v in values.items() if v is _MISSING]
                    if blank:
                        where = ", ".join(f"{get_column_letter(c)}{number}" for c in blank)
                        raise FileProblem(
                            path,
                            f"trang tính “{sheet.title}”, dòng {number}, ô {where}: công thức chưa có "
                            "giá trị (tệp do chương trình tạo, chưa được tính): hãy mở tệp bằng "
                            "Excel rồi lưu lại, hoặc gõ giá trị vào ô",
                        )
                    width = max(values)
                    yield Row(number, tuple(_cell_text(values.get(i)) for i in range(1, width + 1)))
            except (ParseError, ValueError, KeyError, IndexError) as exc:
                raise FileProblem(
                    path, f"trang tính “{sheet.title}” hỏng ({exc.__class__.__name__})"
                ) from None
            if merged is not None and parser.merged_cells is not None:
                merged.extend(CellRange(m.ref) for m in parser.merged_cells.mergeCell)
    finally:
        workbook.close()


def _not_excel(path: Path) -> str:
    """What the file is instead, as far as its first bytes tell."""
    with path.open("rb") as raw:
        head = raw.read(4096)
    if not head:
        return "tệp rỗng"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "đây là tệp Excel 97–2003 (.xls): hãy mở bằng Excel rồi lưu lại dạng .xlsx"
    if head.startswith(b"PK"):
        return "tệp nén không chứa bảng tính Excel, hoặc tệp bị hỏng: hãy mở bằng Excel rồi lưu lại"
    if head.lstrip().startswith((b"<html", b"<!DOCTYPE", b"<table", b"<?xml")):
        return "đây là trang HTML/XML mang đuôi .xlsx: hãy mở bằng Excel rồi lưu lại dạng .xlsx"
    if not _CONTROL.search(head.decode("utf-8", errors="replace")):  # text in some encoding
        return "đây là văn bản (CSV?) mang đuôi .xlsx: hãy đổi đuôi thành .csv"
    return "nội dung không phải bảng tính (tệp hỏng hoặc loại tệp khác)"


def _fill_merged(rows: list[Row], merged: list[CellRange]) -> list[Row]:
    """Each merged range's cells take its top-left value (a deadline merged over several
    tasks applies to each), clipped to the rows and columns that hold data."""
    if not merged or not rows:
        return rows
    at = {r.line: i for i, r in enumerate(rows)}
    cells = [list(r.cells) for r in rows]
    last_row = rows[-1].line
    last_col = max(len(c) for c in cells)
    for rng in merged:
        top = at.get(rng.min_row)
        if top is None or rng.min_col > len(cells[top]):
            continue  # nothing in its top-left cell
        value = cells[top][rng.min_col - 1]
        for line in range(rng.min_row, min(rng.max_row, last_row) + 1):
            index = at.get(line)
            if index is None:
                continue  # a row with no value of its own stays out
            row = cells[index]
            right = min(rng.max_col, last_col)
            if len(row) < right:
                row.extend([""] * (right - len(row)))
            for col in range(rng.min_col, right + 1):
                row[col - 1] = value
    return [Row(r.line, tuple(c)) for r, c in zip(rows, cells, strict=True)]


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return (
            f"{value:%d/%m/%Y %H:%M}"
            if (value.hour, value.minute) != (0, 0)
            else f"{value:%d/%m/%Y}"
        )
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def iter_rows(path: Path, table: str | None = None) -> Iterator[Row]:
    """Rows one at a time, for exports too big to hold in memory (a one-stop system's).

    The encoding is recognised from the file's start; an XLSX sheet is read whole by
    calamine up to :data:`_CALAMINE_MOST` bytes of XML, streamed by openpyxl past it
    (merged cells are not filled: exports have none).
    """
    for line, cells in iter_cells(path, table):
        yield Row(line, tuple(cells))


def iter_cells(path: Path, table: str | None = None) -> Iterator[tuple[int, Sequence[str]]]:
    """:func:`iter_rows` as (line, cells), without a ``Row`` per record: what an import of
    a million rows reads at the csv module's own speed. The cells are NFC (an XLSX's too).

    A CSV's text is decoded, searched for control characters and checked for NFC a
    megabyte at a time, each piece ending at a line break, instead of record by record
    (a third of the time a row took): the pieces decide nothing the records would not,
    since a line break neither composes nor is a control character. Records are only
    normalised one by one once the text holds some that is not NFC (cp1258's combining
    tones), as before, so that a character whose NFC is a delimiter (U+037E → ";") stays
    inside its cell. The lines of a record that may hold an unclosed quote (a csv error,
    or a last record that runs to the end) are read again from the file: no line is kept
    on the way.
    """
    _check_path(path)
    if path.suffix.lower() in _EXCEL:
        for row in _xlsx_rows(path):
            yield _nfc((row.line, row.cells))
        return
    with path.open("rb") as raw:
        head = raw.read(_SAMPLE)
    if not (head.rstrip(_EOF_MARK.encode()) if len(head) < _SAMPLE else head).strip():
        raise FileProblem(path, "tệp trống")
    encoding = _encoding(path, head)
    text = _Text(path, encoding)
    reader = csv.reader(text.lines(), dialect := _dialect(text.start(_SAMPLE // 2), table))
    text.lines_read = lambda: reader.line_num
    start = 1
    last: tuple[int, Sequence[str]] | None = None  # held back: only the last can run to the end
    try:
        for cells in reader:
            if last is not None:
                yield last if text.normalized else _nfc(last)
            last = (start, cells)
            start = reader.line_num + 1
    except csv.Error as exc:  # e.g. a quoted cell grown past the field limit
        record = text.raw_lines(start, reader.line_num)
        if _open_quote(record, dialect.delimiter) is not None:
            raise _unclosed(path, start, record, dialect.delimiter) from None
        raise FileProblem(path, f"CSV hỏng ({exc})", line=start) from None
    if last is None:
        return
    if text.control:  # the text stops after that line: it is the last record's
        # …unless a quote left open makes that record run to the end of the file.
        opened = _open_quote(text.raw_lines(last[0], reader.line_num), dialect.delimiter)
        if opened is not None:
            rest = text.raw_lines(last[0], None)
            if _open_quote(rest, dialect.delimiter) == opened:
                raise _unclosed(path, last[0], rest, dialect.delimiter)
        raise _control_problem(path, last[0], text.control)
    if not text.ends_with_break or any("\n" in c or "\r" in c for c in last[1]):
        record = text.raw_lines(last[0], reader.line_num)
        if _open_quote(record, dialect.delimiter) is not None:
            raise _unclosed(path, last[0], record, dialect.delimiter)
    yield last if text.normalized else _nfc(last)


def _nfc(record: tuple[int, Sequence[str]]) -> tuple[int, Sequence[str]]:
    # The cells joined by a line break (a starter that composes with nothing): one pass.
    joined = "\n".join(record[1])
    if joined.isascii() or unicodedata.is_normalized("NFC", joined):
        return record
    return record[0], [unicodedata.normalize("NFC", c) for c in record[1]]


_BLOCK = 1 << 20  # bytes decoded at a time


class _Text:
    """A text file's lines, decoded and checked a piece of about :data:`_BLOCK` at a time,
    each piece ending at a line break."""

    def __init__(self, path: Path, encoding: str) -> None:
        self.path, self.encoding = path, encoding
        self.code_page = codecs.lookup(encoding).name in _CODE_PAGES
        self.normalized = True  # every piece so far is NFC
        self.control = ""  # a piece held this control character: the text ends after its line
        self.ends_with_break = True
        # The lines read so far (the csv reader's count, once it reads): a piece is read
        # once the reader has read every line of the pieces before.
        self.lines_read: Callable[[], int] = lambda: 0

    def start(self, size: int) -> str:
        """The text's first ``size`` characters (or all of it), to read its dialect from;
        undecodable bytes are replaced: the lines, read next, tell where they are."""
        with self.path.open(encoding=self.encoding, newline="", errors="replace") as handle:
            return handle.read(size)

    def lines(self) -> Iterator[str]:
        """Physical lines as ``open(newline="")`` gives them (a break is LF, CR or CR LF)."""
        return itertools.chain.from_iterable(map(_string_io, self._read()))

    def raw_lines(self, first: int, last: int | None) -> list[str]:
        """Lines ``first`` to ``last`` (1-based; None: to the end) of the file as it is."""
        with self.path.open(encoding=self.encoding, newline="", errors="replace") as handle:
            return list(itertools.islice(handle, first - 1, last))

    def _read(self) -> Iterator[str]:
        decoder = codecs.getincrementaldecoder(self.encoding)(errors="strict")
        # In UTF-8 and the Windows code pages a control character is its own byte: the
        # bytes are searched (a table lookup a byte), the text only from where one is.
        search = codecs.lookup(self.encoding).name not in _ASCII_BASED
        pending = ""
        with self.path.open("rb") as raw:
            while True:
                block = raw.read(_BLOCK)
                try:
                    pending += decoder.decode(block, final=not block)
                except UnicodeDecodeError as exc:
                    # The pieces yielded so far end at a line break and the reader has
                    # read all their lines: ``pending`` starts a line.
                    good = exc.object[: exc.start].decode(exc.encoding, errors="replace")
                    size = self.path.stat().st_size
                    problem = _decoding_problem(
                        self.path, exc, pending + good, self.lines_read(), size
                    )
                    raise problem from None
                search = search or len(block.translate(None, _CONTROL_BYTES)) < len(block)
                if not block:  # the end of the file, which may hold DOS's end-of-file mark
                    pending = _without_eof_mark(pending)
                cut = len(pending) if not block else _after_last_break(pending)
                if cut:
                    piece, pending = pending[:cut], pending[cut:]
                    if self.code_page:  # an old font may start past the first 64 KiB
                        _refuse_old_fonts(self.path, piece, self.lines_read())
                    yield self._checked(piece, search)
                    if self.control:
                        return
                if not block:
                    return

    def _checked(self, piece: str, search: bool) -> str:
        bad = _CONTROL.search(piece) if search else None
        if bad is not None:
            self.control = bad.group()
            piece = piece[: _line_end(piece, bad.start())]
        if self.normalized and not piece.isascii():
            # Without its quotes: a quote the csv module drops can join a letter and its mark.
            self.normalized = unicodedata.is_normalized(
                "NFC", piece.replace('"', "") if '"' in piece else piece
            )
        self.ends_with_break = piece[-1] in "\r\n"
        return piece


_CODE_PAGES = {"cp1258", "cp1252"}
_ASCII_BASED = {"utf-8", "utf-8-sig", "cp1258", "cp1252", "ascii"}
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])  # as _CONTROL


def _string_io(piece: str) -> io.StringIO:
    return io.StringIO(piece, newline="")


def _breaks(text: str) -> int:
    return text.count("\n") + text.count("\r") - text.count("\r\n")


def _after_last_break(text: str) -> int:
    """Where a piece can end: after the last line break that cannot be the CR of a CR LF
    cut in two (0: none yet)."""
    return max(text.rfind("\n"), text.rfind("\r", 0, len(text) - 1)) + 1


def _line_end(text: str, at: int) -> int:
    """The end of the line holding ``at``, its break included."""
    ends = [i for i in (text.find("\n", at), text.find("\r", at)) if i >= 0]
    if not ends:
        return len(text)
    end = min(ends)
    return end + 2 if text.startswith("\r\n", end) else end + 1


def _encoding(path: Path, head: bytes) -> str:
    """The encoding of a text file that starts with ``head``: UTF-16 or UTF-8 (a byte
    further on that is not UTF-8 is an error on its line), or a Windows code page (cp1258,
    Vietnamese) when the text is not UTF-8 at all. Text typed in the old Vietnamese fonts
    (TCVN3 “ABC”, VNI), which a code page reads without error as other letters, is refused:
    it would be imported as gibberish."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        head.decode("utf-8")
        return "utf-8-sig"
    except UnicodeDecodeError as exc:
        if exc.start > len(head) - 4 and len(head) >= _SAMPLE:  # a character cut by the window
            return "utf-8-sig"
        first_bad = exc
    if _mostly_utf8(head):  # UTF-8 with a few stray bytes: they are errors on their lines
        return "utf-8-sig"
    _refuse_old_fonts(path, head.decode("cp1258", errors="replace"))
    guess = from_bytes(head, cp_isolation=["cp1258", "cp1252"]).best()
    if guess is None:
        before = head[: first_bad.start].decode("utf-8", errors="replace")
        raise _decoding_problem(path, first_bad, before, 0, len(head))
    encoding = str(guess.encoding)
    _refuse_old_fonts(path, head.decode(encoding, errors="replace"))
    return encoding


def _mostly_utf8(data: bytes) -> bool:
    """Whether ``data`` holds more well-formed UTF-8 letters beyond ASCII than bytes that
    are not UTF-8. A code page's Vietnamese (a letter, then a tone, each a byte ≥ 0x80)
    almost never happens to form UTF-8; UTF-8 with a byte damaged here and there does."""
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    letters = len(text) - len(text.encode("ascii", errors="ignore")) - bad
    return letters > 0 and letters >= bad


# What a code page shows for bytes of the old Vietnamese fonts, which no Vietnamese word
# holds in Windows-1258: TCVN3's á à ả ã ạ ă â ê ô ơ ư đ… fall on Latin-1's symbols
# (“Së T­ ph¸p”), VNI's tones on letters of other languages (“Sôû Tö phaùp”); and
# Windows-1252's reading of Windows-1258's tones (Ì Ò Þ ì ò).
_OLD_FONT_SIGNS = frozenset(
    "¡¢£¤¥¦§¨©ª«¬\xad®¯±²³´µ¶·¸¹º»¼½¾¿ÃÄÅÆÇËÌÎÏÐÑÒÕÖ×ØÛÜÝÞßãäåæçëìîïðñòõö÷øûüýþÿƒˆ‰ŠŒŽšœžŸ"
)
# Windows-1258's own Vietnamese: its letters and its tones (combining marks).
_CP1258_VIETNAMESE = frozenset("ĂÂÊÔƠƯĐăâêôơưđÀÁÈÉÍÓÙÚàáèéíóùú\u0300\u0301\u0303\u0309\u0323")
_OLD_FONT_WORDS = 2  # signs inside words: a name in another language (“Müller”) holds one


def _refuse_old_fonts(path: Path, text: str, lines_before: int = 0) -> None:
    """Refuse ``text`` (a code page's reading of the file, or of its lines from
    ``lines_before + 1`` on, before NFC) when it reads as an old Vietnamese font."""
    signs = [
        i for i, char in enumerate(text)
        if char in _OLD_FONT_SIGNS and (text[i - 1 : i].isalpha() or text[i + 1 : i + 2].isalpha())
    ]  # fmt: skip
    at = _old_font_at(text, signs)
    if at is None:
        return
    raise FileProblem(
        path,
        f"dòng {lines_before + _breaks(text[:at]) + 1}: tệp được gõ bằng bảng mã cũ (TCVN3 "
        f"“ABC” hay VNI, phông .VnTime hay VNI-Times): đọc ra chữ sai như “{_word_at(text, at)}”. "
        f"Hãy chuyển mã sang Unicode (ví dụ Unikey: Công cụ chuyển mã), rồi {_SAVE_AS_UTF8}",
    )


def _old_font_at(text: str, signs: list[int]) -> int | None:
    """The first of ``signs`` (old fonts' signs inside words) when they outweigh
    Windows-1258's own letters, in the whole text or in one line of it (a row pasted from
    an old document into a file in Windows-1258); None when the text reads as Vietnamese.
    A name in another language (“Müller”) holds a sign or two among a line's letters."""
    if len(signs) < _OLD_FONT_WORDS:
        return None
    if len(signs) * 4 >= _vietnamese(text):
        return signs[0]
    by_line: dict[int, list[int]] = {}  # a line's start → its signs
    start = previous = 0
    for i in signs:  # in order: each stretch of text between two signs is searched once
        start = max(start, text.rfind("\n", previous, i) + 1, text.rfind("\r", previous, i) + 1)
        by_line.setdefault(start, []).append(i)
        previous = i
    for start, found in by_line.items():
        line = text[start : _line_end(text, found[0])]
        if len(found) >= 3 and len(found) >= 2 * _vietnamese(line):
            return found[0]
    return None


def _vietnamese(text: str) -> int:
    return sum(1 for char in text if char in _CP1258_VIETNAMESE)


def _word_at(text: str, at: int) -> str:
    start = max(text.rfind(c, 0, at) for c in ' ,;\t\r\n"') + 1
    ends = [i for i in (text.find(c, at) for c in ' ,;\t\r\n"') if i >= 0]
    return text[start : min(ends, default=len(text))][:40]
