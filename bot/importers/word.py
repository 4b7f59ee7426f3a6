"""Read a plan published as a Word document (.docx): the Word front end of
:mod:`bot.importers.plan_tables`, which reads the text and tables as an officer would.

What is Word's own is read here: the body's paragraphs and tables in order; a table laid
on its grid (a horizontally merged cell, w:gridSpan, is one value in its first column; a
vertically merged cell, w:vMerge, is marked continued in each row it spans; a header row
marked to repeat on each page, w:tblHeader); a cell of several paragraphs as one line per
paragraph, a numbered or bulleted paragraph (w:numPr) with its bullet or number as Word
shows it, a table inside a cell one line a row; a table laid around a task table (a frame
of one cell, or a layout whose other cells hold notes) read as what its cells hold; a
paragraph's text as Word shows it, with tracked changes accepted (insertions in, deletions
out), hidden text (w:vanish) left out, text struck through left out and warned about (a
lead or deadline crossed out by hand), and the text of content controls, smart tags,
simple fields and hyperlinks, and paragraphs, rows and cells inside content controls read
where they stand. A legacy .doc is converted by LibreOffice where it is installed.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import shutil
import subprocess
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.ns import qn
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from bot.importers.plan_tables import (
    DocumentPlan,
    GridRow,
    PlanReader,
    find_header,
    struck_line,
)
from bot.importers.tabular import FileProblem, check_unzipped

WORD = {".docx", ".doc"}
_NO_LIBREOFFICE = (
    "tệp Word 97–2003 (.doc): máy này chưa cài LibreOffice để chuyển sang .docx; hãy mở tệp "
    "bằng Word hoặc LibreOffice rồi “Lưu thành” dạng .docx (Word Document)"
)
_CONVERT_TIMEOUT = 120  # seconds: a plan of a hundred pages converts in a few


def read_document(path: Path) -> DocumentPlan:
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


def read_word(path: Path) -> DocumentPlan:
    """Read the plan in ``path`` (.docx). Raises FileProblem when the file is not a Word
    document or holds no task table; a table read but incomplete is in ``errors``."""
    if path.is_dir():
        raise FileProblem(path, "đây là một thư mục, không phải tệp: ghi đường dẫn đến tệp")
    if not path.is_file():
        raise FileProblem(path, "không tìm thấy tệp")
    check_unzipped(path)
    try:
        document = Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError):
        raise FileProblem(
            path, "không phải tệp Word (.docx) hợp lệ: hãy mở bằng Word rồi lưu lại dạng .docx"
        ) from None
    styles = _Styles(document)
    text = _Text(_Numbering(document, styles), styles)
    reader = PlanReader()
    _feed(reader, _blocks(document.element.body, document._body), text)
    reader.check_found(path)
    return reader.plan()


def _feed(reader: PlanReader, blocks: Iterator[Paragraph | Table], text: _Text) -> None:
    """Give ``reader`` the paragraphs and tables in order; a table laid around a task table
    (:func:`_around`) is read as what its cells hold, cell by cell."""
    for block in blocks:
        if isinstance(block, Paragraph):
            line = text.paragraph(block)
            if crossed := text.take_struck():
                reader.warnings.append(struck_line(line, crossed))
            reader.line(line)
            continue
        before = text.numbering.counted()
        grid = _grid(block, text)
        cells = _around(block, text) if find_header(grid) is None else None
        if cells is None:
            reader.table(grid, _layout(block))
            continue
        text.numbering.recount(before)  # its cells are read again, as what they hold
        text.take_struck()
        for _, row in itertools.groupby(cells, key=lambda c: c._tc.getparent()):
            row_cells = list(row)
            holding = [c for c in row_cells if len(cells) == 1 or _holds_any(c, text)]
            for cell in holding:
                _feed(reader, _blocks(cell._tc, cell), text)
            # The row's other cells stand beside its task table: none of its heading.
            for cell in row_cells:
                if holding and all(cell._tc is not c._tc for c in holding):
                    for line in text.cell(cell).splitlines():
                        reader.aside(line)
                elif not holding:  # a row of the layout around no task table: its text
                    _feed(reader, _blocks(cell._tc, cell), text)


def _around(table: Table, text: _Text) -> list[_Cell] | None:
    """The cells, row by row, of a table laid around a task table rather than one itself:
    a frame of one cell holding a table, or a layout of several cells one of which holds
    a task table, at any depth (a note in the left cell, the appendix's task table in the
    right, or in a layout in the right). None for any other table."""
    cells = [tc for tr in _rows(table) for tc in _inside(tr, "w:tc")]
    inner = [Table(tbl, table) for tc in cells for tbl in _inside(tc, "w:tbl")]
    if not inner or (len(cells) > 1 and not any(_holds_task_table(t, text) for t in inner)):
        return None
    return [_Cell(tc, table) for tc in cells]


def _holds_any(cell: _Cell, text: _Text) -> bool:
    """Whether a table in ``cell`` is a task table or holds one (at any depth)."""
    return any(_holds_task_table(Table(tbl, cell), text) for tbl in _inside(cell._tc, "w:tbl"))


def _holds_task_table(table: Table, text: _Text) -> bool:
    """Whether ``table`` is a task table, or holds one in a cell (at any depth); read
    without counting its lists' numbers."""
    before = text.numbering.counted()
    try:
        if find_header(_grid(table, text)) is not None:
            return True
    finally:
        text.numbering.recount(before)
        text.take_struck()
    cells = (tc for tr in _rows(table) for tc in _inside(tr, "w:tc"))
    return any(
        _holds_task_table(Table(tbl, table), text) for tc in cells for tbl in _inside(tc, "w:tbl")
    )


