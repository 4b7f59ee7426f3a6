"""What a digest chart draws: the kinds of outcome, their names and colours, and whether
a chart's rows have anything to draw at all.

Apart from :mod:`bot.reports.charts`, which imports matplotlib (a third of a second): the
planner asks :func:`drawable` in the bot's own process, and only the chart workers draw.
"""

from __future__ import annotations

from collections.abc import Sequence

Rows = Sequence[tuple[str, dict[str, int]]]

# The outcomes a part can have, in the plan report's words; every counted part is drawn.
# Colours from Okabe and Ito's palette, told apart with any colour vision: done on time
# green, overdue red (vermillion), each kind its own (black, the eighth, is the text's).
SERIES = (
    ("on_time", "Hoàn thành đúng hạn", "#009e73"),
    ("late", "Hoàn thành trễ hạn", "#e69f00"),
    ("open", "Đang thực hiện", "#0072b2"),
    ("soon", "Đến hạn trong 2 tuần tới", "#56b4e9"),
    ("overdue", "Quá hạn, chưa hoàn thành", "#d55e00"),
    ("recurring", "Thường xuyên, báo cáo định kỳ", "#cc79a7"),
    ("no_date", "Chưa xác định thời hạn", "#f0e442"),
)


def drawable(rows: Rows) -> bool:
    """Whether ``rows`` count at least one part: a chart of empty bars says nothing, so
    none is drawn (a digest says so in words instead)."""
    return any(counts.get(key, 0) > 0 for _, counts in rows for key, _, _ in SERIES)
