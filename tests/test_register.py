"""Queries an admin runs on the seeded register, with a fixed `today`."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.db import session_scope
from bot.domain.text import fold
from bot.importers.plans import import_plan
from bot.models import Assignment, Status, Task
from bot.services.register import find_agency, list_assignments
from tests.province import IMPORT_DAY, SETTINGS
from tests.test_deadlines import CASES, UNSPECIFIED

SEED = Path(__file__).resolve().parent.parent / "seed"


@pytest.fixture
def seeded(registry_engine: Engine) -> Engine:
    with session_scope(registry_engine) as session:
        for path in sorted((SEED / "plans").glob("*.csv")):
            import_plan(session, path, settings=SETTINGS, on=IMPORT_DAY)
    return registry_engine


def test_every_deadline_cell_of_the_seed_plans_is_in_the_phrase_table(seeded: Engine) -> None:
    known = {fold(text) for text, _, _ in CASES} | {fold(text) for text in UNSPECIFIED}
    with Session(seeded) as s:
        cells = {fold(t.deadline_text) for t in s.exec(select(Task))}
    assert cells - known == set()


def test_agency_filter_and_due_within(seeded: Engine) -> None:
    with Session(seeded) as s:
        snv = find_agency(s, "sở nội vụ")
        assert snv is not None and snv.code == "so-noi-vu"
        soon = list_assignments(s, today=date(2024, 11, 25), agency=snv, due_within=60)
    assert soon and all(x.agency == "Sở Nội vụ" for x in soon)
    assert {x.due_on for x in soon} == {date(2024, 12, 31)}


def test_overdue_leaves_out_done_parts(seeded: Engine) -> None:
    with Session(seeded) as s:
        overdue = list_assignments(s, today=date(2025, 1, 6), plan="126/KH-UBND", overdue=True)
    assert len(overdue) == 260  # every part of plan 126 is due 31/12/2024
    with session_scope(seeded) as s:
        part = s.exec(select(Assignment)).first()
        assert part is not None
        part.status = Status.DONE
    with Session(seeded) as s:
        assert (
            len(list_assignments(s, today=date(2025, 1, 6), plan="126/kh-ubnd", overdue=True))
            == 259
        )
        every = list_assignments(s, today=date(2025, 1, 6), plan="126/KH-UBND", include_closed=True)
        assert len(every) == 260


def test_unspecified_lists_only_parts_without_a_date(seeded: Engine) -> None:
    with Session(seeded) as s:
        lines = list_assignments(s, today=date(2024, 11, 25), unspecified=True)
    assert lines and all(x.due_on is None and x.deadline.startswith("Chưa xác định") for x in lines)
    assert {x.plan for x in lines} == {"336/KH-UBND", "KH-STNMT-VP-2022", "2228/QĐ-UBND"}
