"""The periodic report of a plan: XLSX read back with openpyxl, totals equal to the database."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, col, select

from bot.db import make_engine, session_scope
from bot.models import Assignment, Plan, Role, Status, Task
from bot.reports.plan_report import build, period_bounds, to_html, to_xlsx
from bot.services.assignments import Actor, mark_done
from tests.province import CAL, Province, at


@pytest.mark.parametrize(
    ("text", "bounds"),
    [("2024-Q4", (date(2024, 10, 1), date(2024, 12, 31))), ("2025-h1", (date(2025, 1, 1), date(2025, 6, 30))),
     ("2024-02", (date(2024, 2, 1), date(2024, 2, 29))), ("2024", (date(2024, 1, 1), date(2024, 12, 31)))],
)  # fmt: skip
def test_periods(text: str, bounds: tuple[date, date]) -> None:
    assert period_bounds(text) == bounds


def test_bad_period_is_explained() -> None:
    with pytest.raises(ValueError, match="2024-Q4"):
        period_bounds("quý 4")


@pytest.fixture
def province(province: Province) -> Province:
    """The demo province's plan: done on time, done late, overdue, open, and one with no date."""
    engine = province.engine
    on_time = province.add_task("30/11/2024", text="Rà soát quy trình")
    late = province.add_task("15/11/2024", text="Công khai thủ tục", lead="so-tu-phap")
    province.add_task(
        "15/12/2024", text="Báo cáo quý", coordinate=("so-noi-vu",)
    )  # overdue by 31/12
    province.add_task("31/01/2025", text="Tổng kết năm")  # open
    province.add_task("Theo kế hoạch", text="Kiểm tra đột xuất")  # no date
    with session_scope(engine) as s:
        mark_done(s, s.get(Assignment, on_time), Actor("telegram:1"), at(date(2024, 11, 28)),  # type: ignore[arg-type]
                  "Minh chứng: 12/BC-SYT")  # fmt: skip
        mark_done(s, s.get(Assignment, late), Actor("telegram:2"), at(date(2024, 11, 20)))  # type: ignore[arg-type]
    return province


def test_the_xlsx_totals_match_the_database(province: Province) -> None:
    with Session(province.engine) as s:
        plan = s.exec(select(Plan)).one()
        report = build(s, plan, date(2024, 10, 1), date(2024, 12, 31), CAL)
        leads = s.exec(
            select(Assignment)
            .join(Task)
            .where(Task.plan_id == plan.id, Assignment.role == Role.LEAD)
        ).all()
        done = [a for a in leads if a.status == Status.DONE]
    book = load_workbook(io.BytesIO(to_xlsx(report)))
    sheet = book["Báo cáo"]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    totals = {row[0]: row[1] for row in values if row and row[0] and isinstance(row[1], int)}
    assert totals["Tổng cộng"] == len(leads) == 5
    assert totals["Hoàn thành đúng hạn"] + totals["Hoàn thành trễ hạn"] == len(done) == 2
    assert (totals["Hoàn thành đúng hạn"], totals["Hoàn thành trễ hạn"]) == (1, 1)
    assert (
        totals["Quá hạn, chưa hoàn thành"],
        totals["Đang thực hiện"],
        totals["Chưa xác định thời hạn"],
    ) == (1, 1, 1)
    detail = [row for row in values[5:] if row[0] and row[2]]
    assert len(detail) == len(report.lines) == 6  # five leads and one coordinating part
    assert any(row[8] and "12/BC-SYT" in row[8] for row in detail)
    by_agency = {row[0].value: row[-1].value for row in book["Theo cơ quan"].iter_rows(min_row=2)}
    assert by_agency == {"Sở Tư pháp": 1, "Sở Y tế": 4}
    html = to_html(report)
    assert "Kế hoạch 126/KH-UBND".upper() in html.upper() and "Rà soát quy trình" in html


def test_the_report_command(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'd.db'}"}
    subprocess.run(
        [sys.executable, "-m", "bot", "seed"],
        env=env,
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    result = subprocess.run(
        [sys.executable, "-m", "bot", "report", "--plan", "126/KH-UBND", "--period", "2024-Q4", "--out", "q4.xlsx"],
        env=env, cwd=tmp_path, check=True, capture_output=True, text=True,
    )  # fmt: skip
    assert "Đã ghi q4.xlsx" in result.stdout and "phần việc chủ trì" in result.stdout
    book = load_workbook(tmp_path / "q4.xlsx")
    assert book["Báo cáo"]["A1"].value == "BÁO CÁO KẾT QUẢ THỰC HIỆN KẾ HOẠCH 126/KH-UBND"
    with Session(make_engine(env["DATABASE_URL"])) as s:
        plan = s.exec(select(Plan).where(Plan.number == "126/KH-UBND")).one()
        leads = s.exec(
            select(Assignment)
            .join(Task)
            .where(Task.plan_id == plan.id, col(Assignment.role) == Role.LEAD)
        ).all()
    totals = {
        row[0].value: row[1].value
        for row in book["Báo cáo"].iter_rows()
        if row[0].value == "Tổng cộng"
    }
    assert totals["Tổng cộng"] == len(leads)


def test_the_report_command_draws_no_chart_with_nothing_to_draw(tmp_path: Path) -> None:
    """A plan with no lead part yet: the report is written, the chart is not (an empty one
    would list every kind and show none), and the admin is told why."""
    from bot.db import upgrade
    from tests.cli import Dondoc
    from tests.province import build_province

    url = f"sqlite:///{tmp_path / 'dondoc.db'}"
    upgrade(url)
    province = build_province(make_engine(url))
    dondoc = Dondoc(tmp_path)
    args = ("report", "--plan", "126/KH-UBND", "--period", "2024-Q4")
    empty = dondoc.ok(*args, "--out", str(tmp_path / "r.xlsx"), "--chart", str(tmp_path / "a.png"))
    assert "Chưa có nhiệm vụ nào để vẽ biểu đồ" in empty.output
    assert (tmp_path / "r.xlsx").exists() and not (tmp_path / "a.png").exists()
    province.add_task("10/12/2024")
    drawn = dondoc.ok(*args, "--out", str(tmp_path / "r.xlsx"), "--chart", str(tmp_path / "b.png"))
    assert "Chưa có nhiệm vụ nào" not in drawn.output
    assert (tmp_path / "b.png").read_bytes().startswith(b"\x89PNG")
