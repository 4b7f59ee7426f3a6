"""The apology letter (văn bản xin lỗi và hẹn lại) as a Word document, from a template.

``templates/xin_loi.docx`` holds ``{{field}}`` placeholders (Jinja2). A province may edit
the template in Word, which splits a placeholder over several runs as soon as any part
of it is retyped or reformatted: ``docxtpl`` joins them again before rendering, keeps
the template's layout and fonts, and escapes the values for XML.
"""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt
from docxtpl import DocxTemplate
from jinja2 import Environment, StrictUndefined, UndefinedError

from bot.render import TEMPLATES

TEMPLATE = TEMPLATES / "xin_loi.docx"

FIELDS = (
    "co_quan", "so", "dia_danh", "ngay", "ten_mau", "so_mau", "chu_ho_so", "dia_chi", "dien_thoai",
    "ngay_tiep_nhan", "thu_tuc", "ma_ho_so", "ngay_hen", "ly_do", "ngay_hen_moi", "can_cu",
    "bo_phan_mot_cua", "chuc_danh_ky",
)  # fmt: skip


def fill(fields: dict[str, str], template: Path = TEMPLATE) -> bytes:
    missing = [f for f in FIELDS if f not in fields]
    if missing:
        raise ValueError(f"letter fields missing: {', '.join(missing)}")
    document = DocxTemplate(str(template))
    # A placeholder the template has but the fields lack is a bug, not an empty blank.
    env = Environment(undefined=StrictUndefined, autoescape=True)
    try:
        document.render(fields, jinja_env=env)
    except UndefinedError as exc:
        raise ValueError(f"template {template.name}: {exc.message}") from None
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def text_of(docx: bytes) -> str:
    """All the text of a .docx, paragraphs and tables: what a reader of the file sees."""
    document = Document(io.BytesIO(docx))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.extend(cell.text for cell in row.cells)
    return "\n".join(lines)


def build_template(path: Path = TEMPLATE) -> None:
    """Write the Word template (run ``python -m bot.reports.letter`` after changing it)."""
    document = Document()
    style = document.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(13)

    head = document.add_table(rows=2, cols=2)
    _runs(head.cell(0, 0).paragraphs[0], ["{{co_quan}}"], bold=True, center=True)
    _runs(head.cell(0, 1).paragraphs[0], ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc"],
          bold=True, center=True)  # fmt: skip
    _runs(head.cell(1, 0).paragraphs[0], ["Số: ", "{{so}}"], center=True)
    _runs(
        head.cell(1, 1).paragraphs[0], ["{{dia_danh}}", ", ", "{{ngay}}"], italic=True, center=True
    )

    _runs(document.add_paragraph(), ["{{ten_mau}}"], bold=True, center=True)
    _runs(document.add_paragraph(), ["(", "{{so_mau}}", ")"], italic=True, center=True)
    _runs(document.add_paragraph(), ["Kính gửi: ", "{{chu_ho_so}}"], bold=True, center=True)
    _runs(
        document.add_paragraph(),
        ["Địa chỉ: ", "{{dia_chi}}", "; Số điện thoại: ", "{{dien_thoai}}"],
    )
    _runs(document.add_paragraph(), [
        "Ngày ", "{{ngay_tiep_nhan}}", ", ", "{{co_quan}}", " tiếp nhận hồ sơ của Ông/Bà/Tổ chức đề nghị "
        "giải quyết thủ tục: ", "{{thu_tuc}}", ". Mã hồ sơ: ", "{{ma_ho_so}}", "."])  # fmt: skip
    _runs(
        document.add_paragraph(),
        ["Thời hạn trả kết quả giải quyết hồ sơ theo giấy hẹn: ", "{{ngay_hen}}", "."],
    )
    _runs(document.add_paragraph(), [
        "Tuy nhiên, đến nay, ", "{{co_quan}}", " chưa trả kết quả giải quyết hồ sơ của Ông/Bà/Tổ chức "
        "đúng hạn. Lý do: ", "{{ly_do}}", "."])  # fmt: skip
    _runs(document.add_paragraph(), [
        "Sự chậm trễ này đã gây phiền hà, tốn kém chi phí, công sức của Ông/Bà/Tổ chức. ", "{{co_quan}}",
        " xin lỗi Ông/Bà/Tổ chức và hẹn lại thời gian trả kết quả vào ngày ", "{{ngay_hen_moi}}", "."])  # fmt: skip
    _runs(document.add_paragraph(), ["Thực hiện theo ", "{{can_cu}}", "."], italic=True)
    _runs(document.add_paragraph(), ["Xin trân trọng cảm ơn./."])

    foot = document.add_table(rows=1, cols=2)
    _runs(foot.cell(0, 0).paragraphs[0], ["Nơi nhận:\n- ", "{{chu_ho_so}}", ";\n- ", "{{bo_phan_mot_cua}}",
                                          ";\n- Lưu: VT."], italic=True)  # fmt: skip
    _runs(foot.cell(0, 1).paragraphs[0], ["{{chuc_danh_ky}}", "\n(Ký, ghi rõ họ tên và đóng dấu)"],
          bold=True, center=True)  # fmt: skip
    document.save(str(path))


def _runs(paragraph: object, pieces: list[str], *, bold: bool = False, italic: bool = False,
          center: bool = False) -> None:  # fmt: skip
    for piece in pieces:
        run = paragraph.add_run(piece)  # type: ignore[attr-defined]
        run.bold, run.italic = bold, italic
    if center:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER  # type: ignore[attr-defined]


if __name__ == "__main__":
    build_template()