def _layout(table: Table) -> list[float]:
    """The x of each column's edge (w:tblGrid), in points from the table's left."""
    edges = [0.0]
    for column in table._tbl.tblGrid.gridCol_lst:
        edges.append(edges[-1] + (column.w.pt if column.w is not None else 0.0))
    return edges


# --- what Word shows ----------------------------------------------------------------------

# Elements whose runs Word shows as the paragraph's text: a tracked insertion (accepted,
# as the published text reads), text moved here, a smart tag, a simple field's result, a
# hyperlink, custom XML, a direction override. A tracked deletion (w:del) and text moved
# away (w:moveFrom) are not shown; a content control (w:sdt) shows its w:sdtContent.
_SHOWN = frozenset(
    qn(f"w:{tag}")
    for tag in ("ins", "moveTo", "smartTag", "fldSimple", "hyperlink", "customXml", "dir", "bdo")
)
_CONTAINERS = frozenset({qn("w:sdt"), qn("w:customXml")})  # around blocks, rows or cells


def _pieces(element: Any, styles: _Styles, paragraph: _Look) -> Iterator[tuple[str, bool]]:
    """(text, struck through) of each run in ``element`` (a w:p) that Word shows, tracked
    changes accepted (see ``_SHOWN``), hidden text (w:vanish) left out as a tracked deletion
    is; ``paragraph``: how the paragraph's style formats its runs."""
    for child in element:
        if child.tag == qn("w:r"):
            hidden, struck = styles.run(child, paragraph)
            if not hidden:
                yield child.text, struck  # python-docx's run: w:t, tabs and breaks
        elif child.tag == qn("w:sdt"):
            content = child.find(qn("w:sdtContent"))
            if content is not None:
                yield from _pieces(content, styles, paragraph)
        elif child.tag in _SHOWN:
            yield from _pieces(child, styles, paragraph)


def _inside(element: Any, tag: str) -> Iterator[Any]:
    """The children of ``element`` tagged ``tag`` (w:p and w:tbl for ``"block"``), also
    those inside a content control or custom XML around them (a repeating section's rows,
    a title in a content control)."""
    tags = {qn("w:p"), qn("w:tbl")} if tag == "block" else {qn(tag)}
    for child in element:
        if child.tag in tags:
            yield child
        elif child.tag in _CONTAINERS:
            content = child.find(qn("w:sdtContent")) if child.tag == qn("w:sdt") else child
            if content is not None:
                yield from _inside(content, tag)


def _blocks(element: Any, parent: Any) -> Iterator[Paragraph | Table]:
    """The paragraphs and tables of a body or cell ``element``, in order (see
    :func:`_inside`); ``parent``: their python-docx parent."""
    for child in _inside(element, "block"):
        yield Paragraph(child, parent) if child.tag == qn("w:p") else Table(child, parent)


def _rows(table: Table) -> Iterator[Any]:
    """The table's rows (w:tr), a row deleted with changes tracked left out."""
    for tr in _inside(table._tbl, "w:tr"):
        if tr.trPr is None or tr.trPr.find(qn("w:del")) is None:
            yield tr


# --- styles --------------------------------------------------------------------------------

_Look = tuple[bool | None, bool | None]  # (hidden, struck through); None: not said
_OFF = frozenset({"0", "false", "off"})


def _toggle(r_pr: Any, *tags: str) -> bool | None:
    """Whether run properties ``r_pr`` (a w:rPr) switch on any of ``tags`` (w:vanish…):
    True, False where they switch it off (w:val="0"), None where they say nothing."""
    said: bool | None = None
    for tag in tags:
        element = r_pr.find(qn(tag)) if r_pr is not None else None
        if element is not None:
            if (element.get(qn("w:val")) or "1").lower() not in _OFF:
                return True
            said = False
    return said


def _look(r_pr: Any) -> _Look:
    return _toggle(r_pr, "w:vanish"), _toggle(r_pr, "w:strike", "w:dstrike")


