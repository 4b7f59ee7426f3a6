"""Plans and files exports read on the import's day, after agencies changed: the former
agency's part goes to its successor, a part already held stays, an empty class is an
error by line unless mapped. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.db import session_scope
from bot.domain.agency_history import ChangeKind
from bot.importers.errors import ImportFailed
from bot.importers.files import import_files
from bot.importers.plans import import_plan
from bot.models import Agency, Assignment, StatusUpdate, Task, TthcFile
from bot.reports.digest import coordinator_digest
from bot.services.agency_changes import apply_due, record_change
from bot.services.assignments import Actor, mark_done
from tests.files import LateFile, late_files_export
from tests.province import CAL, SETTINGS, at

ACT_45 = "Nghị định số 45/2025/NĐ-CP ngày 28/02/2025"
ACT_72 = "Luật Tổ chức chính quyền địa phương số 72/2025/QH15, Điều 51 khoản 3"
MARCH, JULY = date(2025, 3, 1), date(2025, 7, 1)
TODAY = date(2026, 11, 30)

PLAN = (
    "Số kế hoạch,12/KH-UBND\nNgày ban hành,05/01/2026\n\n"
    "STT,Nhiệm vụ cụ thể,Tiến độ,Cơ quan chủ trì,Cơ quan phối hợp\n"
    "1,Thu hút đầu tư,Quý II/2026,Sở Kế hoạch và Đầu tư,Sở Tư pháp\n"
    "2,Lập dự toán,Quý III/2026,Sở Tài chính,Sở Kế hoạch và Đầu tư\n"
    "3,Niêm yết TTHC,Quý IV/2026,UBND cấp huyện,Sở Tư pháp\n"
)


def record(
    engine: Engine, code: str, kind: ChangeKind, on: date, act: str, *successors: str
) -> None:
    """Record a change and apply it as the tick does on ``TODAY``."""
    with session_scope(engine) as s:
        agencies = {a.code: a for a in s.exec(select(Agency))}
        record_change(s, agency=agencies[code], kind=kind, on=on, act=act,
                      successors=[agencies[c] for c in successors], actor="test", now=at(TODAY))  # fmt: skip
        apply_due(s, TODAY, at(TODAY))


@pytest.fixture
def reorganised(registry_engine: Engine) -> Engine:
    """The demo registry after the 2025 changes: KHĐT merged into Sở Tài chính, every
    district dissolved."""
    record(registry_engine, "so-khdt", ChangeKind.MERGED, MARCH, ACT_45, "so-tai-chinh")
    for district in ("h-bien-hoa", "h-long-khanh", "h-trang-bom"):
        record(registry_engine, district, ChangeKind.DISSOLVED, JULY, ACT_72)
    return registry_engine


def parts(engine: Engine, key: str) -> dict[str, tuple[str, str]]:
    """Agency code → (role, status) of one task's parts."""
    with Session(engine) as s:
        rows = s.exec(
            select(Agency.code, Assignment.role, Assignment.status)
            .join(Assignment, col(Assignment.agency_id) == col(Agency.id))
            .join(Task, col(Assignment.task_id) == col(Task.id))
            .where(Task.key == key)
        ).all()
        return {code: (role, status) for code, role, status in rows}


def finish(engine: Engine, task_key: str, code: str) -> None:
    """The agency ``code`` marks its part of the task done, on 20/02/2025."""
    with session_scope(engine) as s:
        part = s.exec(
            select(Assignment)
            .join(Agency)
            .join(Task)
            .where(Task.key == task_key, Agency.code == code)
        ).one()
        mark_done(s, part, Actor("test"), at(date(2025, 2, 20)))
        s.add(part)


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "plan.csv"
    path.write_text(body, encoding="utf-8")
    return path


