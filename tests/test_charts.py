"""The digest chart: a PNG of the expected size, with ink on it, Vietnamese labels; a
figure redrawn for another chart gives the picture a fresh one would. Long names that
differ read differently, counts are written the Vietnamese way, a legend names only the
kinds drawn, each kind in its own colour; no chart is drawn with nothing to draw."""

from __future__ import annotations

import io
import itertools
import math
import re
from pathlib import Path

import numpy
import pytest
from PIL import Image

from bot.reports import charts
from bot.reports.chart_kinds import SERIES, drawable
from bot.reports.charts import DPI, LABEL_WIDTH, WIDTH_PX, agency_bars


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


COLOURS = {key: _rgb(colour) for key, _, colour in SERIES}
NAMES = {key: name for key, name, _ in SERIES}
RED, GREEN = COLOURS["overdue"], COLOURS["on_time"]


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
    rows = [(f"Cơ quan số {i}", {"on_time": i + 1}) for i in range(20)]
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
    assert (on_green.sum(axis=-1) < 60).sum() > 30  # "6", written in black on it


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


def _drawn() -> charts._Canvas:
    """The figure the last chart was drawn on (the most recently used shape)."""
    return next(reversed(charts._canvases.values()))


def _names_drawn() -> list[str]:
    return [t.get_text() for t in _drawn().axes.get_yticklabels()]


def test_long_names_that_differ_after_the_first_line_are_drawn_apart() -> None:
    """Agencies of one kind share their first words: names alike for 34 characters and
    more still read differently, on at most two lines of at most 34 characters."""
    long = "Ban Quản lý các khu công nghiệp tỉnh Đồng Nai chi nhánh huyện"
    alike_at_both_ends = "Ban Quản lý dự án đầu tư xây dựng công trình {} tỉnh Đồng Nai"
    names = [
        "Ủy ban nhân dân huyện Long Thành", "Ủy ban nhân dân huyện Long Khánh",
        f"{long} Long Thành", f"{long} Long Khánh",
        alike_at_both_ends.format("dân dụng và công nghiệp"),
        alike_at_both_ends.format("giao thông và công nghiệp"),
        "Trung tâm Phục vụ hành chính công tỉnh Đồng Nai", "Sở Nội vụ",
        "Sở " + "Khoa học và Công nghệ" * 3,  # a run-on name: cut, never longer
    ]  # fmt: skip
    assert {len(name[:34]) for name in names[2:6]} == {34}  # alike in their first 34
    assert names[2][:34] == names[3][:34] and names[4][:34] == names[5][:34]
    agency_bars([(name, {"on_time": 1, "overdue": 2}) for name in names], "Tên dài")
    drawn = _names_drawn()
    assert len(set(drawn)) == len(names)  # every agency told apart
    assert all(len(line) <= LABEL_WIDTH for text in drawn for line in text.split("\n"))
    assert all(text.count("\n") <= 1 for text in drawn)
    assert "Long Thành" in next(t for t in drawn if t.startswith("Ban Quản lý các khu")
                                and "Long Thành" in t.replace("\n", " "))  # fmt: skip
    assert "Sở Nội vụ" in drawn  # a short name as it is
    assert "Phòng Tài nguyên và Môi trường\nhuyện Long Thành" in charts.labels(
        ["Phòng Tài nguyên và Môi trường huyện Long Thành"]
    )  # two lines hold it whole, cut at a word


def test_a_head_chart_of_a_long_name_keeps_its_end() -> None:
    name = "Ban Quản lý các khu công nghiệp tỉnh Đồng Nai chi nhánh huyện Long Khánh"
    agency_bars([(name, {"soon": 2})], "Một cơ quan")
    [drawn] = _names_drawn()
    first, second = drawn.split("\n")
    assert name.startswith(first) and second.startswith("…") and name.endswith(second[2:])
    assert second.endswith("huyện Long Khánh")


def test_counts_are_written_with_a_dot_for_thousands() -> None:
    rows = [("Sở Nội vụ", {"on_time": 1_234, "overdue": 2_345}),
            ("Sở Y tế", {"on_time": 12_000, "late": 1_500})]  # fmt: skip
    agency_bars(rows, "Hàng nghìn phần việc")
    ticks = [t.get_text() for t in _drawn().axes.get_xticklabels() if t.get_visible()]
    assert all(re.fullmatch(r"\d{1,3}(\.\d{3})*", tick) for tick in ticks), ticks
    values = [int(tick.replace(".", "")) for tick in ticks]
    assert values[0] == 0 and values == sorted(values) and values[-1] >= 12_000  # up the axis
    agency_bars([("Sở Y tế", {"on_time": 1_234, "overdue": 5_678})], "Một cơ quan")
    written = [t.get_text() for t in _drawn().counts_written if t.get_visible()]
    assert written == ["1.234", "5.678"]


def test_each_kind_has_a_colour_of_its_own() -> None:
    """Told apart on the picture: no two kinds share a colour, nor come near one; done on
    time stays green and overdue red."""
    colours = list(COLOURS.values())
    assert len(set(colours)) == len(SERIES)
    assert min(math.dist(a, b) for a, b in itertools.combinations(colours, 2)) > 60
    green, red = GREEN, RED
    assert green[1] > green[0] and green[1] > green[2]
    assert red[0] > red[1] and red[0] > red[2]
    every = {key: 10 + i for i, key in enumerate(COLOURS)}
    image = _image(agency_bars([("Sở Nội vụ", every), ("Sở Y tế", every)], "Bảy loại"))
    for key, colour in COLOURS.items():  # each kind's segments, and its legend key
        assert _count(image, colour) > 1000, key


def _legend_strip(image: Image.Image) -> Image.Image:
    """The bottom of a chart, under its axis: the legend."""
    return image.crop((0, image.height - 70, image.width, image.height))


def test_a_legend_names_only_the_kinds_drawn() -> None:
    shown = {"on_time": 4, "overdue": 2}
    for rows in ([("Sở Nội vụ", shown)], [("Sở Nội vụ", shown), ("Sở Y tế", {"late": 1})]):
        image = _image(agency_bars(rows, "Vài loại"))
        drawn = {key for _, counts in rows for key in counts}
        legend = _drawn().axes.figure.legends[0]
        assert [t.get_text() for t in legend.get_texts()] == [
            NAMES[key] for key in COLOURS if key in drawn
        ]
        strip = _legend_strip(image)
        for key, colour in COLOURS.items():
            assert (_count(strip, colour) > 100) == (key in drawn), key
            if key not in drawn:
                assert _count(image, colour) == 0, key


def test_nothing_to_draw_is_not_drawn() -> None:
    """A chart of empty bars would say nothing, its legend listing kinds none of them
    has: whoever asks for one is told, before a picture is made."""
    empty = [("Sở Nội vụ", {"on_time": 0, "late": 0, "soon": 0, "overdue": 0})]
    for rows in ([], empty, [("Sở Tư pháp", {"cancelled": 3})]):
        assert not drawable(rows)
        with pytest.raises(ValueError, match="nothing to draw"):
            agency_bars(rows, "Không có gì")
    assert drawable([*empty, ("Sở Y tế", {"late": 1})])


def test_an_agency_counting_no_part_has_no_empty_row() -> None:
    """A former agency whose parts all went to its successor counts nothing: no row."""
    agency_bars([("Sở Y tế", {"on_time": 2}), ("Sở Giao thông vận tải", {"moved": 3}),
                 ("Sở Xây dựng", {"overdue": 1, "on_time": 0})], "Kế hoạch")  # fmt: skip
    assert _names_drawn() == ["Sở Xây dựng", "Sở Y tế"]
