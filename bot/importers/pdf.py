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
  over the page) is joined to the task above by the rows' reader. A cell that LibreOffice
  prints too short for its text (a header repeated on a new page no taller than it fits)
  draws its last lines below its rule, hidden behind the cell under it: a line drawn
  right after the cell's text, in its column, at its next line's place, is the cell's
  (:func:`_own_overflow`), never the row's under it ("thành" of "Thời gian hoàn thành"
  read as a deadline's word, or among the numbering row's "(5)");
- the text outside the tables, line by line in reading order; a line whose words stand in
  two columns (the header block: issuer left, the nation's motto right) is read column
  by column, as Word's header table is; page numbers and lines printed on every page
  (running heads) are left out;
- a cell's text set turned a quarter either way (a narrow column's vertical header, STT
  or deadline: Word's "btLr" and "tbRl") read in its own lines' order, as upright
  (:func:`_reading_frame`, from each char's matrix); a cell whose text is upside down,
  slanted or set several ways at once is an error by page, row and column, never its
  letters read across;
- a cell's lines as printed, one line each; a table drawn inside a cell (boxes inside
  its box) a line a row, its cells joined by "; ", as Word's reader reads one, and said;
  a cell whose text stands in columns with no rules (a table drawn without them) read in
  print order and said;
- a task table laid in a layout table's cell (drawn with rules: boxes inside a box; or
  without: the task table alone ruled) is a task table of its own, as Word's reader reads
  a layout: the text above it in its cell is the page's (an appendix's title), the layout's
  other cells' lines, beside it, are notes (:meth:`PlanReader.aside`), none of its title;
- a box merged down to a page's end goes on at the next page's top only where the page
  shows it (an empty box there merged over several rows); an empty box of one row there is
  left empty and warned about, never filled with a guess;
- text struck through (found by :mod:`bot.importers.pdf_strikes`): a PDF keeps no strike
  attribute, but LibreOffice draws a strike as a line through the letters (Word as a thin
  filled rect), a third of the font's size above the baseline, two for a double strike;
  a reader's strike-out comment (a "StrikeOut" annotation, Acrobat's or Foxit's) is the
  line through the middle of the letters it covers. Such letters are left out of a cell
  (kept in :attr:`GridRow.struck`, warned about by table, row and column as Word's
  reader does) and of a line outside the tables (warned about by the line); an
  underline, a border right under the text and the table's rules are none. A strike
  drawn as an image (a scan, a pen stroke) is not seen.

What cannot be read is reported by page and never guessed: a page that is only an image
(scanned), text whose font has no Unicode map ("(cid:12)"), a task table without ruling
lines (its header on a line, or column by column in narrow columns), a task table in
columns so narrow that its words break between letters, a table at the top of a page
that does not line up with the task table it seems to continue. A PDF with no text at
all is a scan: the admin is told to ask for the Word file or a PDF exported with its
text.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator, Sequence, Set
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pdfplumber
from pdfminer.pdfdocument import PDFPasswordIncorrect
from pdfminer.psparser import PSException
from pdfplumber.page import Page
from pdfplumber.table import Table, cells_to_tables
from pdfplumber.utils.exceptions import PdfminerException

from bot.domain.text import clean, fold
from bot.importers.pdf_strikes import find_struck, strokes
from bot.importers.plan_tables import (
    CLOSING,
    DocumentPlan,
    GridRow,
    PlanReader,
    broken_token,
    find_header,
    looks_like_header,
    struck_line,
)
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
_X_TOLERANCE = 3.0  # points: letters further apart than this stand in two words
# A bullet glyph at a line's start, shown as Word shows it ("- "; the ones Word keeps as
# they are, kept); "-" and "+" only when a space or tab follows them ("-5%" is no bullet).
_BULLETS = frozenset("-+–•*◦▪▫●○■□‣⁃∙·")
_WORD_BULLETS = frozenset("-+–•*")
_TEXT_MARKS = frozenset("-+–*·")
# A bullet or list number before a tab ("- ", "•", "1.", "a)"): a list's hanging indent
_LIST_MARK = re.compile(r"^(?:[-+–•*◦▪▫●○■□‣⁃∙·\ue000-\uf8ff]|\(?\w{1,3}[.)])$")
Box = tuple[float, float, float, float]  # x0, top, x1, bottom in points
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
        with _quiet_pdfminer(), pdfplumber.open(path) as pdf:
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
        reader.warnings.extend(struck_line(text, words) for text, words in page.crossed)
        first = True
        continuing = last_columns
        last_columns = None
        for block in page.blocks:
            if isinstance(block, _Aside):
                reader.aside(block.text)
                continue
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
            is_task = reader.table(block.grid, block.columns)
            last_columns, first = (block.columns if is_task else None), False
    if not reader.found and problems:
        raise FileProblem(path, "không đọc được bảng nhiệm vụ nào: " + "; ".join(problems))
    reader.check_found(path, "tệp PDF")
    plan = reader.plan()
    plan.errors[:0] = [RowError(0, p) for p in problems]
    return plan


