"""The digest chart: a PNG of the expected size, with ink on it, Vietnamese labels; a
figure redrawn for another chart gives the picture a fresh one would."""

from __future__ import annotations

import io
from pathlib import Path

import numpy
import pytest
from PIL import Image

from bot.reports import charts
from bot.reports.charts import DPI, WIDTH_PX, agency_bars

RED = (198, 40, 40)  # "#c62828": overdue
GREEN = (46, 125, 50)  # "#2e7d32": done on time


def _image(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return image.convert("RGB")


def _count(image: Image.Image, colour: tuple[int, int, int]) -> int:
    return sum(n for n, c in image.getcolors(maxcolors=1_000_000) or [] if c == colour)


def test_agency_chart_is_a_readable_png() -> None:
    rows = [("Sở Nội vụ", {"on_time": 5, "late": 2, "open": 3, "overdue": 1}),
            ("Văn phòng UBND tỉnh", {"on_time": 1, "overdue": 4}),
            ("UBND thành phố Biên Hòa", {"open": 7})]  # fmt: skip
    png = agency_bars(rows, "Tiến độ thực hiện – tuần 52/2024")
    image = _image(png)
    assert image.size == (WIDTH_PX, 400)  # three agencies fit the minimum height
    assert Image.open(io.BytesIO(png)).info["dpi"] == pytest.approx(
        (DPI, DPI), abs=0.1
    )  # pixels per metre, rounded
    colours = image.getcolors(maxcolors=1_000_000) or []
    assert len(colours) > 50  # bars, text and anti-aliasing: not a blank page
    assert _count(image, RED) > 500  # the overdue bars are drawn


def test_the_chart_grows_with_the_agencies_and_the_title() -> None:
    rows = [(f"Cơ quan số {i}", {"on_time": i}) for i in range(20)]
    assert _image(agency_bars(rows, "Hai mươi cơ quan")).size == (WIDTH_PX, 120 + 56 * 20)
    assert _image(agency_bars(rows, "Hai mươi\ncơ quan")).size == (
        WIDTH_PX,
        120 + 56 * 20 + 30,
    )  # 30 px a title line


def test_a_single_agency_bar_has_its_legend_and_no_axis() -> None:
    """A head's chart: one bar, its counts written on it, the legend under it."""
    image = _image(agency_bars([("Sở Nội vụ", {"on_time": 6, "overdue": 2})], "Sở Nội vụ"))
    assert image.size == (WIDTH_PX, 300)
    legend = image.crop((0, 230, WIDTH_PX, 300))  # the strip under the bar
    assert _count(legend, GREEN) > 100 and _count(legend, RED) > 100  # both kinds' keys
    assert (numpy.asarray(legend.convert("L")) < 60).sum() > 200  # and their names in black
    bar = numpy.asarray(image.crop((0, 40, WIDTH_PX, 230)))
    green = numpy.all(bar == numpy.array(GREEN), axis=-1)
    red = numpy.all(bar == numpy.array(RED), axis=-1)
    assert 2.5 < green.sum() / red.sum() < 3.5  # 6 against 2, in proportion
    rows, columns = numpy.nonzero(green)
    on_green = bar[rows.min() : rows.max(), columns.min() : columns.max()]
    assert numpy.all(on_green == 255, axis=-1).sum() > 30  # "6", written in white on it


def test_a_redrawn_figure_gives_the_picture_of_a_fresh_one() -> None:
    """Figures are kept per shape and redrawn: nothing of one chart stays on the next."""
    head = [("Sở Nội vụ", {"on_time": 3, "late": 1, "soon": 5, "overdue": 4})]
    other = [
        ("Ban Quản lý các khu công nghiệp", {"on_time": 30, "late": 2, "soon": 1, "overdue": 9})
    ]
    province = [(f"Cơ quan {i}", {"on_time": i, "overdue": 9 - i}) for i in range(9)]
    charts._canvases.clear()
    fresh = agency_bars(head, "Sở Nội vụ – tuần đến 23/12/2024")
    assert len(charts._canvases) == 1
    redrawn_other = agency_bars(other, "Ban Quản lý – tuần đến 23/12/2024")
    agency_bars(province, "Toàn tỉnh")
    assert len(charts._canvases) == 2  # the two heads' charts share a figure
    assert agency_bars(head, "Sở Nội vụ – tuần đến 23/12/2024") == fresh
    charts._canvases.clear()
    assert agency_bars(other, "Ban Quản lý – tuần đến 23/12/2024") == redrawn_other
    assert redrawn_other != fresh


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
