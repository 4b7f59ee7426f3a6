"""Importing plans whose agency cells carry parts, scopes, roles and general groups."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.db import session_scope
from bot.importers.errors import ImportFailed
from bot.importers.plans import import_plan
from bot.models import Agency, Assignment, Role, StatusUpdate, Task
from bot.services.register import list_unassigned
from tests.cli import Dondoc, one_error_line
from tests.province import IMPORT_DAY, SETTINGS

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seed"
HEADER = "STT,Nhiệm vụ cụ thể,Tiến độ,Cơ quan chủ trì,Cơ quan phối hợp,Kết quả/sản phẩm\n"
META = "Số kế hoạch,77/KH-UBND\nNgày ban hành,05/01/2025\n\n"
PLAN = (
    META
    + HEADER
    + '1,Lập dự toán,Quý I/2025,"1. Sở Tài chính: tổng hợp dự toán; 2. Sở Nội vụ hướng dẫn'
    ' thực hiện","Sở Tư pháp (đối với văn bản, quy định)",\n'
    + '2,Rà soát TTHC,Quý II/2025,"Sở Tư pháp chủ trì, Sở Nội vụ phối hợp",,\n'
    + '3,Khảo sát doanh nghiệp,Quý III/2025,"Các cơ quan, đơn vị có liên quan",Sở Nội vụ,\n'
    + "4,Báo cáo,Quý IV/2025,Sở Nội vụ tham mưu UBND tỉnh,các doanh nghiệp,\n"
)


def parts(engine: Engine, key: str) -> dict[str, tuple[str, str]]:
    """Agency code → (role, scope) of a task's open parts."""
    with Session(engine) as s:
        task = s.exec(select(Task).where(Task.key == key)).one()
        rows = s.exec(
            select(Assignment, Agency)
            .join(Agency)
            .where(Assignment.task_id == task.id, Assignment.status != "cancelled")
        ).all()
        return {agency.code: (part.role, part.scope) for part, agency in rows}


