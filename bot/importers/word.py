"""Read a plan published as a Word document (.docx) into the rows the CSV importer reads.

A Kế hoạch is issued as a Word document: a header block ("Số: 336/KH-UBND", "Đồng Nai,
ngày 15 tháng 10 năm 2024"), the title after "KẾ HOẠCH", and its tasks in one or more
tables, often appendices ("PHỤ LỤC 1 … THUỘC TRÁCH NHIỆM … CỦA SỞ NỘI VỤ", "(Kèm theo Kế
hoạch số 126/KH-UBND ngày 03/6/2024 của …)"). :func:`read_word` reads it as an officer
would and lays every task table out as one CSV-like table (:class:`~bot.importers.tabular.Row`
with canonical columns), so that sections, continued rows, deadlines and agency cells are
read by the same code as a CSV's (:mod:`bot.importers.rows`):

- a task table is found by its header cells (the CSV importer's vocabulary, any column
  order, a header of two rows where "Cơ quan thực hiện" spans "Chủ trì" and "Phối hợp");
  other tables (the header block, signatures, "Nơi nhận") only give the plan's number,
  date and issuer;
- a header row repeated inside the table (w:tblHeader, or the same texts again) and the
  row of column numbers "(1) (2) (3)…" are skipped;
- a merged full-width row "I. CHỈ SỐ PAPI" is a section row; "PHỤ LỤC 2" above a table
  opens a section "Phụ lục 2";
- a horizontally merged cell (w:gridSpan) is one value, in its first column; a vertically
  merged cell (w:vMerge) gives its value to every row it spans, except in a row whose STT
  is itself merged from above: that row is the same task continued over a page, and only
  its own cells are added to the task;
- a cell of several paragraphs keeps one line per paragraph, a numbered or bulleted
  paragraph (w:numPr) its bullet or number;
- an appendix whose title names its lead ("… THUỘC TRÁCH NHIỆM THEO DÕI, QUẢN LÝ CỦA SỞ NỘI
  VỤ") gives that lead to its tasks whose lead cell is empty or says "Chủ trì".

Each row read keeps its place in the document (:class:`Place`), so that a problem is named
"Bảng 2, dòng 14, cột Tiến độ".
"""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import tempfile
import unicodedata
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from docx import Document
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.ns import qn
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from bot.domain.text import clean, fold, fold_aligned
from bot.importers.columns import LABELS, map_header
from bot.importers.rows import PlanMeta, RowError
from bot.importers.tabular import FileProblem, Row

WORD = {".docx", ".doc"}
NOT_YET = {
    ".pdf": "chưa đọc được kế hoạch dạng PDF: hãy dùng bản Word (.docx) của kế hoạch, hoặc "
    "chép bảng nhiệm vụ sang tệp .xlsx/.csv",
}
_NO_LIBREOFFICE = (
    "tệp Word 97–2003 (.doc): máy này chưa cài LibreOffice để chuyển sang .docx; hãy mở tệp "
    "bằng Word hoặc LibreOffice rồi “Lưu thành” dạng .docx (Word Document)"
)
_CONVERT_TIMEOUT = 120  # seconds: a plan of a hundred pages converts in a few

# The canonical layout of the rows handed to the CSV pipeline.
COLUMNS = ("number", "indicator", "target", "task", "deadline", "lead", "coordinate", "result")
_HEADER_LABELS = {**LABELS, "deadline": "Tiến độ"}


@dataclass(frozen=True)
class Place:
    """Where a row read stands in the document: the task table (1-based, counting task
    tables only), the row as Word counts it (header rows included), and the table's own
    header text of each canonical column ("deadline" → "Thời gian hoàn thành")."""

    table: int
    row: int
    columns: Mapping[str, str]


@dataclass(frozen=True)
class WordTable:
    """A task table as found: its heading above it, and the lead that heading names."""

    number: int
    heading: str
    lead: str
    rows: int  # data rows read (header rows left out)


