"""The seed plans as LibreOffice exports them to PDF: test data for
``tests/test_pdf_import.py`` (CI has no LibreOffice, so the PDFs are committed).

Each is the Word document :func:`tests.docx_plans.seed_document` writes for a seed plan,
converted by ``soffice --headless --convert-to pdf``, as an agency that writes its plan in
LibreOffice publishes it. A LibreOffice export is not a reportlab drawing: a header row
repeated mid-page and broken over a page (plan 2228), deadlines merged down over page
breaks under a repeated header (plan 336), combining marks drawn apart from their letters.

And a plan of its own in narrow columns (:func:`narrow_columns`): a date broken over
two lines, bullets drawn in OpenSymbol, the header block's motto wrapped; one with
tables drawn inside its cells (:func:`tests.docx_plans.nested_tables`); two revised by
hand, text struck through (:func:`struck_plan`, :func:`struck_cells`), which LibreOffice
prints as lines drawn through the letters; one whose appendices' task tables are laid in
layout tables (:func:`tests.docx_plans.layout_tables`), one whose inner tables have no
rules (:func:`tests.docx_plans.unruled_tables`) and one whose task table two layouts
deep prints too narrow to read (:func:`tests.docx_plans.deep_layout`); two whose header
of two rows, repeated on each page, LibreOffice prints too short for its text
(:func:`repeated_header`); one whose cells' text is set turned (:func:`turned_cells`); one with a row struck whole
broken over a page (:func:`struck_split`).

Plan 336 is trimmed to its first two appendices (:data:`SEEDS`) to keep the file small;
:func:`seed_csv` writes the same trim of its CSV, which the tests compare it with.

Regenerate (from the repository's root, LibreOffice installed)::

    python -m tests.data.libreoffice.make_pdfs
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_UNDERLINE
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from tests.docx_plans import (
    ABOVE,
    DEEP,
    LAYOUTS,
    NESTED,
    SEED_PLANS,
    UNRULED,
    PlanDocument,
    Span,
    TableRow,
    deep_layout,
    layout_tables,
    nested_tables,
    seed_document,
    unruled_tables,
)

HERE = Path(__file__).resolve().parent
# seed plan → the CSV's lines kept (None: all of it)
SEEDS: dict[str, int | None] = {"002_dongnai_336_2024": 60, "004_soctrang_2228_2022": None}


def seed_csv(name: str, folder: Path) -> Path:
    """The seed plan's CSV as the committed PDF holds it (trimmed where :data:`SEEDS` says),
    written into ``folder`` under the seed's own name."""
    keep = SEEDS[name]
    source = SEED_PLANS / f"{name}.csv"
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    path = folder / source.name
    path.write_text("".join(lines[:keep] if keep else lines), encoding="utf-8")
    return path


NARROW = "hep_cot"  # a plan of its own: narrow columns (see :func:`narrow_columns`)
NARROW_HEADER = [
    "STT", "Nội dung công việc", "Cơ quan chủ trì", "Cơ quan phối hợp", "Kết quả/sản phẩm",
    "Ghi chú", "Thời gian hoàn thành",
]  # fmt: skip


def narrow_columns(folder: Path) -> Path:
    """Plan 12/KH-UBND in a table of seven columns, as wide as the page: a date broken
    over two lines by its column's width, a date that does not exist, bulleted lines;
    the nation's motto wrapped in the header block."""
    document = PlanDocument()
    document.header_block(
        ["ỦY BAN NHÂN DÂN", "TỈNH ĐỒNG NAI"], "12/KH-UBND", "Đồng Nai, ngày 05 tháng 3 năm 2025"
    )
    document.paragraph("KẾ HOẠCH", bold=True)
    document.paragraph("Cải cách hành chính năm 2025")
    rows = [
        ["1", "Kiểm tra việc thực hiện văn bản:\n- Kiểm tra tại các sở;\n- Kiểm tra tại UBND "
         "cấp huyện.", "Sở Tư pháp", "Sở Nội vụ", "Báo cáo", "", "31/12/2025"],
        ["2", "Số hóa hồ sơ thủ tục hành chính", "Sở Nội vụ", "", "Tỷ lệ 100%", "", "30/11/2025"],
        ["3", "Rà soát quy trình nội bộ", "Sở Nội vụ", "", "Quyết định", "", "31/02/2025"],
    ]  # fmt: skip
    document.table(7, [TableRow(NARROW_HEADER, header=True), *(TableRow(r) for r in rows)])
    return Path(document.save(folder / f"{NARROW}.docx"))


