"""Read a CSV or XLSX file into numbered rows of text cells.

CSV: UTF-8 with or without BOM, UTF-16 (Excel's "Unicode text"), and the Windows code
pages Excel uses on Vietnamese machines (cp1258) are recognised; the delimiter (comma,
semicolon or tab) is sniffed. XLSX: the first sheet, merged cells filled from their
top-left cell (a deadline merged over several tasks applies to each of them).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from charset_normalizer import from_bytes


class FileProblem(Exception):
    """The file as a whole cannot be read; the message is for the admin."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True)
class Row:
    line: int  # 1-based line (CSV) or row number (XLSX), as the admin sees it
    cells: tuple[str, ...]

    def is_blank(self) -> bool:
        return not any(c.strip() for c in self.cells)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def read_rows(path: Path) -> list[Row]:
    if not path.is_file():
        raise FileProblem(path, "không tìm thấy tệp")
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        rows = _read_xlsx(path)
    elif suffix in {".csv", ".tsv", ".txt"}:
        rows = _read_csv(path)
    else:
        raise FileProblem(
            path, f"không đọc được loại tệp {suffix or '(không đuôi)'}: dùng .csv hoặc .xlsx"
        )
    if not any(not r.is_blank() for r in rows):
        raise FileProblem(path, "tệp trống")
    return rows


def decode(path: Path, data: bytes) -> str:
    """Bytes → text, or a clear error when the encoding cannot be recognised."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            guess = from_bytes(data, cp_isolation=["cp1258", "cp1252", "utf_16"]).best()
            if guess is None:
                raise FileProblem(
                    path, "không nhận ra bảng mã: hãy lưu lại tệp dạng “CSV UTF-8”"
                ) from None
            text = str(guess)
    bad = _CONTROL.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        raise FileProblem(
            path,
            f"dòng {line}: có ký tự lạ, tệp không phải văn bản CSV hoặc sai bảng mã "
            "(hãy lưu lại dạng “CSV UTF-8”)",
        )
    # cp1258 writes tones as combining marks: compose them so "ệ" matches "ệ".
    return unicodedata.normalize("NFC", text)


def _read_csv(path: Path) -> list[Row]:
    text = decode(path, path.read_bytes())
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
            text[:8192], delimiters=",;\t"
        )
    except csv.Error:
        dialect = csv.excel
    rows: list[Row] = []
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        for cells in reader:
            # line_num is the last physical line of the record; report its first line.
            first = reader.line_num - sum(c.count("\n") for c in cells)
            rows.append(Row(first, tuple(cells)))
    except csv.Error as exc:
        raise FileProblem(path, f"dòng {reader.line_num}: CSV hỏng ({exc})") from None
    return rows


def _read_xlsx(path: Path) -> list[Row]:
    from openpyxl import load_workbook  # slow to import; only XLSX imports pay for it

    try:
        workbook = load_workbook(path, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise FileProblem(path, f"không mở được tệp Excel ({exc.__class__.__name__})") from None
    sheet = workbook.worksheets[0]
    values = [[_cell_text(c.value) for c in row] for row in sheet.iter_rows()]
    for merged in sheet.merged_cells.ranges:
        top = values[merged.min_row - 1][merged.min_col - 1]
        for r in range(merged.min_row, merged.max_row + 1):
            for c in range(merged.min_col, merged.max_col + 1):
                values[r - 1][c - 1] = top
    return [Row(i + 1, tuple(cells)) for i, cells in enumerate(values)]


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


def iter_rows(path: Path) -> Iterator[Row]:
    """Rows one at a time, for exports too big to hold in memory (a one-stop system's).

    The encoding is recognised from the file's start; XLSX is read in read-only mode
    (merged cells are not filled: exports have none).
    """
    if not path.is_file():
        raise FileProblem(path, "không tìm thấy tệp")
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        yield from _iter_xlsx(path)
        return
    if suffix not in {".csv", ".tsv", ".txt"}:
        raise FileProblem(
            path, f"không đọc được loại tệp {suffix or '(không đuôi)'}: dùng .csv hoặc .xlsx"
        )
    with path.open("rb") as raw:
        head = raw.read(65536)
    if not head.strip():
        raise FileProblem(path, "tệp trống")
    encoding = _encoding(path, head)
    with path.open(encoding=encoding, newline="", errors="strict") as handle:
        sample = handle.read(8192)
        handle.seek(0)
        try:
            dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
                sample, delimiters=",;\t"
            )
        except csv.Error:
            dialect = csv.excel
        reader = csv.reader(handle, dialect)
        try:
            for cells in reader:
                text = [unicodedata.normalize("NFC", c) for c in cells]
                bad = next((c for c in text if _CONTROL.search(c)), None)
                if bad is not None:
                    raise FileProblem(path, f"dòng {reader.line_num}: có ký tự lạ (sai bảng mã?)")
                yield Row(reader.line_num - sum(c.count("\n") for c in cells), tuple(text))
        except UnicodeDecodeError:
            raise FileProblem(
                path, f"dòng {reader.line_num + 1}: sai bảng mã, hãy lưu lại dạng “CSV UTF-8”"
            ) from None
        except csv.Error as exc:
            raise FileProblem(path, f"dòng {reader.line_num}: CSV hỏng ({exc})") from None


def _encoding(path: Path, head: bytes) -> str:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        head.decode("utf-8-sig")
        return "utf-8-sig"
    except UnicodeDecodeError as exc:
        if exc.start > len(head) - 4:  # a character cut by the 64 KiB window
            return "utf-8-sig"
    guess = from_bytes(head, cp_isolation=["cp1258", "cp1252"]).best()
    if guess is None:
        raise FileProblem(path, "không nhận ra bảng mã: hãy lưu lại tệp dạng “CSV UTF-8”")
    return str(guess.encoding)


def _iter_xlsx(path: Path) -> Iterator[Row]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise FileProblem(path, f"không mở được tệp Excel ({exc.__class__.__name__})") from None
    try:
        for number, values in enumerate(
            workbook.worksheets[0].iter_rows(values_only=True), start=1
        ):
            yield Row(number, tuple(_cell_text(v) for v in values))
    finally:
        workbook.close()
