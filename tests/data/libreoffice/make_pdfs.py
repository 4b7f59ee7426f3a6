"""The seed plans as LibreOffice exports them to PDF: test data for
``tests/test_pdf_import.py`` (CI has no LibreOffice, so the PDFs are committed).

Each is the Word document :func:`tests.docx_plans.seed_document` writes for a seed plan,
converted by ``soffice --headless --convert-to pdf``, as an agency that writes its plan in
LibreOffice publishes it. A LibreOffice export is not a reportlab drawing: a header row
repeated mid-page and broken over a page (plan 2228), deadlines merged down over page
breaks under a repeated header (plan 336), combining marks drawn apart from their letters.

And a plan of its own in narrow columns (:func:`narrow_columns`): a date broken over
two lines, bullets drawn in OpenSymbol, the header block's motto wrapped; one with
tables drawn inside its cells (:func:`tests.docx_plans.nested_tables`); one whose
appendices' task tables are laid in layout tables (:func:`tests.docx_plans.layout_tables`)
one whose inner tables have no rules (:func:`tests.docx_plans.unruled_tables`) and one
whose task table two layouts deep prints too narrow to read (:func:`tests.docx_plans.deep_layout`).

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

from tests.docx_plans import (
    DEEP,
    LAYOUTS,
    NESTED,
    SEED_PLANS,
    UNRULED,
    PlanDocument,
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
        for name, document in (
            (NARROW, narrow_columns(folder)),
            (NESTED, nested_tables(folder)),
            (LAYOUTS, layout_tables(folder)),
            (UNRULED, unruled_tables(folder)),
            (DEEP, deep_layout(folder)),
        ):
            subprocess.run(
                [office, "--headless", "--convert-to", "pdf", "--outdir", str(HERE), str(document)],
                check=True, capture_output=True, timeout=300,
            )  # fmt: skip
            print(HERE / f"{name}.pdf")


if __name__ == "__main__":
    main()
