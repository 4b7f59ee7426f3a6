"""Reading a one-stop export a piece at a time reads what the csv module reads in the
whole text, cell by cell in NFC, wherever the pieces are cut; and a row's cells, as read,
are cleaned as each cell alone would be."""

from __future__ import annotations

import csv
import io
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.text import clean
from bot.importers import tabular
from bot.importers.files import _Reader
from bot.importers.tabular import FileProblem, iter_rows

HEADER = "Mã hồ sơ,Đơn vị xử lý,Ngày tiếp nhận\n"
# What makes reading hard: quotes, breaks of every kind, letters with their tones apart
# (cp1258's way), a Greek question mark (NFC: a semicolon), no-break spaces.
PIECES = [*'ab,;"', "\r", "\n", "\r\n", " ", "\u00a0", "ệ", "e\u0323\u0302", "\u0301",
          "\u037e", "Sở Tư pháp", "22/01/2025 09:00"]  # fmt: skip
texts = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)


def read(path: Path) -> tuple[str, object]:
    try:
        return "rows", [(r.line, r.cells) for r in iter_rows(path, "files")]
    except FileProblem as problem:
        return "problem", (problem.line, problem.reason)


def as_the_csv_module_reads_it(text: str) -> list[tuple[int, tuple[str, ...]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    rows, start = [], 1
    for cells in reader:
        rows.append((start, tuple(unicodedata.normalize("NFC", c) for c in cells)))
        start = reader.line_num + 1
    return rows


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=texts, encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
def test_pieces_cut_anywhere_read_as_the_whole_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str, encoding: str
) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes((HEADER + body).encode(encoding))
    whole = read(path)
    with monkeypatch.context() as m:
        m.setattr(tabular, "_BLOCK", 3)  # a character, even a CR LF, cut between two pieces
        assert read(path) == whole
    if whole[0] == "rows":
        assert whole[1] == as_the_csv_module_reads_it(HEADER + body)
    else:
        assert "dấu ngoặc kép mở" in whole[1][1]  # type: ignore[index]


@pytest.mark.parametrize("block", [3, 1 << 20])
def test_a_control_character_names_its_row_and_a_bad_byte_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    monkeypatch.setattr(tabular, "_BLOCK", block)
    path = tmp_path / "export.csv"
    rows = [f"HS-{n},Sở Tư pháp,22/01/2025 09:00\n" for n in range(1, 6)]
    path.write_text(HEADER + "".join(rows[:3]) + 'HS-4,"Sở Tư\npháp\x02",x\n' + rows[4])
    with pytest.raises(FileProblem, match="dòng 5: có ký tự lạ") as problem:
        list(iter_rows(path, "files"))
    assert "dòng 5" in str(problem.value)
    # Past the first 64 KiB, where the encoding is recognised.
    many = "".join(f"HS-{n},Sở Tư pháp,22/01/2025 09:00\n" for n in range(3000))
    path.write_bytes((HEADER + many).encode() + b"HS-X,S\xff,x\n" + rows[0].encode())
    with pytest.raises(FileProblem, match=r"dòng 3002, ký tự thứ 7: sai bảng mã, byte 0xFF "):
        list(iter_rows(path, "files"))


@pytest.mark.parametrize(
    "cells",
    [
        ["  Sở  Tư\u00a0pháp ", "", " ", "HS-1"],
        ["e\u0323\u0302", "\u0301a", "\t\n x", "Lê\u2003Văn  An"],
        ["a\x00b", "c"],  # a NUL after all: cell by cell
        ["Lô ¦ 3", "x¦y", "¦"],  # the separator that tells a cell's ends, in a cell
    ],
)
def test_a_rows_cells_are_cleaned_as_each_alone(cells: list[str]) -> None:
    as_read = [unicodedata.normalize("NFC", c) for c in cells]  # as iter_cells gives them
    assert _Reader.clean(as_read) == [clean(c) for c in cells]


@given(st.lists(st.text(st.sampled_from([*"a \t\r\n\u00a0\u2003\u0301\u0323ệ\u037e\x00¦"])),
                min_size=1, max_size=6))  # fmt: skip
def test_any_cells_are_cleaned_as_each_alone(cells: list[str]) -> None:
    as_read = [unicodedata.normalize("NFC", c) for c in cells]
    assert _Reader.clean(as_read) == [clean(c) for c in cells]