@dataclass
class WordPlan:
    """A Word plan read: ``rows`` (a header row at line 0, then one row per table row, line
    1 on), ``meta`` as the document states it, ``errors`` about the document (a task table
    without a deadline column…), and candidates for the issuer from the header block, most
    likely first."""

    rows: list[Row]
    places: dict[int, Place]
    tables: list[WordTable]
    meta: PlanMeta
    errors: list[RowError] = field(default_factory=list)
    issuer_names: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # rows read but not used, for --dry-run

    def where(self, line: int, column: str = "") -> str:
        """ "Bảng 2, dòng 14, cột Tiến độ" for a row read (``column``: canonical name)."""
        place = self.places.get(line)
        if place is None:
            return f"dòng {line}"
        if place.row == 0:
            return f"Bảng {place.table}, tên phụ lục"
        text = f"Bảng {place.table}, dòng {place.row}"
        if column:
            text += f", cột {place.columns.get(column) or _HEADER_LABELS.get(column, column)}"
        return text


def check_format(path: Path) -> None:
    """A clear FileProblem for the kinds of plan documents not read yet (.pdf, .doc)."""
    why = NOT_YET.get(path.suffix.lower())
    if why:
        raise FileProblem(path, why)


def read_document(path: Path) -> WordPlan:
    """Read the plan in ``path``: a .docx, or a legacy .doc converted to .docx by
    LibreOffice (``soffice --headless --convert-to docx``) where it is installed. Raises
    FileProblem (naming ``path``) as :func:`read_word` does, or when a .doc cannot be
    converted."""
    if path.suffix.lower() != ".doc" or not path.is_file():
        return read_word(path)
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None:
        raise FileProblem(path, _NO_LIBREOFFICE)
    with tempfile.TemporaryDirectory(prefix="dondoc-doc-") as folder:
        # What LibreOffice says on failure is for a developer: the missing .docx tells.
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            subprocess.run(  # noqa: S603 - LibreOffice found on PATH, the admin's own file
                [office, "--headless", "--convert-to", "docx", "--outdir", folder, str(path)],
                check=True, capture_output=True, timeout=_CONVERT_TIMEOUT,
            )  # fmt: skip
        converted = Path(folder) / f"{path.stem}.docx"
        if not converted.is_file():
            raise FileProblem(
                path,
                "LibreOffice không chuyển được tệp .doc này sang .docx: hãy mở tệp bằng Word "
                "rồi “Lưu thành” dạng .docx",
            )
        try:
            return read_word(converted)
        except FileProblem as problem:
            raise FileProblem(path, problem.reason) from None


def read_word(path: Path) -> WordPlan:
    """Read the plan in ``path`` (.docx). Raises FileProblem when the file is not a Word
    document or holds no task table; a table read but incomplete is in ``errors``."""
    if path.is_dir():
        raise FileProblem(path, "đây là một thư mục, không phải tệp: ghi đường dẫn đến tệp")
    if not path.is_file():
        raise FileProblem(path, "không tìm thấy tệp")
    try:
        document = Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError):
        raise FileProblem(
            path, "không phải tệp Word (.docx) hợp lệ: hãy mở bằng Word rồi lưu lại dạng .docx"
        ) from None
    reader = _Reader(_Numbering(document))
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            reader.paragraph(reader.text(block))
        else:
            reader.table(block)
    if not reader.found:
        seen = f" (có {reader.other_tables} bảng nhưng không bảng nào có cột “Nhiệm vụ”/“Nội dung công việc” cùng cột “Tiến độ” hoặc “Cơ quan chủ trì”)"
        raise FileProblem(
            path,
            "không thấy bảng nhiệm vụ nào trong văn bản"
            + (seen if reader.other_tables else "")
            + ": bảng cần dòng tiêu đề như “STT | Nhiệm vụ cụ thể | Tiến độ | Cơ quan chủ trì”",
        )
    return reader.plan()


# --- paragraphs and numbering --------------------------------------------------------------


