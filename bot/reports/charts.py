"""Charts for digests and reports: PNG bytes, drawn headless, readable on a phone.

DejaVu Sans (shipped with matplotlib) has every Vietnamese letter, so labels keep their
diacritics without any system font.
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

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

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


def agency_bars(rows: Sequence[tuple[str, dict[str, int]]], title: str) -> bytes:
    """Stacked horizontal bars of counts per agency (done on time, done late, open, overdue
    and still open), agencies in Vietnamese alphabetical order. The title says what the
    bars count; the legend shows only the kinds drawn."""
    rows = sorted(rows, key=lambda row: vietnamese_key(row[0]))
    names = [_short(name) for name, _ in rows] or ["(không có dữ liệu)"]
    # Across the whole figure, from its left edge: long agency names push the axes right.
    wrapped = "\n".join(textwrap.fill(line, 95) for line in title.splitlines())
    height_px = max(400, 120 + 56 * len(names) + 24 * wrapped.count("\n"))
    # A Figure of its own, not pyplot's global state: safe in any thread or worker.
    figure = Figure(figsize=(WIDTH_PX / DPI, height_px / DPI), dpi=DPI)
    axes = figure.subplots()
    left = [0] * len(names)
    shown = [s for s in SERIES if any(counts.get(s[0], 0) for _, counts in rows)] or list(SERIES)
    for key, label, colour in shown:
        values = [counts.get(key, 0) for _, counts in rows] or [0]
        axes.barh(names, values, left=left, color=colour, label=label)
        left = [a + b for a, b in zip(left, values, strict=True)]
    axes.invert_yaxis()
    figure.suptitle(wrapped, x=0.01, ha="left", fontsize=11)
    axes.set_xlabel("Số phần việc (chủ trì)")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))  # counts: no half tasks
    figure.legend(loc="lower center", fontsize=9, frameon=False, ncols=min(len(shown), 4))
    axes.spines[["top", "right"]].set_visible(False)
    legend_px = 40 if len(shown) <= 4 else 64
    figure.tight_layout(rect=(0, legend_px / height_px, 1, 1))  # the legend's strip at the bottom
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI)
    return out.getvalue()


Rows = Sequence[tuple[str, dict[str, int]]]
_CACHE_SIZE = 64  # charts kept: the coordinators' chart is the same for each of their chats
_drawn: OrderedDict[tuple[object, ...], bytes] = OrderedDict()
_workers: ProcessPoolExecutor | None = None


async def draw_agency_bars(rows: Rows, title: str) -> bytes:
    """:func:`agency_bars` in a worker process, so that the event loop keeps sending: a
    chart costs about 0.1 s of CPU, and a Monday's thousand digests would stall every
    other message for minutes. The same figures and title give the same picture from a
    small cache (the coordinators' chart, sent to each of their chats)."""
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


def _short(name: str, limit: int = 34) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"