STRUCK = "gach_ngang"  # text struck through (see :func:`struck_plan`)
STRUCK_EMPTY = "gach_het_o"  # cells whose text is all struck through (:func:`struck_cells`)
STRUCK_HEADER = ["STT", "Nội dung công việc", "Cơ quan chủ trì", "Cơ quan phối hợp",
                 "Thời gian hoàn thành"]  # fmt: skip


def _runs(paragraph: Any, *runs: tuple[str, dict[str, Any]]) -> None:
    """``paragraph`` (python-docx) emptied, then runs of it, each (text, font settings:
    strike, double_strike, underline, bold; or "style": a character style's name)."""
    paragraph.text = ""
    for text, how in runs:
        run = paragraph.add_run(text)
        for name, value in how.items():
            if name == "style":
                run.style = value
            else:
                setattr(run.font, name, value)


def _bottom_border(paragraph: Any) -> None:
    """A border drawn right under the paragraph's text (w:pBdr, no space)."""
    paragraph._p.get_or_add_pPr().append(parse_xml(
        f'<w:pBdr {nsdecls("w")}><w:bottom w:val="single" w:sz="6" w:space="0" '
        'w:color="000000"/></w:pBdr>'
    ))  # fmt: skip


def struck_plan(folder: Path) -> Path:
    """Plan 41/KH-UBND revised by hand: a phrase of a task struck over the cell's line
    wraps, a lead struck before the one that replaces it, a whole row struck, a lead
    struck twice (w:dstrike), a deadline struck by a character style, a word of the title
    struck; and what is no strike: an underlined header (single and double), underlined
    and bold cells, a paragraph border right under a cell's text, an underlined line."""
    document = PlanDocument()
    document.header_block(
        ["ỦY BAN NHÂN DÂN", "TỈNH ĐỒNG NAI"], "41/KH-UBND", "Đồng Nai, ngày 05 tháng 3 năm 2025"
    )
    document.paragraph("KẾ HOẠCH", bold=True)
    doc = document.doc
    _runs(doc.add_paragraph(), ("Cải cách hành chính ", {}), ("năm 2024", {"strike": True}),
          (" năm 2025", {}))  # fmt: skip
    _runs(doc.add_paragraph(), ("Căn cứ Kế hoạch số 12/KH-UBND của tỉnh", {"underline": True}))
    crossed = doc.styles.add_style("Gạch bỏ", WD_STYLE_TYPE.CHARACTER)
    crossed.font.strike = True
    rows = [
        ["1", "", "", "", "Quý I/2025"],
        ["2", "Việc 2", "Sở Tư pháp", "", "Quý II/2025"],
        ["3", "", "", "", ""],
        ["4", "", "", "", "Quý IV/2025"],
    ]
    table = document.table(5, [TableRow(STRUCK_HEADER, header=True),
                               *(TableRow(r) for r in rows)])  # fmt: skip
    cell = table.cell
    for col, text in enumerate(STRUCK_HEADER):
        underline = WD_UNDERLINE.DOUBLE if col == 2 else True
        _runs(cell(0, col).paragraphs[0], (text, {"underline": underline, "bold": True}))
    _runs(cell(1, 1).paragraphs[0], ("Việc 1 ", {}), ("và báo cáo Bộ Nội vụ", {"strike": True}))
    _runs(cell(1, 2).paragraphs[0], ("Sở Tài chính", {"strike": True}), (" Sở Nội vụ", {}))
    _runs(cell(1, 3).paragraphs[0], ("Sở Tư pháp", {"underline": True}))
    for tc in table.rows[2].cells:
        for run in tc.paragraphs[0].runs:
            run.font.strike = True
    _runs(cell(3, 1).paragraphs[0], ("Việc 3", {"bold": True}))
    _runs(cell(3, 2).paragraphs[0], ("Sở Nội vụ", {"double_strike": True}), (" Sở Tư pháp", {}))
    _runs(cell(3, 3).paragraphs[0], ("Sở Y tế", {}))
    _bottom_border(cell(3, 3).paragraphs[0])
    _runs(cell(3, 4).paragraphs[0], ("Quý I/2025", {"style": "Gạch bỏ"}), (" Quý III/2025", {}))
    _runs(
        cell(4, 1).paragraphs[0], ("Việc 4 ", {}), ("đúng hạn", {"underline": WD_UNDERLINE.DOUBLE})
    )
    _bottom_border(cell(4, 1).paragraphs[0])
    _runs(cell(4, 2).paragraphs[0], ("Sở Y tế", {"underline": True, "bold": True}))
    return Path(document.save(folder / f"{STRUCK}.docx"))


