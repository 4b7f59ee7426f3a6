"""Word plans built the way Word builds them, for the importer's tests.

No published plan .docx could be taken from the stored public material (its Word files
are binary, and only text is kept), so these documents are made here: each seed plan of
``seed/plans/*.csv`` laid out as its real document is (the text in ``shared/seeds``), and
a few documents of other shapes. What Word writes is written as Word writes it, with
python-docx and raw OXML where python-docx has no call:

- a header block in a borderless table ("ỦY BAN NHÂN DÂN / TỈNH …", "Số: …", "…, ngày …
  tháng … năm …"), "KẾ HOẠCH" and the title, or an appendix's "PHỤ LỤC …" heading and
  "(Kèm theo Kế hoạch số … ngày … của …)";
- the table's header row marked to repeat on each page (``w:tblHeader``);
- merged cells: ``w:gridSpan`` for a section row over the whole width, ``w:vMerge``
  (restart, continue) for a deadline shared by several tasks;
- bullets as numbered paragraphs (``w:numPr`` to a bullet list of ``numbering.xml``),
  long cells as several paragraphs;
- a row split over a page: the task's row and its continuation, the STT and the cells that
  do not continue merged down (``w:vMerge``), or a continuation row with an empty STT.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.text import WD_BREAK
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.table import Table, _Cell

ROOT = Path(__file__).resolve().parent.parent
SEED_PLANS = ROOT / "seed" / "plans"


@dataclass(frozen=True)
class Span:
    """A cell merged over ``cols`` grid columns (w:gridSpan)."""

    text: str
    cols: int
    bold: bool = False


class _Above:
    """A cell merged with the one above it (w:vMerge continue)."""


ABOVE = _Above()
Cell = str | Span | _Above


@dataclass(frozen=True)
class TableRow:
    cells: Sequence[Cell]
    header: bool = False  # repeated at the top of each page (w:tblHeader)


class PlanDocument:
    """A Word document being written: paragraphs, headings, tables, as Word lays them."""

    suffix = ".docx"

    def __init__(self) -> None:
        self.doc = Document()
        self.bullet = self._list("bullet", "-")
        self.numbered = self._list("decimal", "%1.")

    def _list(self, fmt: str, text: str) -> str:
        """A list definition in numbering.xml; its w:numId."""
        numbering = self.doc.part.numbering_part.element
        ids = [int(n.get(qn("w:numId"))) for n in numbering.findall(qn("w:num"))]
        abstract = [
            int(a.get(qn("w:abstractNumId"))) for a in numbering.findall(qn("w:abstractNum"))
        ]
        num_id, abstract_id = max(ids, default=0) + 1, max(abstract, default=0) + 1
        numbering.insert(
            0,
            parse_xml(
                f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{abstract_id}">'
                f'<w:multiLevelType w:val="singleLevel"/><w:lvl w:ilvl="0"><w:start w:val="1"/>'
                f'<w:numFmt w:val="{fmt}"/><w:lvlText w:val="{text}"/><w:lvlJc w:val="left"/>'
                "</w:lvl></w:abstractNum>"
            ),
        )
        numbering.append(
            parse_xml(
                f'<w:num {nsdecls("w")} w:numId="{num_id}">'
                f'<w:abstractNumId w:val="{abstract_id}"/></w:num>'
            )
        )
        return str(num_id)

    def paragraph(self, text: str, *, bold: bool = False) -> None:
        run = self.doc.add_paragraph().add_run(text)
        run.bold = bold

    def page_break(self) -> None:
        self.doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    def header_block(self, issuer: Sequence[str], number: str, place_date: str) -> None:
        """The block above the title: issuer and number left, the nation's motto and the
        place and date right, in a table without borders."""
        table = self.doc.add_table(rows=2, cols=2)
        self._write(table.cell(0, 0), "\n".join(issuer))
        self._write(
            table.cell(0, 1), "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc"
        )
        self._write(table.cell(1, 0), f"Số: {number}")
        self._write(table.cell(1, 1), place_date)

    def signature(self, recipients: Sequence[str], signer: Sequence[str]) -> None:
        """ "Nơi nhận" left, the signer right: a table that is no task table."""
        table = self.doc.add_table(rows=1, cols=2)
        self._write(table.cell(0, 0), "\n".join(["Nơi nhận:", *(f"- {r}" for r in recipients)]))
        self._write(table.cell(0, 1), "\n".join(signer))

    def table(self, cols: int, rows: Sequence[TableRow]) -> Table:
        table = self.doc.add_table(rows=0, cols=cols)
        table.style = "Table Grid"
        for spec in rows:
            tr = table.add_row()._tr
            if spec.header:
                tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
            tcs = list(tr.tc_lst)
            at = 0
            for cell in spec.cells:
                tc = tcs[at]
                if isinstance(cell, Span):
                    tc.grid_span = cell.cols
                    for extra in tcs[at + 1 : at + cell.cols]:
                        tr.remove(extra)
                    self._write(_Cell(tc, table), cell.text, bold=cell.bold)
                    at += cell.cols
                    continue
                if cell is ABOVE:
                    tc.vMerge = "continue"
                else:
                    assert isinstance(cell, str)
                    self._write(_Cell(tc, table), cell)
                at += 1
        _restart_merges(table)
        return table

    def _write(self, cell: _Cell, text: str, *, bold: bool = False) -> None:
        """One paragraph per line; "- " lines as bullets, "#. " lines as a numbered list."""
        lines = [line for line in text.split("\n") if line.strip()] or [""]
        for i, line in enumerate(lines):
            paragraph = cell.paragraphs[0] if i == 0 else cell.add_paragraph()
            num_id = None
            if line.startswith("- "):
                num_id, line = self.bullet, line[2:]
            elif line.startswith("#. "):
                num_id, line = self.numbered, line[3:]
            if num_id is not None:
                num_pr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
                num_pr.get_or_add_ilvl().val = 0
                num_pr.get_or_add_numId().val = int(num_id)
            paragraph.add_run(line).bold = bold or None

    def save(self, path: Path) -> Path:
        self.doc.save(str(path))
        return path


def _restart_merges(table: Table) -> None:
    """The cell above each first ``continue`` opens the merge (w:vMerge restart)."""
    previous: dict[int, Any] = {}
    for tr in table._tbl.tr_lst:
        col = 0
        for tc in tr.tc_lst:
            if tc.vMerge == "continue":
                above = previous.get(col)
                if above is not None and above.vMerge is None:
                    above.vMerge = "restart"
            else:
                previous[col] = tc
            col += tc.grid_span


# --- the seed plans as Word documents ------------------------------------------------------


def read_seed(path: Path) -> tuple[dict[str, str], list[str], list[list[str]]]:
    """(metadata, header, rows) of a seed plan's CSV."""
    with path.open(encoding="utf-8", newline="") as f:
        records = list(csv.reader(f))
    blank = records.index([])
    meta = {r[0]: r[1] for r in records[:blank]}
    return meta, records[blank + 1], [r for r in records[blank + 2 :] if any(r)]


