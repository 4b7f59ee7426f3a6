"""A published plan's text and tables, read as an officer reads them: one implementation
for every kind of document (Word: :mod:`bot.importers.word`, PDF: :mod:`bot.importers.pdf`).

A front end turns its document into a sequence of text lines and tables laid on a grid
(:class:`GridRow`: one value per grid column, each merged cell's span, the columns merged
from the row above) and feeds them, in the document's order, to a :class:`PlanReader`,
which:

- reads the plan's number, date, title and issuer from the text ("Số: 336/KH-UBND",
  "Đồng Nai, ngày 15 tháng 10 năm 2024", the title after "KẾ HOẠCH", or an appendix's
  "(Kèm theo Kế hoạch số 126/KH-UBND ngày 03/6/2024 của …)");
- finds the task tables by their header cells (the CSV importer's vocabulary, any column
  order, a header of two rows where "Cơ quan thực hiện" spans "Chủ trì" and "Phối hợp");
  other tables (signatures, "Nơi nhận") are read as text;
- skips a header row repeated inside a table (a page's) and the row of column numbers
  "(1) (2) (3)…";
- reads a merged full-width row "I. CHỈ SỐ PAPI" as a section row, one without a number
  as a section (M1, M2…) only when it reads as a heading (in bold or in capitals), never a
  note ("(tiếp theo)"); and "PHỤ LỤC 2" above a table as a section "Phụ lục 2";
- gives a vertically merged cell's value to every row it spans, except in a row whose STT
  is itself merged from above: that row is the same task continued over a page, and only
  its own cells are added to the task;
- gives an appendix's lead ("… THUỘC TRÁCH NHIỆM THEO DÕI, QUẢN LÝ CỦA SỞ NỘI VỤ", "NHIỆM
  VỤ GIAO SỞ NỘI VỤ CHỦ TRÌ", "DO SỞ TƯ PHÁP CHỦ TRÌ THỰC HIỆN") to its tasks whose lead
  cell is empty or says "Chủ trì";
- of two columns that both read as the task ("Nhóm nhiệm vụ | Nội dung công việc") takes
  the more specific as the task and keeps the other (as the indicator, or before the
  task's text);
- reads a table with no header right after a task table, on the same columns, as that
  table going on (a table split by a paragraph break).

Nothing is dropped silently: a table of data that is no task table, an appendix title
with no task table under it, a row with no STT but its own lead and deadline joined to
the task above, an empty cell at a page's top that may belong to the box above are
warnings (``DocumentPlan.warnings``).

The result, a :class:`DocumentPlan`, lays every task table out as one CSV-like table
(:class:`~bot.importers.tabular.Row` with canonical columns), so that sections, continued
rows, deadlines and agency cells are read by the same code as a CSV's
(:mod:`bot.importers.rows`); each row keeps its place (:class:`Place`), so that a problem
is named "Bảng 2, dòng 14, cột Tiến độ" (and "(trang 5)" in a PDF).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from bot.domain.text import clean, fold, fold_aligned, key
from bot.importers.columns import (
    LABELS,
    choose_task_column,
    column_numbers,
    deadline_problem,
    map_header,
    with_groups,
)
from bot.importers.issue_dates import read_issue_date
from bot.importers.rows import PlanMeta, RowError
from bot.importers.tabular import FileProblem, Row

# The canonical layout of the rows handed to the CSV pipeline.
COLUMNS = ("number", "indicator", "target", "task", "deadline", "lead", "coordinate", "result")
_HEADER_LABELS = {**LABELS, "deadline": "Tiến độ"}


@dataclass(frozen=True)
class Place:
    """Where a row read stands in the document: the task table (1-based, counting task
    tables only), the row as the table counts it (header rows included), the table's own
    header text of each canonical column ("deadline" → "Thời gian hoàn thành"), and the
    page the row starts on where the document has fixed pages (a PDF)."""

    table: int
    row: int
    columns: Mapping[str, str]
    page: int | None = None


@dataclass(frozen=True)
class PlanTable:
    """A task table as found: its heading above it, and the lead that heading names
    (the agency's name as the register spells it where the register knows it)."""

    number: int
    heading: str
    lead: str
    rows: int  # data rows read (header rows left out)
    pages: tuple[int, int] | None = None  # first and last page, in a PDF


@dataclass
class DocumentPlan:
    """A plan document read: ``rows`` (a header row at line 0, then one row per table row,
    line 1 on), ``meta`` as the document states it, ``errors`` about the document (a task
    table without a deadline column, a page that could not be read…), and candidates for
    the issuer from the header block, most likely first."""

    rows: list[Row]
    places: dict[int, Place]
    tables: list[PlanTable]
    meta: PlanMeta
    errors: list[RowError] = field(default_factory=list)
    issuer_names: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # rows read but not used, for --dry-run
    # what the document says that an admin should check, though it is no error
    warnings: list[str] = field(default_factory=list)
    given_lead: set[int] = field(default_factory=set)  # lines whose lead is the appendix's
    # (line, column) of a PDF's cell left empty at a page's top under a merged box → the
    # box's value on the page before: what the cell may be, for the error about it
    unsure: dict[tuple[int, str], str] = field(default_factory=dict)
    # (line, column) of a cell left empty because all its text was struck through → that
    # text, for the error about the empty cell ("thiếu cơ quan chủ trì")
    struck: dict[tuple[int, str], str] = field(default_factory=dict)

    def where(self, line: int, column: str = "") -> str:
        """ "Bảng 2, dòng 14, cột Tiến độ" for a row read (``column``: canonical name);
        "Bảng 2, dòng 14 (trang 5), cột Tiến độ" in a PDF."""
        place = self.places.get(line)
        if place is None:
            return f"dòng {line}"
        page = _pages(place.page)
        if place.row == 0:
            return f"Bảng {place.table}, tên phụ lục{page}"
        text = f"Bảng {place.table}, dòng {place.row}{page}"
        if column:
            text += f", cột {place.columns.get(column) or _HEADER_LABELS.get(column, column)}"
        return text

    def from_title(self, error: RowError) -> RowError:
        """``error`` as said of a lead that an appendix's title gave a row: the text is the
        title's, never a cell's ("… trong tên phụ lục “…”", not "trong ô")."""
        if error.column != "lead" or error.line not in self.given_lead:
            return error
        return replace(error, reason=error.reason.replace(" trong ô “", " trong tên phụ lục “"))

    def explain(self, error: RowError) -> RowError:
        """``error`` about a cell left empty at a PDF page's top under a merged box (a lead
        missing…), with what it may be; or about a cell left empty because its text was
        struck through, with that text: the error alone would not say why it is empty."""
        if note := self.struck_note(error.line, error.column):
            return replace(error, reason=f"{error.reason} {note}")
        value = self.unsure.get((error.line, error.column))
        if value is None:
            return error
        return replace(error, reason=f"{error.reason} (ô trống ở đầu trang, có thể thuộc ô gộp "
                                     f"“{value}” ở trang trước: hãy nhập bản Word, hoặc ghi vào "
                                     "ô này trong tệp)")  # fmt: skip

    def struck_note(self, line: int, column: str) -> str:
        """ "(chữ “Sở Tài chính” trong ô bị gạch ngang nên đã bỏ qua)" for the cell of row
        ``line``, column ``column`` (canonical name), left empty because all its text was
        struck through; "" for any other cell."""
        words = self.struck.get((line, column))
        return f"(chữ “{words}” trong ô bị gạch ngang nên đã bỏ qua)" if words else ""

    def name_leads(self, proper_name: Callable[[str], str | None]) -> None:
        """Write each appendix's lead as ``proper_name`` gives it ("SỞ NỘI VỤ" → "Sở Nội
        vụ", the register's name), in its tables and in the rows it was given to; a lead
        ``proper_name`` does not know (None) stays as the document writes it."""
        header = self.rows[0].cells if self.rows else ()
        at = header.index(_HEADER_LABELS["lead"]) if _HEADER_LABELS["lead"] in header else None
        names: dict[str, str] = {}
        for i, table in enumerate(self.tables):
            if table.lead:
                name = names.setdefault(table.lead, proper_name(table.lead) or table.lead)
                self.tables[i] = replace(table, lead=name)
        if at is None:
            return
        for line in self.given_lead:
            row = self.rows[line]
            lead = row.cells[at]
            if lead in names:
                cells = list(row.cells)
                cells[at] = names[lead]
                self.rows[line] = Row(row.line, tuple(cells))


# --- the plan's number, date, title and issuer ---------------------------------------------

_NUMBER = re.compile(r"^\s*số\s*(?:hiệu)?\s*:\s*(\d+\s*/\s*[^\s,;()]+)", re.IGNORECASE)
# Only a line that opens with it: "ban hành kèm theo Quyết định số …" in the body cites
# another document.
_ATTACHED = re.compile(
    r"^\s*\(?\s*kèm\s+theo\s+(?:kế\s+hoạch|quyết\s+định|đề\s+án|chương\s+trình)\s+số\s*:?\s*"
    r"(\d+\s*/\s*[^\s,;()]+)(?:\s+ngày\s+(\d{1,2})\s*(?:/|tháng)\s*(\d{1,2})\s*(?:/|năm)\s*(\d{4}))?",
    re.IGNORECASE,
)
_TITLE_WORDS = {"ke hoach", "ke hoach hanh dong", "de an", "chuong trinh", "chuong trinh hanh dong"}
_SPACED_TITLE_WORDS = {w.replace(" ", "") for w in _TITLE_WORDS}
# Words a title's line does not end on unless it goes on in the next ("… của" | "Sở Nội vụ").
_TITLE_BREAKS = (",", " va", " cua", " ve", " cho", " trong", " tai", " nam", " giai doan",
                 " den", " tu", " theo", " voi")  # fmt: skip
_NATION = ("cong hoa xa hoi chu nghia", "doc lap")
_DATE_GOES_ON = re.compile(r"^[^,\d]{2,60},\s*ngày\s+\d{1,2}\s+tháng\s+\d{1,2}(?:\s+năm)?$", re.I)
_APPENDIX = re.compile(r"^phu luc(?:\s+(?:so\s+)?(\d+|[ivxl]+)\b)?")
# How an appendix's title names the agency that leads its tasks: "… THUỘC TRÁCH NHIỆM CỦA
# SỞ NỘI VỤ", "DANH MỤC NHIỆM VỤ CỦA SỞ NỘI VỤ", "NHIỆM VỤ GIAO SỞ NỘI VỤ CHỦ TRÌ", "DO SỞ
# TƯ PHÁP CHỦ TRÌ THỰC HIỆN" (the name in group "name", or after the match).
_LEAD_IN_TITLE = (
    re.compile(r"\bthuoc (?:trach nhiem|tham quyen)\b[^()]*?\bcua\s+"),
    re.compile(r"\bnhiem vu cua\s+"),
    re.compile(r"\b(?:giao(?: cho)?|do)\s+(?P<name>[^()]+?)\s+(?:chu tri|thuc hien)\b"),
    re.compile(r"\bnhiem vu (?:duoc )?giao(?: cho)?\s+(?P<name>[^()]+)"),  # "… GIAO CHO UBND"
)
# How a title names the agencies coordinating every task: "… CỦA SỞ NỘI VỤ (PHỐI HỢP VỚI
# SỞ TÀI CHÍNH)", "(PHỐI HỢP: SỞ TÀI CHÍNH, SỞ TƯ PHÁP)", "… GIAO SỞ TƯ PHÁP CHỦ TRÌ,
# PHỐI HỢP VỚI VĂN PHÒNG UBND TỈNH", "DO SỞ XÂY DỰNG CHỦ TRÌ, SỞ TÀI CHÍNH PHỐI HỢP".
_COORDINATE_IN_TITLE = (
    re.compile(r"\(\s*phoi hop(?:\s*:|\s+voi|\s+cung)?\s*(?P<name>[^()]+)\)"),
    re.compile(r",\s*phoi hop(?:\s*:|\s+voi|\s+cung)\s*(?P<name>[^(),][^()]*?)\s*$"),
    re.compile(r",\s*(?P<name>[^(),]+?)\s+phoi hop(?:\s+thuc hien)?\s*$"),
)
# What follows the agency's name in a title and is none of it: "… NĂM 2025", "… GIAI ĐOẠN
# 2021-2025", a closing mark.
_AFTER_NAME = re.compile(
    r"\s+(?:(?:trong |den )?nam|giai doan|thoi ky|tu nam)\s+\d{4}.*$|[\s.,;:]+$"
    r"|\s*,[^,]*\bphoi hop\b.*$"  # ", PHỐI HỢP VỚI …", ", SỞ TÀI CHÍNH PHỐI HỢP": no lead
)


def _is_title_word(folded: str) -> bool:
    """Whether a line (folded) is the document's kind above its title: "KẾ HOẠCH", also
    letter-spaced as a heading is typed ("K Ế  H O Ạ C H")."""
    if folded in _TITLE_WORDS:
        return True
    letters = folded.split()
    return (
        len(letters) > 2
        and all(len(w) == 1 for w in letters)
        and ("".join(letters) in _SPACED_TITLE_WORDS)
    )


def _title_goes_on(title: str, text: str) -> bool:
    """Whether ``text``, the paragraph after a plan's title ``title`` written in small
    letters, is the title going on ("Nâng cao chỉ số SIPAS" | "và PAR INDEX năm 2025"), as
    a reader takes it: it goes on mid-phrase (a small letter first), or the title stopped
    on a word that leads on ("… năm" | "2025")."""
    return _mid_phrase(text) or fold(title).endswith(_TITLE_BREAKS)


# A remark under an appendix's title that gives its tasks a role ("(Sở Tài chính phối
# hợp)"), which a bracket would otherwise set aside as a note.
_ROLE_REMARK = re.compile(r"^\(.*\b(?:phoi hop|chu tri)\b", re.IGNORECASE)


def _title_lines(head: str, lines: list[str]) -> tuple[list[str], list[str]]:
    """(the title's lines, the lines left out) of an appendix whose heading line goes on
    with ``head`` ("PHỤ LỤC 2: NHIỆM VỤ …"; "" for "PHỤ LỤC 2" alone) and is followed by
    ``lines``. With no title on the heading's line, a title in capitals is the first run of
    lines in capitals (a note printed before it, in the layout's other cell, left out);
    otherwise the title goes on from its first line while :func:`_goes_on_title`."""
    start = 0
    if not any(ch.isalpha() for ch in head):
        capitals = [
            i for i, t in enumerate(lines) if t == t.upper() and any(c.isalpha() for c in t)
        ]
        start = capitals[0] if capitals else 0
    title = [head]
    for line in lines[start:]:
        if not _goes_on_title(clean(" ".join(title)), line):
            break
        title.append(line)
    taken = len(title) - 1  # lines of ``lines`` in the title, from ``start``
    return title, lines[:start] + lines[start + taken :]


def _goes_on_title(title: str, line: str) -> bool:
    """Whether ``line``, under an appendix's title ``title`` so far, goes on with it: any
    line after "PHỤ LỤC 2" alone; in capitals after a title in capitals (how such titles
    are set: "NHIỆM VỤ THUỘC TRÁCH NHIỆM" | "CỦA SỞ NỘI VỤ"); after a title in small
    letters, a line that goes on mid-phrase (:func:`_title_goes_on`)."""
    if not any(ch.isalpha() for ch in title):
        return True
    if _BODY_STARTS.match(line) or _LABEL.match(line):
        return False  # a sub-heading ("I. NHIỆM VỤ …"), a label ("ĐƠN VỊ TÍNH: …")
    if title == title.upper():
        return line == line.upper()
    return _title_goes_on(title, line)


_LABEL = re.compile(r"^[^():]{1,30}:")  # "Đơn vị tính:", "Phối hợp:" opening a line


def _lead_in_title(text: str) -> str:
    """The agency an appendix's title names as the lead of its tasks ("" for none), as the
    title writes it."""
    folded = fold_aligned(text)
    for pattern in _LEAD_IN_TITLE:
        if m := pattern.search(folded):
            start, end = m.span("name") if "name" in pattern.groupindex else (m.end(), len(text))
            name = text[start:end].split("(")[0]
            cut = _AFTER_NAME.search(fold_aligned(name))
            return clean(name[: cut.start()] if cut else name)
    return ""


def _coordinate_in_title(text: str) -> str:
    """The agencies an appendix's title names as coordinating all its tasks, as the title
    writes them ("" for none)."""
    folded = fold_aligned(text)
    for pattern in _COORDINATE_IN_TITLE:
        if m := pattern.search(folded):
            name = text[m.start("name") : m.end("name")]
            cut = _AFTER_NAME.search(fold_aligned(name))
            return clean(name[: cut.start()] if cut else name)
    return ""


_PLACE_WORDS = re.compile(r"^(tinh|thanh pho|huyen|quan|thi xa|xa|phuong)\b")
_BODY_STARTS = re.compile(r"^(?:[IVX]+|\d+)\s*[.)]\s|^căn cứ\b", re.IGNORECASE)
_SAYS_LEAD = {"chu tri", "chu tri thuc hien", "x"}
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50}