def struck_cells(folder: Path) -> Path:
    """Plan 42/KH-UBND: a lead, a task's text and a deadline each struck through whole,
    nothing written in their place: the cells are empty as read."""
    document = PlanDocument()
    document.paragraph("Số: 42/KH-UBND")
    rows = [
        ["1", "Việc 1", "", "", "Quý I/2025"],
        ["2", "", "Sở Nội vụ", "", "Quý II/2025"],
        ["3", "Việc 3", "Sở Tư pháp", "", ""],
    ]
    table = document.table(5, [TableRow(STRUCK_HEADER, header=True),
                               *(TableRow(r) for r in rows)])  # fmt: skip
    for row, col, text in ((1, 2, "Sở Tài chính"), (2, 1, "Việc 2"), (3, 4, "Quý III/2025")):
        _runs(table.cell(row, col).paragraphs[0], (text, {"strike": True}))
    return Path(document.save(folder / f"{STRUCK_EMPTY}.docx"))


REPEATED = "tieu_de_lap"  # a two-row header repeated on each page (:func:`repeated_header`)
REPEATED_NUMBERED = "tieu_de_lap_so_cot"  # the same with a numbering row "(1)…(6)" under it
_LONG_TASK = (
    "Rà soát, cập nhật, công khai đầy đủ, kịp thời các thủ tục hành chính trên Cổng Dịch vụ "
    "công quốc gia và Hệ thống thông tin giải quyết thủ tục hành chính của tỉnh; niêm yết tại "
    "Bộ phận Một cửa các cấp; hướng dẫn tổ chức, cá nhân thực hiện dịch vụ công trực tuyến "
    "toàn trình, một phần; tăng cường thanh toán trực tuyến phí, lệ phí; số hóa hồ sơ, kết quả "
    "giải quyết thủ tục hành chính theo quy định"
)
REPEATED_LEADS = ["Sở Nội vụ", "Sở Tư pháp", "Văn phòng UBND tỉnh", "Sở Tài chính", "Sở Y tế"]


def repeated_header(folder: Path, *, numbered: bool) -> Path:
    """Plan 43/KH-UBND: six narrow columns under a header of two rows ("Cơ quan thực hiện"
    over "Chủ trì | Phối hợp"; "Thời gian hoàn thành" wrapped over three lines), with the
    numbering row "(1) … (6)" under it when ``numbered``, all marked to repeat on each page;
    every third task long enough to break over a page. LibreOffice prints the header again
    on each page no taller than it fits: the deadline header's last word ("thành") below
    its rule, hidden behind the row under it. Tasks 1…12: lead :data:`REPEATED_LEADS` in
    turn, deadline "Tháng k/2025"."""
    document = PlanDocument()
    document.paragraph("Số: 43/KH-UBND")
    document.paragraph("PHỤ LỤC 1", bold=True)
    document.paragraph("DANH MỤC NHIỆM VỤ NĂM 2025", bold=True)
    head = [Span(t, 1, bold=True) for t in ("STT", "Nội dung công việc")]
    rows = [
        TableRow([*head, Span("Cơ quan thực hiện", 2, bold=True),
                  Span("Thời gian hoàn thành", 1, bold=True), Span("Sản phẩm", 1, bold=True)],
                 header=True),
        TableRow([ABOVE, ABOVE, Span("Chủ trì", 1, bold=True), Span("Phối hợp", 1, bold=True),
                  ABOVE, ABOVE], header=True),
    ]  # fmt: skip
    if numbered:
        rows.append(TableRow([Span(f"({i})", 1, bold=True) for i in range(1, 7)], header=True))
    for k in range(1, 13):
        task = _LONG_TASK if k % 3 == 1 else f"Nhiệm vụ số {k}"
        lead = REPEATED_LEADS[(k - 1) % len(REPEATED_LEADS)]
        rows.append(TableRow([str(k), task, lead, "", f"Tháng {k}/2025", "Báo cáo kết quả"]))
    document.table(6, rows)
    name = REPEATED_NUMBERED if numbered else REPEATED
    return Path(document.save(folder / f"{name}.docx"))


