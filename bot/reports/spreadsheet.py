"""A table downloaded from the web view, as Excel opens it: CSV (UTF-8 with a BOM, so the
diacritics survive) or XLSX (openpyxl's write-only workbook, row by row); and the
``Content-Disposition`` that names the file in Vietnamese.

Cells come from what officers typed and plans wrote: a text starting with ``=``, ``+``,
``-`` or ``@`` (or a tab, a carriage return) would be run as a formula by a spreadsheet
("formula injection", OWASP's CSV injection). In CSV such a text is written after an
apostrophe, which Excel and LibreOffice read as "this is text"; in XLSX the cell is typed
as text and marked "quote prefix", so nothing is added to it and editing it keeps it text.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any
from urllib.parse import quote

from bot.domain.text import fold

Cell = str | int | date | None
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def risky(text: str) -> bool:
    """Whether a spreadsheet could read ``text`` as a formula."""
    return text.startswith(_FORMULA_START)


def neutral(text: str) -> str:
    """``text`` as a CSV cell no spreadsheet runs: an apostrophe before a risky one."""
    return f"'{text}" if risky(text) else text


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    """The table as CSV: UTF-8 with a BOM, CRLF lines, dates as dd/mm/yyyy, ``None`` empty."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_cell(value) for value in row])
    return out.getvalue().encode("utf-8")


def _csv_cell(value: Cell) -> str | int:
    if value is None:
        return ""
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, str):
        return neutral(value)
    return value


def to_xlsx(
    header: Sequence[str], rows: Iterable[Sequence[Cell]], *, sheet: str,
    widths: Sequence[int] = (),
) -> bytes:  # fmt: skip
    """The table as one XLSX sheet named ``sheet`` (at most 31 characters): the header
    in bold and frozen, dates as dates shown dd/mm/yyyy, every text a text cell (never a
    formula); ``widths`` the columns' widths in characters, in order."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet[:31])
    for number, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(number)].width = width
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    titles = []
    for title in header:
        cell = WriteOnlyCell(ws, value=title)
        cell.font = bold
        titles.append(cell)
    ws.append(titles)
    for row in rows:
        ws.append([_xlsx_cell(ws, value) for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_cell(ws: Any, value: Cell) -> object:
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, str):
        if not risky(value):
            return value
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"  # openpyxl would make "=…" a formula
        cell.quotePrefix = True
        return cell
    if isinstance(value, date):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = "DD/MM/YYYY"
        return cell
    return value


def attachment(name: str) -> str:
    """A ``Content-Disposition`` for a download named ``name`` ("Kế hoạch 126-KH-UBND.csv"):
    an ASCII name for old clients and the UTF-8 one (RFC 5987 ``filename*``) for the rest;
    characters a file name cannot hold (``/ \\ : * ? " < > |``, controls) become "-"."""
    safe = re.sub(r'[\x00-\x1f\x7f/\\:*?"<>|]+', "-", name).strip(" .-") or "bang"
    ascii_name = re.sub(r"[^A-Za-z0-9.]+", "-", fold(safe)).strip("-") or "bang"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(safe, safe='')}"
