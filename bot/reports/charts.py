"""Charts for digests and reports: PNG bytes, drawn headless, readable on a phone.

DejaVu Sans (shipped with matplotlib) has every Vietnamese letter, so labels keep their
diacritics without any system font.

A Monday sends a chart with every head's digest: a thousand charts for a province of a
thousand agencies. Building a matplotlib figure (axes, bars, legend) costs more than
drawing it, so a process keeps one figure per shape (bars, kinds shown, title lines,
names on two lines) and redraws it with each chart's numbers and names; the margins are
measured from the chart's own labels, so a redrawn figure is the picture a fresh one
would be. The legend, the same on every chart of a shape, is drawn once and its pixels
put back on each redraw (matplotlib's blitting, as its animations do): text is what
costs in a chart.
"""

from __future__ import annotations

import asyncio
import io
import multiprocessing
import os
import textwrap
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from matplotlib.ticker import FuncFormatter, MaxNLocator
from PIL import Image

from bot.domain.collation import vietnamese_key
from bot.domain.numbers import thousands
from bot.reports.chart_kinds import SERIES, Rows, drawable

WIDTH_PX = 1200
DPI = 150
# Margins in pixels: the title's line and the space under it; the tick labels and the
# axis label under the bars; the legend's strip (rows of three kinds, of two under a
# single bar).
_TITLE_LINE_PX, _TOP_PX = 30, 24
_AXIS_PX = 78
_LEGEND_ROW_PX = 28
_BAR_PX, _TWO_LINE_BAR_PX = 56, 64  # height per bar, by the lines of its agency's name
_SIDE_PX = 16
_MIN_LABEL_SHARE = 0.04  # a count is written in its segment of a single bar when it fits
# An agency's name on at most two lines of this many characters: as wide as the one line
# names used to be cut to, so the bars keep their room.
LABEL_WIDTH = 34


def agency_bars(rows: Rows, title: str) -> bytes:
    """Stacked horizontal bars of counts per agency (done on time, done late, open, overdue
    and still open), agencies in Vietnamese alphabetical order. The title says what the
    bars count; the legend shows only the kinds drawn. One agency's bar (a head's digest)
    carries its counts written on it instead of an axis. ``rows`` must be
    :func:`drawable`; an agency counting no part is left out.

    Returns PNG bytes, :data:`WIDTH_PX` wide, at :data:`DPI`.
    """
    if not drawable(rows):
        raise ValueError("no part counted: nothing to draw")
    # An agency with nothing to draw (all its parts passed to a successor) is an empty row.
    rows = sorted((row for row in rows if drawable([row])), key=lambda row: vietnamese_key(row[0]))
    names = labels([name for name, _ in rows])
    counts = [dict(c) for _, c in rows]
    wrapped = "\n".join(textwrap.fill(line, 95) for line in title.splitlines())
    shown = tuple(s for s in SERIES if any(c.get(s[0], 0) for c in counts))
    two_lines = len(names) > 1 and any("\n" in name for name in names)
    canvas = _canvas(len(names), shown, wrapped.count("\n") + 1, two_lines)
    return canvas.png(names, counts, wrapped)


def labels(names: Sequence[str]) -> list[str]:
    """Each agency's name as the chart writes it: :func:`label`, and where two names would
    read the same (long names alike at both ends), each from the word where it differs."""
    first = [label(name) for name in names]
    drawn = list(first)
    for i, name in enumerate(names):
        alike = [other for other, text in zip(names, first, strict=True)
                 if text == first[i] and other != name]  # fmt: skip
        if alike:
            drawn[i] = label(name, max(_common_words(name, other) for other in alike))
    return drawn


def label(name: str, differs_at: int | None = None) -> str:
    """``name`` on at most two lines of :data:`LABEL_WIDTH` characters, cut at words. A
    longer one keeps its first line and, after "…", its last words: agencies of one kind
    share their first words ("Ủy ban nhân dân huyện …") and differ at the end. With
    ``differs_at`` (a word's index), the second line starts at that word instead."""
    lines = textwrap.wrap(name, LABEL_WIDTH)
    if len(lines) <= 2:
        return "\n".join(lines)
    words = name.split()
    room = LABEL_WIDTH - 2  # "… " before the second line's words
    if differs_at is None or differs_at >= len(words):
        return f"{lines[0]}\n… {_last_words(words, room)}"
    rest = textwrap.wrap(" ".join(words[differs_at:]), room - 2)  # room for " …" after
    return f"{lines[0]}\n… {rest[0]}" + (" …" if len(rest) > 1 else "")