STRUCK_SPLIT = "gach_ca_dong_qua_trang"  # a row struck whole over pages (:func:`struck_split`)


def struck_split(folder: Path) -> Path:
    """Plan 45/KH-UBND: five tasks, each long (:data:`_LONG_TASK` twice), the header
    repeated on each page; task 4 struck through whole, broken over a page."""
    document = PlanDocument()
    document.paragraph("Số: 45/KH-UBND")
    rows = [
        [
            str(k),
            f"{_LONG_TASK} {_LONG_TASK}",
            REPEATED_LEADS[k - 1],
            "",
            f"Quý {'I' * min(k, 3)}/2025",
        ]
        for k in range(1, 6)
    ]
    table = document.table(5, [TableRow(STRUCK_HEADER, header=True),
                               *(TableRow(r) for r in rows)])  # fmt: skip
    for tc in table.rows[4].cells:
        for paragraph in tc.paragraphs:
            for run in paragraph.runs:
                run.font.strike = True
    return Path(document.save(folder / f"{STRUCK_SPLIT}.docx"))


TURNED = "chu_xoay"  # text set turned in its cells (see :func:`turned_cells`)


def _text_direction(cell: Any, way: str) -> None:
    """The cell's text set turned (w:textDirection: "btLr" read bottom to top, "tbRl" top
    to bottom), as narrow columns' headers, STT and deadlines often are."""
    cell._tc.get_or_add_tcPr().append(parse_xml(f'<w:textDirection {nsdecls("w")} w:val="{way}"/>'))


def turned_cells(folder: Path) -> Path:
    """Plan 44/KH-UBND: the header's STT, lead and deadline cells set bottom to top; task
    1's deadline "Quý IV/2025" bottom to top, task 2's lead "Văn phòng UBND tỉnh" top to
    bottom; task 3 upright."""
    document = PlanDocument()
    document.paragraph("Số: 44/KH-UBND")
    rows = [
        ["1", "Xây dựng phần mềm theo dõi", "Sở Nội vụ", "Sở Tư pháp", "Quý IV/2025"],
        ["2", "Kiểm tra công tác cải cách", "Văn phòng UBND tỉnh", "", "Tháng 6/2025"],
        ["3", "Số hóa hồ sơ", "Sở Tư pháp", "", "Quý III/2025"],
    ]
    table = document.table(5, [TableRow(STRUCK_HEADER, header=True),
                               *(TableRow(r) for r in rows)])  # fmt: skip
    for col in (0, 2, 4):
        _text_direction(table.cell(0, col), "btLr")
    _text_direction(table.cell(1, 4), "btLr")
    _text_direction(table.cell(2, 2), "tbRl")
    return Path(document.save(folder / f"{TURNED}.docx"))


def main() -> None:
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None:
        raise SystemExit("LibreOffice (soffice) is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name in SEEDS:
            document = seed_document(seed_csv(name, folder), folder)
            subprocess.run(
                [office, "--headless", "--convert-to", "pdf", "--outdir", str(HERE), str(document)],
                check=True, capture_output=True, timeout=300,
            )  # fmt: skip
            print(HERE / f"{name}.pdf")
        made = (
            (NARROW, narrow_columns(folder)), (NESTED, nested_tables(folder)),
            (STRUCK, struck_plan(folder)), (STRUCK_EMPTY, struck_cells(folder)),
            (LAYOUTS, layout_tables(folder)), (UNRULED, unruled_tables(folder)),
            (DEEP, deep_layout(folder)),
            (REPEATED, repeated_header(folder, numbered=False)),
            (REPEATED_NUMBERED, repeated_header(folder, numbered=True)),
            (TURNED, turned_cells(folder)),
            (STRUCK_SPLIT, struck_split(folder)),
        )  # fmt: skip
        for name, document in made:
            subprocess.run(
                [office, "--headless", "--convert-to", "pdf", "--outdir", str(HERE), str(document)],
                check=True, capture_output=True, timeout=300,
            )  # fmt: skip
            print(HERE / f"{name}.pdf")


if __name__ == "__main__":
    main()