@contextlib.contextmanager
def _quiet_pdfminer() -> Iterator[None]:
    """pdfminer's log kept quiet while a file is read: of a damaged file it logs English
    lines ("Not adding object 3 to xref because …"), which reach the admin's screen
    before the reader's own words on the file (:data:`_NOT_PDF`)."""
    logger = logging.getLogger("pdfminer")
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        logger.setLevel(level)


@dataclass
class _Table:
    grid: list[GridRow]
    columns: list[float]  # the x of each column's left rule, and the right rule last
    bbox: Box = (0.0, 0.0, 0.0, 0.0)  # its outer rules
    problems: list[str] = field(default_factory=list)  # what in it cannot be read


@dataclass
class _Page:
    number: int
    has_text: bool
    images: int
    blocks: list[str | _Table | _Aside] = field(default_factory=list)  # in reading order
    # each line outside the tables with text struck through: (its text left, the stretches)
    crossed: list[tuple[str, list[str]]] = field(default_factory=list)
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
    marks = strokes(page)
    flags, used = find_struck(page.chars, marks)
    crossed = {id(c) for c, struck in zip(page.chars, flags, strict=True) if struck}
    strikes = {id(marks[i]) for i in used}
    # A strike is no ruling line: the table is found without them.
    ruled = page.filter(lambda o: id(o) not in strikes) if strikes else page
    found = ruled.find_tables() if page.chars else []
    _own_overflow(page.chars, [c for t in found for c in t.cells])
    placed: list[tuple[float, str | _Table | _Aside]] = []
    taken = _tables(page, [c for t in found for c in t.cells], number, placed, crossed)
    tasks = [b.bbox for _, b in placed if isinstance(b, _Table) and find_header(b.grid)]
    live = page.filter(lambda o: id(o) not in crossed) if crossed else page
    words = live.extract_words() if page.chars else []
    outside = [w for w in words if not any(_inside(w, box) for box in taken)]
    for top, text, box in _beside(outside, tasks):
        placed.append((top, _Aside(text)))
        taken.append(box)
    margin = page.height * _MARGIN
    lines, whole = _lines(words, taken)
    read.crossed = _crossed_lines(page.chars, taken, crossed)
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
    for text in _headers_without_rules(whole):
        read.problems.append(
            f"bảng nhiệm vụ (dòng tiêu đề “{text}”) không có đường kẻ ô nên không biết chữ "
            "nào thuộc ô nào, không đọc được: hãy xin bản Word, hoặc bản PDF có kẻ khung bảng"
        )
    for block in (b for _, b in placed if isinstance(b, _Table)):
        read.problems.extend(block.problems)
        if (broken := _broken_header(block.grid)) is not None:
            read.problems.append(
                f"bảng nhiệm vụ (dòng tiêu đề “{broken}”) có cột hẹp đến mức chữ bị ngắt giữa "
                "các chữ cái (như khi bảng đặt trong ô của một bảng khác) nên không đọc được: "
                "hãy xin bản Word, hoặc bản PDF có bảng rộng hơn"
            )
    read.blocks = [block for _, block in sorted(placed, key=lambda p: p[0])]
    return read


_HEADER_STEMS = (("stt", "tt"), ("noidung", "nhiemvu"), ("tiendo", "thoigian", "chutri"))


def _broken_header(grid: list[GridRow]) -> str | None:
    """The first row of a ruled table that is no task table but whose letters, the
    spaces and line breaks left out, read as a task table's header ("S" over "T" over
    "T", "Nộidun" over "g"): a task table in columns too narrow for its words, as a
    layout two levels deep squeezes it. None otherwise."""
    if not grid or find_header(grid) is not None:
        return None
    letters = "".join(fold(v).replace(" ", "").replace("\n", "") for v in grid[0].values)
    if all(any(stem in letters for stem in group) for group in _HEADER_STEMS):
        return clean(" | ".join(" ".join(v.split()) for v in grid[0].values))
    return None


@dataclass
class _Aside:
    text: str  # a line of a layout's cell beside a task table (:meth:`PlanReader.aside`)