def _last_words(words: list[str], room: int) -> str:
    """The last of ``words`` that fit in ``room`` characters (the last word's end if none)."""
    kept: list[str] = []
    for word in reversed(words):
        if len(" ".join([word, *kept])) > room:
            break
        kept.insert(0, word)
    return " ".join(kept) or words[-1][-room:]


def _common_words(one: str, other: str) -> int:
    """How many words ``one`` and ``other`` begin with in common."""
    shared = 0
    for a, b in zip(one.split(), other.split(), strict=False):
        if a != b:
            break
        shared += 1
    return shared


def _ink(colour: str) -> str:
    """Black or white, whichever reads better on ``colour`` (WCAG's contrast ratio): a
    count written on a light segment (sky blue, yellow) in white would not be read."""
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in to_rgb(colour)]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "black" if (luminance + 0.05) / 0.05 > 1.05 / (luminance + 0.05) else "white"


@dataclass
class _Canvas:
    """A figure of one shape, drawn again with each chart's numbers and names."""

    agg: FigureCanvasAgg
    axes: Axes
    keys: tuple[str, ...]  # the kinds drawn, in :data:`SERIES` order
    segments: list[list[Rectangle]]  # by kind, then by agency
    counts_written: list[Text]  # a single bar's counts, one per kind; else empty
    title: Text
    legend: Any  # the legend's pixels, drawn once (an Agg BufferRegion)

    def png(self, names: list[str], counts: list[dict[str, int]], title: str) -> bytes:
        self.arrange(names, counts, title)
        self.agg.draw()  # type: ignore[no-untyped-call]
        self.agg.restore_region(self.legend)  # type: ignore[no-untyped-call]
        pixels = self.agg.buffer_rgba()  # type: ignore[no-untyped-call]
        image = Image.frombuffer("RGBA", self.agg.get_width_height(), pixels, "raw", "RGBA", 0, 1)
        out = io.BytesIO()
        # Opaque, and fast zlib: a chart's flat colours compress well at any level, and a
        # thousand charts on a Monday are drawn on the bot's own CPUs.
        image.convert("RGB").save(out, format="png", dpi=(DPI, DPI), compress_level=1)
        return out.getvalue()

    def arrange(self, names: list[str], counts: list[dict[str, int]], title: str) -> None:
        """Bars, counts, names and title of this chart; the left margin fits its names."""
        starts = [0] * len(names)
        for key, segments in zip(self.keys, self.segments, strict=True):
            for i, rectangle in enumerate(segments):
                value = counts[i].get(key, 0)
                rectangle.set_x(starts[i])
                rectangle.set_width(value)
                starts[i] += value
        top = max(starts) or 1
        for written, (rectangle,) in zip(self.counts_written, self.segments, strict=False):
            value = int(rectangle.get_width())
            written.set_position((rectangle.get_x() + value / 2, 0))
            written.set_text(thousands(value))
            written.set_visible(value > 0 and value >= _MIN_LABEL_SHARE * top)
        self.axes.set_xlim(0, top * 1.05)  # as autoscale would: 5 % past the longest bar
        self.axes.set_yticks(range(len(names)), names)
        self.title.set_text(title)
        renderer = self.agg.get_renderer()  # type: ignore[no-untyped-call]
        label_px = max(t.get_window_extent(renderer).width for t in self.axes.get_yticklabels())
        self.axes.figure.subplots_adjust(left=(label_px + 2 * _SIDE_PX) / WIDTH_PX)


_CANVASES = 8  # shapes kept per process: a figure holds its pixels (up to a few MB)
_canvases: OrderedDict[tuple[int, tuple[str, ...], int, bool], _Canvas] = OrderedDict()


