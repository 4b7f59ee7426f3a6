"""An admin fixes a deadline the reader could not read: audit trail, re-import, the CLI;
and a plan whose deadline column says the work is already done."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.db import session_scope
from bot.importers.plans import import_plan
from bot.models import Assignment, Status, StatusUpdate, Task
from bot.services.assignments import Actor
from bot.services.deadlines import DeadlineNotSet, set_deadline
from tests.province import IMPORT_DAY, SETTINGS

NOW = datetime(2027, 3, 2, 2, 0, tzinfo=UTC)
PLAN = """Số kế hoạch: 12/KH-UBND
Ngày ban hành: 01/03/2027
STT,Nhiệm vụ,Tiến độ,Cơ quan chủ trì,Cơ quan phối hợp
1,Rà soát thủ tục hành chính,Theo kế hoạch của tỉnh,Sở Nội vụ,Sở Tư pháp
2,Công khai kết quả,Cuối quý III/2027,Sở Tư pháp,
3,Số hóa hồ sơ,Đã thực hiện xong,Sở Nội vụ,
"""


def write(folder: Path, body: str) -> Path:
    path = folder / "plan.csv"
    path.write_text(body, encoding="utf-8")
    return path


def parts_of(session: Session, key: str) -> list[Assignment]:
    task = session.exec(select(Task).where(Task.key == key)).one()
    return list(session.exec(select(Assignment).where(Assignment.task_id == task.id)))


def test_set_deadline_is_audited_and_survives_a_reimport(
    registry_engine: Engine, tmp_path: Path
) -> None:
    path = write(tmp_path, PLAN)
    with session_scope(registry_engine) as s:
        import_plan(s, path, settings=SETTINGS, on=IMPORT_DAY)
    with session_scope(registry_engine) as s:
        code = f"NV{parts_of(s, '1')[0].id}"
        done = set_deadline(
            s, code=code, text="Quý IV/2027", actor=Actor("cli:admin"), at=NOW, settings=SETTINGS
        )
    assert done.parts_moved == 2 and done.cell == "Theo kế hoạch của tỉnh"
    assert done.new.startswith("Hạn 31/12/2027") and done.old.startswith("Chưa xác định")
    with Session(registry_engine) as s:
        parts = parts_of(s, "1")
        assert {p.due_on for p in parts} == {date(2027, 12, 31)}
        trail = s.exec(select(StatusUpdate).where(StatusUpdate.assignment_id == parts[0].id)).all()
        # One change, one row (the part's new date is in it): not "deadline" and "due_on".
        assert [u.field for u in trail if u.actor == "cli:admin"] == ["deadline"]
        assert "Hạn 31/12/2027" in (trail[-1].new or "")
        assert "Quý IV/2027" in trail[-1].note

    with session_scope(registry_engine) as s:  # the same plan again: the admin's date stays
        report = import_plan(s, path, settings=SETTINGS, on=IMPORT_DAY)
    assert report.deadlines_kept == ["1"] and not report.unspecified
    with Session(registry_engine) as s:
        assert {p.due_on for p in parts_of(s, "1")} == {date(2027, 12, 31)}

    changed = PLAN.replace("Theo kế hoạch của tỉnh", "Quý II/2027")
    with session_scope(registry_engine) as s:  # the plan's own cell changed: the plan wins
        report = import_plan(s, write(tmp_path, changed), settings=SETTINGS, on=IMPORT_DAY)
    assert report.deadlines_dropped == ["1"]
    with Session(registry_engine) as s:
        assert {p.due_on for p in parts_of(s, "1")} == {date(2027, 6, 30)}
        task = s.exec(select(Task).where(Task.key == "1")).one()
        assert task.deadline_set_to is None


@pytest.mark.parametrize(
    ("code", "text", "words"),
    [
        ("NV999999", "31/12/2027", "không có phần việc"),
        ("NV²", "31/12/2027", "không có phần việc"),
        ("xyz", "31/12/2027", "không có phần việc"),
        ("FIRST", "sớm nhất có thể", "không nêu ngày cụ thể"),
        ("FIRST", "2027-02-30", "không có thật"),
        ("FIRST", "31/02/2027", "không có thật"),
        ("FIRST", "   ", "chưa nhập thời hạn"),
        ("FIRST", "9999-12-31", "nằm ngoài khoảng"),
        ("FIRST", "Đã xong", "không phải thời hạn"),
    ],
)
def test_set_deadline_refuses_what_it_cannot_use(
    registry_engine: Engine, tmp_path: Path, code: str, text: str, words: str
) -> None:
    with session_scope(registry_engine) as s:
        import_plan(s, write(tmp_path, PLAN), settings=SETTINGS, on=IMPORT_DAY)
    with Session(registry_engine) as s:
        first = f"NV{parts_of(s, '1')[0].id}"
    with pytest.raises(DeadlineNotSet, match=words), session_scope(registry_engine) as s:
        set_deadline(s, code=first if code == "FIRST" else code, text=text,
                     actor=Actor("cli:admin"), at=NOW, settings=SETTINGS)  # fmt: skip
    with Session(registry_engine) as s:
        assert {p.due_on for p in parts_of(s, "1")} == {None}


def test_a_plan_that_says_done_imports_the_part_as_done(
    registry_engine: Engine, tmp_path: Path
) -> None:
    with session_scope(registry_engine) as s:
        report = import_plan(s, write(tmp_path, PLAN), settings=SETTINGS, on=IMPORT_DAY)
    assert report.done_in_plan == 1
    with Session(registry_engine) as s:
        (part,) = parts_of(s, "3")
        assert part.status == Status.DONE and part.progress == 100
        notes = s.exec(select(StatusUpdate.note).where(StatusUpdate.assignment_id == part.id))
        assert "tiến độ trong kế hoạch ghi đã xong" in list(notes)


def test_cli_set_deadline_and_the_unspecified_list(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'dondoc.db'}"}

    def dondoc(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([sys.executable, "-m", "bot", *args], env=env, cwd=tmp_path,
                              capture_output=True, text=True, check=False)  # fmt: skip
        assert (done.returncode == 0) is ok, done.stderr
        return done

    dondoc("import", "agencies", str(Path(__file__).parent.parent / "seed" / "agencies.csv"))
    dondoc("import", "tasks", str(write(tmp_path, PLAN)))
    listed = dondoc("tasks", "--unspecified", "--format", "json").stdout
    assert "Theo kế hoạch của tỉnh" in listed and "không nêu ngày cụ thể" in listed
    with Session(create_engine(env["DATABASE_URL"])) as s:
        code = f"NV{parts_of(s, '1')[0].id}"
    shown = dondoc("tasks", "set-deadline", code, "31/12/2027").stdout
    assert "Hạn 31/12/2027" in shown and "nhật ký" in shown
    assert (
        "Theo kế hoạch của tỉnh" not in dondoc("tasks", "--unspecified", "--format", "json").stdout
    )
    refused = dondoc("tasks", "set-deadline", code, "khi nào xong", ok=False)
    assert "Traceback" not in refused.stderr and "Ghi một ngày" in refused.stderr


def test_import_warns_of_tasks_due_before_the_plan_was_signed(
    registry_engine: Engine, tmp_path: Path
) -> None:
    body = PLAN.replace("Cuối quý III/2027", "Tháng 12/2026").replace(
        "Theo kế hoạch của tỉnh", "30 ngày sau khi Kế hoạch được ban hành"
    )
    with session_scope(registry_engine) as s:
        report = import_plan(s, write(tmp_path, body), settings=SETTINGS, on=IMPORT_DAY)
    assert report.due_before_plan == ["2"] and report.plan_date == date(2027, 3, 1)
    with Session(registry_engine) as s:  # counted from the plan's signing
        assert {p.due_on for p in parts_of(s, "1")} == {date(2027, 3, 31)}