def _tables(
    page: Page,
    pool: list[Box],
    number: int,
    placed: list[tuple[float, str | _Table | _Aside]],
    crossed: Set[int] = frozenset(),
) -> list[Box]:
    """The tables the cells ``pool`` draw (boxes inside a box: a table in that cell), put
    in ``placed`` at their tops; the boxes whose text they hold (none of the page's lines).
    ``crossed``: the ids of the chars struck through, as :func:`_grid` takes them.

    A row with a cell holding a task table (at any depth) is a layout, as Word's table
    laid around a task table is read: the task table is read as one of its own, the text
    above it in its cell as the page's lines (an appendix's title), the other cells' lines
    as notes beside it (:class:`_Aside`), none of its heading. The rows above and below
    such a row are tables of their own."""
    taken: list[Box] = []
    top_level = [c for c in pool if not _within_any(c, pool)]
    outer = set(top_level)
    pool = [c for c in pool if c not in outer]  # the boxes inside a box
    for group in cells_to_tables(top_level):
        run: list[Box] = []  # the cells of rows with no task table inside

        def flush(run: list[Box]) -> None:
            if run:
                table = Table(page, [*run, *(c for c in pool if _within_any(c, run))])
                placed.append((table.bbox[1], _grid(table, number, crossed)))
                taken.append(table.bbox)
                run.clear()

        for row in Table(page, group).rows:
            cells = [c for c in row.cells if c is not None]
            holding = {c for c in cells if pool and _holds_task_table(page, _within_cell(c, pool))}
            if not holding:
                run.extend(cells)
                continue
            flush(run)
            for cell in sorted(cells, key=lambda c: c[0]):
                if cell in holding:
                    inner = _within_cell(cell, pool)
                    taken.extend(_tables(page, inner, number, placed, crossed))
                    continue
                chars = [c for c in page.chars if c["text"] and _inside(c, cell)]
                for line in _cell_text(chars, cell, crossed).splitlines():
                    placed.append((cell[3], _Aside(line)))
                taken.append(cell)
        flush(run)
    return taken


def _same_column(a: Box, b: Box) -> bool:
    return abs(a[0] - b[0]) <= _TOLERANCE and abs(a[2] - b[2]) <= _TOLERANCE


def _within_cell(cell: Box, pool: list[Box]) -> list[Box]:
    return [c for c in pool if _within(c, cell)]


def _holds_task_table(page: Page, pool: list[Box]) -> bool:
    """Whether the boxes ``pool`` (those inside a cell) draw a task table, or a table
    holding one in a cell (at any depth)."""
    top_level = [c for c in pool if not _within_any(c, pool)]
    for group in cells_to_tables(top_level):
        table = Table(page, [*group, *(c for c in pool if _within_any(c, group))])
        if find_header(_grid(table, page.page_number).grid) is not None:
            return True
        if any(_holds_task_table(page, _within_cell(c, pool)) for c in group):
            return True
    return False


def _beside(words: list[dict[str, Any]], tables: list[Box]) -> Iterator[tuple[float, str, Box]]:
    """(top, text, box) of each line of ``words`` (those outside the tables) printed beside
    a task table (``tables``: their boxes) in a layout table with no rules (notes in the
    cells left and right of the cell holding it): all its words left or right of the
    table, the line level with the table, or right above it with words on both sides.
    Its place is the table's bottom: read after it."""
    lines = _word_lines(words)
    for x0, top, x1, bottom in tables:
        for line in [line for line in lines if line]:
            height = max(w["bottom"] - w["top"] for w in line)
            first, last = line[0]["top"], max(w["bottom"] for w in line)
            left = [w for w in line if w["x1"] <= x0 + _TOLERANCE]
            right = [w for w in line if w["x0"] >= x1 - _TOLERANCE]
            if len(left) + len(right) < len(line) or first > bottom:
                continue
            level = last >= top
            if not level and not (left and right and last >= top - 2 * height):
                continue
            for part in (left, right):
                if part:
                    box = (part[0]["x0"], first, part[-1]["x1"], last)
                    yield bottom, _text(part), box
            line.clear()  # beside one table, none other's


# --- tables --------------------------------------------------------------------------------

_AT = "dondoc_at"  # a char's key: the (x, y) it is read at, in the cell it was clipped out of
_PITCH = 0.1  # of a line's pitch: how far a clipped line's place may be from the next line's


def _own_overflow(chars: list[dict[str, Any]], cells: list[Box]) -> None:
    """Put each line of text a cell's box clipped (printed below its bottom rule, hidden
    behind the cell under it) back in that cell, as its text: LibreOffice prints a header
    row repeated on a new page no taller than it fits, the rest of a cell's text ("Thời
    gian / hoàn" over the page, "thành" under its rule, among the "(5)" of the numbering
    row or at the top of a row broken over the page). Such a line is drawn right after the
    cell's own text (``chars`` in the order the page draws them), in its column, at the
    next line's place (its own lines' pitch: a cell of two lines or more), inside the cell
    right under it (as wide), neither inside another box (a table drawn in a cell, whose
    rows print tight); it gets :data:`_AT`, the (x, y) of the cell's bottom, which
    :func:`_inside` reads. ``cells``: the page's tables' cells."""
    owner: list[Box | None] = []
    for char in chars:
        holding = [b for b in cells if _inside(char, b)] if char["text"].strip() else []
        owner.append(min(holding, key=lambda b: (b[2] - b[0]) * (b[3] - b[1]), default=None))
    last: dict[Box, int] = {}
    held: dict[Box, list[dict[str, Any]]] = {}
    for i, box in enumerate(owner):
        if box is not None:
            last[box] = i
            held.setdefault(box, []).append(chars[i])
    for box, end in last.items():
        own = held[box]
        tops = sorted({round(c["top"], 1) for c in own})
        if len(tops) < 2 or _within_any(box, cells):
            continue  # a line's pitch unknown; a box inside a box: a table drawn in a cell
        pitch = min(b - a for a, b in itertools.pairwise(tops))
        line_top = chars[end]["top"]
        clipped: list[dict[str, Any]] = []
        for char, under in zip(chars[end + 1 :], owner[end + 1 :], strict=False):
            if not char["text"].strip():
                continue
            if under is None or not _same_column(under, box) or abs(under[1] - box[3]) > _TOLERANCE:
                break  # not in the cell right under this one, as wide
            if char["x0"] < box[0] - _TOLERANCE or char["x1"] > box[2] + _TOLERANCE:
                break  # not in its column
            if abs(char["top"] - line_top) > _TOLERANCE:
                if abs(char["top"] - line_top - pitch) > _PITCH * pitch:
                    break  # not its next line
                line_top = char["top"]
            clipped.append(char)
        if not clipped or (clipped[0]["top"] + clipped[0]["bottom"]) / 2 <= box[3]:
            continue  # nothing clipped: the cell's own next line would be inside it
        if not _clipped_tail("".join(c["text"] for c in clipped), clipped):
            continue  # the next row's own text, at the header's pitch by chance
        for char in clipped:
            char[_AT] = ((char["x0"] + char["x1"]) / 2, box[3] - 0.01)