def _first(*looks: _Look) -> tuple[bool, bool]:
    """Each property as the first of ``looks`` that says it (the run's own, then its
    character style's, then its paragraph style's), off where none does."""
    hidden = next((h for h, _ in looks if h is not None), False)
    struck = next((k for _, k in looks if k is not None), False)
    return hidden, struck


class _Styles:
    """The document's styles, each resolved once. python-docx finds a paragraph's style
    (and the default one) by an XPath over every style at each call: two thirds of the
    time of reading a plan of 1,000 tasks went there."""

    def __init__(self, document: Any) -> None:
        self._by_id: dict[str, Any] = {}
        self._default: Any = None  # the last default paragraph style, as python-docx takes
        for style in document.styles.element.findall(qn("w:style")):
            self._by_id.setdefault(style.get(qn("w:styleId")), style)
            if style.type == WD_STYLE_TYPE.PARAGRAPH and style.default:
                self._default = style
        self._paragraphs: dict[str | None, tuple[Any, ...]] = {}
        self._looks: dict[tuple[str, str | None], _Look] = {}

    def paragraph(self, p: Any) -> tuple[Any, ...]:
        """The style of paragraph ``p`` (a w:p) and those it is based on, its own first
        (python-docx's ``Paragraph.style`` then each ``base_style``): the default
        paragraph style where it names none, or one that is not a paragraph style."""
        style_id = p.style
        chain = self._paragraphs.get(style_id)
        if chain is None:
            style = self._by_id.get(style_id) if style_id else None
            if style is None or style.type != WD_STYLE_TYPE.PARAGRAPH:
                style = self._default
            chain = self._paragraphs[style_id] = self._chain(style)
        return chain

    def _chain(self, style: Any) -> tuple[Any, ...]:
        out: list[Any] = []
        while style is not None and all(style is not s for s in out):  # a loop ends
            out.append(style)
            based = style.find(qn("w:basedOn"))
            style = self._by_id.get(based.get(qn("w:val"))) if based is not None else None
        return tuple(out)

    def bold(self, p: Any) -> bool:
        """Whether the paragraph's style is bold (its own w:b, as python-docx's
        ``style.font.bold`` reads it)."""
        chain = self.paragraph(p)
        return bool(chain) and _toggle(chain[0].find(qn("w:rPr")), "w:b") is True

    def paragraph_look(self, p: Any) -> _Look:
        """How the style of paragraph ``p`` formats its runs (hidden, struck through)."""
        return self._styled(("paragraph", p.style), lambda: self.paragraph(p))

    def run(self, r: Any, paragraph: _Look) -> tuple[bool, bool]:
        """(hidden, struck through) of run ``r`` (a w:r) as Word shows it: its own
        properties, then its character style's (w:rStyle), then its paragraph's
        (``paragraph``: :meth:`paragraph_look`)."""
        r_pr = r.find(qn("w:rPr"))
        own = _look(r_pr)
        if None not in own:
            return _first(own)
        rstyle = r_pr.find(qn("w:rStyle")) if r_pr is not None else None
        if rstyle is None:
            return _first(own, paragraph)
        style_id = rstyle.get(qn("w:val"))

        def chain() -> tuple[Any, ...]:
            style = self._by_id.get(style_id)
            is_character = style is not None and style.type == WD_STYLE_TYPE.CHARACTER
            return self._chain(style) if is_character else ()

        return _first(own, self._styled(("character", style_id), chain), paragraph)

    def _styled(self, key: tuple[str, str | None], chain: Callable[[], tuple[Any, ...]]) -> _Look:
        """The look of a style chain, first said first, found once per ``key``."""
        found = self._looks.get(key)
        if found is None:
            looks = [_look(s.find(qn("w:rPr"))) for s in chain()]
            hidden = next((h for h, _ in looks if h is not None), None)
            struck = next((k for _, k in looks if k is not None), None)
            found = self._looks[key] = (hidden, struck)
        return found


# --- paragraphs and numbering --------------------------------------------------------------


class _Numbering:
    """The glyph or number Word shows before a numbered paragraph (w:numPr), counted as
    Word counts it: per list, a level restarting under its parent."""

    def __init__(self, document: Any, styles: _Styles) -> None:
        self._styles = styles
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

    def counted(self) -> dict[str, list[int]]:
        """The numbers counted so far, for :meth:`recount`."""
        return {num_id: list(counts) for num_id, counts in self._counts.items()}

    def recount(self, counted: dict[str, list[int]]) -> None:
        """Count on from ``counted`` (:meth:`counted`): paragraphs read again are not
        counted twice."""
        self._counts = counted

    def prefix(self, paragraph: Paragraph) -> str:
        num_pr = _num_pr(paragraph, self._styles)
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