def _from_roman(text: str) -> int:
    total = 0
    for i, ch in enumerate(text):
        value = _ROMAN_VALUES[ch]
        nxt = _ROMAN_VALUES[text[i + 1]] if i + 1 < len(text) else 0
        total += -value if value < nxt else value
    return total


def _date(day: str, month: str, year: str) -> date | None:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


@dataclass
class _Heading:
    """The text lines between two tables: an appendix's heading when a table follows."""

    lines: list[str] = field(default_factory=list)

    def appendix(self) -> tuple[int | None, str, str, list[str]]:
        """(appendix number, title, lead the title names, lines left out of the title) of
        the last "PHỤ LỤC" heading. A note under it ("(Kèm theo …)", "Ghi chú: …", as
        :func:`_not_heading` tells one) is none of its title; nor, from the first line that
        does not go on with it (:func:`_goes_on_title`: a title in capitals goes on in
        capitals), any line after: a unit, a sub-heading, a note or a signature printed
        near it ("Đơn vị tính: …", "1. Nhiệm vụ chung", "Sở Tài chính" in the cell beside),
        whose words would otherwise be read as the appendix's lead."""
        number: int | None = None
        head: str | None = None  # the words after "PHỤ LỤC 2" on its line
        lines: list[str] = []
        remarks: list[str] = []
        for line in self.lines:
            if m := _APPENDIX.match(fold_aligned(line)):
                number = None
                if m.group(1):
                    n = m.group(1).upper()
                    number = int(n) if n.isdigit() else _from_roman(n)
                head, lines, remarks = clean(line[m.end() :]), [], []
            elif head is not None and (
                _ROLE_REMARK.search(fold_aligned(line)) or line.startswith(("Ghi chú", "Lưu ý"))
            ):
                remarks.append(clean(line))  # "(Sở Tài chính phối hợp)": said, not dropped
            elif (
                head is not None
                and not _ATTACHED.match(line)
                and not line.startswith(_NOTE_STARTS)  # "(Kèm theo …)", "Ghi chú: …"
            ):
                lines.append(clean(line))
        title, left_out = _title_lines(head or "", [t for t in lines if t])
        text = clean(" ".join(title))
        return number, text, _lead_in_title(text), left_out + remarks

    def caption(self) -> str:
        """The line right above a table, when it reads as its heading ("2. Nhiệm vụ năm
        2026"): short, not a sentence that runs on into the table."""
        line = clean(self.lines[-1]) if self.lines else ""
        return line if 0 < len(line) <= _CAPTION and not line.endswith((",", ";")) else ""