def test_a_former_agency_named_by_a_plan_gets_its_successor_and_the_history_says_why(
    reorganised: Engine, tmp_path: Path
) -> None:
    path = write(tmp_path, PLAN)
    with session_scope(reorganised) as s:
        report = import_plan(
            s, path, settings=SETTINGS, on=TODAY, mapping=["UBND cấp huyện=UBND cấp xã"]
        )
    assert parts(reorganised, "1") == {
        "so-tai-chinh": ("lead", "open"),
        "so-tu-phap": ("coordinate", "open"),
    }
    # Named as the lead and (as its former self) as coordinating: one part, leading.
    assert parts(reorganised, "2") == {"so-tai-chinh": ("lead", "open")}
    merged = "Sở Kế hoạch và Đầu tư → Sở Tài chính từ 01/03/2025 theo " + ACT_45
    assert [(r.line, r.task_key, r.rerouted.how) for r in report.rerouted][:2] == [
        (5, "1", merged), (6, "2", merged),
    ]  # fmt: skip
    with Session(reorganised) as s:
        notes = s.exec(
            select(StatusUpdate.note)
            .join(Assignment, col(StatusUpdate.assignment_id) == col(Assignment.id))
            .join(Task, col(Assignment.task_id) == col(Task.id))
            .join(Agency, col(Assignment.agency_id) == col(Agency.id))
            .where(Task.key == "1", Agency.code == "so-tai-chinh", StatusUpdate.field == "created")
        ).all()
    assert notes == [merged]


def test_an_empty_class_is_an_error_by_line_offering_its_replacement_and_nothing_is_written(
    reorganised: Engine, tmp_path: Path
) -> None:
    path = write(tmp_path, PLAN)
    with pytest.raises(ImportFailed) as failed, session_scope(reorganised) as s:
        import_plan(s, path, settings=SETTINGS, on=TODAY)
    (error,) = failed.value.errors
    assert error.line == 7 and error.column == "lead"  # named with its column in a document
    assert error.reason.startswith(
        "“UBND cấp huyện”: không còn cơ quan nào thuộc nhóm này từ 01/07/2025"
    )
    assert ACT_72 in error.reason and "--map “UBND cấp huyện=UBND cấp xã”" in error.reason
    with Session(reorganised) as s:
        assert s.exec(select(Task)).all() == []


def test_the_mapping_gives_the_class_s_work_to_the_class_named(
    reorganised: Engine, tmp_path: Path
) -> None:
    path = write(tmp_path, PLAN)
    with session_scope(reorganised) as s:
        report = import_plan(
            s, path, settings=SETTINGS, on=TODAY, mapping=["UBND cấp huyện=UBND cấp xã"]
        )
    assert {c for c, (role, _) in parts(reorganised, "3").items() if role == "lead"} == {
        "x-tan-phong", "x-xuan-an", "x-ho-nai-3",
    }  # fmt: skip
    assert [r.rerouted.how for r in report.rerouted if r.task_key == "3"] == [
        "UBND cấp huyện → UBND phường Tân Phong, UBND phường Xuân An, UBND xã Hố Nai 3 "
        "theo --map “UBND cấp huyện=UBND cấp xã”"
    ]


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ("UBND cấp huyện", "cần đúng một dấu “=”"),
        ("Sở Không Có=Sở Tài chính", "không đọc được “Sở Không Có”"),
        (
            "UBND cấp huyện=Sở Kế hoạch và Đầu tư",
            "“Sở Kế hoạch và Đầu tư” không chỉ ra cơ quan nào còn hoạt động",
        ),
    ],
)
def test_a_mapping_that_cannot_be_read_says_why(
    reorganised: Engine, tmp_path: Path, given: str, says: str
) -> None:
    with pytest.raises(ImportFailed) as failed, session_scope(reorganised) as s:
        import_plan(s, write(tmp_path, PLAN), settings=SETTINGS, on=TODAY, mapping=[given])
    assert any(says in e.reason for e in failed.value.errors), failed.value.errors


def test_reimporting_a_plan_after_its_agencies_changed_changes_nothing(
    registry_engine: Engine, tmp_path: Path
) -> None:
    path = write(tmp_path, PLAN)
    with session_scope(registry_engine) as s:
        import_plan(s, path, settings=SETTINGS, on=date(2025, 1, 6))
    finish(registry_engine, "1", "so-khdt")  # KHĐT closes its part of task 1 before the merge
    record(registry_engine, "so-khdt", ChangeKind.MERGED, MARCH, ACT_45, "so-tai-chinh")
    for district in ("h-bien-hoa", "h-long-khanh", "h-trang-bom"):
        record(registry_engine, district, ChangeKind.DISSOLVED, JULY, ACT_72)
    before = {key: parts(registry_engine, key) for key in ("1", "2", "3")}
    with session_scope(registry_engine) as s:
        report = import_plan(s, path, settings=SETTINGS, on=TODAY)
    assert {key: parts(registry_engine, key) for key in ("1", "2", "3")} == before
    assert (report.assignments_new, report.assignments_cancelled, report.tasks_changed) == (0, 0, 0)
    assert before["1"]["so-khdt"] == ("lead", "done")  # history stays under the agency as it was


