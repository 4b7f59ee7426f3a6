"""A plan's "Chỉ số/nội dung" column (the index component a task serves, or the wider
column of two that both look like the task) is kept with the task and shown wherever the
task is listed: /nhiemvu, ``dondoc tasks`` and the web view's plan and its export."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.importers.plans import import_plan
from bot.models import Assignment, Plan
from bot.services.actions import Sender
from bot.services.plan_view import PartFilter, parts
from bot.services.register import PARTS_HEADER, list_assignments
from tests.chat import say
from tests.province import FRIDAY, IMPORT_DAY, SETTINGS, Province
from tests.web import COORDINATOR, Web, signed_in

PLAN = """Số kế hoạch,77/KH-UBND
Ngày ban hành,05/3/2024
STT,Chỉ số/nội dung,Nhiệm vụ,Tiến độ,Cơ quan chủ trì
1,Tri thức công dân,Tập huấn cán bộ cấp xã về Chỉ số PAPI,Quý IV/2024,Sở Y tế
2,,Rà soát quy trình nội bộ,Quý IV/2024,Sở Y tế
"""


def _import(engine: Engine, tmp_path: Path) -> int:
    path = tmp_path / "kh77.csv"
    path.write_text(PLAN, encoding="utf-8")
    with Session(engine) as s:
        report = import_plan(s, path, settings=SETTINGS, on=IMPORT_DAY)
        assert report.tasks_new == 2 and not report.warnings, report.warnings
        s.commit()
        plan = s.exec(select(Plan).where(Plan.number == "77/KH-UBND")).one()
        assert plan.id is not None
        return plan.id


def test_the_indicator_is_listed_with_its_task_everywhere(
    province: Province, tmp_path: Path
) -> None:
    plan_id = _import(province.engine, tmp_path)
    with Session(province.engine) as s:
        lines = list_assignments(s, today=IMPORT_DAY, plan="77/KH-UBND")
        assert [(x.task, x.indicator) for x in lines] == [
            ("Tập huấn cán bộ cấp xã về Chỉ số PAPI", "Tri thức công dân"),
            ("Rà soát quy trình nội bộ", ""),
        ]
        on_the_web = list(parts(s, plan_id, PartFilter(), today=IMPORT_DAY))
        assert [x.indicator for x in on_the_web] == ["Tri thức công dân", ""]
        assert len(s.exec(select(Assignment)).all()) == 2
    assert PARTS_HEADER.index("Chỉ số/nội dung") == PARTS_HEADER.index("Nhiệm vụ") + 1

    officer = Sender("console", "group:so-y-te", "501", "An")
    answer = say(province.engine, officer, "/nhiemvu", FRIDAY)
    [with_it] = [line for line in answer.splitlines() if "Tập huấn" in line]
    assert "<i>(Tri thức công dân)</i>" in with_it
    [without] = [line for line in answer.splitlines() if "Rà soát quy trình" in line]
    assert "<i>" not in without


async def test_the_plan_page_shows_the_indicator_under_its_task(web: Web, tmp_path: Path) -> None:
    plan_id = _import(web.engine, tmp_path)
    await signed_in(web, COORDINATOR)
    page = (await web.client.get(f"/ke-hoach/{plan_id}")).text
    assert "<small>Chỉ số/nội dung: Tri thức công dân</small>" in page
    assert page.count("Chỉ số/nội dung:") == 1
