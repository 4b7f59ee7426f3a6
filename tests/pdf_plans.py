"""PDF plans with a real text layer, printed the way Word prints a plan, for the importer's
tests.

The same calls as :class:`tests.docx_plans.PlanDocument` (paragraphs, the header block,
signature, page breaks, tables of :class:`~tests.docx_plans.TableRow`), drawn with
reportlab in DejaVu Sans (matplotlib ships it; it has every Vietnamese letter), so that
each seed plan's Word layout (``tests.docx_plans.seed_document``) is printed as a PDF too:

- the header block and the signature in two columns without rules, the title centred;
- task tables with ruling lines on every cell, the header rows printed again at the top
  of every page (reportlab's ``repeatRows``);
- a merged cell: a cell spanning columns (a section row), or rows (a deadline shared by
  several tasks), drawn as one box; reportlab breaks no box over a page, so a merge over
  rows of much text is drawn as several boxes, each with the text;
- a row broken over a page (its STT merged down, ``ABOVE``, as Word writes it): its first
  part ends the page, the header is printed again, and the rest of the row comes first on
  the next page with its STT and other cells empty, as printed;
- a page number at the foot of every page.

:func:`scanned_pdf` is a scan: one image a page, no text.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import matplotlib
from PIL import Image, ImageDraw
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from reportlab.platypus import Image as RlImage
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from tests.docx_plans import ABOVE, Span, TableRow

_FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
if "DejaVu" not in pdfmetrics.getRegisteredFontNames():
    pdfmetrics.registerFont(TTFont("DejaVu", str(_FONTS / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont("DejaVu-Bold", str(_FONTS / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily("DejaVu", normal="DejaVu", bold="DejaVu-Bold")

_BODY = ParagraphStyle("body", fontName="DejaVu", fontSize=11, leading=14, spaceAfter=4)
_CENTRE = ParagraphStyle("centre", parent=_BODY, alignment=TA_CENTER)
_CELL = ParagraphStyle("cell", fontName="DejaVu", fontSize=8, leading=10)
_PAGE = landscape(A4)
_MARGIN = 36
_MERGED_TEXT = 900  # characters in the rows one merged box spans, at most (see _table)
_WIDTH = _PAGE[0] - 2 * _MARGIN - 12  # the frame pads 6 points each side


def _paragraph(text: str, style: ParagraphStyle = _CELL, *, bold: bool = False) -> Paragraph:
    """One printed line per line of ``text`` ("#. " lines numbered 1., 2., …)."""
    lines, number = [], 0
    for line in text.split("\n"):
        if line.startswith("#. "):
            number += 1
            line = f"{number}. {line[3:]}"
        lines.append(escape(line.replace("〃", "”")))  # DejaVu has no 〃: a ditto all the same
    markup = "<br/>".join(lines)
    return Paragraph(f"<b>{markup}</b>" if bold else markup, style)


class PlanPdf:
    """A plan being printed as a PDF: the calls of ``PlanDocument``, laid out as printed."""

    suffix = ".pdf"

    def __init__(self) -> None:
        self.flow: list[Any] = []

    def paragraph(self, text: str, *, bold: bool = False) -> None:
        centred = bold or text == text.upper()
        self.flow.append(_paragraph(text, _CENTRE if centred else _BODY, bold=bold))

    def page_break(self) -> None:
        self.flow.append(PageBreak())

    def _columns(self, left: Sequence[str], right: Sequence[str]) -> None:
        """Two columns of lines without rules (pdfplumber finds no table there)."""
        rows = [
            [_paragraph(a, _CENTRE), _paragraph(b, _CENTRE)]
            for a, b in zip(left, right, strict=True)
        ]
        table = Table(rows, colWidths=[_WIDTH * 0.4, _WIDTH * 0.6])
        table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
        self.flow.extend([table, Spacer(1, 12)])

    def header_block(self, issuer: Sequence[str], number: str, place_date: str) -> None:
        """Issuer and number left, the nation's motto and the place and date right."""
        motto = ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
        issuer = list(issuer) + [""] * (len(motto) - len(issuer))
        motto += [""] * (len(issuer) - len(motto))
        self._columns([*issuer, f"Số: {number}"], [*motto, place_date])

    def signature(self, recipients: Sequence[str], signer: Sequence[str]) -> None:
        left = ["Nơi nhận:", *(f"- {r}" for r in recipients)]
        right = list(signer) + [""] * (len(left) - len(signer))
        self._columns(left, right)

    def table(self, cols: int, rows: Sequence[TableRow], *, ruled: bool = True) -> None:
        """Ruled tables, the header rows repeated on each page; a row whose STT is merged
        from above starts a new page (the row broken over it). ``ruled=False``: no lines,
        the columns only spaces apart."""
        heads = 0
        while heads < len(rows) and rows[heads].header:
            heads += 1
        widths = _widths(cols, rows)
        part: list[TableRow] = []
        for row in rows[heads:]:
            if row.cells and row.cells[0] is ABOVE and part:
                self.flow.extend(
                    [_table(cols, [*rows[:heads], *part], heads, widths, ruled), PageBreak()]
                )
                row = TableRow(["" if c is ABOVE else c for c in row.cells])
                part = []
            part.append(row)
        self.flow.extend(
            [_table(cols, [*rows[:heads], *part], heads, widths, ruled), Spacer(1, 12)]
        )

    def scanned_page(self) -> None:
        """A page that is only a picture (a signed page scanned into the file)."""
        self.flow.extend([PageBreak(), RlImage(_scan(), width=_WIDTH, height=400)])

    def save(self, path: Path) -> Path:
        def foot(canvas: Any, doc: Any) -> None:
            canvas.setFont("DejaVu", 9)
            canvas.drawCentredString(_PAGE[0] / 2, 20, str(doc.page))

        document = SimpleDocTemplate(
            str(path), pagesize=_PAGE, leftMargin=_MARGIN, rightMargin=_MARGIN,
            topMargin=_MARGIN, bottomMargin=_MARGIN,
        )  # fmt: skip
        document.build(list(self.flow), onFirstPage=foot, onLaterPages=foot)
        return path