_CAPTION = 150  # characters: a longer line above a table is body text, not its heading


# --- tables on a grid ----------------------------------------------------------------------


@dataclass
class GridRow:
    """One table row laid on the table's grid: each value in the first grid column of its
    cell (a cell's lines joined by "\\n"); ``continued`` the grid columns whose cell is
    merged from the row above (their value is the cell's, repeated)."""

    index: int  # 1-based, as the table counts its rows
    values: list[str]
    starts: list[tuple[int, int]]  # (first grid column, span) of each cell
    continued: set[int]
    repeated_header: bool = False  # marked to repeat on each page (Word's w:tblHeader)
    page: int | None = None  # the page the row is printed on, in a PDF
    bold: bool = False  # all its text in bold
    # grid columns whose last line is full to the cell's edge with no space after it (a
    # word, number or date the page's end may have broken: goes on in the next part)
    full: set[int] = field(default_factory=set)
    # grid columns left empty at the top of a page, under a box merged down to the end of
    # the page before, with nothing to tell whether that box goes on: column → its value
    unsure: dict[int, str] = field(default_factory=dict)
    # grid columns whose cell holds a table of its own (a PDF's boxes inside the box),
    # read a line a row, its cells joined by "; "
    nested: set[int] = field(default_factory=set)
    # grid columns whose cell's text stands in columns with no rules (a table drawn with
    # none, in a PDF), read in print order
    columned: set[int] = field(default_factory=set)
    # grid column → the text struck through in its cell ("Sở Tài chính"; several "; "),
    # left out of its value: what an officer crossed out by hand, for a warning
    struck: dict[int, str] = field(default_factory=dict)


CLOSING = frozenset(",.;:)]%”")  # marks that stick to the word before them


def broken_token(before: str, after: str) -> bool:
    """Whether ``before`` and ``after``, the end of one line and the start of the next in
    a cell the width (or the page) broke, are one token: a mark that sticks to the word
    before it ("100" over "%"), a number ("2" over "5"), a date
    or code ("31/12/202" over "5", "02/2017/T" over "T-VPCP"), capitals with no vowel,
    never a word of their own ("ST" over "T" in a narrow column), or one Vietnamese syllable
    ("Thư" over "ờng"): letters with a single run of vowels and one tone mark at most,
    in one case ("quyết" over "TTHC" is two words)."""
    if before and after and after[0] in CLOSING:
        return True
    if not before or not after or not after[0].isalnum():
        return False
    if (before[-1].isdigit() and after[0].isdigit()) or before.endswith("/"):
        return True  # a number or date
    if before.isalpha() and before.isupper() and not re.search(r"[aeiouy]", fold(before)):
        return after.split()[0].isupper()  # capitals with no vowel: no word ("ST" over "T")
    if "/" in before:  # a code: its capitals go on ("02/2017/T" over "T-VPCP")
        return before[-1].isupper() and after.split()[0].upper() == after.split()[0]
    word = before + after.split()[0]
    letters = fold(word).strip(".,;:")
    tones = sum(unicodedata.normalize("NFD", word).count(mark) for mark in _TONES)
    cased = word[1:].islower() or word.isupper()  # not "quyết" + "TTHC"
    return (
        cased and tones <= 1 and letters.isalpha()
        and len(re.findall(r"[aeiouy]+", letters)) == 1
    )  # fmt: skip


_TONES = ("\u0300", "\u0301", "\u0303", "\u0309", "\u0323")  # a syllable has one at most


def _spread(row: GridRow) -> list[str]:
    """The row's values with each spanned cell's value in every column it covers: how a
    header reads ("Cơ quan thực hiện" over "Chủ trì" and "Phối hợp")."""
    out = list(row.values)
    for col, span in row.starts:
        for c in range(col + 1, min(col + span, len(out))):
            out[c] = out[col]
    return out


_HEADER_SEARCH = 4  # rows looked at for a table's header
_HEADER_CELL = 60  # characters: a header cell is no longer
_HEADER_TAIL = 3  # words: a header cell's rest over a page is no longer


def find_header(grid: list[GridRow]) -> tuple[int, dict[str, int]] | None:
    """(number of header rows, canonical column → grid column) of a task table; None for
    a table that is no task table (no task column, or none of deadline, lead, coordinate)."""
    for start in range(min(_HEADER_SEARCH, len(grid))):
        mapping = map_header(_spread(grid[start]), "tasks")
        times = deadline_problem(_spread(grid[start])) is not None  # a deadline to choose
        if "task" not in mapping or not (
            {"deadline", "lead", "coordinate"} & set(mapping) or times
        ):
            continue
        end = start + 1
        labels = [[v] for v in _spread(grid[start])]
        while end < len(grid) and _header_like(grid[end], mapping, grid[start]):
            for c, v in enumerate(_spread(grid[end]) if _naming_rows(grid[end : end + 1]) else []):
                if c < len(labels) and v and v not in labels[c]:
                    labels[c].append(v)
            end += 1
        combined = map_header([" ".join(parts) for parts in labels], "tasks")
        # A two-row header names the agencies' columns in its second row.
        return end, combined if len(combined) >= len(mapping) else mapping
    return None