# The appendix titles of plan 336 (shared/seeds/002), each naming the lead of its tasks.
APPENDIX_336 = {
    "1": "THUỘC TRÁCH NHIỆM THEO DÕI, QUẢN LÝ CỦA SỞ NỘI VỤ",
    "3": "THUỘC TRÁCH NHIỆM THEO DÕI, QUẢN LÝ CỦA VĂN PHÒNG ỦY BAN NHÂN DÂN TỈNH",
    "5": "THUỘC TRÁCH NHIỆM THEO DÕI, QUẢN LÝ CỦA SỞ THÔNG TIN VÀ TRUYỀN THÔNG",
    "23": "THUỘC TRÁCH NHIỆM THỰC HIỆN CỦA ỦY BAN NHÂN DÂN CÁC HUYỆN, THÀNH PHỐ",
    "24": "THUỘC TRÁCH NHIỆM THỰC HIỆN CỦA ỦY BAN NHÂN DÂN CÁC XÃ, PHƯỜNG, THỊ TRẤN",
}
_ROMAN_OR_LETTER = re.compile(r"^([IVX]+|[A-Z])(?:\s+(.*))?$")


def _bullets(text: str) -> str:
    """A cell's " - " items as bullet paragraphs, and those typed against their word
    ("-Đề cao", as seed 002's Phụ lục 24 has them): read back, they join with the space."""
    parts = re.split(r" -(?: |(?=[^\W\d_]))", text)
    if len(parts) == 1:
        return text  # "- item" alone is a bullet paragraph too
    first = parts[0]
    head = [f"- {first[2:]}"] if first.startswith("- ") else [first]
    return "\n".join(head + [f"- {p}" for p in parts[1:]])


