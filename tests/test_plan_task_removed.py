"""A task a revised plan no longer has: re-importing the plan cancels its open parts (said
in the preview first, one audit-trail row each, done parts kept), a later import that has
it again reopens them, and a file covering only part of the plan leaves the rest alone.
Users see the task's number as the plan gives it, never the key kept apart ("1~12")."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.db import session_scope
from bot.importers.plans import PlanImportReport, RemovedTask, import_plan
from bot.models import Agency, Assignment, Role, Status, StatusUpdate, Task, shown_key
from bot.services.assignments import Actor, record_change
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


# Plans repeat a text ("Báo cáo kết quả thực hiện Kế hoạch"), each time with its lead.
REPORT = "Báo cáo kết quả thực hiện Kế hoạch"


def _progress(engine: Engine, code: str, percent: int) -> int:
    """The lead part of agency ``code`` (its one) at ``percent``, with its history row, as an
    officer's /tiendo records it; its id."""
    with session_scope(engine) as s:
        part = s.exec(select(Assignment).join(Agency, col(Assignment.agency_id) == col(Agency.id))
                      .where(Agency.code == code, Assignment.role == Role.LEAD)).one()  # fmt: skip
        record_change(
            s,
            part,
            Actor("telegram:1"),
            datetime(2025, 6, 1, 2, tzinfo=UTC),
            "progress",
            0,
            percent,
        )
        part.progress = percent
        assert part.id is not None
        return part.id


def _leads(engine: Engine) -> dict[str, tuple[str, str, int, int]]:
    """Each lead part's agency code → its task's number (as users see it), its status,
    progress and id."""
    with Session(engine) as s:
        rows = s.exec(
            select(Agency.code, Task.key, Assignment.status, Assignment.progress, Assignment.id)
            .join(Assignment, col(Assignment.task_id) == col(Task.id))
            .join(Agency, col(Assignment.agency_id) == col(Agency.id))
            .where(Assignment.role == Role.LEAD)
        ).all()
    return {code: (shown_key(k), status, progress, i or 0) for code, k, status, progress, i in rows}


def _history(engine: Engine, part_id: int) -> list[tuple[str, str | None]]:
    with Session(engine) as s:
        return [(u.field, u.new) for u in s.exec(select(StatusUpdate).where(
            StatusUpdate.assignment_id == part_id).order_by(col(StatusUpdate.id)))]  # fmt: skip


def _preview_then_import(engine: Engine, path: Path) -> tuple[PlanImportReport, PlanImportReport]:
    with session_scope(engine) as session:
        preview = run_import(session, Kind.TASKS, path, settings=SETTINGS, on=IMPORT_DAY,
                             dry_run=True)  # fmt: skip
    with session_scope(engine) as session:
        done = run_import(session, Kind.TASKS, path, settings=SETTINGS, on=IMPORT_DAY)
    assert isinstance(preview, PlanImportReport) and isinstance(done, PlanImportReport)
    return preview, done


def test_a_copy_of_a_repeated_text_dropped_from_one_appendix_leaves_the_other_copy_as_it_was(
    registry_engine: Engine, tmp_path: Path
) -> None:
    """Appendix 1 drops its report row: appendix 2's report (Sở Y tế, 60 %) is kept with
    its part, progress and history, not handed appendix 1's row and cancelled."""
    v1 = [
        "Phụ lục 1,,,,", "1,Rà soát thủ tục hành chính,Quý I/2025,Sở Nội vụ,",
        f"2,{REPORT},Tháng 11/2025,Sở Tư pháp,",
        "Phụ lục 2,,,,", "1,Số hóa hồ sơ,Quý III/2025,Sở Tài chính,",
        f"2,{REPORT},Tháng 12/2025,Sở Y tế,",
    ]  # fmt: skip
    _import(registry_engine, plan_csv(tmp_path, "v1.csv", v1))
    kept = _progress(registry_engine, "so-y-te", 60)
    before = _history(registry_engine, kept)
    preview, done = _preview_then_import(
        registry_engine, plan_csv(tmp_path, "v2.csv", [*v1[:2], *v1[3:]])
    )
    assert changed_tasks(preview) == []
    assert dropped_tasks(preview, dry_run=True) == [
        "Sẽ hủy 1 phần việc của 1 nhiệm vụ không còn trong kế hoạch (phần việc đã hoàn thành "
        f"giữ nguyên): mục PL1.2 “{REPORT}”"
    ]
    assert "sẽ thêm 0, sẽ sửa 0, giữ nguyên 3" in summary(preview, dry_run=True)
    assert (done.assignments_new, done.assignments_cancelled) == (0, 1)
    leads = _leads(registry_engine)
    assert leads["so-y-te"] == ("PL2.2", Status.OPEN, 60, kept)
    assert leads["so-tu-phap"][:3] == ("PL1.2", Status.CANCELLED, 0)
    assert _history(registry_engine, kept) == before