def _naming_rows(rows: list[GridRow]) -> list[GridRow]:
    """The header's rows that name its columns: all but the numbering row ("(1) (2) …"),
    whose numbers are no part of a column's name ("Chủ trì", not "Chủ trì (3)")."""
    return [r for r in rows if not column_numbers(r.values)]


def _pages(first: int | None, last: int | None = None) -> str:
    """ " (trang 3)", " (trang 3–4)" for a row of a PDF on those pages; "" for Word's."""
    if first is None:
        return ""
    return f" (trang {first})" if last in (None, first) else f" (trang {first}–{last})"


def _marked_header(row: GridRow) -> bool:
    """Whether ``row`` is marked to repeat as the header (Word's w:tblHeader) and reads as
    one: each of its cells names a column, or it numbers them. A task's, a section's or a task's
    continued row so marked (selected with the header when the header was marked) is
    what it reads as; a task's row (its STT first, two more cells filled) always."""
    if not row.repeated_header:
        return False
    filled = [clean(v) for v in row.values if v.strip()]
    if len(filled) >= 3 and _TASK_STT.fullmatch(filled[0]):
        return False
    return column_numbers(row.values) or all(map_header([cell], "tasks") for cell in filled)


_TASK_STT = re.compile(r"\d+(?:\.\d+)*[a-zđ]?[.)]?", re.IGNORECASE)


def _header_like(row: GridRow, mapping: dict[str, int], first: GridRow) -> bool:
    """Whether ``row`` goes on with the header that ``first`` opens: marked as a header,
    the column numbers, or header words under the header's own STT cell (merged down, as
    a PDF shows it) or with no STT that opens a task or a section."""
    if _marked_header(row) or column_numbers(row.values):
        return True
    spread = _spread(row)
    if "number" not in mapping:  # a task's row has its text under the task column
        task = spread[mapping["task"]] if mapping["task"] < len(spread) else ""
        return task in ("", _spread(first)[mapping["task"]]) and bool(map_header(spread, "tasks"))
    number = spread[mapping["number"]]
    under_header = fold(number) == fold(_spread(first)[mapping["number"]])
    opens_row = re.match(r"^\s*[\dIVXA-Z]", number)
    return (under_header or not opens_row) and bool(map_header(spread, "tasks"))


_SECTION_NUMBER = re.compile(r"^(?:(?:phần|mục)\s+)?([IVXL]+|[A-Z])\s*[.):\-–]?\s+(.+)$", re.S)


@dataclass
class _ReadTable:
    number: int
    heading: str  # "Phụ lục 1: CÁC NHIỆM VỤ… CỦA SỞ NỘI VỤ", or the title above the table
    lead: str  # the lead its heading names
    columns: set[str]  # canonical columns it has (the lead too when its heading names it)
    labels: dict[str, str]  # canonical column → the table's own header text
    rows: list[tuple[GridRow | None, dict[str, str]]]  # (the row read, canonical cells)
    given_lead: set[int]  # indexes in ``rows`` of the rows given the heading's lead
    errors: list[str]
    notes: list[str]
    warnings: list[str]
    appendix: bool = False  # under a "PHỤ LỤC" heading: a section of its own
    caption: str = ""  # the heading line right above it, where it has one
    positions: dict[str, int] = field(default_factory=dict)  # canonical column → its index