def _clipped_tail(text: str, chars: list[dict[str, Any]]) -> bool:
    """Whether ``text`` (drawn by ``chars``) reads as the clipped end of a header cell: one
    line of a few small-letter words ("thành", "phẩm"), no figure nor bracket. The text of
    the row broken under a repeated header ("(sau khi có hướng dẫn của Bộ)", "Sở Y tế")
    can stand at the header's next line's place too, and must stay that row's."""
    words = text.split() if len({round(c["top"]) for c in chars}) == 1 else []
    return (
        0 < len(words) <= _CLIPPED_WORDS
        and text.strip()[0].islower()
        and not any(ch.isdigit() or ch in "()[]/" for ch in text)
    )


_CLIPPED_WORDS = 3


def _grid(table: Table, page: int, crossed: Set[int] = frozenset()) -> _Table:
    """The table's rows on the grid its cells' edges draw: a cell's value in its first
    column, its span, and the columns merged from a row above (given that row's value).
    ``crossed``: the ids of the chars struck through (:func:`bot.importers.pdf_strikes.find_struck`), left out of
    the cells' values and kept in :attr:`GridRow.struck`, as Word's reader does."""
    # Boxes inside another box of the table are a table drawn in that cell: its text is
    # the cell's, its rules are no columns of the table.
    inner = {c for c in table.cells if _within_any(c, table.cells)}
    cells = [c for c in table.cells if c not in inner]
    xs = _edges([c[0] for c in cells] + [c[2] for c in cells])
    width = len(xs) - 1
    rows: list[GridRow] = []
    # column → (bottom, first column, span, value) of the last cell over that column
    above: dict[int, tuple[float, int, int, str]] = {}
    every = [
        c for c in table.page.chars
        if c["text"] and _inside(c, table.bbox)
    ]  # fmt: skip
    chars = [c for c in every if id(c) not in crossed]
    texts_of = [
        [None if b is None else _nested_text(table.page, every, b, inner, crossed)
         for b in r.cells]
        for r in table.rows
    ]  # fmt: skip
    full_of = [
        [b is not None and _ends_full(every, b, crossed) for b in r.cells] for r in table.rows
    ]
    struck_of = [
        [[] if b is None or not crossed else
         _struck_words(_char_lines([c for c in every if _inside(c, b)]), crossed)
         for b in r.cells]
        for r in table.rows
    ]  # fmt: skip
    index = 0
    problems: list[str] = []
    for position, (row, texts) in enumerate(zip(table.rows, texts_of, strict=True)):
        if all(b is None or b in inner for b in row.cells):
            continue  # a row of the table inside a cell
        index += 1
        top = row.bbox[1]
        values = [""] * width
        starts: list[tuple[int, int]] = []
        continued: set[int] = set()
        covered: set[int] = set()
        full: set[int] = set()
        nested: set[int] = set()
        columned: set[int] = set()
        in_row = [c for c in chars if _inside(c, row.bbox)]  # fewer to look through per cell
        struck: dict[int, str] = {}
        for bbox, text, ends_full, words in zip(
            row.cells, texts, full_of[position], struck_of[position], strict=True
        ):
            if bbox is None or bbox in inner:
                continue
            first = _column(xs, bbox[0])
            span = max(1, _column(xs, bbox[2]) - first)
            if not _readable_turns([c for c in in_row if _inside(c, bbox)]):
                problems.append(
                    f"dòng {index} của bảng trên trang, cột thứ {first + 1}: chữ xoay "
                    "ngược, nghiêng hoặc theo nhiều hướng trong cùng một ô nên không đọc được "
                    "theo thứ tự: hãy xin bản Word, hoặc bản PDF có chữ trong ô nằm ngang hoặc "
                    "xoay dọc một hướng"
                )
                text = ""
            values[first] = text or ""
            if words:
                struck[first] = "; ".join(words)
            if any(_within(c, bbox) for c in inner):
                nested.add(first)
            elif _columned(in_row, bbox):
                columned.add(first)
            if ends_full:
                full.add(first)
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
        bold = len(boxes) == 1 and _bold(chars, boxes[0])
        rows.append(GridRow(index, values, starts, continued, page=page, bold=bold, full=full,
                            nested=nested, columned=columned, struck=struck))  # fmt: skip
    return _Table(rows, xs, table.bbox, problems)