def _num_pr(paragraph: Paragraph, styles: _Styles) -> tuple[str, str] | None:
    """(numId, ilvl) of the paragraph, or of its style (a "List Bullet" paragraph)."""
    candidates = [paragraph._p.pPr, *(s.find(qn("w:pPr")) for s in styles.paragraph(paragraph._p))]
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


class _Text:
    """A paragraph's text as Word shows it."""

    def __init__(self, numbering: _Numbering, styles: _Styles) -> None:
        self.numbering = numbering
        self.styles = styles
        self.struck: list[str] = []  # struck-through text left out, until :meth:`take_struck`

    def take_struck(self) -> list[str]:
        """The struck-through text left out since the last call, one item per stretch of
        runs ("Sở Tài chính"): what an officer crossed out by hand, for a warning."""
        struck, self.struck = self.struck, []
        return struck

    def paragraph(self, paragraph: Paragraph) -> str:
        """The paragraph as shown: its bullet or list number, then its text. An STT column
        numbered by Word shows the number alone ("1."). Text struck through (w:strike,
        w:dstrike) is left out, as a tracked deletion is, and kept in :attr:`struck`: a
        plan revised by hand crosses out the old lead or deadline."""
        pieces = list(_pieces(paragraph._p, self.styles, self.styles.paragraph_look(paragraph._p)))
        for struck, stretch in itertools.groupby(pieces, key=lambda piece: piece[1]):
            words = " ".join(unicodedata.normalize("NFC", "".join(t for t, _ in stretch)).split())
            if struck and words:
                self.struck.append(words)
        shown = "".join(t for t, struck in pieces if not struck)
        text = unicodedata.normalize("NFC", shown).replace("\u00a0", " ").strip()
        prefix = self.numbering.prefix(paragraph)
        if not text:
            return "" if prefix.startswith(("-", "+", "–", "•", "*")) else prefix.strip()
        return prefix + text

    def cell(self, cell: _Cell) -> str:
        """The cell's paragraphs, one a line; a table inside it (an agency list laid out
        in a small table) one line a row, its cells joined by "; "."""
        lines: list[str] = []
        for block in _blocks(cell._tc, cell):
            if isinstance(block, Paragraph):
                lines.append(self.paragraph(block))
            else:
                lines.extend(self.nested(block))
        return "\n".join(t for t in lines if t)

    def nested(self, table: Table) -> list[str]:
        """A table inside a cell as lines: each row's cells (their own lines joined by a
        space), a cell merged over several columns once."""
        out: list[str] = []
        for row in table.rows:
            seen: list[Any] = []
            texts: list[str] = []
            for cell in row.cells:
                if any(cell._tc is tc for tc in seen):
                    continue  # python-docx gives a merged cell once per grid column
                seen.append(cell._tc)
                if text := " ".join(self.cell(cell).split("\n")):
                    texts.append(text)
            out.append("; ".join(texts))
        return out

    def bold(self, cell: _Cell) -> bool:
        """Whether every run of text in the cell is bold (its own or its style's)."""
        runs = [(r, p) for p in cell.paragraphs for r in p.runs if r.text.strip()]
        return bool(runs) and all(
            r.bold or (r.bold is None and self.styles.bold(p._p)) for r, p in runs
        )


# --- tables --------------------------------------------------------------------------------


def _grid(table: Table, text: _Text) -> list[GridRow]:
    """The table's rows on its grid (w:tblGrid, widened where a row has more cells)."""
    width = max(len(table._tbl.tblGrid.gridCol_lst), 1)
    rows: list[GridRow] = []
    above: dict[int, str] = {}
    for index, tr in enumerate(_rows(table), start=1):
        col = tr.grid_before
        tcs = list(_inside(tr, "w:tc"))
        width = max(width, col + sum(tc.grid_span for tc in tcs))
        values = [""] * width
        starts: list[tuple[int, int]] = []
        continued: set[int] = set()
        struck: dict[int, str] = {}
        bold: list[bool] = []
        for tc in tcs:
            span = tc.grid_span
            if col >= len(values):
                values.extend([""] * (col + span - len(values)))
            if tc.vMerge == "continue":
                values[col] = above.get(col, "")
                continued.add(col)
            else:
                values[col] = text.cell(_Cell(tc, table))
                if crossed := text.take_struck():
                    struck[col] = "; ".join(crossed)
                if values[col]:
                    bold.append(text.bold(_Cell(tc, table)))
            starts.append((col, span))
            above[col] = values[col]
            col += span
        header = tr.trPr is not None and tr.trPr.find(qn("w:tblHeader")) is not None
        bold_row = bool(bold) and all(bold)
        rows.append(GridRow(index, values, starts, continued, header, bold=bold_row, struck=struck))
    return rows