@dataclass
class _TaskTable:
    number: int
    grid: list[GridRow]
    header_rows: int
    columns: dict[str, int]  # canonical column → grid column
    heading: _Heading
    # grid columns that also read as the task's, kept before the task's text ("Nhóm: …")
    prefixes: list[int] = field(default_factory=list)
    problem: str = ""  # why the task column cannot be told
    asides: list[str] = field(default_factory=list)  # lines beside it (:meth:`PlanReader.aside`)

    def read(self) -> _ReadTable:
        appendix, title, lead, left_out = self.heading.appendix()
        named = _naming_rows(self.grid[: self.header_rows])
        labels = {
            name: clean(" ".join(dict.fromkeys(_spread(r)[col] for r in named)))
            for name, col in self.columns.items()
        }  # fmt: skip
        errors = []
        width = max((len(r.values) for r in self.grid[: self.header_rows]), default=0)
        header = [
            " ".join(dict.fromkeys(v for r in named if (v := _at(r, c)))) for c in range(width)
        ]
        missing = [LABELS[c] for c in ("task", "deadline") if c not in self.columns]
        if self.problem:
            errors.append(self.problem)
        if problem := deadline_problem(header):
            errors.append(problem)
        elif missing:
            errors.append("thiếu cột: " + ", ".join(missing))
        columns = set(self.columns)
        if lead and "lead" not in columns:
            labels["lead"] = f"Cơ quan chủ trì (theo tên phụ lục: “{lead}”)"
        if lead:
            columns.add("lead")
        header_keys = {_row_key(r.values) for r in self.grid[: self.header_rows]}
        rows: list[tuple[GridRow | None, dict[str, str]]] = []
        notes: list[str] = []
        read_at = {*self.columns.values(), *self.prefixes}
        if unread := [clean(h) for c, h in enumerate(header) if clean(h) and c not in read_at]:
            # A column dondoc has no use for ("Ghi chú"), or one whose header it does not
            # know: said, so that agencies in it are not lost unseen.
            said = ", ".join(f"“{h}”" for h in unread)
            notes.append(f"cột {said}: không phải cột nhiệm vụ, thời hạn, cơ quan hay kết quả")
        warnings: list[str] = []
        unnumbered = 0  # headings without a number: sections M1, M2…
        if appendix is not None:
            rows.append((None, {"number": f"Phụ lục {appendix}", "task": title}))  # its heading
        again: list[list[str]] = []  # the header printed again, in the rows just before
        above = ""  # the STT of the last numbered row
        last_page: int | None = None  # the page of the last row read (a PDF's)
        # the row struck whole just above: (its note's place in warnings, its first row,
        # the page of its last part, the struck text of each column so far)
        crossed_row: tuple[int, GridRow, int | None, dict[int, list[str]]] | None = None
        for row in self.grid[self.header_rows :]:
            if _marked_header(row) or _row_key(row.values) in header_keys:
                again.append(_spread(row))
                continue  # the header again, on a new page
            if self._header_again(row):
                again.append(_spread(row))
                continue  # the header again, mid-page or with its lines wrapped otherwise
            if any(self._header_goes_on(row, header) for header in again):
                again = []
                continue  # the rest of the header printed again, broken over a page
            again = []
            if column_numbers(row.values):
                continue
            number_at = self.columns.get("number")
            if row.struck and not any(
                v.strip() for c, v in enumerate(row.values) if c != number_at
            ):
                # A row crossed out (its STT perhaps left as it was): said once, left out;
                # the rest of it broken over a page (no STT, struck whole) said with it.
                numbered = number_at is not None and (
                    row.values[number_at].strip() or row.struck.get(number_at)
                )
                if crossed_row is None or numbered:
                    crossed_row = (len(warnings), row, row.page, {})
                    warnings.append("")
                at, first, _, parts = crossed_row
                crossed_row = (at, first, row.page, parts)
                for c, words in row.struck.items():
                    parts.setdefault(c, []).append(words)
                crossed = " | ".join(" ".join(w) for _, w in sorted(parts.items()))
                warnings[at] = (
                    f"dòng {first.index}{_pages(first.page, row.page)}: bỏ qua cả dòng gạch ngang "
                    f"“{crossed}” (coi như đã xóa): hãy đối chiếu văn bản, nếu dòng ấy còn hiệu "
                    "lực thì bỏ gạch ngang rồi nhập lại"
                )
                continue
            crossed_row = None
            cells = self._cells(row)
            for c, value in sorted(row.unsure.items()):
                name = next((n for n, i in self.columns.items() if i == c), "")
                label = labels.get(name) or clean(_at(self.grid[0], c)) or f"thứ {c + 1}"
                advice = "đặt thời hạn" if name == "deadline" else "sửa ô này"
                warnings.append(
                    f"dòng {row.index} (trang {row.page}), cột {label}: ô trống ở đầu trang, có "
                    f"thể thuộc ô gộp “{clean(value)}” ở trang trước: hãy đối chiếu bản Word và "
                    f"{advice} nếu cần"
                )
            for c, words in sorted(row.struck.items()):
                warnings.append(
                    f"dòng {row.index}{_pages(row.page)}, cột {self._label(c, labels)}: "
                    "bỏ qua chữ gạch ngang "
                    f"“{words}” (coi như đã xóa): hãy đối chiếu văn bản, nếu chữ ấy còn hiệu lực "
                    "thì bỏ gạch ngang rồi nhập lại"
                )
            if outside := [clean(row.values[c]) for c, _ in row.starts
                           if width <= c < len(row.values) and row.values[c].strip()]:  # fmt: skip
                where = f"dòng {row.index}{_pages(row.page)}"
                said = ", ".join(f"“{v}”" for v in outside)
                warnings.append(
                    f"{where}: ô ngoài các cột của dòng tiêu đề, không đọc: {said}: hãy đối "
                    "chiếu văn bản, nếu ô ấy là một cột của bảng thì thêm tiêu đề cho cột"
                )
            for c in sorted(row.nested | row.columned):
                name = next((n for n, i in self.columns.items() if i == c), "")
                label = labels.get(name) or _HEADER_LABELS.get(name) or f"thứ {c + 1}"
                page = _pages(row.page)
                how = (
                    "ô có một bảng kẻ bên trong, đọc mỗi dòng của bảng ấy thành một dòng, các ô "
                    "cách nhau bằng “; ”"
                    if c in row.nested
                    else "chữ trong ô đứng thành cột (một bảng không kẻ ô bên trong), được đọc "
                    "theo dòng in nên các cột có thể lẫn vào nhau"
                )
                warnings.append(
                    f"dòng {row.index}{page}, cột {label}: {how}: hãy đối chiếu với văn bản "
                    "(hoặc nhập bản Word)"
                )
            why = _not_heading(row) if cells is None else None
            if cells is None and why is None:
                unnumbered += 1
                cells = {"number": f"M{unnumbered}", "task": clean(" ".join(row.values))}
            if cells is None:
                where = f"dòng {row.index}{_pages(row.page)}"
                inner = next(
                    (t for v in row.values for t in v.splitlines() if looks_like_header(t)), None
                )
                if inner is not None:  # a task table with no rules drawn in a frame's row
                    errors.append(
                        f"{where}: ô gộp có một bảng nhiệm vụ không kẻ ô (dòng tiêu đề “{inner}”) "
                        "nên không biết chữ nào thuộc cột nào, không đọc được nhiệm vụ của bảng "
                        "ấy: hãy xin bản Word, hoặc bản PDF có kẻ khung bảng"
                    )
                notes.append(
                    f"{where}: dòng gộp ô không đánh số “{clean(' '.join(row.values))}” {why}, "
                    "không dùng làm mục"
                )
            elif any(cells.values()):
                if warning := self._joined(row, above, page_top=row.page != last_page):
                    warnings.append(warning)
                last_page = row.page
                if cells.get("number", "").strip():
                    above = cells["number"].strip()
                rows.append((row, cells))
        given = _give_lead([cells for _, cells in rows], lead) if lead else set()
        if helper := _coordinate_in_title(title):
            _give_coordinate([cells for _, cells in rows], helper)
        if self.asides:
            said = ", ".join(f"“{a}”" for a in self.asides)
            notes.append(
                f"chữ ở ô bên cạnh bảng (bảng bố cục quanh bảng nhiệm vụ): {said}: không phải "
                "tên phụ lục hay nhiệm vụ, không đọc"
            )
        leads_named = [t for t in left_out if "chu tri" in fold(t) or _lead_in_title(t)]
        if leads_named and given:
            # "I. NHIỆM VỤ GIAO SỞ Y TẾ CHỦ TRÌ" under "… CỦA SỞ NỘI VỤ": which rows the
            # title's lead takes is then unknown; a wrong lead is worse than a question.
            errors.append(
                f"dòng “{leads_named[0]}” dưới tên phụ lục nêu cơ quan chủ trì khác với tên phụ "
                "lục, nên không biết các dòng để trống cột Cơ quan chủ trì do ai chủ trì: hãy ghi "
                "cơ quan chủ trì vào các dòng ấy"
            )
        if left_out:
            said = ", ".join(f"“{t}”" for t in left_out)
            warnings.append(
                f"dòng chữ dưới hay bên cạnh tên phụ lục, không đọc là tên phụ lục: "
                f"{said}: hãy đối chiếu văn bản; nếu dòng ấy nêu cơ quan chủ trì "
                "hay phối hợp của cả phụ lục, hãy ghi vào các cột của bảng"
            )
        heading = f"Phụ lục {appendix}: {title}" if appendix is not None else title
        caption = "" if appendix is not None else self.heading.caption()
        return _ReadTable(
            self.number, heading, lead, columns, labels, rows, given, errors, notes, warnings,
            appendix is not None, caption, dict(self.columns),
        )  # fmt: skip

    def _label(self, column: int, labels: dict[str, str]) -> str:
        """The header's name of grid column ``column`` ("Cơ quan chủ trì"), or "thứ 6"."""
        name = next((n for n, i in self.columns.items() if i == column), "")
        return labels.get(name) or clean(_at(self.grid[0], column)) or f"thứ {column + 1}"

    def _joined(self, row: GridRow, above: str, *, page_top: bool = False) -> str:
        """A warning for a row of a table with no STT of its own (empty, or merged from
        the row above) but its own lead, and its own deadline or text (its lead is then
        added to the task's): the rows' reader joins it to the task above (STT ``above``),
        though it reads as a task of its own or a part with a deadline of its own. ""
        otherwise. In a PDF, a row broken over a page is two rows, the second with no STT
        at the new page's top: so never for a PDF's row at its page's top (``page_top``:
        the first row read on its page), nor for a lead going on mid-phrase."""
        number = self.columns.get("number")
        if number is None or not above or number >= len(row.values):
            return ""
        if row.page is not None and page_top:
            return ""

        def own(name: str) -> str:
            col = self.columns.get(name)
            if col is None or col >= len(row.values) or col in row.continued:
                return ""
            return clean(row.values[col])

        lead, deadline, text = own("lead"), own("deadline"), own("task")
        if not lead or not (deadline or text):
            return ""
        where = f"dòng {row.index}{_pages(row.page)}"
        if number in row.continued:
            if not deadline:  # the merged task's own text and agencies, written on
                return ""
            return (
                f"{where}: ô STT gộp với dòng trên nhưng dòng có cơ quan chủ trì “{lead}” "
                f"và tiến độ “{deadline}” riêng, đã nối vào mục {above} nên mục ấy có nhiều tiến "
                "độ: hãy tách thành nhiệm vụ riêng (đánh số) hoặc đặt thời hạn cho từng cơ quan"
            )
        if row.values[number].strip():
            return ""
        if _mid_phrase(lead) and (row.page is not None or not text or _mid_phrase(text)):
            return ""  # the cells above cut mid-phrase ("ngành, địa phương"), a PDF's page
        own_cells = "tiến độ" if deadline else "nội dung"
        return (
            f"{where}: dòng không có STT nhưng có cơ quan chủ trì và {own_cells} riêng, "
            f"đã nối vào mục {above}: hãy đánh số dòng này nếu là nhiệm vụ riêng"
        )

    def header_row(self, row: GridRow) -> bool:
        """Whether ``row``, below the header, is the header again: marked to repeat, the
        same as a header row, or as :meth:`_header_again` reads it."""
        keys = {_row_key(r.values) for r in self.grid[: self.header_rows]}
        return _marked_header(row) or _row_key(row.values) in keys or self._header_again(row)

    def _header_again(self, row: GridRow) -> bool:
        """Whether ``row`` is the table's header printed again: its cells name the same
        columns in the same places (the STT's "STT" too), all short as headers are."""
        spread = _spread(row)
        if any(len(v) > _HEADER_CELL for v in spread):
            return False
        found = map_header(spread, "tasks")
        if found.get("task") != self.columns.get("task"):
            return False
        if "number" in self.columns and found.get("number") != self.columns["number"]:
            return False
        agree = [c for c, i in found.items() if self.columns.get(c) == i]
        return len(agree) >= 2 and len(agree) == len(found)

    def _header_goes_on(self, row: GridRow, again: list[str]) -> bool:
        """Whether ``row``, right below the header printed again, is its rest: no STT, and
        a word or three, one of which completes a header cell above that named no column
        ("Hoạt động/Sản" over a page, "phẩm")."""
        spread = _spread(row)
        number = self.columns.get("number")
        if number is not None and number < len(spread) and spread[number].strip():
            return False
        if not any(spread) or any(len(v.split()) > _HEADER_TAIL for v in spread):
            return False
        above = [again[c] if c < len(again) else "" for c in range(len(spread))]
        return any(
            v and not map_header([above[c]], "tasks") and map_header([f"{above[c]} {v}"], "tasks")
            for c, v in enumerate(spread)
        )

    def _cells(self, row: GridRow) -> dict[str, str] | None:
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
        if "task" in cells:
            groups = [clean(row.values[c]) for c in self.prefixes if c < width]
            cells["task"] = with_groups(cells["task"], groups)
        return cells