def _nested_text(
    page: Page, chars: list[dict[str, Any]], box: Box, inner: set[Box], crossed: Set[int]
) -> str:
    """A cell's text (:func:`_cell_text`), a table drawn inside it (``inner``: the boxes
    inside the table's cells) read as Word reads one: a line for each of its rows, its
    cells' lines joined by a space, its cells by "; "; the cell's own lines above, between
    and below such tables where they stand."""
    boxes = [c for c in inner if _within(c, box)]
    if not boxes:
        return _cell_text(chars, box, crossed)
    outer = [c for c in boxes if not _within_any(c, boxes)]
    tables = sorted(
        (Table(page, cells) for cells in cells_to_tables(outer)), key=lambda t: t.bbox[1]
    )
    own = [c for c in chars if _inside(c, box) and not any(_inside(c, b) for b in outer)]
    parts: list[str] = []
    for i, table in enumerate([*tables, None]):
        top = table.bbox[1] if table is not None else float("inf")
        bottom = tables[i - 1].bbox[3] if i else float("-inf")
        band = [c for c in own if bottom <= (c["top"] + c["bottom"]) / 2 < top]
        parts.append(_cell_text(band, box, crossed))
        if table is not None:
            for row in table.rows:
                texts = [
                    " ".join(_cell_text(chars, c, crossed).split("\n")) for c in row.cells if c
                ]
                parts.append("; ".join(t for t in texts if t))
    return "\n".join(p for p in parts if p)


def _columned(chars: list[dict[str, Any]], box: Box) -> bool:
    """Whether the cell's text stands in columns (a table drawn in it with no rules): two
    lines or more with a gap as wide as a letter is high before a word that starts at the
    same x on each (justified text starts its words anywhere)."""
    starts: list[float] = []
    for line in _char_lines(_reading_frame([c for c in chars if _inside(c, box)], box)[0]):
        letters = [c for c in line if c["text"].strip() and not _combining(c)]
        for i, (before, after) in enumerate(itertools.pairwise(letters)):
            size = float(before.get("size") or (before["bottom"] - before["top"]))
            if after["x0"] - before["x1"] <= size:  # less than three spaces' width
                continue
            if not _LIST_MARK.match("".join(c["text"] for c in letters[: i + 1])):
                starts.append(after["x0"])  # not a bullet's or number's tab
    return any(sum(1 for y in starts if abs(x - y) <= _TOLERANCE) >= 2 for x in starts)


def _within(box: Box, outer: Box) -> bool:
    """Whether ``box`` lies inside ``outer`` and is not ``outer`` itself."""
    inside = all(
        outer[i] - _TOLERANCE <= box[i] and box[i + 2] <= outer[i + 2] + _TOLERANCE for i in (0, 1)
    )
    return inside and any(abs(a - b) > _TOLERANCE for a, b in zip(box, outer, strict=True))


def _within_any(box: Box, boxes: list[Box]) -> bool:
    return any(_within(box, other) for other in boxes)


def _bold(chars: list[dict[str, Any]], box: tuple[float, float, float, float]) -> bool:
    """Whether all the letters of ``chars`` in ``box`` are set in a bold font."""
    fonts = [c["fontname"] for c in chars if c["text"].strip() and _inside(c, box)]
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


def _cell_text(chars: list[dict[str, Any]], box: Box, crossed: Set[int] = frozenset()) -> str:
    """A cell's text, a line for each line printed, except that a line the cell's width
    broke inside a word, a number or a date too long for a line ("31/12/202" over "5",
    "QĐ-" over "UBND", "100" over "%") is joined to the next without a space; a bullet at a line's start
    as "- ". ``crossed``: the ids of the chars struck through, left out."""
    lines, right = _live_lines(chars, box, crossed)
    if not lines:
        return ""
    # Lines wrapped at a space end with it (LibreOffice prints it): then a line ending in a
    # hyphen with no space after it was broken there, inside a code.
    spaced = any(line[-1]["text"] == " " for line in lines[:-1])
    out: list[str] = []
    for i, line in enumerate(lines):
        text = _line_text(line)
        if i and _wrapped(lines[i - 1], line, right, hyphen=spaced):
            out[-1] += text
        else:
            out.append(text)
    return "\n".join(t for t in (clean(t) for t in out) if t)