def test_an_open_file_goes_to_the_successor_a_returned_one_stays(
    reorganised: Engine, tmp_path: Path
) -> None:
    export = late_files_export(
        tmp_path,
        LateFile("KH-1", agency="Sở Kế hoạch và Đầu tư", status="Đang xử lý"),
        LateFile(
            "KH-2",
            agency="Sở Kế hoạch và Đầu tư",
            status="Đã trả kết quả",
            returned="24/01/2025 10:00",
        ),
    )
    with session_scope(reorganised) as s:
        import_files(s, export, cal=CAL, settings=SETTINGS.files, on=TODAY)
    with Session(reorganised) as s:
        held = dict(s.exec(select(TthcFile.code, Agency.code).join(Agency)).all())
    assert held == {"KH-1": "so-tai-chinh", "KH-2": "so-khdt"}


def test_an_open_file_of_a_dissolved_agency_without_successor_is_an_error_by_line(
    reorganised: Engine, tmp_path: Path
) -> None:
    export = late_files_export(
        tmp_path,
        LateFile("BH-1", agency="Sở Tư pháp"),
        LateFile("BH-2", agency="UBND thành phố Biên Hòa", status="Đang xử lý"),
    )
    with pytest.raises(ImportFailed) as failed, session_scope(reorganised) as s:
        import_files(s, export, cal=CAL, settings=SETTINGS.files, on=TODAY)
    (error,) = failed.value.errors
    assert error.line == 3
    assert error.reason.startswith(
        "đơn vị xử lý không còn: UBND thành phố Biên Hòa giải thể từ 01/07/2025"
    )
    assert "ghi đơn vị đang giữ hồ sơ vào cột Đơn vị xử lý" in error.reason


def test_the_coordinators_digest_counts_closed_work_as_it_was_and_open_work_under_the_successor(
    registry_engine: Engine, tmp_path: Path
) -> None:
    plan = PLAN.replace("Quý II/2026", "Quý II/2025").replace("Quý III/2026", "Quý III/2025")
    with session_scope(registry_engine) as s:
        import_plan(s, write(tmp_path, plan), settings=SETTINGS, on=date(2025, 1, 6))
    finish(registry_engine, "1", "so-khdt")  # KHĐT finishes task 1 before the merge
    record(registry_engine, "so-khdt", ChangeKind.MERGED, MARCH, ACT_45, "so-tai-chinh")
    with Session(registry_engine) as s:
        digest = coordinator_digest(s, at(TODAY), CAL)
    ranking = {r["agency"]: (r["on_time"], r["late"], r["overdue"]) for r in digest["ranking"]}
    assert ranking["Sở Kế hoạch và Đầu tư"] == (1, 0, 0)  # its history, under its name
    assert ranking["Sở Tài chính"] == (0, 0, 1)  # task 2, open and overdue, now its own


CLASS_PLAN = (
    "Số kế hoạch,13/KH-UBND\nNgày ban hành,05/01/2025\n\n"
    "STT,Nhiệm vụ cụ thể,Tiến độ,Cơ quan chủ trì,Cơ quan phối hợp\n"
    '1,Rà soát TTHC,Quý IV/2025,"Các sở, ban, ngành",\n'
    "2,Niêm yết TTHC,Quý IV/2025,UBND cấp huyện,\n"
    "3,Cấp phép xây dựng,Quý IV/2025,UBND thành phố Biên Hòa,\n"
)


def statuses(engine: Engine) -> dict[tuple[str, str], str]:
    with Session(engine) as s:
        rows = s.exec(
            select(Task.key, Agency.code, Assignment.status)
            .join(Assignment, col(Assignment.task_id) == col(Task.id))
            .join(Agency, col(Assignment.agency_id) == col(Agency.id))
        ).all()
    return {(key, code): status for key, code, status in rows}