_HEADER_KEYS = (("stt", "tt"), ("nhiem vu", "noi dung"), ("tien do", "thoi gian", "chu tri"))


def struck_line(line: str, words: Sequence[str]) -> str:
    """The warning about ``words`` struck through in ``line``, a line outside the task
    tables (shown without them): left out, as deleted, for an admin to check."""
    short = " ".join(line.split())
    short = short if len(short) <= 80 else short[:79].rstrip() + "…"
    return (
        f"Đoạn “{short}”: bỏ qua chữ gạch ngang “{'; '.join(words)}” (coi như đã xóa): hãy "
        "đối chiếu văn bản"
    )


def looks_like_header(text: str) -> bool:
    """A line of text that reads like a task table's header row ("STT Nhiệm vụ Tiến độ Cơ
    quan chủ trì"): a table printed without ruling lines, where it stands as text."""
    words = f" {key(text)} "
    return all(any(f" {k} " in words for k in group) for group in _HEADER_KEYS)


def _at(row: GridRow, column: int) -> str:
    spread = _spread(row)
    return spread[column] if column < len(spread) else ""


_NOTE_STARTS = ("(", "*", "Ghi chú", "Lưu ý")


def _not_heading(row: GridRow) -> str | None:
    """Why a merged full-width row with no number is no section's heading, in Vietnamese;
    None when it is one: in bold, or in capitals ("NHIỆM VỤ KHÁC"), and not a note ("(tiếp
    theo)", "Ghi chú: …", whatever its type)."""
    text = clean(" ".join(row.values))
    letters = [c for c in text if c.isalpha()]
    if len(letters) < 3:
        return "quá ngắn để là tên mục"
    if start := next((s for s in _NOTE_STARTS if text.startswith(s)), None):
        return f"là lời ghi chú (mở đầu bằng “{start}”)"
    if row.bold or all(c.isupper() for c in letters):
        return None
    return "không in đậm, không in hoa như tên mục"


def _row_key(values: list[str]) -> tuple[str, ...]:
    return tuple(fold(v) for v in values)


def _rows_back(table: _TaskTable) -> Iterator[GridRow]:
    """The table's rows read so far, last first, headers printed again left out."""
    for row in reversed(table.grid[table.header_rows :]):
        if any(row.values) and not table.header_row(row):
            yield row


def _last_task_row(table: _TaskTable) -> GridRow | None:
    """The table's last row as its task's boxes read: a row with no STT (the task broken
    over a page) with each empty cell given the value of the task's own row above."""
    rows = _rows_back(table)
    last = next(rows, None)
    if last is None:
        return None
    number = table.columns.get("number")
    values = [""] * len(last.values)
    for row in itertools.chain([last], rows):
        for c, v in enumerate(row.values[: len(values)]):
            if v.strip() and c not in row.continued:
                values[c] = f"{v}\n{values[c]}".strip()
            elif v.strip() and not values[c]:
                values[c] = v  # merged from above: the value once
        if number is None or number >= len(row.values) or row.values[number].strip():
            break
    return replace(last, values=values)


def _join_broken(table: _TaskTable, grid: list[GridRow]) -> None:
    """A word, number or date the page's end broke ("31/12/202" | "5"): the new part's
    first line of that cell, in the task's row broken over the page, joined to it."""
    last = next(_rows_back(table), None)
    if last is None or not last.full:
        return
    number = table.columns.get("number")
    row = next((r for r in grid if not table.header_row(r)), None)
    if row is None or (number is not None and number < len(row.values) and row.values[number]):
        return  # a new task: nothing broken goes on
    for c in last.full:
        if c >= len(row.values) or c in row.continued or not row.values[c]:
            continue
        head, _, rest = row.values[c].partition("\n")
        before = last.values[c].split()[-1] if last.values[c].split() else ""
        if broken_token(before, head.split()[0]):
            last.values[c] += head
            row.values[c] = rest


def _carry_over(table: _TaskTable, last: GridRow, grid: list[GridRow], open_top: set[int]) -> None:
    """Give the boxes merged down over the page their value in the new part (see
    :meth:`PlanReader.continue_table`): in its first row when that row opens a task (one
    with no STT is the task above broken over the page, which has the value already), and
    in the rows below it merged with it.

    A box goes on over the page only where the new page shows it: its box there has no
    top rule (``open_top``), or is empty and merged over several rows (no document leaves
    an empty merged box of its own). An empty box of one row under a box merged down to
    the page's end looks the same whether that box goes on or the cell is just empty: it
    is left empty and marked (:attr:`GridRow.unsure`), for an admin to check: so is an
    empty cell under any box of the page's last row (a box merged over two rows, one on
    each page, shows as a box of one row on each)."""
    number = table.columns.get("number")
    values = dict(enumerate(last.values))
    carried: set[int] | None = None  # None: the first row not read yet
    own: dict[int, str] = {}  # the first row's boxes as this page prints them

    def rows_after(row: GridRow) -> list[GridRow]:
        return grid[grid.index(row) + 1 :]

    def boxes(columns: set[int], row: GridRow) -> set[int]:
        return {
            c
            for c in columns
            if c != number
            and values.get(c, "").strip()
            and not any(start < c < start + span for start, span in row.starts)
        }  # fmt: skip  (a cell spanning it, "III. Chỉ số PAR", stops the box)

    for row in grid:
        if carried is None and table.header_row(row):
            continue
        opens = number is not None and number < len(row.values) and row.values[number].strip()
        if carried is None:
            # A row with no STT is the last task broken over the page: each of its boxes
            # is that task's, and goes on to the rows merged with it.
            below = next((r for r in rows_after(row) if not table.header_row(r)), None)
            merged = below.continued if below is not None else set()
            if opens:
                columns = boxes(open_top | merged, row)
                # Any box of the page's last row, not only one merged from rows above it:
                # a box merged over two rows, one on each page, is one row on each.
                for c in sorted(boxes(set(range(len(last.values))), row) - columns):
                    if c < len(row.values) and not row.values[c].strip():
                        row.unsure[c] = values[c]
            else:
                columns = boxes(set(range(len(row.values))), row)
            for c in columns:
                if row.values[c].strip() and not opens:
                    own[c] = row.values[c]
                    values[c] = f"{values[c]}\n{row.values[c]}"
        else:
            columns = carried & row.continued
        if not columns:
            return
        for c in columns:
            if c >= len(row.values):
                continue
            # The rest of a box merged over the page ("năm 2025" of "6 tháng đầu | năm
            # 2025"), given to the rows merged with it: the whole cell is theirs.
            rest = carried and c in own and row.values[c] == own[c]
            if rest or (not row.values[c].strip() and (opens or carried)):
                row.values[c] = values[c]
                if not any(start == c for start, _ in row.starts):
                    row.starts.append((c, 1))
                    row.starts.sort()
        carried = columns