def turn(char: dict[str, Any]) -> int:
    """Which way a char is set, from its matrix: 0 upright, 90 turned a quarter left
    (read bottom to top, its lines left to right: Word's "btLr"), -90 a quarter right (top
    to bottom, lines right to left: "tbRl"), 180 any other way (upside down, slanted)."""
    a, b, c, d = (float(v) for v in char["matrix"][:4])
    if abs(b) <= 1e-3 * abs(a) and abs(c) <= 1e-3 * abs(d) and a > 0 and d > 0:
        return 0
    if abs(a) <= 1e-3 * abs(b) and abs(d) <= 1e-3 * abs(c) and b * c < 0:
        return 90 if b > 0 else -90
    return 180  # upside down or slanted: no reading order here


def _readable_turns(chars: list[dict[str, Any]]) -> bool:
    """Whether a cell's ``chars`` are all set one way that reads (:func:`turn`: upright,
    or turned a quarter either way): none upside down or slanted, no two ways mixed."""
    ways = {turn(c) for c in chars if c["text"].strip()}
    return len(ways) <= 1 and 180 not in ways


def _reading_frame(chars: list[dict[str, Any]], box: Box) -> tuple[list[dict[str, Any]], Box]:
    """A cell's chars and box as they read (copies, laid upright) when its text is set
    turned a quarter either way (:func:`turn`; a narrow column's vertical header, STT or
    deadline): a char's x along its line, its top across the lines, so that the lines'
    readers read it in its own order, never its letters across. Chars upright, or turned
    other ways (:func:`_turned_problems` says those), are left as they are."""
    turns = Counter(turn(c) for c in chars if c["text"].strip())
    way = turns.most_common(1)[0][0] if turns else 0
    if way not in (90, -90):
        return chars, box
    x0, top, x1, bottom = box

    def laid(c: dict[str, Any]) -> dict[str, Any]:
        if way == 90:  # along: upward (top falling); across: rightward
            at = (-c["bottom"], c["x0"], -c["top"], c["x1"])
        else:  # along: downward; across: leftward
            at = (c["top"], -c["x1"], c["bottom"], -c["x0"])
        return {**c, "x0": at[0], "top": at[1], "x1": at[2], "bottom": at[3], _AT: None}

    frame = (-bottom, x0, -top, x1) if way == 90 else (top, -x1, bottom, -x0)
    return [laid(c) if turn(c) == way else c for c in chars], frame


def _live_lines(
    chars: list[dict[str, Any]], box: Box, crossed: Set[int]
) -> tuple[list[list[dict[str, Any]]], float]:
    """The lines of the chars in ``box`` (:func:`_char_lines`) without those struck
    through (``crossed``: their ids), a line struck whole left out; and the text's right
    edge, the cell's padding mirrored, as all its letters print it (struck ones too)."""
    inside, box = _reading_frame([c for c in chars if _inside(c, box)], box)
    lines = _char_lines(inside)
    if not lines:
        return [], box[2]
    left = min(c["x0"] for line in lines for c in line)
    right = box[2] - max(0.0, left - box[0])
    if not crossed:
        return lines, right
    live: list[list[dict[str, Any]]] = []
    for line in lines:
        kept: list[dict[str, Any]] = []
        base_struck = False  # a mark goes with the letter it stands over
        for char in line:
            if not _combining(char):
                base_struck = id(char) in crossed
            if not base_struck and id(char) not in crossed:
                kept.append(char)
        if any(not c["text"].isspace() and not _combining(c) for c in kept):
            live.append(kept)
    return live, right


def _ends_full(chars: list[dict[str, Any]], box: Box, crossed: Set[int] = frozenset()) -> bool:
    """Whether the cell's last line reaches its right edge with a letter or digit, no
    space after it: a word, number or date the page's end may have broken."""
    lines, right = _live_lines(chars, box, crossed)
    if not lines:
        return False
    last = [c for c in lines[-1] if not _combining(c)][-1]
    size = float(last.get("size") or (last["bottom"] - last["top"]))
    return bool(last["text"][:1].isalnum() and last["x1"] + size * 0.6 > right - 0.5)


def _combining(char: dict[str, Any]) -> bool:
    return all(unicodedata.combining(ch) for ch in char["text"])


