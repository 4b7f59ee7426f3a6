"""Importing a plan from its Word document: the seed plans as Word lays them out give
the same tasks, agencies and deadlines as their CSV; documents of other shapes; problems
named by table, row and column; one transaction."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.db import make_engine, session_scope, upgrade
from bot.importers.agencies import import_agencies
from bot.importers.plans import import_plan
from bot.importers.rows import PlanMeta
from bot.importers.word import read_word
from bot.models import Agency, Assignment, Plan, Section, Task
from tests.docx_plans import (
    SEED_PLANS,
    read_seed,
    seed_document,
)
from tests.province import IMPORT_DAY, SETTINGS

ROOT = Path(__file__).resolve().parent.parent
HEADER = ["STT", "Nhiệm vụ cụ thể", "Tiến độ", "Cơ quan chủ trì", "Cơ quan phối hợp"]


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Engine]:
    """A SQLite database holding the demo province's agency registry."""
    url = f"sqlite:///{tmp_path / 'dondoc.db'}"
    upgrade(url)
    engine = make_engine(url)
    with session_scope(engine) as session:
        import_agencies(session, ROOT / "seed" / "agencies.csv")
    yield engine
    engine.dispose()


def tasks_of(session: Session, number: str) -> dict[str, tuple[Any, ...]]:
    """Each task of the plan by key: its texts, its deadline as read, and its parts."""
    plan = session.exec(select(Plan).where(Plan.number == number)).one()
    sections = {
        s.id: s.key for s in session.exec(select(Section).where(Section.plan_id == plan.id))
    }
    out: dict[str, tuple[Any, ...]] = {}
    for task in session.exec(select(Task).where(Task.plan_id == plan.id)):
        parts = session.exec(
            select(Agency.code, Assignment.role, Assignment.due_on)
            .join(Agency, col(Assignment.agency_id) == col(Agency.id))
            .where(Assignment.task_id == task.id)
        ).all()
        out[task.key] = (
            task.number, task.text, task.indicator, task.target, task.result,
            task.deadline_text, task.deadline_kind, task.due_on, task.recurrence,
            task.deadline_detail, sections.get(task.section_id), sorted(parts),
        )  # fmt: skip
    return out


def _given(csv_meta: dict[str, str]) -> PlanMeta:
    """What an admin gives on the command line for a plan whose document leaves its number
    blank (seeds 001 and 003: the CSV's number is made up)."""
    if csv_meta["Số kế hoạch"][:1].isdigit():
        return PlanMeta()
    return PlanMeta(number=csv_meta["Số kế hoạch"], year=int(csv_meta["Năm"]))


@pytest.mark.parametrize("seed", sorted(p.name for p in SEED_PLANS.glob("*.csv")))
def test_word_version_of_each_seed_plan_gives_the_csv_tasks(
    registry: Engine, tmp_path: Path, seed: str
) -> None:
    csv_path = SEED_PLANS / seed
    meta, _, _ = read_seed(csv_path)
    document = seed_document(csv_path, tmp_path)
    with Session(registry) as session:
        from_csv = import_plan(session, csv_path, settings=SETTINGS, on=IMPORT_DAY)
        expected = tasks_of(session, from_csv.plan)
        session.rollback()
        from_word = import_plan(
            session, document, meta=_given(meta), settings=SETTINGS, on=IMPORT_DAY
        )
        got = tasks_of(session, from_word.plan)
        issued_on = session.exec(select(Plan.issued_on)).one()
        session.rollback()
    assert from_word.plan == from_csv.plan
    assert list(got) == list(expected)
    for key in expected:
        assert got[key] == expected[key], key
    assert from_word.tasks_total == from_csv.tasks_total > 0
    assert from_word.assignments_total == from_csv.assignments_total
    assert [u.text for u in from_word.unspecified] == [u.text for u in from_csv.unspecified]
    if meta.get("Ngày ban hành"):  # read from the document, not given
        assert issued_on is not None and f"{issued_on:%d/%m/%Y}" == meta["Ngày ban hành"]


def test_the_document_states_number_date_title_and_appendix_leads(tmp_path: Path) -> None:
    plan = read_word(seed_document(SEED_PLANS / "002_dongnai_336_2024.csv", tmp_path))
    assert plan.meta.number == "336/KH-UBND"
    assert f"{plan.meta.issued_on:%d/%m/%Y}" == "15/10/2024"
    assert plan.meta.title.startswith("THỰC HIỆN CHỈ THỊ SỐ 36-CT/TU")
    assert [t.lead for t in plan.tables] == [
        "SỞ NỘI VỤ", "VĂN PHÒNG ỦY BAN NHÂN DÂN TỈNH", "SỞ THÔNG TIN VÀ TRUYỀN THÔNG",
        "ỦY BAN NHÂN DÂN CÁC HUYỆN, THÀNH PHỐ", "ỦY BAN NHÂN DÂN CÁC XÃ, PHƯỜNG, THỊ TRẤN",
    ]  # fmt: skip
    assert plan.tables[0].heading.startswith("Phụ lục 1: CÁC NHIỆM VỤ")
    # The signature table ("Nơi nhận", "CHỦ TỊCH") and the header block are no task tables.
    assert len(plan.tables) == 5

    sipas = read_word(seed_document(SEED_PLANS / "000_sipas_2024.csv", tmp_path))
    assert (sipas.meta.number, f"{sipas.meta.issued_on:%d/%m/%Y}") == ("126/KH-UBND", "03/06/2024")
    assert sipas.meta.title == "CÁC NHIỆM VỤ, GIẢI PHÁP NHẰM NÂNG CAO CHỈ SỐ SIPAS NĂM 2024"