def _mid_phrase(text: str) -> bool:
    """Whether a cell's text goes on from a phrase cut above it: it starts with a small
    letter ("ngành, địa phương"), where a cell of its own starts with a capital, a number
    or a bullet ("Sở Tư pháp", "- Rà soát")."""
    return text[:1].isalpha() and text[:1].islower()


_LAYOUT_TOLERANCE = 3.0  # points: two column edges this close are one


def _same_layout(a: Sequence[float] | None, b: Sequence[float] | None) -> bool:
    """Whether two tables' column edges (points) are the same; unknown ones never are."""
    return (
        a is not None and b is not None and len(a) == len(b)
        and all(abs(x - y) <= _LAYOUT_TOLERANCE for x, y in zip(a, b, strict=True))
    )  # fmt: skip


def _data_rows(grid: list[GridRow]) -> int:
    """The rows that hold a value in three cells or more: a table of data, not a header
    block or a signature laid out in a table."""
    return sum(1 for row in grid if sum(1 for v in row.values if v.strip()) >= 3)


def _own_sections(tables: list[_ReadTable]) -> None:
    """A section for each task table not under a "PHỤ LỤC" heading ("Bảng 2", titled by
    the heading above it), when two of them number their rows alike (each from 1): the
    same STT in two tables is then two tasks, not one written twice."""
    plain = [t for t in tables if not t.appendix]
    seen: set[str] = set()
    collide = False
    for t in plain:
        numbers = {n for _, cells in t.rows if (n := fold(cells.get("number", "")).strip(" ."))}
        collide = collide or bool(numbers & seen)
        seen |= numbers
    if not collide:
        return
    for t in plain:
        t.rows.insert(0, (None, {"number": f"Bảng {t.number}", "task": t.caption}))
        t.given_lead = {i + 1 for i in t.given_lead}


_TASK_NUMBER = re.compile(r"^\d+(\.\d+)*$")  # a task's STT ("3", "2.1"), not a group's ("I", "a")


def _give_lead(rows: list[dict[str, str]], lead: str) -> set[int]:
    """The appendix's lead to each task row (an STT of digits, not the group of the rows
    after it) whose lead cell is empty or says "Chủ trì"; the indexes of those rows."""
    given: set[int] = set()
    numbers = [cells.get("number", "").strip(" .") for cells in rows]
    for i, cells in enumerate(rows):
        number = numbers[i]
        if not _TASK_NUMBER.match(number):
            continue
        following = next((n for n in numbers[i + 1 :] if n), "")
        if following.startswith(number + ".") and not cells.get("deadline"):
            continue  # "2. VIỆC CUNG ỨNG DỊCH VỤ" over 2.1, 2.2: a group
        if fold(cells.get("lead", "")) in _SAYS_LEAD | {""}:
            cells["lead"] = lead
            given.add(i)
    return given


def _give_coordinate(rows: list[dict[str, str]], agency: str) -> None:
    """The appendix's coordinating agency added to each task row's (an STT of digits) own
    coordinating agencies, where the row does not name it already."""
    for cells in rows:
        if not _TASK_NUMBER.match(cells.get("number", "").strip(" .")):
            continue
        own = cells.get("coordinate", "")
        if fold(agency) not in fold(own):
            cells["coordinate"] = f"{own}\n{agency}".strip()


def _contradictions(header: PlanMeta, attached: list[tuple[str, date | None]]) -> list[str]:
    """Each appendix's "(Kèm theo Kế hoạch số X ngày …)" that names another number or date
    than the header block's "Số: …" and "…, ngày … tháng … năm …", both values named; and
    each appendix that disagrees with the first one, in a document with no header block."""
    out: list[str] = []
    number, day = header.number, header.issued_on
    said = "đầu văn bản ghi"
    for i, (their_number, their_day) in enumerate(attached):
        if not number and not day:
            number, day, said = their_number, their_day, f"phụ lục thứ {i + 1} ghi"
            continue
        where = f"dòng “Kèm theo …” của phụ lục thứ {i + 1}"
        if number and fold(their_number) != fold(number):
            out.append(f"{where} ghi kế hoạch số {their_number}, {said} số {number}")
        if day and their_day and their_day != day:
            out.append(f"{where} ghi ngày {their_day:%d/%m/%Y}, {said} ngày {day:%d/%m/%Y}")
    return out


# --- the reader ----------------------------------------------------------------------------


