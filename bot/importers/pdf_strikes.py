"""Text struck through in a PDF: a PDF keeps no strike attribute, so the strokes drawn
through letters are found (LibreOffice and Word draw a strike as a thin line or filled
rect about a third up the letters; a reader's "StrikeOut" comment is one too), told from
underlines and a table's rules. Pure geometry on pdfplumber's chars and marks; the PDF
reader (:mod:`bot.importers.pdf`) leaves such letters out and says so."""

from __future__ import annotations

import bisect
import contextlib
from collections.abc import Sequence
from typing import Any

from pdfminer.pdftypes import resolve1
from pdfplumber.page import Page

# Where a strike runs through a letter, in its font size above the baseline: LibreOffice
# and Word draw it about a third up (two lines about a fifth and a third up for a double
# strike); an underline runs below the baseline, a cell's rules outside the letters.
_STRIKE_LOW, _STRIKE_HIGH = 0.1, 0.6
_STRIKE_COVER = 0.6  # of a letter's width a strike runs over, at least
# of a stroke's length, the letters it runs through, at least: a strike runs over the words
# it crosses out, a table's rule on across the row (through text too tall for its cell)
_STRIKE_SPAN = 0.5
_THIN = 2.0  # points: a mark drawn this thin (or thinner), and wider than tall, is a stroke


def strokes(page: Page) -> list[dict[str, Any]]:
    """The page's marks wider than tall that may be strokes: lines, rects and curves (Word
    draws a strike or an underline as a thin filled rect), each pdfplumber's object (x0,
    top, x1, bottom in points); and the strike-out comments on it
    (:func:`_strike_comments`)."""
    return [
        mark for mark in (*page.lines, *page.rects, *page.curves, *_strike_comments(page))
        if mark["x1"] - mark["x0"] > mark["bottom"] - mark["top"]
    ]  # fmt: skip


def _strike_comments(page: Page) -> list[dict[str, Any]]:
    """Each "StrikeOut" annotation of the page (a reader's strike-out comment: Acrobat's,
    Foxit's), as the stroke it shows: a line through the middle of each box of letters it
    covers (its QuadPoints, four corners each; its Rect when it has none). A PDF's words
    crossed out so are text struck through, as a drawn strike is."""
    out: list[dict[str, Any]] = []
    for annot in page.annots:
        data = annot.get("data") or {}
        subtype = resolve1(data.get("Subtype"))
        if getattr(subtype, "name", subtype) != "StrikeOut":
            continue
        with contextlib.suppress(TypeError, ValueError):
            points = [float(resolve1(v)) for v in resolve1(data.get("QuadPoints")) or []]
            quads = [points[i : i + 8] for i in range(0, len(points) - 7, 8)]
            boxes = [
                (min(q[0::2]), page.height - max(q[1::2]), max(q[0::2]), page.height - min(q[1::2]))
                for q in quads
            ] or [(annot["x0"], annot["top"], annot["x1"], annot["bottom"])]
            for x0, top, x1, bottom in boxes:
                middle = (top + bottom) / 2
                out.append({"x0": x0, "top": middle, "x1": x1, "bottom": middle,
                            "object_type": "strikeout"})  # fmt: skip
    return out


def find_struck(
    chars: Sequence[dict[str, Any]], marks: Sequence[dict[str, Any]]
) -> tuple[list[bool], set[int]]:
    """Which of ``chars`` (pdfplumber's: text, x0, x1, y0, bottom, size, matrix, upright)
    a stroke of ``marks`` (:func:`strokes`; a mark no thicker than :data:`_THIN` and
    wider than tall) strikes through: one running over most of the
    letter's width (:data:`_STRIKE_COVER`) between a tenth and six tenths of its font size
    above its baseline, and whose letters make at least half its length
    (:data:`_STRIKE_SPAN`). An underline (at or below the baseline), a cell's rule or border
    (along the cell's edges, clear of its letters, or right under a line of text; a rule
    across a row through text too tall for its cell) is never one. Gives a flag for each char and the indexes in ``marks`` of the strokes that
    strike some letter (not the table's rules)."""
    marks_at = sorted(
        ((m["top"] + m["bottom"]) / 2, i) for i, m in enumerate(marks)
        if m["bottom"] - m["top"] <= _THIN and m["x1"] - m["x0"] > m["bottom"] - m["top"]
    )  # fmt: skip
    heights = [y for y, _ in marks_at]
    hits: list[list[int]] = []  # for each char, the marks running through it
    through: dict[int, list[tuple[float, float]]] = {}  # mark → the letters' spans it strikes
    for char in chars:
        hits.append([])
        if char.get("upright", True) and char["text"]:
            size = float(char["size"])
            baseline = char["bottom"] - (char["matrix"][5] - char["y0"])
            low = bisect.bisect_left(heights, baseline - _STRIKE_HIGH * size)
            high = bisect.bisect_right(heights, baseline - _STRIKE_LOW * size)
            for _, i in marks_at[low:high]:
                mark = marks[i]
                width = char["x1"] - char["x0"]
                cover = min(char["x1"], mark["x1"]) - max(char["x0"], mark["x0"])
                if cover >= _STRIKE_COVER * width and (width > 0 or cover >= 0):
                    hits[-1].append(i)
                    through.setdefault(i, []).append((char["x0"], min(char["x1"], mark["x1"])))
    used = {
        i for i, spans in through.items()
        if _length(spans) >= _STRIKE_SPAN * (marks[i]["x1"] - marks[i]["x0"])
    }  # fmt: skip
    return [any(i in used for i in found) for found in hits], used


def _length(spans: list[tuple[float, float]]) -> float:
    """The length the spans (x0, x1) cover, those that overlap counted once."""
    total, end = 0.0, float("-inf")
    for x0, x1 in sorted(spans):
        if x1 > end:
            total += x1 - max(x0, end)
            end = x1
    return total
