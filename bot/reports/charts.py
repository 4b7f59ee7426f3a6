"""Charts for digests and reports: PNG bytes, drawn headless, readable on a phone.

DejaVu Sans (shipped with matplotlib) has every Vietnamese letter, so labels keep their
diacritics without any system font.

A Monday sends a chart with every head's digest: a thousand charts for a province of a
thousand agencies. Building a matplotlib figure (axes, bars, legend) costs more than
drawing it, so a process keeps one figure per shape (bars, kinds shown, title lines) and
redraws it with each chart's numbers and names; the margins are measured from the
chart's own labels, so a redrawn figure is the picture a fresh one would be. The legend,
the same on every chart of a shape, is drawn once and its pixels put back on each
redraw (matplotlib's blitting, as its animations do): text is what costs in a chart.
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
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from matplotlib.ticker import MaxNLocator
from PIL import Image

from bot.domain.collation import vietnamese_key

# The outcomes a part can have, in the plan report's words; every counted part is drawn.
SERIES = (
    ("on_time", "Hoàn thành đúng hạn", "#2e7d32"),
    ("late", "Hoàn thành trễ hạn", "#f9a825"),
    ("open", "Đang thực hiện", "#90a4ae"),
    ("soon", "Đến hạn trong 2 tuần tới", "#90a4ae"),
    ("overdue", "Quá hạn, chưa hoàn thành", "#c62828"),
    ("recurring", "Thường xuyên, báo cáo định kỳ", "#64b5f6"),
    ("no_date", "Chưa xác định thời hạn", "#d7ccc8"),
)
WIDTH_PX = 1200
DPI = 150
# Margins in pixels: the title's line and the space under it; the tick labels and the
# axis label under the bars; the legend's strip (one row of up to four kinds, or two).
_TITLE_LINE_PX, _TOP_PX = 30, 24
_AXIS_PX = 78
_LEGEND_ROW_PX = 28
_SIDE_PX = 16
_MIN_LABEL_SHARE = 0.04  # a count is written in its segment of a single bar when it fits

Rows = Sequence[tuple[str, dict[str, int]]]


def agency_bars(rows: Rows, title: str) -> bytes:
    """Stacked horizontal bars of counts per agency (done on time, done late, open, overdue
    and still open), agencies in Vietnamese alphabetical order. The title says what the
    bars count; the legend shows only the kinds drawn. One agency's bar (a head's digest)
    carries its counts written on it instead of an axis.

    Returns PNG bytes, :data:`WIDTH_PX` wide, at :data:`DPI`.
    """
    rows = sorted(rows, key=lambda row: vietnamese_key(row[0]))
    names = [_short(name) for name, _ in rows] or ["(không có dữ liệu)"]
    counts = [dict(c) for _, c in rows] or [{}]
    wrapped = "\n".join(textwrap.fill(line, 95) for line in title.splitlines())
    shown = tuple(s for s in SERIES if any(c.get(s[0], 0) for c in counts)) or SERIES
    return _canvas(len(names), shown, wrapped.count("\n") + 1).png(names, counts, wrapped)


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
            written.set_text(str(value))
            written.set_visible(value > 0 and value >= _MIN_LABEL_SHARE * top)
        self.axes.set_xlim(0, top * 1.05)  # as autoscale would: 5 % past the longest bar
        self.axes.set_yticks(range(len(names)), names)
        self.title.set_text(title)
        renderer = self.agg.get_renderer()  # type: ignore[no-untyped-call]
        label_px = max(t.get_window_extent(renderer).width for t in self.axes.get_yticklabels())
        self.axes.figure.subplots_adjust(left=(label_px + 2 * _SIDE_PX) / WIDTH_PX)


_CANVASES = 8  # shapes kept per process: a figure holds its pixels (up to a few MB)
_canvases: OrderedDict[tuple[int, tuple[str, ...], int], _Canvas] = OrderedDict()


def _canvas(bars: int, shown: tuple[tuple[str, str, str], ...], title_lines: int) -> _Canvas:
    key = (bars, tuple(k for k, _, _ in shown), title_lines)
    if key in _canvases:
        _canvases.move_to_end(key)
        return _canvases[key]
    single = bars == 1
    extra_lines_px = _TITLE_LINE_PX * (title_lines - 1)
    height_px = (300 if single else max(400, 120 + 56 * bars)) + extra_lines_px
    figure = Figure(figsize=(WIDTH_PX / DPI, height_px / DPI), dpi=DPI)
    axes = figure.subplots()
    segments = [
        list(axes.barh(range(bars), [0] * bars, color=colour, label=label).patches)
        for _, label, colour in shown
    ]
    axes.invert_yaxis()
    axes.spines[["top", "right"]].set_visible(False)
    written: list[Text] = []
    if single:  # one bar: its counts on it, no axis to read them from
        axes.xaxis.set_visible(False)
        axes.spines[["bottom", "left"]].set_visible(False)
        axes.tick_params(axis="y", length=0)
        written = [axes.text(0, 0, "", ha="center", va="center", color="white",
                             fontsize=10, fontweight="bold") for _ in shown]  # fmt: skip
    else:
        axes.set_xlabel("Số phần việc (chủ trì)")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))  # counts: no half tasks
    title = figure.suptitle("", x=0.01, ha="left", fontsize=11)
    columns = min(len(shown), 2 if single else 4)  # a single bar's chart is shorter
    legend = figure.legend(loc="lower center", fontsize=9, frameon=False, ncols=columns)
    legend_px = _LEGEND_ROW_PX * -(-len(shown) // columns) + 8
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


def _short(name: str, limit: int = 34) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"
