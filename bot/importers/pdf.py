"""Read a plan published as a PDF with a text layer: the PDF front end of
:mod:`bot.importers.plan_tables`, which reads the text and tables as an officer would.

pdfplumber gives each page's characters and ruling lines. What is the PDF's own is read
here:

- a table is found from its ruling lines (pdfplumber's "lines" strategy) and laid on a
  grid from its cells' boxes: a cell as wide as several columns is one value in its first
  column, a cell as tall as several rows is marked continued in each row below it, as a
  merged cell of Word is;
- a task table that ends a page and a table that starts the next page with the same
  columns (nothing but a page number between them) are one table: the header printed
  again on the new page is skipped, and a row whose STT is empty there (the row broken
  over the page) is joined to the task above by the rows' reader;
- the text outside the tables, line by line in reading order; a line whose words stand in
  two columns (the header block: issuer left, the nation's motto right) is read column
  by column, as Word's header table is; page numbers and lines printed on every page
  (running heads) are left out;
- a cell's lines as printed, one line each.

What cannot be read is reported by page and never guessed: a page that is only an image
(scanned), text whose font has no Unicode map ("(cid:12)"), a task table without ruling
lines, a table at the top of a page that does not line up with the task table it seems
to continue. A PDF with no text at all is a scan: the admin is told to ask for the Word
file or a PDF exported with its text.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pdfplumber
from pdfminer.pdfdocument import PDFPasswordIncorrect
from pdfminer.psparser import PSException
from pdfplumber.page import Page
from pdfplumber.table import Table
from pdfplumber.utils.exceptions import PdfminerException

from bot.domain.text import clean, key
from bot.importers.plan_tables import DocumentPlan, GridRow, PlanReader, find_header
from bot.importers.rows import RowError
from bot.importers.tabular import FileProblem

_SCANNED = (
    "tệp PDF này là bản quét (chỉ có hình ảnh, không có lớp chữ) nên không đọc được nội "
    "dung: hãy xin cơ quan ban hành bản Word (.docx) của kế hoạch, hoặc bản PDF xuất thẳng "
    "từ Word (chọn và sao chép được chữ); hoặc chép bảng nhiệm vụ sang tệp .xlsx/.csv"
)
_NOT_PDF = "không phải tệp PDF đọc được: hãy mở bằng trình đọc PDF rồi lưu hoặc in lại"
_TOLERANCE = 3.0  # points: two ruling lines this close are one column boundary
_COLUMN_GAP = 2.0  # a gap wider than this many line heights parts two columns of text
_PAGE_NUMBER = re.compile(r"^[-–—\s]*(?:trang\s*)?\d{1,4}(?:\s*/\s*\d{1,4})?[-–—\s]*$", re.I)
_MARGIN = 0.08  # of the page's height: its head and foot, where page numbers stand
_UNMAPPED = ("(cid:", "\x00", "\ufffd")  # a glyph with no Unicode: pdfminer's signs


def read_pdf(path: Path) -> DocumentPlan:
    """Read the plan in ``path`` (.pdf with a text layer). Raises FileProblem (naming
    ``path``) when the file is no PDF, is a scan with no text, or holds no task table that
    can be read; a page that could not be read, in a plan whose other pages could, is an
    error "Trang 3: …" in ``errors``."""
    if path.is_dir():
        raise FileProblem(path, "đây là một thư mục, không phải tệp: ghi đường dẫn đến tệp")
    if not path.is_file():
        raise FileProblem(path, "không tìm thấy tệp")
    try:
        with pdfplumber.open(path) as pdf:
            pages = [_read_page(page) for page in pdf.pages]
    except PdfminerException as problem:
        if problem.args and isinstance(problem.args[0], PDFPasswordIncorrect):
            raise FileProblem(
                path, "tệp PDF có mật khẩu: hãy xin bản không đặt mật khẩu, hoặc bản Word"
            ) from None
        raise FileProblem(path, _NOT_PDF) from None
    except (PSException, ValueError, KeyError, TypeError):  # a damaged file, read lazily
        raise FileProblem(path, _NOT_PDF) from None
    if not any(p.has_text for p in pages):
        raise FileProblem(
            path, _SCANNED if any(p.images for p in pages) else "tệp PDF không có trang nào có chữ"
        )
    running = _running_lines(pages)
    reader = PlanReader()
    problems: list[str] = []
    last_columns: list[float] | None = None  # the task table that ended the page before
    for page in pages:
        problems.extend(f"Trang {page.number}: {p}" for p in page.problems)
        first = True
        continuing = last_columns
        last_columns = None
        for block in page.blocks:
            if isinstance(block, str):
                if block in running:
                    continue
                reader.line(block)
                last_columns, first = None, False
                continue
            if first and continuing is not None:
                if _same_columns(continuing, block.columns):
                    reader.continue_table(block.grid)
                    last_columns, first = block.columns, False
                    continue
                if find_header(block.grid) is None:
                    problems.append(
                        f"Trang {page.number}: bảng ở đầu trang có các cột không khớp với "
                        "bảng nhiệm vụ ở trang trước nên không biết là bảng nào, không đọc "
                        "được"
                    )
            is_task = reader.table(block.grid)
            last_columns, first = (block.columns if is_task else None), False
    if not reader.found and problems:
        raise FileProblem(path, "không đọc được bảng nhiệm vụ nào: " + "; ".join(problems))
    reader.check_found(path, "tệp PDF")
    plan = reader.plan()
    plan.errors[:0] = [RowError(0, p) for p in problems]
    return plan


@dataclass
class _Table:
    grid: list[GridRow]
    columns: list[float]  # the x of each column's left rule, and the right rule last


@dataclass
class _Page:
    number: int
    has_text: bool
    images: int
    blocks: list[str | _Table] = field(default_factory=list)  # in reading order
    problems: list[str] = field(default_factory=list)


def _read_page(page: Page) -> _Page:
    number = page.page_number
    read = _Page(number, False, len(page.images))
    if any(c["text"].startswith(_UNMAPPED) for c in page.chars):
        read.has_text = True
        read.problems.append(
            "chữ trên trang không đọc được (phông chữ không có bảng mã Unicode, chữ đọc ra "
            "dạng “(cid:…)”): hãy xin bản Word hoặc bản PDF xuất thẳng từ Word"
        )
        return read
    found = page.find_tables() if page.chars else []
    placed: list[tuple[float, str | _Table]] = []
    for table in found:
        placed.append((table.bbox[1], _grid(table, number)))
    margin = page.height * _MARGIN
    lines, whole = _lines(page, [t.bbox for t in found]) if page.chars else ([], [])
    for top, text in lines:
        if _PAGE_NUMBER.match(text) and not margin < top < page.height - margin:
            continue  # the page's number, in its head or foot
        placed.append((top, text))
    read.has_text = bool(placed)
    if not placed and page.images:  # a scanned page, its number stamped on it or not
        read.problems.append(
            "trang là hình ảnh (bản quét), không có chữ để đọc: hãy xin bản Word hoặc "
            "bản PDF xuất thẳng từ Word"
        )
    for text in whole:
        if _looks_like_header(text):
            read.problems.append(
                f"bảng nhiệm vụ (dòng tiêu đề “{text}”) không có đường kẻ ô nên không biết chữ "
                "nào thuộc ô nào, không đọc được: hãy xin bản Word, hoặc bản PDF có kẻ khung bảng"
            )
    read.blocks = [block for _, block in sorted(placed, key=lambda p: p[0])]
    return read


# --- tables --------------------------------------------------------------------------------


def _grid(table: Table, page: int) -> _Table:
    """The table's rows on the grid its cells' edges draw: a cell's value in its first
    column, its span, and the columns merged from a row above (given that row's value)."""
    cells = table.cells
    xs = _edges([c[0] for c in cells] + [c[2] for c in cells])
    width = len(xs) - 1
    rows: list[GridRow] = []
    # column → (bottom, first column, span, value) of the last cell over that column
    above: dict[int, tuple[float, int, int, str]] = {}
    for index, (row, texts) in enumerate(zip(table.rows, table.extract(), strict=True), 1):
        top = row.bbox[1]
        values = [""] * width
        starts: list[tuple[int, int]] = []
        continued: set[int] = set()
        covered: set[int] = set()
        for bbox, text in zip(row.cells, texts, strict=True):
            if bbox is None:
                continue
            first = _column(xs, bbox[0])
            span = max(1, _column(xs, bbox[2]) - first)
            values[first] = _cell_text(text or "")
            starts.append((first, span))
            for col in range(first, first + span):
                covered.add(col)
                above[col] = (bbox[3], first, span, values[first])
        for col in range(width):
            cell = above.get(col)
            if col in covered or cell is None or cell[0] <= top + _TOLERANCE:
                continue
            _, first, span, value = cell  # a cell merged down over this row
            if col == first:
                values[col] = value
                continued.add(col)
                starts.append((first, span))
            covered.update(range(first, first + span))
        starts.sort()
        boxes = [b for b, t in zip(row.cells, texts, strict=True) if b is not None and t]
        bold = len(boxes) == 1 and _bold(table.page, boxes[0])
        rows.append(GridRow(index, values, starts, continued, page=page, bold=bold))
    return _Table(rows, xs)


def _bold(page: Page, box: tuple[float, float, float, float]) -> bool:
    """Whether all the letters in ``box`` are set in a bold font."""
    fonts = [c["fontname"] for c in page.chars if c["text"].strip() and _inside(c, box)]
    return bool(fonts) and all("bold" in str(f).lower() for f in fonts)


def _edges(values: list[float]) -> list[float]:
    """The distinct positions among ``values``, those within the tolerance as one."""
    out: list[float] = []
    for v in sorted(values):
        if not out or v - out[-1] > _TOLERANCE:
            out.append(v)
    return out


def _column(edges: list[float], x: float) -> int:
    """The index of the edge at ``x``."""
    return min(range(len(edges)), key=lambda i: abs(edges[i] - x))


def _cell_text(text: str) -> str:
    lines = (clean(line) for line in unicodedata.normalize("NFC", text).splitlines())
    return "\n".join(line for line in lines if line)


def _same_columns(a: list[float], b: list[float]) -> bool:
    return len(a) == len(b) and all(abs(x - y) <= _TOLERANCE for x, y in zip(a, b, strict=True))


# --- text outside the tables ---------------------------------------------------------------


def _lines(
    page: Page, boxes: list[tuple[float, float, float, float]]
) -> tuple[list[tuple[float, str]], list[str]]:
    """(top, text) of each line outside the tables, in reading order, a run of lines in
    two columns column by column; and each line's whole text, left to right."""
    words = [
        w for w in page.extract_words()
        if not any(_inside(w, box) for box in boxes)
    ]  # fmt: skip
    lines: list[list[dict[str, Any]]] = []
    for word in sorted(words, key=lambda w: (round(w["top"]), w["x0"])):
        if lines and abs(lines[-1][0]["top"] - word["top"]) <= _TOLERANCE:
            lines[-1].append(word)
        else:
            lines.append([word])
    out: list[tuple[float, str]] = []
    run: list[tuple[float, list[list[dict[str, Any]]]]] = []  # lines in two columns

    def flush() -> None:
        width = max(len(parts) for _, parts in run) if run else 0
        for col in range(width):
            for _, parts in run:
                if col < len(parts):  # at the run's top: the page's order keeps the column's
                    out.append((run[0][0], _text(parts[col])))
        run.clear()

    for line in lines:
        line.sort(key=lambda w: w["x0"])
        parts = _segments(line)
        if len(parts) > 1:
            run.append((line[0]["top"], parts))
            continue
        flush()
        out.append((line[0]["top"], _text(line)))
    flush()
    return out, [_text(line) for line in lines]


def _segments(line: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The line's words parted where a gap is wider than a column gap."""
    parts: list[list[dict[str, Any]]] = [[line[0]]]
    for previous, word in itertools.pairwise(line):
        height = previous["bottom"] - previous["top"]
        if word["x0"] - previous["x1"] > _COLUMN_GAP * height:
            parts.append([word])
        else:
            parts[-1].append(word)
    return parts


def _text(words: list[dict[str, Any]]) -> str:
    return clean(unicodedata.normalize("NFC", " ".join(w["text"] for w in words)))


def _inside(word: dict[str, Any], box: tuple[float, float, float, float]) -> bool:
    x: float = (word["x0"] + word["x1"]) / 2
    y: float = (word["top"] + word["bottom"]) / 2
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def _running_lines(pages: list[_Page]) -> set[str]:
    """Lines printed on most pages (a running head or foot): not the plan's text."""
    if len(pages) < 3:
        return set()
    seen = Counter(text for p in pages for text in {b for b in p.blocks if isinstance(b, str)})
    return {text for text, count in seen.items() if count * 2 > len(pages)}


_HEADER_KEYS = (("stt", "tt"), ("nhiem vu", "noi dung"), ("tien do", "thoi gian", "chu tri"))


def _looks_like_header(text: str) -> bool:
    """A line of text outside any ruled table that reads like a task table's header row
    ("STT Nhiệm vụ Tiến độ Cơ quan chủ trì")."""
    words = f" {key(text)} "
    return all(any(f" {k} " in words for k in group) for group in _HEADER_KEYS)