class _Numbering:
    """The glyph or number Word shows before a numbered paragraph (w:numPr), counted as
    Word counts it: per list, a level restarting under its parent."""

    def __init__(self, document: Any) -> None:
        self._formats: dict[tuple[str, str], tuple[str, str]] = {}  # (numId, ilvl) → fmt, text
        self._counts: dict[str, list[int]] = {}
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError):
            return
        abstract = {a.get(qn("w:abstractNumId")): a for a in root.findall(qn("w:abstractNum"))}
        for num in root.findall(qn("w:num")):
            ref = num.find(qn("w:abstractNumId"))
            node = abstract.get(ref.get(qn("w:val")) if ref is not None else None)
            if node is None:
                continue
            for lvl in node.findall(qn("w:lvl")):
                fmt, text = lvl.find(qn("w:numFmt")), lvl.find(qn("w:lvlText"))
                self._formats[(num.get(qn("w:numId")), lvl.get(qn("w:ilvl")))] = (
                    fmt.get(qn("w:val")) if fmt is not None else "decimal",
                    text.get(qn("w:val")) if text is not None else "",
                )

    def prefix(self, paragraph: Paragraph) -> str:
        num_pr = _num_pr(paragraph)
        if num_pr is None:
            return ""
        num_id, level = num_pr
        fmt, text = self._formats.get((num_id, level), ("bullet", "-"))
        if fmt == "none":
            return ""
        if fmt == "bullet":
            # Symbol-font bullets are private-use characters: a dash reads the same.
            return (text if text in ("-", "+", "–", "•", "*") else "-") + " "
        counts = self._counts.setdefault(num_id, [0] * 9)
        depth = min(int(level or 0), 8)
        counts[depth] += 1
        counts[depth + 1 :] = [0] * (8 - depth)
        shown = re.sub(
            r"%(\d)", lambda m: _format_number(counts[int(m.group(1)) - 1], fmt), text or "%1."
        )
        return shown + " "


def _num_pr(paragraph: Paragraph) -> tuple[str, str] | None:
    """(numId, ilvl) of the paragraph, or of its style (a "List Bullet" paragraph)."""
    candidates = [paragraph._p.pPr]
    style = paragraph.style
    while style is not None:
        candidates.append(style.element.pPr)
        style = style.base_style
    for p_pr in candidates:
        num_pr = p_pr.find(qn("w:numPr")) if p_pr is not None else None
        if num_pr is None:
            continue
        num_id, ilvl = num_pr.find(qn("w:numId")), num_pr.find(qn("w:ilvl"))
        if num_id is None or num_id.get(qn("w:val")) == "0":
            return None  # numbering switched off
        return num_id.get(qn("w:val")), ilvl.get(qn("w:val")) if ilvl is not None else "0"
    return None


def _format_number(value: int, fmt: str) -> str:
    if fmt in ("lowerLetter", "upperLetter"):
        letter = chr(ord("a") + (value - 1) % 26)
        return letter.upper() if fmt == "upperLetter" else letter
    if fmt in ("lowerRoman", "upperRoman"):
        roman = _to_roman(value)
        return roman.lower() if fmt == "lowerRoman" else roman
    return str(value)