def _char_lines(chars: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The characters in lines, top to bottom, each left to right; a combining mark drawn
    as a glyph of its own after the letter it stands over."""
    lines: list[list[dict[str, Any]]] = []
    for char in sorted(chars, key=lambda c: c["top"]):
        if lines and char["top"] - lines[-1][0]["top"] <= _TOLERANCE:
            lines[-1].append(char)
        else:
            lines.append([char])
    out = []
    for line in lines:
        bases = sorted((c for c in line if not _combining(c)), key=lambda c: c["x0"])
        ordered: list[dict[str, Any]] = list(bases)
        for mark in (c for c in line if _combining(c)):
            middle = (mark["x0"] + mark["x1"]) / 2
            at = next(
                (i for i, b in enumerate(ordered) if not _combining(b) and b["x1"] >= middle),
                len(ordered) - 1,
            )
            while at + 1 < len(ordered) and _combining(ordered[at + 1]):
                at += 1
            ordered.insert(at + 1, mark)
        out.append(ordered)
    return out


def _line_text(line: list[dict[str, Any]]) -> str:
    """A line's characters as text: a space where the PDF has one, or where letters stand
    further apart than a space's width; a bullet glyph at its start as Word's bullet."""
    parts: list[str] = []
    previous: dict[str, Any] | None = None
    for char in line:
        if _combining(char):
            parts.append(char["text"])
            continue
        if (
            previous is not None
            and char["text"] != " "
            and previous["text"] != " "
            and char["x0"] - previous["x1"] > _X_TOLERANCE
        ):
            parts.append(" ")
        parts.append(char["text"])
        previous = char
    text = unicodedata.normalize("NFC", "".join(parts))
    first = text[:1]
    if first and (first in _BULLETS or "\ue000" <= first <= "\uf8ff"):
        rest = text[1:]
        if rest.startswith(" ") or first not in _TEXT_MARKS:  # a space or tab after it
            return f"{first if first in _WORD_BULLETS else '-'} {rest.lstrip()}"
    return text


def _wrapped(
    above: list[dict[str, Any]], below: list[dict[str, Any]], right: float, *, hyphen: bool
) -> bool:
    """Whether the line ``below`` goes on with the word, number or date the cell's width
    broke at the end of ``above``: no space there, letters or digits on both sides, the
    line above full (the next letter would not have fitted), and either a number, date or
    code broken ("31/12/202" over "5", "02/2017/T" over "T-VPCP"), or a word alone on its
    line that makes one syllable with the next line's first ("- Thư" over "ờng xuyên",
    where a bullet's tab left too little room), or a code broken after its hyphen
    ("1590/QĐ-" over "UBND") where ``hyphen`` (the cell's lines wrapped at a space show
    it, so a line without one was broken elsewhere)."""
    chars = [c for c in above if not _combining(c)]
    follows = [c for c in below if not _combining(c)]
    if not chars or not follows or chars[-1]["text"] == " ":
        return False
    if follows[0]["text"] in CLOSING:  # "100" over "%", "2019)" over ",": never a line's start
        return True
    if not follows[0]["text"][:1].isalnum():
        return False
    last = chars[-1]
    text = _line_text(above)
    token = text.split()[-1] if text.split() else ""
    if last["text"][:1].isalnum():
        width = follows[0]["x1"] - follows[0]["x0"]
        if last["x1"] + width <= right - 0.5:
            return False  # room was left: the line ended there
        after = _line_text(below).split()[0]
        if not broken_token(token, after):
            return False
        # A word (not a number or code) is broken only when alone on its line.
        words = [w for w in text.split() if w not in _WORD_BULLETS]
        return len(words) == 1 or "/" in token or token[-1].isdigit()
    if hyphen and last["text"] == "-" and len(chars) > 1 and chars[-2]["text"][:1].isalnum():
        word = next((c for c in follows if c["text"] == " "), follows[-1])
        return bool(last["x1"] + (word["x0"] - follows[0]["x0"]) > right - 0.5)
    return False


def _same_columns(a: list[float], b: list[float]) -> bool:
    return len(a) == len(b) and all(abs(x - y) <= _TOLERANCE for x, y in zip(a, b, strict=True))


# --- text outside the tables ---------------------------------------------------------------


def _word_lines(words: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The words (pdfplumber's) in lines, top to bottom, each left to right."""
    lines: list[list[dict[str, Any]]] = []
    for word in sorted(words, key=lambda w: (round(w["top"]), w["x0"])):
        if lines and abs(lines[-1][0]["top"] - word["top"]) <= _TOLERANCE:
            lines[-1].append(word)
        else:
            lines.append([word])
    for line in lines:
        line.sort(key=lambda w: w["x0"])
    return lines


def _lines(
    words: list[dict[str, Any]], boxes: list[tuple[float, float, float, float]]
) -> tuple[list[tuple[float, str]], list[list[dict[str, Any]]]]:
    """(top, text) of each line of ``words`` (the page's) outside ``boxes`` (the tables),
    in reading order, a run of lines in two columns column by column; and each line's
    words, left to right."""
    lines = _word_lines([w for w in words if not any(_inside(w, box) for box in boxes)])
    out: list[tuple[float, str]] = []
    run: list[tuple[float, list[list[dict[str, Any]]]]] = []  # lines in two columns

    def flush() -> None:
        width = max(len(parts) for _, parts in run) if run else 0
        for col in range(width):
            for _, parts in run:
                if col < len(parts) and parts[col]:  # at the run's top: the page's order
                    out.append((run[0][0], _text(parts[col])))  # keeps the column's
        run.clear()

    for line in lines:
        line.sort(key=lambda w: w["x0"])
        parts = _segments(line)
        if len(parts) > 1:
            run.append((line[0]["top"], parts))
            continue
        if run and (placed := _in_column(line, run)) is not None:
            run.append((line[0]["top"], placed))  # a column's line wrapped ("VIỆT NAM")
            continue
        flush()
        out.append((line[0]["top"], _text(line)))
    flush()
    return out, lines


_HEADER_LINES = 8  # lines a header row's cells wrap over, at most, in a narrow column


def _headers_without_rules(lines: list[list[dict[str, Any]]]) -> Iterator[str]:
    """The header of each task table printed without rules among ``lines`` (the words
    outside the tables, in lines): a line that reads as one ("STT Nhiệm vụ Tiến độ Cơ
    quan chủ trì"), or a line opening with "STT" whose words, with those of the lines
    right under it, read as one column by column (the header's cells wrapped in narrow
    columns: "STT Nội Cơ" over "dung quan"), as "STT | Nội dung nhiệm vụ | …"."""
    for i, line in enumerate(lines):
        if looks_like_header(text := _text(line)):
            yield text
            continue
        if fold(line[0]["text"]) not in ("stt", "tt") or len(line) < 3:
            continue
        edges = [w["x0"] for w in line]
        columns: list[list[str]] = [[w["text"]] for w in line]
        bottom = max(w["bottom"] for w in line)
        for below in lines[i + 1 : i + _HEADER_LINES]:
            height = max(w["bottom"] - w["top"] for w in below)
            if below[0]["top"] - bottom > height:
                break  # a gap: the header row has ended
            bottom = max(w["bottom"] for w in below)
            for word in below:
                at = max(
                    (c for c, x in enumerate(edges) if x <= word["x0"] + _TOLERANCE), default=0
                )
                columns[at].append(word["text"])
        header = " | ".join(clean(" ".join(c)) for c in columns)
        if looks_like_header(header.replace(" | ", " ")):
            yield header


def _in_column(
    line: list[dict[str, Any]], run: list[tuple[float, list[list[dict[str, Any]]]]]
) -> list[list[dict[str, Any]]] | None:
    """``line`` as a line of one column of the two-column run above it (its words in
    that column, none in the others), when it follows the run closely and stands within
    one column: the header block's motto or date wrapped. None otherwise."""
    _, above = run[-1]
    last = [w for part in above for w in part]
    height = max(w["bottom"] - w["top"] for w in last)
    if line[0]["top"] - max(w["bottom"] for w in last) > height:
        return None  # a gap: the header block has ended
    width = max(len(parts) for _, parts in run)
    starts = [
        min(parts[c][0]["x0"] for _, parts in run if c < len(parts) and parts[c])
        for c in range(width)
    ]
    x0, x1 = line[0]["x0"], line[-1]["x1"]
    for c in range(width):
        end = starts[c + 1] if c + 1 < width else float("inf")
        if starts[c] - height <= x0 and x1 < end:
            return [line if i == c else [] for i in range(width)]
    return None


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
    """Whether the middle of ``word`` (a word or a char; a char clipped out of its cell
    stands where :func:`_own_overflow` puts it) lies in ``box``."""
    x: float
    y: float
    x, y = word.get(_AT) or ((word["x0"] + word["x1"]) / 2, (word["top"] + word["bottom"]) / 2)
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def _running_lines(pages: list[_Page]) -> set[str]:
    """Lines printed on most pages (a running head or foot): not the plan's text."""
    if len(pages) < 3:
        return set()
    seen = Counter(text for p in pages for text in {b for b in p.blocks if isinstance(b, str)})
    return {text for text, count in seen.items() if count * 2 > len(pages)}


# --- text struck through -------------------------------------------------------------------


def _crossed_lines(
    chars: Sequence[dict[str, Any]], boxes: list[Box], crossed: Set[int]
) -> list[tuple[str, list[str]]]:
    """Each line outside the tables (``boxes``) with text struck through (``crossed``:
    the ids of those chars): its text without them, and what was struck."""
    if not crossed:
        return []
    outside = [c for c in chars if c["text"] and not any(_inside(c, box) for box in boxes)]
    out = []
    for line in _char_lines(outside):
        if words := _struck_words([line], crossed):
            out.append((clean(_line_text([c for c in line if id(c) not in crossed])), words))
    return out


def _struck_words(lines: list[list[dict[str, Any]]], crossed: Set[int]) -> list[str]:
    """The stretches of struck-through text in ``lines`` (:func:`_char_lines`), in
    reading order, ``crossed`` the ids of the chars struck: a stretch goes on over the
    spaces between struck words and from a line's end to the next line's start (a phrase
    crossed out over a wrap is one); a mark goes with its letter; a space alone is none."""
    out: list[str] = []
    stretch: list[str] = []  # the open stretch's part on each line so far

    def close() -> None:
        if stretch:
            out.append(" ".join(stretch))
            stretch.clear()

    for line in lines:
        run: list[dict[str, Any]] = []  # the open stretch's chars on this line
        spaces: list[dict[str, Any]] = []
        last = False  # whether the last letter was struck
        for char in line:
            if _combining(char):
                if last:
                    run.append(char)
            elif char["text"].isspace():
                spaces.append(char)
            elif id(char) in crossed:
                run.extend(spaces if run else [])
                run.append(char)
                spaces, last = [], True
            else:
                if run:
                    stretch.append(_line_text(run))
                    run = []
                close()
                spaces, last = [], False
        if run:
            stretch.append(_line_text(run))  # goes on if the next line starts struck
    close()
    return [t for t in (clean(s) for s in out) if t]
