"""Figures, their goals and the one table ``python -m bench`` prints.

A :class:`Figure` is one measured value with its unit and, when the issue sets one, its
goal: a ceiling (``at_most``: seconds, 429 answers, messages in a window) or a floor
(rows per second, share of Telegram's ceiling), reached at the goal itself ("≤ 20 ms") or
only short of it (``strict``: "< 20 ms"), as the issue states it. The ratio is oriented so that **above 1
is better than the goal**: goal ÷ measured for a ceiling, measured ÷ goal for a floor;
for a ceiling of 0 (no 429 at all) it is 1 ÷ (1 + measured): 1 when met, toward 0 as
the count grows.
"""

from __future__ import annotations

import math
import os
import platform
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    """One row: ``name`` says what was measured and on what; ``note`` how the goal was
    scaled to this size, or why there is none."""

    name: str
    measured: float
    unit: str
    goal: float | None = None
    at_most: bool = True
    note: str = ""
    strict: bool = False  # the goal itself misses it: "<" or ">", not "≤" or "≥"

    def met(self) -> bool | None:
        """Whether the measured value reaches the goal (None: no goal, or no figure)."""
        if self.goal is None or math.isnan(self.measured):
            return None
        if self.at_most:
            return self.measured < self.goal if self.strict else self.measured <= self.goal
        return self.measured > self.goal if self.strict else self.measured >= self.goal

    def goal_text(self) -> str:
        if self.goal is None:
            return "—"
        sign = {(True, False): "≤", (True, True): "<", (False, False): "≥", (False, True): ">"}
        return f"{sign[self.at_most, self.strict]} {number(self.goal, self.unit)}"

    def ratio(self) -> float | None:
        if self.goal is None or math.isnan(self.measured):
            return None
        if self.at_most:
            if self.goal == 0:
                return 1.0 / (1.0 + self.measured)
            return self.goal / self.measured if self.measured > 0 else math.inf
        return self.measured / self.goal


COUNTS = frozenset({"", "msg", "messages"})  # units of things counted: whole numbers


def number(value: float, unit: str) -> str:
    """``value`` in ``unit``: a count as a whole number, a measure to three figures or so
    (whole from 100 up, one decimal from 10, two below)."""
    if math.isnan(value):  # nothing measured: the row's note says why
        return "—"
    if math.isinf(value):
        return "∞"
    if unit in COUNTS or abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}".strip()


def machine(database: str = "SQLite file (temporary folder)") -> str:
    """CPU count and model, Python, database: the line under the table."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        model = names[0] if names else model
    except OSError:
        pass
    return (f"machine: {os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, "
            f"{database} {sqlite3.sqlite_version}, {platform.system()} {platform.release()}")  # fmt: skip


def render(figures: Sequence[Figure], title: str) -> str:
    """A Markdown table: figure, measured, goal, ratio, note."""
    rows = [("figure", "measured", "goal", "ratio", "note")]
    for f in figures:
        ratio = f.ratio()
        shown = "n/a" if ratio is None else ("∞" if math.isinf(ratio) else f"{ratio:.2f}")
        rows.append((f.name, number(f.measured, f.unit), f.goal_text(), shown, f.note))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = [title, ""]
    for i, r in enumerate(rows):
        lines.append("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |")
        if i == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    lines.append("")
    lines.append("ratio > 1: better than the goal (goal ÷ measured for a ceiling, measured ÷ goal "
                 "for a floor, 1 ÷ (1 + measured) for a ceiling of 0); a goal with < or > is "
                 "missed at the goal itself.")  # fmt: skip
    return "\n".join(lines)