def _to_roman(value: int) -> str:
    out = ""
    for number, letters in ((40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while value >= number:
            out, value = out + letters, value - number
    return out


_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50}


def _from_roman(text: str) -> int:
    total = 0
    for i, ch in enumerate(text):
        value = _ROMAN_VALUES[ch]
        nxt = _ROMAN_VALUES[text[i + 1]] if i + 1 < len(text) else 0
        total += -value if value < nxt else value
    return total


# --- the plan's number, date, title and issuer ---------------------------------------------

_NUMBER = re.compile(r"^\s*số\s*(?:hiệu)?\s*:\s*(\d+\s*/\s*[^\s,;()]+)", re.IGNORECASE)
_PLACE_DATE = re.compile(
    r"^[^,\d]{2,60},\s*ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", re.IGNORECASE
)
# Only a line that opens with it: "ban hành kèm theo Quyết định số …" in the body cites
# another document.
_ATTACHED = re.compile(
    r"^\s*\(?\s*kèm\s+theo\s+(?:kế\s+hoạch|quyết\s+định|đề\s+án|chương\s+trình)\s+số\s*:?\s*"
    r"(\d+\s*/\s*[^\s,;()]+)(?:\s+ngày\s+(\d{1,2})\s*(?:/|tháng)\s*(\d{1,2})\s*(?:/|năm)\s*(\d{4}))?",
    re.IGNORECASE,
)
_TITLE_WORDS = {"ke hoach", "ke hoach hanh dong", "de an", "chuong trinh", "chuong trinh hanh dong"}
_NATION = ("cong hoa xa hoi chu nghia viet nam", "doc lap")
_APPENDIX = re.compile(r"^phu luc(?:\s+(?:so\s+)?(\d+|[ivxl]+)\b)?")
_LEAD_IN_TITLE = re.compile(r"\bthuoc (?:trach nhiem|tham quyen)\b[^()]*?\bcua\s+")
_PLACE_WORDS = re.compile(r"^(tinh|thanh pho|huyen|quan|thi xa|xa|phuong)\b")
_BODY_STARTS = re.compile(r"^(?:[IVX]+|\d+)\s*[.)]\s|^căn cứ\b", re.IGNORECASE)
_SAYS_LEAD = {"chu tri", "chu tri thuc hien", "x"}


@dataclass
class _Heading:
    """The paragraphs between two tables: an appendix's heading when a table follows."""

    lines: list[str] = field(default_factory=list)

    def appendix(self) -> tuple[int | None, str, str]:
        """(appendix number, title, lead the title names) of the last "PHỤ LỤC" heading."""
        number: int | None = None
        title: list[str] | None = None
        for line in self.lines:
            if m := _APPENDIX.match(fold_aligned(line)):
                number = None
                if m.group(1):
                    n = m.group(1).upper()
                    number = int(n) if n.isdigit() else _from_roman(n)
                title = [line[m.end() :]]
            elif (
                title is not None
                and not _ATTACHED.match(line)
                and not fold(line).startswith("(kem theo")
            ):
                title.append(line)
        text = clean(" ".join(title or []))
        lead = ""
        if m := _LEAD_IN_TITLE.search(fold_aligned(text)):
            lead = clean(text[m.end() :].split("(")[0])
        return number, text, lead


class _Reader:
    def __init__(self, numbering: _Numbering) -> None:
        self.numbering = numbering
        self.meta = PlanMeta()
        self.issuer_lines: list[str] = []
        self.header_done = False  # past the header block: no more issuer lines
        self.title_next = False
        self.heading = _Heading()
        self.found: list[_TaskTable] = []
        self.other_tables = 0
        self.attached: tuple[str, date | None] | None = None
        self.errors: list[RowError] = []

    def text(self, paragraph: Paragraph) -> str:
        """The paragraph as shown: its bullet or list number, then its text. An STT column
        numbered by Word shows the number alone ("1.")."""
        text = unicodedata.normalize("NFC", paragraph.text).replace("\u00a0", " ").strip()
        prefix = self.numbering.prefix(paragraph)
        if not text:
            return "" if prefix.startswith(("-", "+", "–", "•", "*")) else prefix.strip()
        return prefix + text

    def cell_text(self, cell: _Cell) -> str:
        return "\n".join(t for t in (self.text(p) for p in cell.paragraphs) if t)

    def paragraph(self, text: str) -> None:
        """A paragraph of the body or of a table that is not a task table."""
        if not text:
            return
        folded = fold(text)
        if self.title_next and (_BODY_STARTS.match(text) or set(text) <= set("-_–—=* ")):
            self.title_next = False  # "I. MỤC ĐÍCH, YÊU CẦU": the body, not the title
        if self.title_next:
            upper = text == text.upper()
            if upper or not self.meta.title:
                self.meta.title = clean(f"{self.meta.title} {text}")
                self.title_next = upper  # a title in capitals may take several lines
                self.heading.lines.append(text)
                return
            self.title_next = False
        if m := _NUMBER.match(text):
            self.meta.number = self.meta.number or re.sub(r"\s+", "", m.group(1))
            self.header_done = True
        elif m := _PLACE_DATE.match(text):
            self.meta.issued_on = self.meta.issued_on or _date(m.group(1), m.group(2), m.group(3))
            self.header_done = True
        elif m := _ATTACHED.match(text):
            day = _date(m.group(2), m.group(3), m.group(4)) if m.group(2) else None
            self.attached = self.attached or (re.sub(r"\s+", "", m.group(1)), day)
        elif folded in _TITLE_WORDS and not self.found:
            self.title_next = True
            self.header_done = True
        elif folded.startswith((*_NATION, "phu luc")) or text != text.upper():
            self.header_done = True  # the issuer's lines are the capitals at the very top
        elif not self.header_done and not set(text) <= set("-_–—=* "):
            self.issuer_lines.append(clean(text))
        self.heading.lines.append(text)

    def table(self, table: Table) -> None:
        grid = _grid(table, self)
        found = _find_header(grid)
        if found is None:
            self.other_tables += 1
            for row in grid:
                for value in row.values:
                    for line in value.splitlines():
                        self.paragraph(line)
            return
        heading, self.heading = self.heading, _Heading()
        self.found.append(_TaskTable(len(self.found) + 1, grid, found[0], found[1], heading))

    def plan(self) -> WordPlan:
        if self.attached:
            self.meta.number = self.meta.number or self.attached[0]
            self.meta.issued_on = self.meta.issued_on or self.attached[1]
        tables = [t.read() for t in self.found]
        if not self.meta.title:
            self.meta.title = next((t.heading.split(": ", 1)[-1] for t in tables if t.heading), "")
        used = [c for c in COLUMNS if any(c in t.columns for t in tables)]
        if "lead" in used:
            for t in tables:
                if "lead" not in t.columns:
                    self.errors.append(
                        RowError(0, f"Bảng {t.number}: không có cột Cơ quan chủ trì và tên phụ "
                                    "lục không nêu cơ quan chủ trì (“… thuộc trách nhiệm của …”)")
                    )  # fmt: skip
        rows = [Row(0, tuple(_HEADER_LABELS[c] for c in used))]
        places: dict[int, Place] = {}
        notes: list[str] = []
        for t in tables:
            self.errors.extend(RowError(0, f"Bảng {t.number}: {e}") for e in t.errors)
            notes.extend(f"Bảng {t.number}, {n}" for n in t.notes)
            for word_row, cells in t.rows:
                line = len(rows)
                rows.append(Row(line, tuple(cells.get(c, "") for c in used)))
                places[line] = Place(t.number, word_row, t.labels)
        return WordPlan(
            rows=rows, places=places,
            tables=[WordTable(t.number, t.heading, t.lead, len(t.rows)) for t in tables],
            meta=self.meta, errors=self.errors, issuer_names=self.issuer_names(), notes=notes,
        )  # fmt: skip

    def issuer_names(self) -> list[str]:
        """The issuing body as the header block names it: its last line ("SỞ TÀI NGUYÊN VÀ
        MÔI TRƯỜNG"), a place line joined to the line above ("ỦY BAN NHÂN DÂN" + "TỈNH ĐỒNG
        NAI"), then without the place's own name ("ỦY BAN NHÂN DÂN TỈNH")."""
        lines: list[str] = []
        for line in self.issuer_lines:
            if lines and _PLACE_WORDS.match(fold(line)):
                lines[-1] = f"{lines[-1]} {line}"
            else:
                lines.append(line)
        if not lines:
            return []
        last = lines[-1]
        words = last.split()
        cut = next(
            (i + 1 for i, w in enumerate(words) if fold(w) in ("tinh", "pho", "huyen", "quan")),
            None,
        )
        names = [last]
        if cut is not None and cut < len(words):
            names.append(" ".join(words[:cut]))
        return names


def _date(day: str, month: str, year: str) -> date | None:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


# --- tables --------------------------------------------------------------------------------


@dataclass
class _GridRow:
    """One w:tr laid on the table's grid: each value in the first grid column of its cell;
    ``continued`` the grid columns whose cell is merged from the row above."""

    index: int  # 1-based, as Word counts the table's rows
    values: list[str]
    starts: list[tuple[int, int]]  # (first grid column, span) of each cell
    continued: set[int]
    repeated_header: bool  # w:tblHeader: Word repeats it on each page


def _grid(table: Table, reader: _Reader) -> list[_GridRow]:
    width = max(len(table._tbl.tblGrid.gridCol_lst), 1)
    rows: list[_GridRow] = []
    above: dict[int, str] = {}
    for index, tr in enumerate(table._tbl.tr_lst, start=1):
        col = tr.grid_before
        tcs = list(tr.tc_lst)
        width = max(width, col + sum(tc.grid_span for tc in tcs))
        values = [""] * width
        starts: list[tuple[int, int]] = []
        continued: set[int] = set()
        for tc in tcs:
            span = tc.grid_span
            if col >= len(values):
                values.extend([""] * (col + span - len(values)))
            if tc.vMerge == "continue":
                values[col] = above.get(col, "")
                continued.add(col)
            else:
                values[col] = reader.cell_text(_Cell(tc, table))
            starts.append((col, span))
            above[col] = values[col]
            col += span
        header = tr.trPr is not None and tr.trPr.find(qn("w:tblHeader")) is not None
        rows.append(_GridRow(index, values, starts, continued, header))
    return rows


def _spread(row: _GridRow) -> list[str]:
    """The row's values with each spanned cell's value in every column it covers: how a
    header reads ("Cơ quan thực hiện" over "Chủ trì" and "Phối hợp")."""
    out = list(row.values)
    for col, span in row.starts:
        for c in range(col + 1, min(col + span, len(out))):
            out[c] = out[col]
    return out


_HEADER_SEARCH = 4  # rows looked at for a table's header


def _find_header(grid: list[_GridRow]) -> tuple[int, dict[str, int]] | None:
    """(number of header rows, canonical column → grid column) of a task table."""
    for start in range(min(_HEADER_SEARCH, len(grid))):
        mapping = map_header(_spread(grid[start]), "tasks")
        if "task" not in mapping or not {"deadline", "lead", "coordinate"} & set(mapping):
            continue
        end = start + 1
        labels = [[v] for v in _spread(grid[start])]
        while end < len(grid) and _header_like(grid[end], mapping):
            for c, v in enumerate(_spread(grid[end])):
                if c < len(labels) and v and v not in labels[c]:
                    labels[c].append(v)
            end += 1
        combined = map_header([" ".join(parts) for parts in labels], "tasks")
        # A two-row header names the agencies' columns in its second row.
        return end, combined if len(combined) >= len(mapping) else mapping
    return None


def _header_like(row: _GridRow, mapping: dict[str, int]) -> bool:
    if row.repeated_header or _column_numbers(row.values):
        return True
    spread = _spread(row)
    number = spread[mapping["number"]] if "number" in mapping else ""
    return not re.match(r"^\s*[\dIVXA-Z]", number) and bool(map_header(spread, "tasks"))


def _column_numbers(values: list[str]) -> bool:
    """The row numbering the columns under the header: "(1) (2) (3)…" or "1 2 3…"."""
    found = [v.strip().strip("()") for v in values if v.strip()]
    return len(found) >= 3 and found == [str(i) for i in range(1, len(found) + 1)]


_SECTION_NUMBER = re.compile(r"^(?:(?:phần|mục)\s+)?([IVXL]+|[A-Z])\s*[.):\-–]?\s+(.+)$", re.S)


@dataclass
class _ReadTable:
    number: int
    heading: str  # "Phụ lục 1: CÁC NHIỆM VỤ… CỦA SỞ NỘI VỤ", or the title above the table
    lead: str  # the lead its heading names
    columns: set[str]  # canonical columns it has (the lead too when its heading names it)
    labels: dict[str, str]  # canonical column → the table's own header text
    rows: list[tuple[int, dict[str, str]]]  # (Word's row number, canonical cells)
    errors: list[str]
    notes: list[str]


@dataclass
class _TaskTable:
    number: int
    grid: list[_GridRow]
    header_rows: int
    columns: dict[str, int]  # canonical column → grid column
    heading: _Heading

    def read(self) -> _ReadTable:
        appendix, title, lead = self.heading.appendix()
        labels = {
            name: clean(" ".join(dict.fromkeys(_spread(r)[col] for r in self.grid[: self.header_rows])))
            for name, col in self.columns.items()
        }  # fmt: skip
        errors = []
        missing = [LABELS[c] for c in ("task", "deadline") if c not in self.columns]
        if missing:
            errors.append("thiếu cột: " + ", ".join(missing))
        columns = set(self.columns)
        if lead and "lead" not in columns:
            labels["lead"] = f"Cơ quan chủ trì (theo tên phụ lục: “{lead}”)"
        if lead:
            columns.add("lead")
        header_keys = {_row_key(r.values) for r in self.grid[: self.header_rows]}
        rows: list[tuple[int, dict[str, str]]] = []
        notes: list[str] = []
        if appendix is not None:
            rows.append((0, {"number": f"Phụ lục {appendix}", "task": title}))  # its heading
        for row in self.grid[self.header_rows :]:
            if row.repeated_header or _row_key(row.values) in header_keys:
                continue  # the header again, on a new page
            if _column_numbers(row.values):
                continue
            cells = self._cells(row)
            if cells is None:
                notes.append(
                    f"dòng {row.index}: dòng tiêu đề không đánh số “{clean(' '.join(row.values))}”"
                    ", không dùng làm mục"
                )
            elif any(cells.values()):
                rows.append((row.index, cells))
        if lead:
            _give_lead(rows, lead)
        heading = f"Phụ lục {appendix}: {title}" if appendix is not None else title
        return _ReadTable(self.number, heading, lead, columns, labels, rows, errors, notes)

    def _cells(self, row: _GridRow) -> dict[str, str] | None:
        """The row's canonical cells; None for a full-width heading with no number."""
        filled = [(col, span) for col, span in row.starts if row.values[col].strip()]
        width = len(row.values)
        if len(filled) == 1 and filled[0][1] >= max(2, width - 1):
            text = clean(row.values[filled[0][0]])
            if m := _SECTION_NUMBER.match(text):
                return {"number": m.group(1), "task": clean(m.group(2))}
            if m := re.match(r"^(\d+(?:\.\d+)*)\s*[.)]?\s+(.+)$", text):
                return {"number": m.group(1), "task": clean(m.group(2))}
            return None
        number_col = self.columns.get("number")
        continued_task = number_col is not None and number_col in row.continued
        cells: dict[str, str] = {}
        for name, col in self.columns.items():
            if col >= width:
                continue
            if continued_task and col in row.continued:
                continue  # the task above, over a page: its value is there already
            cells[name] = row.values[col]
        return cells


def _row_key(values: list[str]) -> tuple[str, ...]:
    return tuple(fold(v) for v in values)


def _give_lead(rows: list[tuple[int, dict[str, str]]], lead: str) -> None:
    """The appendix's lead to each task row (an STT of digits, not the group of the rows
    after it) whose lead cell is empty or says "Chủ trì"."""
    numbers = [cells.get("number", "").strip(" .") for _, cells in rows]
    for i, (_, cells) in enumerate(rows):
        number = numbers[i]
        if not re.match(r"^\d+(\.\d+)*$", number):
            continue
        following = next((n for n in numbers[i + 1 :] if n), "")
        if following.startswith(number + ".") and not cells.get("deadline"):
            continue  # "2. VIỆC CUNG ỨNG DỊCH VỤ" over 2.1, 2.2: a group
        if fold(cells.get("lead", "")) in _SAYS_LEAD | {""}:
            cells["lead"] = lead