def _widths(cols: int, rows: Sequence[TableRow]) -> list[float]:
    """Column widths after the longest text of each column (a narrow STT, a wide task),
    each wide enough for its longest word, as Word's autofit makes them."""
    longest, word = [4] * cols, [3] * cols
    for row in rows:
        at = 0
        for cell in row.cells:
            if isinstance(cell, Span):
                at += cell.cols
                continue
            if isinstance(cell, str) and at < cols:
                longest[at] = max(longest[at], min(len(cell), 900))
                word[at] = max([word[at], *(len(w) for w in cell.split())])
            at += 1
    least = [min(w, 16) * 6.0 + 8 for w in word]
    weights = [n**0.6 for n in longest]
    room = _WIDTH - sum(least)
    return [m + room * w / sum(weights) for m, w in zip(least, weights, strict=True)]


def _table(
    cols: int, rows: Sequence[TableRow], heads: int, widths: list[float], ruled: bool = True
) -> Table:
    data: list[list[Any]] = []
    style: list[Any] = [("VALIGN", (0, 0), (-1, -1), "TOP")]
    if ruled:
        style.append(("GRID", (0, 0), (-1, -1), 0.5, colors.black))
    merged_from: dict[int, int] = {}  # column → the row its vertical merge starts in
    texts: dict[int, str] = {}  # column → the text of the cell last written in it
    sizes: dict[int, int] = {}  # column → characters of the rows its merged box spans
    for r, row in enumerate(rows):
        size = max((len(c) for c in row.cells if isinstance(c, str)), default=0)
        line: list[Any] = [""] * cols
        at = 0
        for cell in row.cells:
            if isinstance(cell, Span):
                line[at] = _paragraph(cell.text, bold=row.header or cell.bold)
                style.append(("SPAN", (at, r), (at + cell.cols - 1, r)))
                for c in range(at, at + cell.cols):
                    merged_from.pop(c, None)
                at += cell.cols
                continue
            if cell is ABOVE and sizes.get(at, 0) + size <= _MERGED_TEXT:
                sizes[at] = sizes.get(at, 0) + size
                start = merged_from.setdefault(at, r - 1)
                style.append(("SPAN", (at, start), (at, r)))
            elif cell is ABOVE:  # a new box, the text again: reportlab breaks no box
                merged_from[at], sizes[at] = r, size
                line[at] = _paragraph(texts.get(at, ""), bold=row.header)
            else:
                merged_from.pop(at, None)
                texts[at], sizes[at] = str(cell), size
                line[at] = _paragraph(str(cell), bold=row.header)
            at += 1
        data.append(line)
    spans = {}
    for item in style:  # one SPAN per merged range: the longest, drawn last, wins
        if item[0] == "SPAN":
            spans[item[1]] = item
    style = [s for s in style if s[0] != "SPAN"] + list(spans.values())
    return Table(data, colWidths=widths, repeatRows=heads, style=TableStyle(style))


def _scan() -> io.BytesIO:
    """A picture of a page, as a scanner makes it: lines of "text" that are only pixels."""
    picture = Image.new("L", (620, 877), 255)
    draw = ImageDraw.Draw(picture)
    for y in range(80, 800, 24):
        draw.rectangle((60, y, 560, y + 8), fill=40)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    buffer.seek(0)
    return buffer


def scanned_pdf(path: Path, pages: int = 2) -> Path:
    """A scanned plan: each page one image of a page, and no text at all."""
    pdf = canvas.Canvas(str(path), pagesize=A4)
    for _ in range(pages):
        pdf.drawImage(ImageReader(_scan()), 0, 0, width=A4[0], height=A4[1])
        pdf.showPage()
    pdf.save()
    return path


def main(folder: Path) -> None:
    """Print the seed plans as PDFs into ``folder`` (README, "Try it")."""
    from tests.docx_plans import SEED_PLANS, seed_document

    folder.mkdir(parents=True, exist_ok=True)
    for path in sorted(SEED_PLANS.glob("*.csv")):
        print(seed_document(path, folder, PlanPdf()))


if __name__ == "__main__":
    import sys

    main(Path(sys.argv[1] if len(sys.argv) > 1 else "."))
