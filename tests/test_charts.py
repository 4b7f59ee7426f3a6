"""The digest chart: a PNG of the expected size, with ink on it, Vietnamese labels."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from bot.reports.charts import DPI, WIDTH_PX, agency_bars


def test_agency_chart_is_a_readable_png() -> None:
    rows = [("Sở Nội vụ", {"on_time": 5, "late": 2, "open": 3, "overdue": 1}),
            ("Văn phòng UBND tỉnh", {"on_time": 1, "overdue": 4}),
            ("UBND thành phố Biên Hòa", {"open": 7})]  # fmt: skip
    png = agency_bars(rows, "Tiến độ thực hiện – tuần 52/2024")
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.size == (WIDTH_PX, 400)  # three agencies fit the minimum height
    colours = image.convert("RGB").getcolors(maxcolors=1_000_000) or []
    assert len(colours) > 50  # bars, text and anti-aliasing: not a blank page
    red = sum(count for count, (r, g, b) in colours if r > 180 and g < 80 and b < 80)
    assert red > 500  # the overdue bars are drawn
    assert DPI == 150


def test_the_chart_grows_with_the_agencies() -> None:
    rows = [(f"Cơ quan số {i}", {"on_time": i}) for i in range(20)]
    image = Image.open(io.BytesIO(agency_bars(rows, "Hai mươi cơ quan")))
    assert image.size == (WIDTH_PX, 120 + 56 * 20)


def test_charts_drawn_by_worker_processes_under_python_m_bot(tmp_path: Path) -> None:
    """The dispatcher draws a digest's chart in a spawned worker, which imports the main
    module again: ``python -m bot tick`` must send every chart and run its command once."""
    from tests.cli import dondoc_process

    dondoc_process(tmp_path, "seed")
    ticked = dondoc_process(tmp_path, "tick", "--at", "25/11/2024 08:30")  # a Monday: digests
    charts = [
        line for line in ticked.stdout.splitlines() if line.startswith("📎") and ".png" in line
    ]
    assert len(charts) >= 2 and (ticked.stdout + ticked.stderr).count("Đã xét") == 1
