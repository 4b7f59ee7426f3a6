"""A table downloaded from the web view, as Excel opens it: CSV (UTF-8 with a BOM, so the
diacritics survive) or XLSX (XlsxWriter, row by row in constant memory); and the
``Content-Disposition`` that names the file in Vietnamese.

Cells come from what officers typed and plans wrote: a text starting with ``=``, ``+``,
``-`` or ``@`` (or a tab, a carriage return) would be run as a formula by a spreadsheet
("formula injection", OWASP's CSV injection). In CSV such a text is written after an
apostrophe, which Excel and LibreOffice read as "this is text"; in XLSX the cell is written
as a string and marked "quote prefix", so nothing is added to it and editing it keeps it
text.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date
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
    formula); ``widths`` the columns' widths in characters, in order. Written by
    XlsxWriter row by row in constant memory (a plan of 100,000 parts in seconds)."""
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"constant_memory": True})
    ws = book.add_worksheet(sheet[:31])
    bold = book.add_format({"bold": True})
    day = book.add_format({"num_format": "dd/mm/yyyy"})
    quoted = book.add_format({"quote_prefix": True})
    for number, width in enumerate(widths):
        ws.set_column(number, number, width)
    ws.freeze_panes(1, 0)
    for c, title in enumerate(header):
        ws.write_string(0, c, title, bold)
    for r, row in enumerate(rows, 1):
        for c, value in enumerate(row):
            # Each type written by its own call: ``write`` would read "=…" as a formula.
            if isinstance(value, str):
                ws.write_string(r, c, value, quoted if risky(value) else None)
            elif isinstance(value, date):
                ws.write_datetime(r, c, value, day)
            elif isinstance(value, int):
                ws.write_number(r, c, value)
    book.close()
    return out.getvalue()


def attachment(name: str) -> str:
    """A ``Content-Disposition`` for a download named ``name`` ("Kế hoạch 126-KH-UBND.csv"):
    an ASCII name for old clients and the UTF-8 one (RFC 5987 ``filename*``) for the rest;
    characters a file name cannot hold (``/ \\ : * ? " < > |``, controls) become "-"."""
    safe = re.sub(r'[\x00-\x1f\x7f/\\:*?"<>|]+', "-", name).strip(" .-") or "bang"
    ascii_name = re.sub(r"[^A-Za-z0-9.]+", "-", fold(safe)).strip("-") or "bang"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(safe, safe='')}"