def test_a_copy_dropped_above_another_in_one_appendix_drops_that_copy(
    registry_engine: Engine, tmp_path: Path
) -> None:
    """The copy below moves up into the dropped one's number: it is moved, not edited into
    the dropped one's lead and deadline."""
    v1 = [
        "1,Rà soát thủ tục hành chính,Quý II/2025,Sở Nội vụ,", f"2,{REPORT},Tháng 6/2025,Sở Tư pháp,",
        "3,Kiểm tra công vụ,Tháng 10/2025,Sở Tài chính,", f"4,{REPORT},Tháng 12/2025,Sở Y tế,",
    ]  # fmt: skip
    _import(registry_engine, plan_csv(tmp_path, "v1.csv", v1))
    kept = _progress(registry_engine, "so-y-te", 60)
    v2 = [v1[0], "2" + v1[2][1:], "3" + v1[3][1:]]
    preview, done = _preview_then_import(registry_engine, plan_csv(tmp_path, "v2.csv", v2))
    assert changed_tasks(preview) == [
        "dòng 6: mục 3 → mục 2 (chuyển vị trí, nội dung không đổi)",
        "dòng 7: mục 4 → mục 3 (chuyển vị trí, nội dung không đổi)",
    ]
    assert [(t.task_key, t.parts) for t in preview.tasks_removed] == [("2", 1)]
    assert (done.assignments_new, done.assignments_cancelled) == (0, 1)
    leads = _leads(registry_engine)
    assert leads["so-y-te"] == ("3", Status.OPEN, 60, kept)
    assert leads["so-tu-phap"][:2] == ("2", Status.CANCELLED)


def test_of_three_copies_the_one_dropped_is_the_one_whose_lead_is_gone(
    registry_engine: Engine, tmp_path: Path
) -> None:
    v1 = [
        f"1,{REPORT},Tháng 6/2025,Sở Tư pháp,", "2,Rà soát thủ tục hành chính,Quý II/2025,Sở Nội vụ,",
        f"3,{REPORT},Tháng 9/2025,Sở Y tế,", "4,Kiểm tra công vụ,Tháng 10/2025,Sở Nội vụ,",
        f"5,{REPORT},Tháng 12/2025,Sở Tài chính,",
    ]  # fmt: skip
    _import(registry_engine, plan_csv(tmp_path, "v1.csv", v1))
    ids = {code: _progress(registry_engine, code, n)
           for code, n in (("so-tu-phap", 10), ("so-y-te", 20), ("so-tai-chinh", 30))}  # fmt: skip
    v2 = [v1[0], v1[1], "3" + v1[3][1:], "4" + v1[4][1:]]  # the second copy dropped
    preview, _ = _preview_then_import(registry_engine, plan_csv(tmp_path, "v2.csv", v2))
    assert [(t.task_key, t.parts) for t in preview.tasks_removed] == [("3", 1)]
    assert [c.moved_from for c in preview.changes] == ["4", "5"]
    assert all(c.changes == [] for c in preview.changes)  # moved, nothing else
    leads = _leads(registry_engine)
    assert leads["so-tu-phap"] == ("1", Status.OPEN, 10, ids["so-tu-phap"])
    assert leads["so-tai-chinh"] == ("4", Status.OPEN, 30, ids["so-tai-chinh"])
    assert leads["so-y-te"] == ("3", Status.CANCELLED, 20, ids["so-y-te"])


def test_a_copy_added_above_a_held_one_is_a_new_task(
    registry_engine: Engine, tmp_path: Path
) -> None:
    """Not the held copy edited into the new row's lead (its work cancelled) and itself
    made again from nothing."""
    v1 = [
        "1,Rà soát thủ tục hành chính,Quý II/2025,Sở Nội vụ,",
        f"2,{REPORT},Tháng 12/2025,Sở Y tế,",
    ]
    _import(registry_engine, plan_csv(tmp_path, "v1.csv", v1))
    kept = _progress(registry_engine, "so-y-te", 60)
    v2 = [v1[0], f"2,{REPORT},Tháng 6/2025,Sở Tư pháp,", "3" + v1[1][1:]]
    preview, done = _preview_then_import(registry_engine, plan_csv(tmp_path, "v2.csv", v2))
    assert changed_tasks(preview) == ["dòng 7: mục 2 → mục 3 (chuyển vị trí, nội dung không đổi)"]
    assert preview.tasks_new == 1 and preview.tasks_removed == []
    assert (done.assignments_new, done.assignments_cancelled) == (1, 0)
    leads = _leads(registry_engine)
    assert leads["so-y-te"] == ("3", Status.OPEN, 60, kept)
    assert leads["so-tu-phap"][:3] == ("2", Status.OPEN, 0)


def test_a_copy_dropped_while_the_other_copys_lead_changes_keeps_the_other_task(
    registry_engine: Engine, tmp_path: Path
) -> None:
    """No lead to go by: the copy in its place among the unchanged rows is the same task,
    edited (its new lead said as a change of lead), not the dropped copy moved there."""
    v1 = [
        "Phụ lục 1,,,,", "1,Rà soát thủ tục hành chính,Quý I/2025,Sở Nội vụ,",
        f"2,{REPORT},Tháng 12/2025,Sở Tư pháp,",
        "Phụ lục 2,,,,", "1,Số hóa hồ sơ,Quý III/2025,Sở Tài chính,",
        f"2,{REPORT},Tháng 12/2025,Sở Y tế,Sở Nội vụ",
    ]  # fmt: skip
    _import(registry_engine, plan_csv(tmp_path, "v1.csv", v1))
    v2 = [*v1[:2], *v1[3:5], f"2,{REPORT},Tháng 12/2025,Sở Xây dựng,Sở Nội vụ"]
    preview, _ = _preview_then_import(registry_engine, plan_csv(tmp_path, "v2.csv", v2))
    assert changed_tasks(preview) == ["dòng 9 (mục PL2.2): Chủ trì “Sở Y tế” → “Sở Xây dựng”"]
    assert [t.task_key for t in preview.tasks_removed] == ["PL1.2"]
    leads = _leads(registry_engine)
    assert leads["so-y-te"][:2] == ("PL2.2", Status.CANCELLED)
    assert leads["so-xay-dung"][:2] == ("PL2.2", Status.OPEN)
    assert leads["so-tu-phap"][:2] == ("PL1.2", Status.CANCELLED)