def _canvas(
    bars: int, shown: tuple[tuple[str, str, str], ...], title_lines: int, two_lines: bool
) -> _Canvas:
    """The figure for charts of this shape; ``two_lines``: some names take two lines,
    and every bar is given room for them (a single bar always has it)."""
    key = (bars, tuple(k for k, _, _ in shown), title_lines, two_lines)
    if key in _canvases:
        _canvases.move_to_end(key)
        return _canvases[key]
    single = bars == 1
    # A single bar's chart is shorter; three of the longest kinds' names fill the width.
    columns = min(len(shown), 2 if single else 3)
    legend_rows = -(-len(shown) // columns)
    extra_lines_px = _TITLE_LINE_PX * (title_lines - 1)
    bar_px = _TWO_LINE_BAR_PX if two_lines else _BAR_PX
    bars_px = 120 + bar_px * bars + _LEGEND_ROW_PX * (legend_rows - 1)
    height_px = (300 if single else max(400, bars_px)) + extra_lines_px
    figure = Figure(figsize=(WIDTH_PX / DPI, height_px / DPI), dpi=DPI)
    axes = figure.subplots()
    segments = [
        list(axes.barh(range(bars), [0] * bars, color=colour, label=kind).patches)
        for _, kind, colour in shown
    ]
    axes.invert_yaxis()
    # A name on two lines fits its bar's room at 9 points, not at the default 10.
    axes.tick_params(axis="y", labelsize=9)
    axes.spines[["top", "right"]].set_visible(False)
    written: list[Text] = []
    if single:  # one bar: its counts on it, no axis to read them from
        axes.xaxis.set_visible(False)
        axes.spines[["bottom", "left"]].set_visible(False)
        axes.tick_params(axis="y", length=0)
        written = [axes.text(0, 0, "", ha="center", va="center", color=_ink(colour),
                             fontsize=10, fontweight="bold") for _, _, colour in shown]  # fmt: skip
    else:
        axes.set_xlabel("Số phần việc (chủ trì)")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))  # counts: no half tasks
        axes.xaxis.set_major_formatter(FuncFormatter(lambda x, _: thousands(round(x))))
    title = figure.suptitle("", x=0.01, ha="left", fontsize=11)
    legend = figure.legend(loc="lower center", fontsize=9, frameon=False, ncols=columns)
    legend_px = _LEGEND_ROW_PX * legend_rows + 8
    axis_px = 12 if single else _AXIS_PX
    figure.subplots_adjust(
        right=1 - _SIDE_PX / WIDTH_PX,
        top=1 - (_TOP_PX + _TITLE_LINE_PX * title_lines) / height_px,
        bottom=(legend_px + axis_px) / height_px,
    )
    agg = FigureCanvasAgg(figure)
    agg.draw()  # type: ignore[no-untyped-call]
    pixels = agg.copy_from_bbox(legend.get_window_extent(agg.get_renderer()))  # type: ignore[no-untyped-call]
    legend.set_visible(False)  # from now on its pixels are put back instead
    canvas = _Canvas(agg, axes, key[1], segments, written, title, pixels)
    _canvases[key] = canvas
    if len(_canvases) > _CANVASES:
        _canvases.popitem(last=False)
    return canvas


_CACHE_SIZE = 64  # charts kept: the coordinators' chart is the same for each of their chats
_drawn: OrderedDict[tuple[object, ...], bytes] = OrderedDict()
_workers: ProcessPoolExecutor | None = None


async def draw_agency_bars(rows: Rows, title: str) -> bytes:
    """:func:`agency_bars` in a worker process, so that the event loop keeps sending: a
    chart costs tens of milliseconds of CPU, and a Monday's thousand digests would stall
    every other message. The same figures and title give the same picture from a small
    cache (the coordinators' chart, sent to each of their chats)."""
    global _workers
    key = (title, tuple((name, tuple(sorted(counts.items()))) for name, counts in rows))
    if key in _drawn:
        _drawn.move_to_end(key)
        return _drawn[key]
    if _workers is None:  # spawned, not forked: a fork of a running event loop is unsafe
        _workers = ProcessPoolExecutor(max_workers=os.cpu_count() or 1,
                                       mp_context=multiprocessing.get_context("spawn"))  # fmt: skip
    loop = asyncio.get_running_loop()
    png = await loop.run_in_executor(_workers, agency_bars, [(n, dict(c)) for n, c in rows], title)
    _drawn[key] = png
    if len(_drawn) > _CACHE_SIZE:
        _drawn.popitem(last=False)
    return png


def close_workers() -> None:
    """Stop the chart workers, waiting for them. The main process's exit does it on its
    own; a process that is itself a multiprocessing child (a benchmark's) must, or its
    exit waits for them forever."""
    global _workers
    if _workers is not None:
        _workers.shutdown(wait=True, cancel_futures=True)
        _workers = None
