"""A task a revised plan no longer has: re-importing the plan cancels its open parts (said
in the preview first, one audit-trail row each, done parts kept), a later import that has
it again reopens them, and a file covering only part of the plan leaves the rest alone.
Users see the task's number as the plan gives it, never the key kept apart ("1~12")."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.db import session_scope
from bot.importers.plans import PlanImportReport, RemovedTask, import_plan
from bot.models import Assignment, Role, Status, StatusUpdate, Task
from bot.services.imports import (
    Kind,
    PlanOptions,
    changed_tasks,
    dropped_tasks,
    run_import,
    summary,
)
from bot.services.plan_view import PartFilter, parts
from bot.services.register import list_assignments, list_unassigned
from tests.province import IMPORT_DAY, SETTINGS

META = "Số kế hoạch,77/KH-UBND\nNgày ban hành,05/01/2025\n\n"
HEADER = "STT,Nhiệm vụ cụ thể,Tiến độ,Cơ quan chủ trì,Cơ quan phối hợp\n"
V1 = [
    "1,Rà soát thủ tục hành chính,Quý I/2025,Sở Nội vụ,Sở Tư pháp",
    "2,Khảo sát mức độ hài lòng,Quý II/2025,Sở Y tế,",
    "3,Số hóa hồ sơ,Quý III/2025,Sở Tài chính,",
]


def plan_csv(folder: Path, name: str, rows: list[str], header: str = HEADER) -> Path:
    path = folder / name
    path.write_text(META + header + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def _import(engine: Engine, path: Path, lead: str = "") -> None:
    with session_scope(engine) as session:
        run_import(session, Kind.TASKS, path, settings=SETTINGS, on=IMPORT_DAY,
                   plan=PlanOptions(lead=lead))  # fmt: skip


def _parts(engine: Engine, text: str) -> dict[str, tuple[str, str]]:
    """The parts of the task ``text``: role → (status, its key)."""
    with Session(engine) as s:
        task = s.exec(select(Task).where(Task.text == text)).one()
        parts = s.exec(select(Assignment).where(Assignment.task_id == task.id)).all()
        return {p.role: (p.status, task.key) for p in parts}


def test_a_task_removed_from_the_plan_has_its_open_parts_cancelled_and_back_reopened(
    registry_engine: Engine, tmp_path: Path
) -> None:
    _import(registry_engine, plan_csv(tmp_path, "v1.csv", V1))
    with session_scope(registry_engine) as s:  # the lead's part done, as /xong would
        task = s.exec(select(Task).where(Task.key == "1")).one()
        lead = s.exec(select(Assignment).where(Assignment.task_id == task.id,
                                               Assignment.role == Role.LEAD)).one()  # fmt: skip
        lead.status = Status.DONE
    # Task 1 deleted, the rest renumbered: the row now "1" is another task.
    v2 = plan_csv(tmp_path, "v2.csv", ["1" + V1[1][1:], "2" + V1[2][1:]])
    with session_scope(registry_engine) as session:
        preview = run_import(session, Kind.TASKS, v2, settings=SETTINGS, on=IMPORT_DAY,
                             dry_run=True)  # fmt: skip
    assert isinstance(preview, PlanImportReport)
    said = dropped_tasks(preview, dry_run=True)
    assert said == [
        "Sẽ hủy 1 phần việc của 1 nhiệm vụ không còn trong kế hoạch (phần việc đã hoàn thành "
        "giữ nguyên): mục 1 “Rà soát thủ tục hành chính”"
    ]
    assert "sẽ hủy 1)" in summary(preview, dry_run=True)
    assert _parts(registry_engine, "Rà soát thủ tục hành chính")[Role.COORDINATE][0] == Status.OPEN

    with session_scope(registry_engine) as session:
        report = import_plan(session, v2, settings=SETTINGS, on=IMPORT_DAY)
    assert report.tasks_removed == [RemovedTask("1", "Rà soát thủ tục hành chính", 1)]
    assert report.tasks_missing == [] and report.assignments_cancelled == 1
    got = _parts(registry_engine, "Rà soát thủ tục hành chính")
    assert {role: status for role, (status, _) in got.items()} == {
        Role.LEAD: Status.DONE, Role.COORDINATE: Status.CANCELLED}  # fmt: skip
    assert "~" in got[Role.LEAD][1]  # kept apart from the row that took its number
    with Session(registry_engine) as s:
        notes = s.exec(select(StatusUpdate.note).where(StatusUpdate.field == "status",
                                                       StatusUpdate.new == Status.CANCELLED)).all()  # fmt: skip
        assert notes == ["bỏ khỏi kế hoạch khi nhập lại v2.csv"]
        # Not listed as open (so never reminded), nor as waiting for a lead.
        listed = list_assignments(s, today=IMPORT_DAY)
        assert "Rà soát thủ tục hành chính" not in {x.task for x in listed}
        assert list_unassigned(s) == []
        # Where it is still shown, by the number the plan gave it.
        closed = [x for x in list_assignments(s, today=IMPORT_DAY, include_closed=True)
                  if x.task == "Rà soát thủ tục hành chính"]  # fmt: skip
        assert {x.task_key for x in closed} == {"1"}
        assert task.plan_id is not None
        assert {x.task_key for x in parts(s, task.plan_id, PartFilter(), today=IMPORT_DAY)
                if x.task == "Rà soát thủ tục hành chính"} == {"1"}  # fmt: skip

    # Importing the revision again says nothing more about it.
    with session_scope(registry_engine) as session:
        again = import_plan(session, v2, settings=SETTINGS, on=IMPORT_DAY)
    assert again.tasks_removed == [] and again.tasks_missing == []
    assert again.assignments_cancelled == 0

    # The plan has it again: its cancelled part reopens, its done part stays done.
    with session_scope(registry_engine) as session:
        back = import_plan(session, plan_csv(tmp_path, "v3.csv", V1), settings=SETTINGS,
                           on=IMPORT_DAY)  # fmt: skip
    assert back.tasks_restored == ["1"] and back.tasks_removed == []
    assert changed_tasks(back) == [f"dòng {n + 5}: mục {n} → mục {n + 1} (chuyển vị trí, nội "
                                   "dung không đổi)" for n in (1, 2)]  # fmt: skip
    assert dropped_tasks(back, dry_run=False)[0].startswith("1 nhiệm vụ đã bỏ khỏi kế hoạch nay")
    assert _parts(registry_engine, "Rà soát thủ tục hành chính") == {
        Role.LEAD: (Status.DONE, "1"), Role.COORDINATE: (Status.OPEN, "1")}  # fmt: skip
    with Session(registry_engine) as s:
        assert s.exec(select(Task).where(col(Task.removed_in).is_not(None))).all() == []


APPENDICES = [
    "Phụ lục 1,,,,", "1,Rà soát thủ tục hành chính,Quý I/2025,Sở Nội vụ,",
    "2,Khảo sát mức độ hài lòng,Quý II/2025,Sở Y tế,",
    "Phụ lục 2,,,,", "1,Số hóa hồ sơ,Quý III/2025,Sở Tài chính,",
    "2,Công khai thủ tục,Quý IV/2025,Sở Tư pháp,",
]  # fmt: skip


def test_a_file_of_one_appendix_leaves_the_other_appendix_alone(
    registry_engine: Engine, tmp_path: Path
) -> None:
    _import(registry_engine, plan_csv(tmp_path, "all.csv", APPENDICES))
    # Appendix 2 alone, revised: its task 2 dropped; appendix 1 is not in the file.
    with session_scope(registry_engine) as session:
        report = import_plan(session, plan_csv(tmp_path, "pl2.csv", APPENDICES[3:5]),
                             settings=SETTINGS, on=IMPORT_DAY)  # fmt: skip
    assert [t.task_key for t in report.tasks_removed] == ["PL2.2"]
    assert report.tasks_missing == ["PL1.1", "PL1.2"] and report.assignments_cancelled == 1
    assert dropped_tasks(report, dry_run=False)[1].startswith(
        "2 nhiệm vụ đã có nhưng không có trong tệp, thuộc phần kế hoạch tệp không có"
    )
    assert _parts(registry_engine, "Rà soát thủ tục hành chính")[Role.LEAD][0] == Status.OPEN
    assert _parts(registry_engine, "Công khai thủ tục")[Role.LEAD][0] == Status.CANCELLED


def test_a_file_read_with_lead_leaves_the_tasks_other_agencies_lead(
    registry_engine: Engine, tmp_path: Path
) -> None:
    header = "STT,Nhiệm vụ cụ thể,Tiến độ\n"
    first = ["1,Rà soát thủ tục hành chính,Quý I/2025", "2,Khảo sát mức độ hài lòng,Quý II/2025"]
    _import(registry_engine, plan_csv(tmp_path, "noi-vu.csv", first, header), lead="Sở Nội vụ")
    other = plan_csv(tmp_path, "y-te.csv", ["3,Số hóa hồ sơ,Quý III/2025"], header)
    with session_scope(registry_engine) as session:
        report = import_plan(session, other, default_lead="Sở Y tế", settings=SETTINGS,
                             on=IMPORT_DAY)  # fmt: skip
    assert report.tasks_removed == [] and report.tasks_missing == ["1", "2"]
    assert report.assignments_cancelled == 0
    # The same agency's file without task 2: task 2 is dropped.
    with session_scope(registry_engine) as session:
        report = import_plan(session, plan_csv(tmp_path, "noi-vu2.csv", first[:1], header),
                             default_lead="Sở Nội vụ", settings=SETTINGS, on=IMPORT_DAY)  # fmt: skip
    assert [t.task_key for t in report.tasks_removed] == ["2"]
    assert report.tasks_missing == ["3"]


def test_a_whole_plan_revision_that_drops_an_appendix_drops_its_tasks(
    registry_engine: Engine, tmp_path: Path
) -> None:
    _import(registry_engine, plan_csv(tmp_path, "all.csv", APPENDICES))
    revised = plan_csv(tmp_path, "revised.csv", APPENDICES[:3])  # Phụ lục 2 is gone
    with session_scope(registry_engine) as session:  # by default it may be a part of the plan
        kept = run_import(session, Kind.TASKS, revised, settings=SETTINGS, on=IMPORT_DAY,
                          dry_run=True)  # fmt: skip
    assert isinstance(kept, PlanImportReport) and kept.tasks_missing == ["PL2.1", "PL2.2"]
    assert "nhập lại với --whole-plan" in dropped_tasks(kept, dry_run=True)[0]
    with session_scope(registry_engine) as session:
        report = run_import(session, Kind.TASKS, revised, settings=SETTINGS, on=IMPORT_DAY,
                            plan=PlanOptions(whole_plan=True))  # fmt: skip
    assert isinstance(report, PlanImportReport) and report.tasks_missing == []
    assert [t.task_key for t in report.tasks_removed] == ["PL2.1", "PL2.2"]
    assert _parts(registry_engine, "Số hóa hồ sơ")[Role.LEAD][0] == Status.CANCELLED
    assert _parts(registry_engine, "Rà soát thủ tục hành chính")[Role.LEAD][0] == Status.OPEN


def test_whole_plan_also_drops_the_tasks_other_agencies_lead_in_a_file_read_with_lead(
    registry_engine: Engine, tmp_path: Path
) -> None:
    header = "STT,Nhiệm vụ cụ thể,Tiến độ\n"
    rows = ["1,Rà soát thủ tục hành chính,Quý I/2025", "2,Khảo sát mức độ hài lòng,Quý II/2025"]
    _import(registry_engine, plan_csv(tmp_path, "v1.csv", V1))
    with session_scope(registry_engine) as session:
        report = run_import(session, Kind.TASKS, plan_csv(tmp_path, "nv.csv", rows, header),
                            settings=SETTINGS, on=IMPORT_DAY,
                            plan=PlanOptions(lead="Sở Nội vụ", whole_plan=True))  # fmt: skip
    assert isinstance(report, PlanImportReport) and report.tasks_missing == []
    assert [t.task_key for t in report.tasks_removed] == ["3"]