def _paragraphs(text: str) -> str:
    """A long cell as several paragraphs, one per sentence, as officers type them."""
    if "\n" in text or len(text) < 300:
        return _bullets(text)
    return "\n".join(_bullets(s) for s in re.split(r"(?<=\.) (?=[A-ZĐ])", text))


def _section_cells(number: str, title: str, cols: int, spread: bool) -> list[Cell]:
    """A section row: one cell over the whole width ("I. TITLE"), or the numeral in STT
    and the title over the other columns."""
    if spread:
        return [Span(f"{number}. {title}" if title else number, cols)]
    return [number, Span(title, cols - 1)]


def _task_table(
    document: Any,
    header: list[str],
    rows: list[list[str]],
    *,
    full_width_sections: bool,
    merge_deadlines: bool = False,
    split_long_rows: bool = False,
) -> None:
    """The rows of one table; a header row that comes again (a page's) is kept, as a
    document converted from print has it."""
    cols = len(header)
    number_col = 0
    deadline_col = next(
        i for i, h in enumerate(header) if "tiến độ" in h.lower() or "thời gian" in h.lower()
    )
    out: list[TableRow] = [TableRow(header, header=True)]
    previous_deadline: str | None = None
    for row in rows:
        cells = (row + [""] * cols)[:cols]
        number = cells[number_col]
        rest = [c for i, c in enumerate(cells) if i != number_col and c]
        m = _ROMAN_OR_LETTER.match(number)
        if cells == header:
            out.append(TableRow(list(cells)))
            previous_deadline = None
            continue
        if m and (not rest or (len(rest) == 1 and not cells[deadline_col])):
            title = m.group(2) or (rest[0] if rest else "")
            out.append(TableRow(_section_cells(m.group(1), title, cols, full_width_sections)))
            previous_deadline = None
            continue
        written: list[Cell] = [_paragraphs(c) for c in cells]
        if (
            merge_deadlines
            and number
            and previous_deadline == cells[deadline_col]
            and cells[deadline_col]
        ):
            written[deadline_col] = ABOVE
        previous_deadline = cells[deadline_col] if number else None
        task_col = max(range(cols), key=lambda i: len(cells[i]))
        if split_long_rows and number and len(cells[task_col]) > 600:
            # Over a page: the row goes on in a second w:tr, whose STT and other cells are
            # merged down from the first.
            text = cells[task_col]
            cut = text.index(" ", len(text) // 2)
            first, second = list(written), [ABOVE] * cols
            first[task_col], second[task_col] = (
                _paragraphs(text[:cut]),
                _paragraphs(text[cut + 1 :]),
            )
            out.extend([TableRow(first), TableRow(second)])
            continue
        out.append(TableRow(written))
    document.table(cols, out)


def seed_document(csv_path: Path, folder: Path, document: Any = None) -> Path:
    """The Word document of a seed plan, as its real document lays it out; written by
    ``document`` instead where given (a PDF: :class:`tests.pdf_plans.PlanPdf`, which takes
    the same calls)."""
    meta, header, rows = read_seed(csv_path)
    name = csv_path.stem
    document = document or PlanDocument()
    if name.startswith("000"):  # the appendix alone: its number and date in "Kèm theo"
        document.paragraph("PHỤ LỤC", bold=True)
        document.paragraph("CÁC NHIỆM VỤ, GIẢI PHÁP NHẰM NÂNG CAO CHỈ SỐ SIPAS NĂM 2024")
        document.paragraph(
            "(Kèm theo Kế hoạch số 126 /KH-UBND ngày 03 /6/2024 của Ủy ban nhân dân tỉnh)"
        )
        _task_table(document, header, rows, full_width_sections=True)
    elif name.startswith("002"):  # 24 appendices, one per lead; no lead column
        document.header_block(
            ["ỦY BAN NHÂN DÂN", "TỈNH ĐỒNG NAI"],
            "336/KH-UBND",
            "Đồng Nai, ngày 15 tháng 10 năm 2024",
        )
        document.paragraph("KẾ HOẠCH", bold=True)
        document.paragraph(meta["Trích yếu"].upper())
        document.paragraph(
            "Thực hiện Chỉ thị số 36-CT/TU ngày 06/8/2024 của Ban Thường vụ Tỉnh ủy…"
        )
        document.signature(["Sở Nội vụ;", "Lưu: VT, HCC."], ["CHỦ TỊCH", "Võ Tấn Đức"])
        lead_at = header.index("Cơ quan chủ trì")
        appendices: list[tuple[str, list[list[str]]]] = []
        for row in rows:
            if row[0].startswith("Phụ lục"):
                appendices.append((row[0].split()[-1], []))
            else:
                appendices[-1][1].append(row)
        for number, body in appendices:
            leads = {r[lead_at] for r in body if r[0][:1].isdigit()}
            assert len(leads) == 1, leads  # the appendix's title names it
            document.page_break()
            document.paragraph(f"PHỤ LỤC {number}", bold=True)
            document.paragraph(
                "CÁC NHIỆM VỤ, GIẢI PHÁP ĐỂ NÂNG CAO CÁC CHỈ SỐ (PAPI, SIPAS, PAR INDEX)"
            )
            document.paragraph(APPENDIX_336[number])
            document.paragraph(
                "(Kèm theo Kế hoạch số 336/KH-UBND ngày 15 tháng 10 năm 2024 của Chủ tịch Ủy "
                "ban nhân dân tỉnh)"
            )
            without_lead = [[c for i, c in enumerate(r) if i != lead_at] for r in body]
            _task_table(
                document, [h for i, h in enumerate(header) if i != lead_at], without_lead,
                full_width_sections=False, merge_deadlines=True,
            )  # fmt: skip
    else:
        issuer = meta["Cơ quan ban hành"]
        province = {"001": "LẠNG SƠN", "003": "KHÁNH HÒA", "004": "SÓC TRĂNG"}[name[:3]]
        lines = (
            ["ỦY BAN NHÂN DÂN", f"TỈNH {province}"]
            if issuer == "UBND tỉnh"
            else [f"UBND TỈNH {province}", issuer.upper()]
        )
        number = meta["Số kế hoạch"]
        if not number[:1].isdigit():  # the original leaves it blank, to be numbered
            number = "      /KH-" + number.split("-")[1]
        day = meta.get("Ngày ban hành", "")
        if day:
            d, m, y = (int(x) for x in day.split("/"))
            when = f"{province.title()}, ngày {d:02d} tháng {m} năm {y}"
        else:
            when = f"{province.title()}, ngày      tháng      năm {meta['Năm']}"
        document.header_block(lines, number, when)
        document.paragraph("ĐỀ ÁN" if "Đề án" in meta["Trích yếu"] else "KẾ HOẠCH", bold=True)
        document.paragraph(meta["Trích yếu"].upper())
        document.paragraph("Căn cứ tình hình thực tế, ban hành kế hoạch như sau:")
        document.signature(["Như trên;", "Lưu: VT."], ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"])
        document.page_break()
        document.paragraph("PHỤ LỤC", bold=True)
        document.paragraph("NHIỆM VỤ CỤ THỂ")
        _task_table(
            document, header, rows, full_width_sections=name.startswith("003"),
            split_long_rows=name.startswith("001"),
        )  # fmt: skip
    return Path(document.save(folder / f"{name}{document.suffix}"))


NESTED = "bang_long"  # plan 21/KH-SNV, tables laid inside its cells


def nested_tables(folder: Path) -> Path:
    """Plan 21/KH-SNV: a task whose text goes on in a two-column table inside its cell
    ("lĩnh vực hộ tịch | tháng 1"), and whose coordinating agencies are a one-column
    table in theirs, both ruled ("Table Grid"), as an officer lays them out in Word."""
    document = PlanDocument()
    document.paragraph("Số: 21/KH-SNV")
    header = ["STT", "Nhiệm vụ cụ thể", "Tiến độ", "Cơ quan chủ trì", "Cơ quan phối hợp"]
    table = document.table(5, [TableRow(header, header=True),
                               TableRow(["1", "Rà soát thủ tục:", "Quý I/2025", "Sở Nội vụ", ""])])  # fmt: skip
    steps = table.cell(1, 1).add_table(rows=2, cols=2)
    agencies = table.cell(1, 4).add_table(rows=2, cols=1)
    for inner in (steps, agencies):
        inner.style = "Table Grid"
    for r, (what, when) in enumerate([("lĩnh vực hộ tịch", "tháng 1"), ("lĩnh vực đất đai", "")]):
        steps.cell(r, 0).text, steps.cell(r, 1).text = what, when
    agencies.cell(0, 0).text, agencies.cell(1, 0).text = "Sở Tư pháp", "Sở Y tế"
    return Path(document.save(folder / f"{NESTED}.docx"))


def struck_heading(folder: Path) -> Path:
    """Plan 34/KH-SNV: its section "II. NHÓM HAI" struck out in Word, the task under it
    numbered 1 again, so it clashes with the task of section I: refused, with a note."""
    document = PlanDocument()
    document.paragraph("Số: 34/KH-SNV")
    header = ["STT", "Nhiệm vụ cụ thể", "Tiến độ", "Cơ quan chủ trì", "Cơ quan phối hợp"]
    table = document.table(5, [
        TableRow(header, header=True), TableRow(["I", "NHÓM MỘT", "", "", ""]),
        TableRow(["1", "Rà soát thủ tục", "Quý I/2025", "Sở Tư pháp", ""]),
        TableRow(["", "", "", "", ""]),
        TableRow(["1", "Báo cáo", "Quý III/2025", "Sở Y tế", ""]),
    ])  # fmt: skip
    for column, text in ((0, "II"), (1, "NHÓM HAI")):
        table.cell(3, column).paragraphs[0].add_run(text).font.strike = True
    return Path(document.save(folder / "struck-heading.docx"))


LAYOUTS = "bo_cuc"  # plan 22/KH-SNV, appendices' task tables laid in layout tables
UNRULED = "khong_ke"  # plan 23/KH-SNV, tables inside cells drawn with no rules


def inner_table(cell: _Cell, rows: Sequence[Sequence[str]], *, ruled: bool = True) -> Table:
    """A table written in ``cell`` (after its empty first paragraph, as Word inserts one),
    one row per item of ``rows``; ruled ("Table Grid") or not (Word's plain table)."""
    table = cell.add_table(rows=len(rows), cols=len(rows[0]))
    if ruled:
        table.style = "Table Grid"
    for row, values in zip(table.rows, rows, strict=True):
        for c, value in zip(row.cells, values, strict=True):
            c.text = value
    return table


def layout_tables(folder: Path) -> Path:
    """Plan 22/KH-SNV: a task table, then two appendices whose task tables an officer laid
    in layout tables: Phụ lục 2's in the middle cell of three with no rules (a note left,
    a stamp's place right), Phụ lục 3's, with its title above it, in the left cell of two
    drawn with rules (a note right); the appendices' rows name no lead or their own."""
    header = ["STT", "Nội dung nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp", "Tiến độ"]
    document = PlanDocument()
    document.paragraph("Số: 22/KH-SNV")
    document.table(5, [TableRow(header, header=True),
                       TableRow(["1", "Việc chính", "Sở Nội vụ", "", "Quý I/2025"])])  # fmt: skip
    document.paragraph("PHỤ LỤC 2")
    document.paragraph("CÁC NHIỆM VỤ THUỘC TRÁCH NHIỆM CỦA SỞ TƯ PHÁP")
    layout = document.doc.add_table(rows=1, cols=3)
    layout.cell(0, 0).text, layout.cell(0, 2).text = "Ghi chú: xem thêm", "Dấu"
    inner_table(layout.cell(0, 1), [header, ["1", "Việc giữa A", "", "", "Quý II/2025"],
                                     ["2", "Việc giữa B", "Sở Xây dựng", "", "Quý III/2025"]])  # fmt: skip
    document.paragraph("")
    layout = document.doc.add_table(rows=1, cols=2)
    layout.style = "Table Grid"
    cell = layout.cell(0, 0)
    cell.paragraphs[0].text = "PHỤ LỤC 3"
    cell.add_paragraph("CÁC NHIỆM VỤ CỦA SỞ TÀI CHÍNH")
    inner_table(cell, [header, ["1", "Việc trái A", "", "", "Tháng 7/2025"],
                        ["2", "Việc trái B", "Sở Nội vụ", "Sở Tư pháp", "Tháng 9/2025"]])  # fmt: skip
    layout.cell(0, 1).text = "Khung bên phải"
    document.signature(["Như trên"], ["GIÁM ĐỐC", "Nguyễn Văn A"])
    return Path(document.save(folder / f"{LAYOUTS}.docx"))


def unruled_tables(folder: Path) -> Path:
    """Plan 23/KH-SNV: a task whose cell holds a small table with no rules ("Chỉ tiêu |
    Mức"), and Phụ lục 2, whose task table (with no rules) an officer laid in the right
    cell of a layout table, a note in the left one."""
    header = ["STT", "Nội dung nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp", "Tiến độ"]
    document = PlanDocument()
    document.paragraph("Số: 23/KH-SNV")
    table = document.table(5, [TableRow(header, header=True),
                               TableRow(["1", "Việc có bảng con:", "Sở Nội vụ", "", "Quý I/2025"]),
                               TableRow(["2", "Việc hai", "Sở Tư pháp", "", "Quý II/2025"])])  # fmt: skip
    inner_table(table.cell(1, 1), [["Chỉ tiêu", "Mức"], ["Tỷ lệ hồ sơ đúng hạn", "98%"]],
                 ruled=False)  # fmt: skip
    document.paragraph("PHỤ LỤC 2")
    layout = document.doc.add_table(rows=1, cols=2)
    layout.cell(0, 0).text = "Ghi chú bên trái"
    inner_table(layout.cell(0, 1), [header, ["1", "Việc trong bảng bố cục", "Sở Xây dựng", "",
                                              "Quý III/2025"]], ruled=False)  # fmt: skip
    document.signature(["Như trên"], ["GIÁM ĐỐC", "Nguyễn Văn A"])
    return Path(document.save(folder / f"{UNRULED}.docx"))


DEEP = "hai_tang"  # plan 24/KH-SNV, a task table two layout tables deep


def deep_layout(folder: Path) -> Path:
    """Plan 24/KH-SNV: Phụ lục 1's task table in the right cell of a layout table laid in
    the right cell of another, each left cell a short note; no rules but the task table's,
    which the two layouts squeeze to a few letters a line when printed."""
    header = ["STT", "Nội dung nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp", "Tiến độ"]
    document = PlanDocument()
    document.paragraph("Số: 24/KH-SNV")
    document.paragraph("PHỤ LỤC 1")
    document.paragraph("CÁC NHIỆM VỤ THUỘC TRÁCH NHIỆM CỦA SỞ NỘI VỤ")
    outer = document.doc.add_table(rows=1, cols=2)
    outer.cell(0, 0).text = "Khung ngoài"
    middle = outer.cell(0, 1).add_table(rows=1, cols=2)
    middle.cell(0, 0).text = "Khung trong"
    inner_table(middle.cell(0, 1), [header, ["1", "Việc sâu A", "", "", "Quý II/2025"],
                                      ["2", "Việc sâu B", "Sở Xây dựng", "", "Quý III/2025"]])  # fmt: skip
    document.signature(["Như trên"], ["GIÁM ĐỐC", "Nguyễn Văn A"])
    return Path(document.save(folder / f"{DEEP}.docx"))


def main(folder: Path) -> None:
    """Write the seed plans as Word documents into ``folder`` (README, "Try it")."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in sorted(SEED_PLANS.glob("*.csv")):
        print(seed_document(path, folder))


if __name__ == "__main__":
    import sys

    main(Path(sys.argv[1] if len(sys.argv) > 1 else "."))
