"""The Word apology letter: a template edited in Word still fills every blank."""

from __future__ import annotations

from pathlib import Path

import pytest
from docx import Document

from bot.reports.letter import FIELDS, TEMPLATE, fill, text_of

VALUES = {name: f"[{name}]" for name in FIELDS} | {
    "chu_ho_so": "Nguyễn Văn An",
    "ten_mau": "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
    "so": "07/PXL-STP",
    "ly_do": "chờ ý kiến của Sở TN&MT <liên thông> về “ranh giới thửa đất”",
}


def word_edited_template(path: Path) -> Path:
    """Placeholders split over runs, as Word leaves them after an edit or a spell check."""
    document = Document()
    first = document.add_paragraph()
    for piece, bold in (("Kính gửi: {{chu_", False), ("ho_so}}", True), (".", False)):
        first.add_run(piece).bold = bold
    title = document.add_paragraph()
    for piece in ("{", "{ten_mau", "}", "}"):
        title.add_run(piece).italic = True
    reason = document.add_paragraph()
    for piece in ("Lý do: {{ ", "ly_do", " }}."):
        reason.add_run(piece)
    table = document.add_table(rows=1, cols=1)
    cell = table.cell(0, 0).paragraphs[0]
    for piece in ("Số: {{s", "o}}"):
        cell.add_run(piece).underline = True
    document.save(str(path))
    return path


def test_placeholders_split_over_runs_are_filled(tmp_path: Path) -> None:
    letter = text_of(fill(VALUES, word_edited_template(tmp_path / "xin_loi.docx")))
    assert "Kính gửi: Nguyễn Văn An." in letter
    assert "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in letter
    assert "Số: 07/PXL-STP" in letter
    assert f"Lý do: {VALUES['ly_do']}." in letter  # "&" and "<" kept as text, XML still valid
    assert "{" not in letter and "}" not in letter


def test_the_shipped_template_fills_every_field() -> None:
    letter = text_of(fill(VALUES))
    assert "{" not in letter
    for name in ("chu_ho_so", "so", "ly_do", "ngay_hen_moi", "ma_ho_so", "chuc_danh_ky"):
        assert VALUES[name] in letter


def test_a_missing_field_is_an_error_not_a_blank(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="dia_chi"):
        fill({k: v for k, v in VALUES.items() if k != "dia_chi"})
    assert TEMPLATE.is_file()