class PlanReader:
    """Reads a document's text lines and tables in the document's order (:meth:`line`,
    :meth:`table`), then gives the plan (:meth:`plan`)."""

    def __init__(self) -> None:
        self.meta = PlanMeta()
        self.issuer_lines: list[str] = []
        self.header_done = False  # past the header block: no more issuer lines
        self.title_next = False
        self.heading = _Heading()
        self.found: list[_TaskTable] = []
        self.other_tables = 0
        self.attached: list[tuple[str, date | None]] = []  # each appendix's "Kèm theo …"
        self.errors: list[RowError] = []
        self.open_bracket = ""  # a line that opens a bracket it does not close
        self.date_problems: list[str] = []  # an issue date incomplete or not a real day
        self.tables_seen = 0  # every table, task table or not, as the document counts them
        self.after_task = False  # nothing but empty lines since the last task table
        self.layout: Sequence[float] | None = None  # the last task table's column edges
        self.warnings: list[str] = []
        self.appendix_title: list[str] | None = None  # "PHỤ LỤC 2" and its title: no table yet

    def line(self, text: str) -> None:
        """A line of text outside the task tables (a paragraph of the body, a line of a
        table that is no task table). A line that opens a bracket and does not close it
        ("(Kèm theo Kế hoạch số … của Chủ tịch Ủy", printed over two lines) is read with
        the lines that close it, up to sixty words."""
        if not text:
            return
        self.after_task = False
        if self.open_bracket:
            text = f"{self.open_bracket} {text}"
            self.open_bracket = ""
        if text.startswith("(") and ")" not in text and text.count(" ") < 60:
            self.open_bracket = text
            return
        if _DATE_GOES_ON.search(text):  # "Sóc Trăng, ngày 26 tháng 8 năm" over "2022"
            self.open_bracket = text
            return
        self._read(text)

    def aside(self, text: str) -> None:
        """A line of a layout table's cell beside a task table (a note, a stamp's place):
        none of an appendix's title nor of the next table's heading, kept as a note of
        the last task table."""
        if text and self.found:
            self.found[-1].asides.append(clean(text))

    def _read(self, text: str) -> None:
        folded = fold(text)
        if _APPENDIX.match(fold_aligned(text)):
            self._appendix_without_table()
            self.appendix_title = [text]
        elif (
            self.appendix_title is not None
            and len(self.appendix_title) == 1
            and not _ATTACHED.match(text)
            and not folded.startswith("(kem theo")
        ):
            self.appendix_title.append(text)
        if self.title_next and (_BODY_STARTS.match(text) or set(text) <= set("-_–—=* ")):
            self.title_next = False  # "I. MỤC ĐÍCH, YÊU CẦU": the body, not the title
        if self.title_next:
            title = self.meta.title
            if (
                not title
                or (text == text.upper() and title == title.upper())
                or _title_goes_on(title, text)
            ):
                self.meta.title = clean(f"{title} {text}")
                self.heading.lines.append(text)
                return
            self.title_next = False
        if m := _NUMBER.match(text):
            self.meta.number = self.meta.number or re.sub(r"\s+", "", m.group(1))
            self.header_done = True
        elif (said := read_issue_date(text)) is not None:  # issue 15 item 10: figures, blanks
            self.meta.issued_on = self.meta.issued_on or said.on
            self.meta.year = self.meta.year or (None if said.on else said.year)
            self.date_problems += [said.problem] if said.problem else []
            self.header_done = True
        elif m := _ATTACHED.match(text):
            day = _date(m.group(2), m.group(3), m.group(4)) if m.group(2) else None
            self.attached.append((re.sub(r"\s+", "", m.group(1)), day))
        elif _is_title_word(folded) and not self.found:
            self.title_next = True
            self.header_done = True
        elif folded.startswith((*_NATION, "phu luc")) or text != text.upper():
            self.header_done = True  # the issuer's lines are the capitals at the very top
        elif not self.header_done and not set(text) <= set("-_–—=* "):
            self.issuer_lines.append(clean(text))
        self.heading.lines.append(text)

    def table(self, grid: list[GridRow], layout: Sequence[float] | None = None) -> bool:
        """A table: a task table when its header says so (True), otherwise its lines are
        read as text (False). ``layout``: the x of each column's edge, in points. A table
        with no header right after a task table (nothing but empty lines between) and laid
        out on the same columns is that table going on (a table split by a paragraph
        break); another table of data that is no task table is said to be skipped."""
        if self.open_bracket:  # never closed: the line as it is
            self._read(self.open_bracket)
            self.open_bracket = ""
        self.tables_seen += 1
        found = find_header(grid)
        if found is None and self.after_task and _same_layout(layout, self.layout):
            table = self.found[-1]
            first = len(table.grid) + 1
            self._extend(grid)
            page = _pages(grid[0].page if grid else None)
            self.warnings.append(
                f"Bảng {table.number}, dòng {first}–{len(table.grid)}{page}: bảng không có dòng "
                f"tiêu đề ngay sau Bảng {table.number}, cùng các cột: đọc là phần tiếp của Bảng "
                f"{table.number} (hãy đối chiếu văn bản)"
            )
            return True
        if found is None:
            self.other_tables += 1
            if _data_rows(grid) >= 2:
                page = f", trang {grid[0].page}" if grid[0].page is not None else ""
                self.warnings.append(
                    f"Bỏ qua bảng thứ {self.tables_seen} của văn bản ({len(grid)} dòng{page}): "
                    "không có dòng tiêu đề nhiệm vụ (như “STT | Nhiệm vụ | Tiến độ | Cơ quan chủ "
                    "trì”) nên không đọc là bảng nhiệm vụ; nếu bảng có nhiệm vụ, hãy thêm dòng "
                    "tiêu đề rồi nhập lại"
                )
            for row in grid:
                for value in row.values:
                    for line in value.splitlines():
                        self.line(line)
            return False
        heading, self.heading = self.heading, _Heading()
        rows, columns = found
        header = [
            clean(" ".join(dict.fromkeys(v for r in _naming_rows(grid[:rows]) if (v := _at(r, c)))))
            for c in range(max(len(r.values) for r in grid[:rows]))
        ]
        columns, prefixes, problem = choose_task_column(header, columns)
        self.found.append(
            _TaskTable(len(self.found) + 1, grid, rows, columns, heading, prefixes, problem)
        )
        self.after_task, self.layout, self.appendix_title = True, layout, None
        return True

    def _extend(self, grid: list[GridRow]) -> None:
        table = self.found[-1].grid
        for row in grid:
            row.index += len(table)
        table.extend(grid)
        self.after_task = True

    def _appendix_without_table(self) -> None:
        """An appendix's title read with no task table under it, said (its tasks, written
        as text or in a table with no header, would be lost silently)."""
        if self.appendix_title is None:
            return
        title = ": ".join(clean(t) for t in self.appendix_title)
        self.appendix_title = None
        self.warnings.append(
            f"“{title}”: không có bảng nhiệm vụ bên dưới (bảng có dòng tiêu đề như “STT | Nhiệm "
            "vụ | Tiến độ | Cơ quan chủ trì”) nên không đọc được nhiệm vụ nào của phụ lục này: "
            "hãy đối chiếu văn bản"
        )

    def continue_table(self, grid: list[GridRow], open_top: set[int] | None = None) -> None:
        """More rows of the last task table (its part on the next page), counted on from
        its rows. A cell merged down over the page break, as Word's vMerge goes on, gives
        its value to the new part's first task row where that row's cell is empty (and to
        the rows merged with it) where the new page shows the box going on: a column in
        ``open_top`` (its box has no top border on the new page), or one whose box there is
        empty and merged over several rows. An empty cell of one row under a box merged down
        to the page's end is left empty and warned about (it may be either)."""
        found = self.found[-1]
        table = found.grid
        for row in grid:
            row.index += len(table)
        if last := _last_task_row(found):
            _carry_over(found, last, grid, open_top or set())
            _join_broken(found, grid)
        table.extend(grid)
        self.after_task = True

    def check_found(self, path: Path, kind: str = "văn bản") -> None:
        """FileProblem (naming ``path``) when no task table was found."""
        if self.found:
            return
        seen = f" (có {self.other_tables} bảng nhưng không bảng nào có cột “Nhiệm vụ”/“Nội dung công việc” cùng cột “Tiến độ” hoặc “Cơ quan chủ trì”)"
        raise FileProblem(
            path,
            f"không thấy bảng nhiệm vụ nào trong {kind}"
            + (seen if self.other_tables else "")
            + ": bảng cần dòng tiêu đề như “STT | Nhiệm vụ cụ thể | Tiến độ | Cơ quan chủ trì”",
        )

    def plan(self) -> DocumentPlan:
        self._appendix_without_table()
        warnings = [*self.date_problems, *_contradictions(self.meta, self.attached), *self.warnings]
        if self.attached:
            self.meta.number = self.meta.number or self.attached[0][0]
            self.meta.issued_on = self.meta.issued_on or self.attached[0][1]
        tables = [t.read() for t in self.found]
        numbered: dict[str, _ReadTable] = {}
        for t in tables:
            if not t.appendix:
                continue
            name = t.rows[0][1]["number"]
            if (first := numbered.setdefault(fold(name), t)) is not t:
                self.errors.append(
                    RowError(
                        0,
                        f"Bảng {t.number}: “{t.heading}” mang cùng số “{name}” với Bảng "
                        f"{first.number} (“{first.heading}”): hai phụ lục cùng số thì nhiệm vụ của "
                        "chúng trùng mã; hãy sửa số phụ lục trong văn bản rồi nhập lại",
                    )
                )
        for t in tables:
            warnings.extend(f"Bảng {t.number}, {w}" for w in t.warnings)
        _own_sections(tables)
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
        if "number" in used:
            for t in tables:
                if "number" not in t.columns and len(t.rows) > (1 if t.appendix else 0):
                    order = sorted(t.positions, key=lambda c: t.positions[c])
                    said = " | ".join(t.labels[c] for c in order if c in t.labels)
                    self.errors.append(
                        RowError(0, f"Bảng {t.number}: không có cột STT (dòng tiêu đề: "
                                    f"{said}) nên các dòng của bảng "
                                    "sẽ bị nối vào nhiệm vụ của bảng trước: hãy thêm cột STT, "
                                    "hoặc nhập bản Word")
                    )  # fmt: skip
        rows = [Row(0, tuple(_HEADER_LABELS[c] for c in used))]
        places: dict[int, Place] = {}
        given: set[int] = set()
        unsure: dict[tuple[int, str], str] = {}
        struck: dict[tuple[int, str], str] = {}
        notes: list[str] = []
        summaries: list[PlanTable] = []
        for t in tables:
            self.errors.extend(RowError(0, f"Bảng {t.number}: {e}") for e in t.errors)
            notes.extend(f"Bảng {t.number}, {n}" for n in t.notes)
            pages = [r.page for r, _ in t.rows if r is not None and r.page is not None]
            for i, (row, cells) in enumerate(t.rows):
                line = len(rows)
                rows.append(Row(line, tuple(cells.get(c, "") for c in used)))
                first_page = pages[0] if pages else None
                places[line] = (
                    Place(t.number, row.index, t.labels, row.page)
                    if row is not None
                    else Place(t.number, 0, t.labels, first_page)
                )
                if i in t.given_lead:
                    given.add(line)
                for c, value in (row.unsure if row is not None else {}).items():
                    if name := next((n for n, at in t.positions.items() if at == c), ""):
                        unsure[(line, name)] = clean(value)
                for c, words in (row.struck if row is not None else {}).items():
                    name = next((n for n, at in t.positions.items() if at == c), "")
                    if name and not cells.get(name, "").strip():
                        struck[(line, name)] = words
            span = (min(pages), max(pages)) if pages else None
            summaries.append(PlanTable(t.number, t.heading, t.lead, len(t.rows), span))
        return DocumentPlan(
            rows=rows, places=places, tables=summaries, meta=self.meta, errors=self.errors,
            issuer_names=self.issuer_names(), notes=notes, given_lead=given, warnings=warnings,
            unsure=unsure, struck=struck,
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