def test_work_a_former_agency_finished_stays_finished_when_the_plan_is_imported_again(
    registry_engine: Engine, tmp_path: Path
) -> None:
    path = write(tmp_path, CLASS_PLAN)
    with session_scope(registry_engine) as s:
        import_plan(s, path, settings=SETTINGS, on=date(2025, 1, 6))
    finish(registry_engine, "1", "so-khdt")
    record(registry_engine, "so-khdt", ChangeKind.MERGED, MARCH, ACT_45, "so-tai-chinh")
    before = statuses(registry_engine)
    with session_scope(registry_engine) as s:
        report = import_plan(s, path, settings=SETTINGS, on=TODAY)
    assert statuses(registry_engine) == before
    assert before[("1", "so-khdt")] == "done"
    assert (report.assignments_new, report.assignments_cancelled) == (0, 0)


def test_a_change_recorded_ahead_of_its_day_changes_nothing_in_an_import_before_it(
    registry_engine: Engine, tmp_path: Path
) -> None:
    path = write(tmp_path, CLASS_PLAN)
    with session_scope(registry_engine) as s:
        import_plan(s, path, settings=SETTINGS, on=TODAY)
    record(registry_engine, "so-tai-chinh", ChangeKind.MERGED, date(2027, 4, 1), "Nghị quyết số 9/NQ-HĐND",
           "so-noi-vu")  # fmt: skip
    before = statuses(registry_engine)
    with session_scope(registry_engine) as s:
        report = import_plan(s, path, settings=SETTINGS, on=TODAY)
    assert statuses(registry_engine) == before
    assert before[("1", "so-tai-chinh")] == "open"
    assert report.assignments_cancelled == 0


def test_a_class_mapping_does_not_override_an_agency_named_by_itself_and_runs_the_same_twice(
    registry_engine: Engine, tmp_path: Path
) -> None:
    record(registry_engine, "h-bien-hoa", ChangeKind.DISSOLVED, JULY, ACT_72, "x-tan-phong")
    for district in ("h-long-khanh", "h-trang-bom"):
        record(registry_engine, district, ChangeKind.DISSOLVED, JULY, ACT_72)
    path = write(tmp_path, CLASS_PLAN)
    maps = ["UBND cấp huyện=UBND cấp xã", "UBND huyện Trảng Bom=UBND xã Hố Nai 3"]
    for _ in range(2):
        with session_scope(registry_engine) as s:
            report = import_plan(s, path, settings=SETTINGS, on=TODAY, mapping=maps)
        now = statuses(registry_engine)
        assert {c for (k, c), st in now.items() if k == "3" and st == "open"} == {"x-tan-phong"}
        assert {c for (k, c), st in now.items() if k == "2" and st == "open"} == {
            "x-tan-phong", "x-xuan-an", "x-ho-nai-3",
        }  # fmt: skip
    assert (report.assignments_new, report.assignments_cancelled) == (0, 0)
    # Each map is told as what it maps: the class, and the agency by its own name.
    assert {r.rerouted.how for r in report.rerouted if r.task_key == "2"} == {
        "UBND cấp huyện → UBND phường Tân Phong, UBND phường Xuân An, UBND xã Hố Nai 3 theo "
        "--map “UBND cấp huyện=UBND cấp xã”",
        "UBND huyện Trảng Bom → UBND xã Hố Nai 3 theo --map “UBND huyện Trảng Bom=UBND xã Hố Nai 3”",
    }


@pytest.mark.parametrize(
    ("maps", "says"),
    [
        (["UBND cấp huyện=UBND cấp xã=Sở Nội vụ"], "cần đúng một dấu “=”"),
        (["UBND cấp huyện=UBND cấp xã", "UBND cấp huyện=Sở Nội vụ"], "đã được giao theo --map"),
    ],
)
def test_a_mapping_given_twice_or_with_two_signs_is_refused_naming_the_option_not_a_line(
    reorganised: Engine, tmp_path: Path, maps: list[str], says: str
) -> None:
    with pytest.raises(ImportFailed) as failed, session_scope(reorganised) as s:
        import_plan(s, write(tmp_path, PLAN), settings=SETTINGS, on=TODAY, mapping=maps)
    (error,) = [e for e in failed.value.errors if e.line == 0]
    assert says in error.reason and error.line == 0
    assert f"{tmp_path / 'plan.csv'}: --map" in failed.value.lines()[0]