def test_each_part_keeps_its_scope_and_the_role_the_cell_gives(
    registry_engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "plan.csv"
    path.write_text(PLAN, encoding="utf-8")
    with session_scope(registry_engine) as session:
        report = import_plan(session, path, settings=SETTINGS, on=IMPORT_DAY)
    assert parts(registry_engine, "1") == {
        "so-tai-chinh": (Role.LEAD, "tổng hợp dự toán"),
        "so-noi-vu": (Role.LEAD, "hướng dẫn thực hiện"),
        "so-tu-phap": (Role.COORDINATE, "đối với văn bản, quy định"),
    }
    assert parts(registry_engine, "2") == {
        "so-tu-phap": (Role.LEAD, ""),  # a bare role word is a role, not a scope
        "so-noi-vu": (Role.COORDINATE, ""),
    }
    assert parts(registry_engine, "4") == {"so-noi-vu": (Role.LEAD, "tham mưu UBND tỉnh")}
    assert "các doanh nghiệp" in report.general_refs

    # A changed scope is a change to the part, kept in its history.
    path.write_text(PLAN.replace("tổng hợp dự toán", "tổng hợp, thẩm định dự toán"), "utf-8")
    with session_scope(registry_engine) as session:
        import_plan(session, path, settings=SETTINGS, on=IMPORT_DAY)
    assert parts(registry_engine, "1")["so-tai-chinh"] == (Role.LEAD, "tổng hợp, thẩm định dự toán")
    with Session(registry_engine) as s:
        changes = s.exec(select(StatusUpdate).where(StatusUpdate.field == "scope")).all()
        assert [(c.old, c.new) for c in changes] == [
            ("tổng hợp dự toán", "tổng hợp, thẩm định dự toán")
        ]


def test_a_lead_of_only_general_groups_is_imported_and_flagged_for_an_admin(
    registry_engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "plan.csv"
    path.write_text(PLAN, encoding="utf-8")
    with session_scope(registry_engine) as session:
        report = import_plan(session, path, settings=SETTINGS, on=IMPORT_DAY)
    assert [(u.task_key, u.text) for u in report.unclear_leads] == [
        ("3", "Các cơ quan, đơn vị có liên quan")
    ]
    assert parts(registry_engine, "3") == {"so-noi-vu": (Role.COORDINATE, "")}
    with Session(registry_engine) as s:
        waiting = list_unassigned(s)
    assert [(t.plan, t.task_key, t.lead_text) for t in waiting] == [
        ("77/KH-UBND", "3", "Các cơ quan, đơn vị có liên quan")
    ]


@pytest.mark.parametrize(
    ("lead", "fragment"),
    [
        ("Sở Nội vụ, Sở Ngoại vụ", "“Sở Ngoại vụ” (có phải: Sở Nội vụ?)"),
        ("Sở Nội vụ, ngành", "“ngành”"),
        ("1. Sở Tài chính: tổng hợp; 2. Sở Quy hoạch - Kiến trúc tổng kết",
         "“Sở Quy hoạch - Kiến trúc”"),
    ],
)  # fmt: skip
def test_an_unread_fragment_is_named_with_its_whole_cell(
    registry_engine: Engine, tmp_path: Path, lead: str, fragment: str
) -> None:
    path = tmp_path / "plan.csv"
    path.write_text(META + HEADER + f'1,Việc A,Quý I/2025,"{lead}",,\n', encoding="utf-8")
    with pytest.raises(ImportFailed) as failure, session_scope(registry_engine) as session:
        import_plan(session, path, settings=SETTINGS, on=IMPORT_DAY)
    (line,) = failure.value.lines()
    assert fragment in line and f"trong ô “{lead}”" in line, line


def test_dry_run_shows_how_each_agency_cell_was_read(db_url: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": db_url, "PATH": "/usr/bin:/bin"}
    run = [sys.executable, "-m", "bot"]
    subprocess.run([*run, "import", "agencies", str(SEED / "agencies.csv")], env=env, check=True,
                   capture_output=True, cwd=tmp_path)  # fmt: skip
    path = tmp_path / "plan.csv"
    path.write_text(PLAN, encoding="utf-8")
    dry = subprocess.run([*run, "import", "tasks", str(path), "--dry-run"], env=env, check=True,
                         capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
    out = dry.stdout
    assert "dòng 5 (1):" in out
    assert "Tiến độ “Quý I/2025” → Hạn 31/03/2025 — hết quý I/2025" in out  # why this date
    assert "“Sở Tài chính” → Sở Tài chính (chủ trì; phạm vi: tổng hợp dự toán)" in out
    assert "“Sở Nội vụ” → Sở Nội vụ (phối hợp)" in out
    assert "nhắc đến, không giao phần việc: Ủy ban nhân dân tỉnh" in out
    assert "nhóm chung, không nhắc việc: “các doanh nghiệp”" in out
    assert "1 nhiệm vụ chưa rõ cơ quan chủ trì" in out and "dòng 7 (3)" in out

    subprocess.run([*run, "import", "tasks", str(path)], env=env, check=True,
                   capture_output=True, cwd=tmp_path)  # fmt: skip
    waiting = subprocess.run([*run, "unassigned"], env=env, check=True, capture_output=True,
                             text=True, cwd=tmp_path)  # fmt: skip
    assert "Nhiệm vụ chưa rõ cơ quan chủ trì (1)" in waiting.stdout
    assert "Các cơ quan, đơn vị có liên quan" in waiting.stdout


def test_dry_run_names_the_agencies_a_class_leaves_out(db_url: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": db_url, "PATH": "/usr/bin:/bin"}
    run = [sys.executable, "-m", "bot"]
    subprocess.run([*run, "import", "agencies", str(SEED / "agencies.csv")], env=env, check=True,
                   capture_output=True, cwd=tmp_path)  # fmt: skip
    path = tmp_path / "plan.csv"
    path.write_text(META + HEADER + '1,Rà soát,Quý I/2025,"Các sở, ban, ngành (trừ Sở Y tế)",,\n',
                    encoding="utf-8")  # fmt: skip
    dry = subprocess.run([*run, "import", "tasks", str(path), "--dry-run"], env=env, check=True,
                         capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
    assert "trừ ra, không giao phần việc: Sở Y tế" in dry.stdout


def test_a_renamed_agency_keeps_its_former_name_as_an_alias(dondoc: Dondoc, tmp_path: Path) -> None:
    registry = tmp_path / "co-quan.csv"
    head = "Mã,Tên cơ quan,Loại,Cơ quan cấp trên,Tên gọi khác,Ký hiệu văn bản\n"
    registry.write_text(head + "so-vhtt,Sở Văn hóa và Thông tin,so,,Sở VH&TT,SVHTT\n", "utf-8")
    dondoc.ok("import", "agencies", str(registry))
    registry.write_text(head + "so-vhtt,Sở Văn hóa và Thể thao,so,,Sở VH&TT,SVHTT\n", "utf-8")

    renamed = dondoc.ok("import", "agencies", str(registry)).output
    again = dondoc.ok("import", "agencies", str(registry)).output

    assert "cập nhật 1" in renamed and "cập nhật 0" in again  # the kept name is no change
    for name in ("Sở Văn hóa và Thông tin", "so van hoa va thong tin", "Sở VH&TT"):
        assert "Mã liên kết cho Sở Văn hóa và Thể thao" in dondoc.ok("link", name).output
    engine = create_engine(dondoc.env["DATABASE_URL"])
    with Session(engine) as s:
        agency = s.exec(select(Agency).where(Agency.code == "so-vhtt")).one()
    engine.dispose()
    assert agency.aliases == ["Sở VH&TT", "Sở Văn hóa và Thông tin"]


def test_a_name_or_code_longer_than_the_registry_holds_is_named_by_line(
    dondoc: Dondoc, tmp_path: Path
) -> None:
    registry = tmp_path / "co-quan.csv"
    long_name = "Sở " + "Văn hóa và Thể thao " * 13
    registry.write_text(
        "Mã,Tên cơ quan,Loại,Cơ quan cấp trên,Tên gọi khác,Ký hiệu văn bản\n"
        f"so-dai,{long_name},so,,,SDAI\n"
        f"{'s' * 65},Sở Dài,so,,,SDAI2\n",
        "utf-8",
    )
    result = dondoc("import", "agencies", str(registry))
    output = one_error_line(result)
    assert f"{registry}:2: tên cơ quan dài 262 ký tự, quá 255 ký tự" in output
    assert f"{registry}:3: mã “{'s' * 65}” dài quá 64 ký tự" in output


def test_a_code_that_cannot_stand_in_a_command_or_an_address_is_refused(
    dondoc: Dondoc, tmp_path: Path
) -> None:
    """A code is typed in chat commands and is a path segment of the web view's pages."""
    registry = tmp_path / "co-quan.csv"
    registry.write_text(
        "Mã,Tên cơ quan,Loại\n"
        "a/b,Sở Một,so\nq?x=1#y,Sở Hai,so\nso ba,Sở Ba,so\nSYT.2025_moi-1,Sở Y tế,so\n"
        # Dots alone: a browser opens /co-quan/.. as Tổng quan, /co-quan/. as the list.
        "..,Sở Chấm Chấm,so\n.,Sở Chấm,so\n",
        "utf-8",
    )
    output = one_error_line(dondoc("import", "agencies", str(registry)))
    for line, code in ((2, "a/b"), (3, "q?x=1#y"), (4, "so ba"), (6, ".."), (7, ".")):
        assert f"{registry}:{line}: mã “{code}” chỉ được gồm chữ, số và các dấu - _ ." in output
    assert "không chỉ gồm dấu chấm" in output
    assert ":5:" not in output  # letters, digits, ".", "_" and "-" are a code
