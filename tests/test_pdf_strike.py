"""Text struck through in a PDF: a PDF has no strike attribute, so a strike is told from
the strokes drawn through the letters (:func:`bot.importers.pdf_strikes.find_struck`), and such
text is left out and warned about as the Word reader does for w:strike and w:dstrike. The
PDFs are LibreOffice's exports of the Word documents the tests also read
(tests/data/libreoffice/make_pdfs.py): Word and PDF must read the same."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pdfplumber
import pytest
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfgen import canvas
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.db import session_scope
from bot.importers.errors import ImportFailed
from bot.importers.pdf import read_pdf
from bot.importers.pdf_strikes import find_struck, strokes
from bot.importers.plans import import_plan
from bot.importers.word import read_word
from tests.data.libreoffice import make_pdfs as LIBREOFFICE
from tests.docx_plans import PlanDocument, TableRow
from tests.pdf_plans import PlanPdf  # noqa: F401 (registers the DejaVu font)
from tests.province import IMPORT_DAY, SETTINGS
from tests.test_word_import import registry, tasks_of

__all__ = ["registry"]

STRUCK_PDF = LIBREOFFICE.HERE / f"{LIBREOFFICE.STRUCK}.pdf"
EMPTIED_PDF = LIBREOFFICE.HERE / f"{LIBREOFFICE.STRUCK_EMPTY}.pdf"
_NOTE = "(coi như đã xóa): hãy đối chiếu văn bản, nếu chữ ấy còn hiệu lực thì bỏ gạch ngang rồi nhập lại"  # fmt: skip


def _char(text: str, x0: float, *, baseline: float = 100.0, size: float = 11.0,
          upright: bool = True) -> dict[str, Any]:  # fmt: skip
    """A letter as pdfplumber gives it: its box from its baseline to a font size above
    (pdfminer's box when the font states no descent), on a page 800 points high."""
    width = size * 0.6
    return {
        "text": text, "x0": x0, "x1": x0 + width, "top": baseline - size, "bottom": baseline,
        "y0": 800 - baseline, "size": size, "matrix": (1, 0, 0, 1, x0, 800 - baseline),
        "upright": upright,
    }  # fmt: skip


def _stroke(x0: float, x1: float, y: float, thick: float = 0.0) -> dict[str, Any]:
    """A horizontal line (``thick`` 0) or a thin filled rect at height ``y``."""
    return {"x0": x0, "x1": x1, "top": y - thick / 2, "bottom": y + thick / 2}


def _word(text: str, x0: float = 50.0, **how: Any) -> list[dict[str, Any]]:
    return [_char(ch, x0 + i * 6.6, **how) for i, ch in enumerate(text)]


@pytest.mark.parametrize(
    ("marks", "struck"),
    [
        ([_stroke(50, 90, 96.6)], True),  # LibreOffice: a line a third of the size up
        ([_stroke(50, 90, 95.7, 0.6)], True),  # Word: a thin filled rect
        ([_stroke(50, 90, 96.0), _stroke(50, 90, 97.9)], True),  # a double strike
        ([_stroke(50, 90, 101.5)], False),  # an underline, under the baseline
        ([_stroke(50, 90, 100.0)], False),  # an underline or border at the baseline
        ([_stroke(50, 90, 99.2)], False),  # a cell's border right under the text
        ([_stroke(10, 400, 87.5)], False),  # the cell's top rule, above the letters
        ([_stroke(10, 400, 104.0)], False),  # the cell's bottom rule
        ([_stroke(53, 55.5, 96.6)], False),  # a dash drawn over a part of a letter
        ([_stroke(50, 90, 96.6, 6.0)], False),  # a filled box (a shaded cell), no stroke
        # a row's rule, across the row, through letters too tall for their cell
        ([_stroke(10, 400, 96.6)], False),
        ([_stroke(45, 95, 96.6)], True),  # a strike a little longer than the words
    ],
)
def test_a_strike_is_a_stroke_through_the_letters_middle(
    marks: list[dict[str, Any]], struck: bool
) -> None:
    chars = _word("Sở Nội")
    assert all(c["bottom"] - c["top"] == 11.0 for c in chars)
    flags, used = find_struck(chars, marks)
    letters = [f for c, f in zip(chars, flags, strict=True) if c["text"] != " "]
    assert letters == [struck] * len(letters)
    assert bool(used) is struck


def test_a_strike_over_some_words_strikes_those_and_no_others() -> None:
    """A stroke over the first word: the second word, beside it on its line, is not
    struck; nor is rotated text, which has no baseline across its letters."""
    chars = [*_word("Sở", 50), _char(" ", 63.2), *_word("Nội", 69.8)]
    flags, _ = find_struck(chars, [_stroke(50, 63.2, 96.6)])
    assert "".join(c["text"] for c, f in zip(chars, flags, strict=True) if f) == "Sở"
    rotated = _word("Sở", 50, upright=False)
    assert find_struck(rotated, [_stroke(50, 63.2, 96.6)]) == ([False, False], set())


def test_in_libreoffices_pdf_only_the_struck_letters_are_struck() -> None:
    """gach_ngang.pdf has struck text (single, double, over a line's wrap) and what is no
    strike: an underlined and double-underlined bold header, underlined cells, a bold
    cell, paragraph borders right under a cell's text, the table's rules."""
    with pdfplumber.open(STRUCK_PDF) as pdf:
        page = pdf.pages[0]
        marks = strokes(page)
        flags, used = find_struck(page.chars, marks)
        struck = "".join(c["text"] for c, f in zip(page.chars, flags, strict=True) if f)
        underlined = [m for i, m in enumerate(marks) if i not in used]
    for words in ("năm 2024", "và báo", "cáo Bộ Nội", "Sở Tài chính", "Việc 2", "Sở Tư pháp",
                  "Quý II/2025", "Sở Nội vụ", "Quý I/2025"):  # fmt: skip
        assert words.replace(" ", "") in struck.replace(" ", ""), words
    for live in ("STT", "Nội dung", "Cơ quan", "Việc 1", "Việc 3", "Việc 4", "đúng", "Sở Y tế",
                 "Quý III", "Quý IV", "Căn cứ"):  # fmt: skip
        assert live.replace(" ", "") not in struck.replace(" ", ""), live
    assert len(underlined) > 10  # the rules, the underlines and borders: left alone


def test_a_pdf_of_a_plan_revised_by_hand_reads_as_its_word_document(
    registry: Engine, tmp_path: Path
) -> None:
    """The three shapes found in LibreOffice's PDFs, read as from the .docx: a lead struck
    before the one that replaces it ("Sở Tài chính Sở Nội vụ" gave two leads), a whole row
    struck (it was imported as a task) and a phrase of a task struck over the cell's line
    wraps, a lead struck twice and a deadline struck by a character style (each a second
    lead or a second deadline); a struck word of the title left out. Underlined and bold
    text, and borders under a cell's text, read as they are."""
    word = read_word(LIBREOFFICE.struck_plan(tmp_path))
    pdf = read_pdf(STRUCK_PDF)
    rows = [tuple(c.replace("\n", " ") for c in r.cells) for r in pdf.rows]
    assert rows == [r.cells for r in word.rows]
    assert [r.cells[:4] for r in word.rows[1:]] == [
        ("1", "Việc 1", "Quý I/2025", "Sở Nội vụ"),
        ("3", "Việc 3", "Quý III/2025", "Sở Tư pháp"),
        ("4", "Việc 4 đúng hạn", "Quý IV/2025", "Sở Y tế"),
    ]
    assert pdf.meta.title == word.meta.title == "Cải cách hành chính năm 2025"
    said: dict[str, list[str]] = {}
    for page in ("", " (trang 1)"):  # the PDF's notes name the page, as its others do
        said[page] = [
            f"Bảng 1, dòng {row}{page}, cột {column}: bỏ qua chữ gạch ngang “{words}” {_NOTE}"
            for row, column, words in (
                (2, "Nội dung công việc", "và báo cáo Bộ Nội vụ"),
                (2, "Cơ quan chủ trì", "Sở Tài chính"),
                (4, "Cơ quan chủ trì", "Sở Nội vụ"), (4, "Thời gian hoàn thành", "Quý I/2025"),
            )
        ]  # fmt: skip
        # A row crossed out in every cell is said once, with its cells.
        said[page].insert(2, f"Bảng 1, dòng 3{page}: bỏ qua cả dòng gạch ngang “2 | Việc 2 | Sở "
                             "Tư pháp | Quý II/2025” (coi như đã xóa): hãy đối chiếu văn bản, nếu "
                             "dòng ấy còn hiệu lực thì bỏ gạch ngang rồi nhập lại")  # fmt: skip
    paragraph = (
        "Đoạn “Cải cách hành chính năm 2025”: bỏ qua chữ gạch ngang “năm 2024” (coi như đã "
        "xóa): hãy đối chiếu văn bản"
    )
    assert word.warnings == [paragraph, *said[""]]
    assert pdf.warnings == [paragraph, *said[" (trang 1)"]]
    with session_scope(registry) as session:
        report = import_plan(session, STRUCK_PDF, settings=SETTINGS, on=IMPORT_DAY)
    assert report.warnings[: len(said[""]) + 1] == [paragraph, *said[" (trang 1)"]]
    with Session(registry) as session:
        tasks = {
            number: (text, due_on, sorted(p[:2] for p in parts))
            for number, text, *_, due_on, _, _, _, parts in tasks_of(session, "41/KH-UBND").values()
        }  # fmt: skip
    assert tasks == {
        "1": ("Việc 1", date(2025, 3, 31), [("so-noi-vu", "lead"), ("so-tu-phap", "coordinate")]),
        "3": ("Việc 3", date(2025, 9, 30), [("so-tu-phap", "lead"), ("so-y-te", "coordinate")]),
        "4": ("Việc 4 đúng hạn", date(2025, 12, 31), [("so-y-te", "lead")]),
    }  # fmt: skip


@pytest.mark.parametrize("kind", ["docx", "pdf"])
def test_a_cell_emptied_by_strike_is_said_with_its_struck_text(
    registry: Engine, tmp_path: Path, kind: str
) -> None:
    """A lead or a task's text struck through whole, nothing written in its place: the
    error about the empty cell names the words struck, for the admin to see why it is
    empty; a deadline struck whole leaves the task without a date, the warning naming it."""
    path = LIBREOFFICE.struck_cells(tmp_path) if kind == "docx" else EMPTIED_PDF
    page = " (trang 1)" if kind == "pdf" else ""
    with session_scope(registry) as session, pytest.raises(ImportFailed) as refused:
        import_plan(session, path, settings=SETTINGS, on=IMPORT_DAY)
    assert refused.value.lines() == [
        f"{path}: Bảng 1, dòng 2{page}, cột Cơ quan chủ trì: thiếu cơ quan chủ trì (chữ “Sở "
        "Tài chính” trong ô bị gạch ngang nên đã bỏ qua)",
        f"{path}: Bảng 1, dòng 3{page}, cột Nội dung công việc: thiếu nội dung nhiệm vụ (chữ "
        "“Việc 2” trong ô bị gạch ngang nên đã bỏ qua)",
    ]
    plan = read_pdf(path) if kind == "pdf" else read_word(path)
    assert plan.warnings[-1] == (
        f"Bảng 1, dòng 4{page}, cột Thời gian hoàn thành: bỏ qua chữ gạch ngang “Quý III/2025” "
        f"{_NOTE}"
    )


def test_a_deadline_emptied_by_strike_leaves_the_task_to_set_and_says_why(
    registry: Engine, tmp_path: Path
) -> None:
    """A deadline struck through whole is no error (a task with an empty deadline is
    imported, to be set by an admin): the task to set says why its cell is empty."""
    note = "(chữ “Quý III/2025” trong ô bị gạch ngang nên đã bỏ qua)"
    for plan in (read_pdf(EMPTIED_PDF), read_word(LIBREOFFICE.struck_cells(tmp_path))):
        assert plan.struck_note(3, "deadline") == note
        assert plan.struck_note(3, "lead") == plan.struck_note(1, "deadline") == ""
    document = PlanDocument()
    document.paragraph("Số: 43/KH-UBND")
    table = document.table(5, [TableRow(LIBREOFFICE.STRUCK_HEADER, header=True),
                               TableRow(["1", "Việc 1", "Sở Nội vụ", "", "Quý I/2025"]),
                               TableRow(["2", "Việc 2", "Sở Tư pháp", "", ""])])  # fmt: skip
    table.cell(2, 4).paragraphs[0].add_run("Quý III/2025").font.strike = True
    path = document.save(tmp_path / "kh.docx")
    with session_scope(registry) as session:
        report = import_plan(session, path, settings=SETTINGS, on=IMPORT_DAY)
    assert [(u.task_key, u.reason) for u in report.unspecified] == [
        ("2", f"ô tiến độ để trống {note}")
    ]


class _StrikeOut(pdfdoc.Annotation):
    """A reader's strike-out comment (Acrobat's, Foxit's): /StrikeOut over ``quad``, the
    corners of the box of letters it crosses (x, y of upper left, upper right, lower left,
    lower right)."""

    permitted = (*pdfdoc.Annotation.permitted, "QuadPoints")

    def __init__(self, rect: list[float], quad: list[float]) -> None:
        self.Rect, self.QuadPoints = rect, quad

    def Dict(self) -> Any:  # reportlab's name
        return pdfdoc.PDFDictionary({
            "Type": pdfdoc.PDFName("Annot"), "Subtype": pdfdoc.PDFName("StrikeOut"),
            "Rect": pdfdoc.PDFArray(self.Rect), "QuadPoints": pdfdoc.PDFArray(self.QuadPoints),
        })  # fmt: skip


def test_a_strike_out_comment_is_a_strike_as_a_drawn_one(tmp_path: Path) -> None:
    """Words crossed out by a PDF reader's strike-out comment (an annotation, drawn by no
    line of the page): left out of the cell and said, as a drawn strike is."""
    path = tmp_path / "comment.pdf"
    pdf = canvas.Canvas(str(path))
    pdf.setFont("DejaVu", 9)
    xs, ys = [40, 70, 220, 380, 480, 560], [700, 680, 660]
    for x in xs:
        pdf.line(x, ys[0], x, ys[-1])
    for y in ys:
        pdf.line(xs[0], y, xs[-1], y)
    header = ["STT", "Nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp", "Tiến độ"]
    for x, text in zip(xs, header, strict=False):
        pdf.drawString(x + 3, 687, text)
    for x, text in zip(xs, ["1", "Số hóa hồ sơ", "Sở Tài chính Sở Nội vụ", "", "Quý IV/2025"],
                       strict=False):  # fmt: skip
        pdf.drawString(x + 3, 667, text)
    x0, x1 = xs[2] + 3, xs[2] + 3 + pdfmetrics.stringWidth("Sở Tài chính", "DejaVu", 9)
    pdf._addAnnotation(_StrikeOut([x0, 665, x1, 676], [x0, 676, x1, 676, x0, 665, x1, 665]))
    pdf.save()
    plan = read_pdf(path)
    assert plan.rows[-1].cells[3] == "Sở Nội vụ"
    assert plan.errors == []
    assert plan.warnings == [
        f"Bảng 1, dòng 2 (trang 1), cột Cơ quan chủ trì: bỏ qua chữ gạch ngang “Sở Tài chính” {_NOTE}"
    ]


def test_a_row_struck_whole_broken_over_pages_is_said_once_with_its_pages(tmp_path: Path) -> None:
    """tests/data/libreoffice/gach_ca_dong_qua_trang.pdf (:func:`make_pdfs.struck_split`):
    a row struck whole, broken over a page, is said once, naming its pages, with all its
    text as the Word file's note gives it; not once for each part."""
    word = read_word(LIBREOFFICE.struck_split(tmp_path))
    pdf = read_pdf(LIBREOFFICE.HERE / f"{LIBREOFFICE.STRUCK_SPLIT}.pdf")
    [said] = [w for w in word.warnings if "cả dòng gạch ngang" in w]
    notes = [w for w in pdf.warnings if "cả dòng gạch ngang" in w]
    assert said.startswith("Bảng 1, dòng 5: bỏ qua cả dòng gạch ngang “4 | Rà soát")
    assert [re.sub(r"dòng \d+ \(trang \d+–\d+\)", "dòng 5", n) for n in notes] == [said]
    assert re.match(r"Bảng 1, dòng \d+ \(trang (\d+)–(?!\1)\d+\): ", notes[0])
    numbers = [[c for r in plan.rows[1:] if (c := r.cells[0])] for plan in (pdf, word)]
    assert numbers == [["1", "2", "3", "5"]] * 2
