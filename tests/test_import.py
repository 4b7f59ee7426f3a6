"""Importing plans: the seed province, broken files, re-imports, XLSX; SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import tempfile
import unicodedata
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.db import session_scope
from bot.importers.agencies import import_agencies
from bot.importers.errors import ImportFailed
from bot.importers.plans import import_plan
from bot.importers.tabular import FileProblem
from bot.models import Agency, Assignment, Plan, Role, Status, StatusUpdate, Task
from tests.cli import Dondoc
from tests.province import IMPORT_DAY, SETTINGS

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seed"
HEADER = "STT,Nhiệm vụ cụ thể,Tiến độ,Cơ quan chủ trì,Cơ quan phối hợp,Kết quả/sản phẩm\n"
META = "Số kế hoạch,99/KH-UBND\nNgày ban hành,05/01/2025\n\n"


def write(tmp_path: Path, body: str, name: str = "plan.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(windows_vietnamese(body) if encoding == "cp1258" else body.encode(encoding))
    return path


def windows_vietnamese(text: str) -> bytes:
    """cp1258 as Excel writes it: letters like ô, ư precomposed, tones as combining marks."""
    tones = "\u0300\u0301\u0303\u0309\u0323"
    out = []
    for ch in text:
        base, *marks = unicodedata.normalize("NFD", ch)
        kept = "".join(m for m in marks if m not in tones)
        out.append(
            unicodedata.normalize("NFC", base + kept) + "".join(m for m in marks if m in tones)
        )
    return "".join(out).encode("cp1258")


def counts(engine: Engine) -> tuple[int, int, int, int]:
    with Session(engine) as s:
        return (
            s.exec(select(func.count()).select_from(Plan)).one(),
            s.exec(select(func.count()).select_from(Task)).one(),
            s.exec(select(func.count()).select_from(Assignment)).one(),
            s.exec(select(func.count()).select_from(StatusUpdate)).one(),
        )


def test_whole_seed_imports_without_error(registry_engine: Engine) -> None:
    reports = []
    with session_scope(registry_engine) as session:
        for path in sorted((SEED / "plans").glob("*.csv")):
            reports.append(import_plan(session, path, settings=SETTINGS, on=IMPORT_DAY))
    by_plan = {r.plan: r for r in reports}
    assert set(by_plan) == {"126/KH-UBND", "KH-SKHĐT-2023", "336/KH-UBND", "KH-STNMT-VP-2022",
                            "2228/QĐ-UBND"}  # fmt: skip
    assert by_plan["126/KH-UBND"].tasks_total == 14  # 2 + 5 + 2 + 2 + 3 rows in the appendix
    assert by_plan["KH-SKHĐT-2023"].tasks_total == 6
    assert by_plan["2228/QĐ-UBND"].tasks_total == 9
    assert {u.text for u in by_plan["2228/QĐ-UBND"].unspecified} == {"Theo kế hoạch"}
    plans, tasks, assignments, _ = counts(registry_engine)
    assert (plans, tasks) == (5, sum(r.tasks_total for r in reports))
    assert assignments == sum(r.assignments_total for r in reports)

    with Session(registry_engine) as s:
        # A row continued over a page break in 000 joins its deadline "Trong năm" + "2024".
        task = s.exec(select(Task).where(Task.key == "II.3")).one()
        assert task.text.startswith("Tuyên truyền, hướng dẫn tổ chức cá nhân dịch vụ công")
        assert task.due_on == date(2024, 12, 31)
        # Milestones in 003's result column; the ditto mark inherits the deadline above.
        gn = s.exec(select(Task).where(Task.key == "A.VII.1")).one()
        assert gn.deadline_kind == "milestones" and gn.due_on == date(2023, 1, 31)
        ditto = s.exec(select(Task).where(Task.key == "A.V.3.2")).one()
        assert ditto.deadline_text == "Trong năm 2022"
        # "Thường xuyên" is a quarterly periodic report; 336 Phụ lục 1 is led by Sở Nội vụ.
        snv = s.exec(select(Agency).where(Agency.code == "so-noi-vu")).one()
        t = s.exec(select(Task).where(Task.key == "PL1.I.1")).one()
        assert t.recurrence == "quarterly"
        lead = s.exec(select(Assignment).where(Assignment.task_id == t.id)).one()
        assert (lead.agency_id, lead.role) == (snv.id, Role.LEAD)
        # A task with several lead agencies gets one part per agency.
        shared = s.exec(select(Task).where(Task.key == "I.1", Task.plan_id == 1)).one()
        parts = s.exec(select(Assignment).where(Assignment.task_id == shared.id)).all()
        assert sum(p.role == Role.LEAD for p in parts) == 1 + 3 + 3  # VP UBND, huyện, xã


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (META + "STT,Nhiệm vụ cụ thể,Cơ quan chủ trì\n1,Việc A,Sở Nội vụ\n", "thiếu cột: Tiến độ"),
        (META + HEADER + "1,Việc A,31/02/2025,Sở Nội vụ,,\n", ":5: tiến độ “31/02/2025”"),
        (META + HEADER + "1,Việc A,Trong năm,Sở Ngoại vụ,,\n", "có phải: Sở Nội vụ"),
        (META + HEADER + "1,,Trong năm,Sở Nội vụ,,\n", ":5: thiếu nội dung nhiệm vụ"),
        (META + HEADER + "1,Việc A,Trong năm,,,\n", ":5: thiếu cơ quan chủ trì"),
        (
            META + HEADER + "1,Việc A,Trong năm,Sở Nội vụ,,\n1,Việc B,Trong năm,Sở Y tế,,\n",
            ":6: STT “1” trùng với dòng 5",
        ),
        (HEADER + "1,Việc A,Trong năm 2025,Sở Nội vụ,,\n", "thiếu số kế hoạch"),
        ("Số kế hoạch,1/KH\n", "không thấy dòng tiêu đề"),
    ],
)
def test_broken_csv_names_line_and_reason_and_changes_nothing(
    registry_engine: Engine, tmp_path: Path, body: str, reason: str
) -> None:
    before = counts(registry_engine)
    path = write(tmp_path, body)
    with pytest.raises(ImportFailed) as failure, session_scope(registry_engine) as session:
        import_plan(session, path, settings=SETTINGS, on=IMPORT_DAY)
    assert any(reason in line for line in failure.value.lines()), failure.value.lines()
    assert all(line.startswith(f"{path}:") for line in failure.value.lines())
    assert counts(registry_engine) == before


def test_every_bad_row_is_listed_not_just_the_first(
    registry_engine: Engine, tmp_path: Path
) -> None:
    body = (
        META
        + HEADER
        + "1,Việc A,31/13/2025,Sở Nội vụ,,\n2,Việc B,Trong năm,Sở X,,\n3,Việc C,Trong năm,Sở Y tế,,\n"
    )
    with pytest.raises(ImportFailed) as failure, session_scope(registry_engine) as session:
        import_plan(session, write(tmp_path, body), settings=SETTINGS, on=IMPORT_DAY)
    assert [e.line for e in failure.value.errors] == [5, 6]


@pytest.mark.parametrize(
    ("data", "reason"),
    [(b"", "tệp trống"), (b"\n\n  \n", "tệp trống"), (b"PK\x03\x04\x00\x00binary", "ký tự lạ")],
)
def test_unreadable_files_are_refused_whole(
    registry_engine: Engine, tmp_path: Path, data: bytes, reason: str
) -> None:
    path = tmp_path / "plan.csv"
    path.write_bytes(data)
    with pytest.raises(FileProblem, match=reason), session_scope(registry_engine) as session:
        import_plan(session, path, settings=SETTINGS, on=IMPORT_DAY)
    assert counts(registry_engine)[0] == 0


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1258", "utf-16"])
def test_excel_encodings_are_recognised(
    registry_engine: Engine, tmp_path: Path, encoding: str
) -> None:
    body = (
        META
        + HEADER
        + "1,Rà soát thủ tục hành chính,Quý IV năm 2025,Sở Nội vụ,Sở Tư pháp,Báo cáo\n"
    )
    with session_scope(registry_engine) as session:
        report = import_plan(
            session, write(tmp_path, body, encoding=encoding), settings=SETTINGS, on=IMPORT_DAY
        )
    assert report.tasks_new == 1 and report.assignments_new == 2
    with Session(registry_engine) as s:
        task = s.exec(select(Task)).one()
        assert task.text == "Rà soát thủ tục hành chính"
        assert task.due_on == date(2025, 12, 31)


def test_reimport_updates_texts_and_keeps_statuses_and_history(
    registry_engine: Engine, tmp_path: Path
) -> None:
    first = (
        META + HEADER + "1,Việc A,Quý I/2025,Sở Nội vụ,Sở Tư pháp,\n2,Việc B,Trong năm,Sở Y tế,,\n"
    )
    with session_scope(registry_engine) as session:
        import_plan(session, write(tmp_path, first), settings=SETTINGS, on=IMPORT_DAY)
    with session_scope(registry_engine) as session:
        part = session.exec(select(Assignment).where(Assignment.role == Role.LEAD)).first()
        assert part is not None
        part.status, part.progress = Status.DONE, 100
        session.add(StatusUpdate(assignment_id=part.id, actor="telegram:1", field="status",  # type: ignore[arg-type]
                                 old="open", new="done"))  # fmt: skip
        done_id = part.id

    second = (
        META + HEADER + "1,Việc A (sửa lời),Quý II/2025,Sở Nội vụ,,\n2,Việc B,Trong năm,Sở Y tế,,\n"
    )
    with session_scope(registry_engine) as session:
        report = import_plan(session, write(tmp_path, second), settings=SETTINGS, on=IMPORT_DAY)
    assert (report.tasks_changed, report.tasks_unchanged, report.assignments_cancelled) == (1, 1, 1)
    with Session(registry_engine) as s:
        task = s.exec(select(Task).where(Task.key == "1")).one()
        assert (task.text, task.due_on) == ("Việc A (sửa lời)", date(2025, 6, 30))
        done = s.get(Assignment, done_id)
        assert done is not None and (done.status, done.progress) == (Status.DONE, 100)
        assert done.due_on == date(2025, 6, 30)
        history = s.exec(select(StatusUpdate).where(StatusUpdate.assignment_id == done_id)).all()
        assert [h.field for h in history] == ["created", "status", "due_on"]
        cancelled = s.exec(select(Assignment).where(Assignment.role == Role.COORDINATE)).one()
        assert cancelled.status == Status.CANCELLED


def test_dry_run_through_the_cli_shows_changes_and_writes_nothing(
    db_url: str, tmp_path: Path
) -> None:
    env = {"DATABASE_URL": db_url, "PATH": "/usr/bin:/bin"}
    run = [sys.executable, "-m", "bot"]
    subprocess.run([*run, "import", "agencies", str(SEED / "agencies.csv")], env=env, check=True,
                   capture_output=True, cwd=tmp_path)  # fmt: skip
    plan = SEED / "plans" / "004_soctrang_2228_2022.csv"
    dry = subprocess.run([*run, "import", "tasks", str(plan), "--dry-run"], env=env, check=True,
                         capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
    assert "Xem trước" in dry.stdout and "9 nhiệm vụ" in dry.stdout
    listed = subprocess.run([*run, "tasks", "--format", "json"], env=env, check=True,
                            capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
    assert listed.stdout.strip() == "[]"


def test_xlsx_with_merged_deadline_cells(registry_engine: Engine, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Kế hoạch số 12/KH-SNV ngày 10/01/2025 của Sở Nội vụ"])
    sheet.append(
        ["STT", "Nội dung công việc", "Thời gian hoàn thành", "Đơn vị chủ trì", "Đơn vị phối hợp"]
    )
    sheet.append(["I", "Cải cách thủ tục hành chính"])
    sheet.append([1, "Rà soát TTHC", "Quý II/2025", "Sở Tư pháp", "Sở Nội vụ"])
    sheet.append([2, "Công khai TTHC", None, "VP UBND tỉnh", None])
    sheet.merge_cells("C4:C5")
    path = tmp_path / "plan.xlsx"
    book.save(path)
    with session_scope(registry_engine) as session:
        report = import_plan(session, path, settings=SETTINGS, on=IMPORT_DAY)
    assert report.plan == "12/KH-SNV" and report.tasks_new == 2
    with Session(registry_engine) as s:
        plan = s.exec(select(Plan)).one()
        assert plan.issued_on == date(2025, 1, 10)
        due = {t.key: t.due_on for t in s.exec(select(Task))}
        assert due == {"I.1": date(2025, 6, 30), "I.2": date(2025, 6, 30)}


def test_agency_registry_reimport_is_idempotent(engine: Engine) -> None:
    for _ in range(2):
        with session_scope(engine) as session:
            report = import_agencies(session, SEED / "agencies.csv")
    assert report.created == 0 and report.updated == 0 and report.unchanged > 40
    with Session(engine) as s:
        unit = s.exec(select(Agency).where(Agency.code == "khdt-vp")).one()
        parent = s.exec(select(Agency).where(Agency.code == "so-khdt")).one()
        assert unit.parent_id == parent.id


def test_the_reimport_preview_names_each_changed_task_and_what_changes(
    dondoc: Dondoc, tmp_path: Path
) -> None:
    long = "Rà soát và công khai thủ tục hành chính thuộc thẩm quyền giải quyết của tỉnh " * 3
    rows = [f"{n},Việc {n},Quý I/2025,Sở Nội vụ,Sở Tư pháp,\n" for n in range(3, 16)]
    first = (
        META + HEADER + f"1,Việc A,Quý I/2025,Sở Nội vụ,Sở Tư pháp,\n2,{long},Trong năm,Sở Y tế,,\n"
        + "".join(rows)
    )  # fmt: skip
    dondoc.ok("import", "tasks", str(write(tmp_path, first)))
    changed = [f"{n},Việc {n} (sửa),Quý I/2025,Sở Nội vụ,Sở Tư pháp,\n" for n in range(3, 16)]
    second = (
        META + HEADER + "1,Việc A,Quý II/2025,Sở Y tế,,Báo cáo\n"
        + f"2,{long.replace('của tỉnh', 'của huyện', 1)},Trong năm,Sở Y tế,,\n" + "".join(changed)
    )  # fmt: skip
    preview = dondoc.ok("import", "tasks", str(write(tmp_path, second)), "--dry-run").output
    assert "sẽ sửa 15" in preview
    assert (
        "  dòng 5 (mục 1): Kết quả/sản phẩm (trống) → “Báo cáo”; Tiến độ “Quý I/2025” → "
        "“Quý II/2025”; Chủ trì “Sở Nội vụ” → “Sở Y tế”; Phối hợp “Sở Tư pháp” → (trống)"
    ) in preview
    # A long text: from a little before what changed, cut after it.
    assert "  dòng 6 (mục 2): Nội dung “…quyền giải quyết của tỉnh Rà soát" in preview
    assert "→ “…quyền giải quyết của huyện Rà soát" in preview
    assert "  dòng 7 (mục 3): Nội dung “Việc 3” → “Việc 3 (sửa)”" in preview
    assert "mục 10" in preview and "mục 11" not in preview
    assert "Nhiệm vụ sẽ sửa:" in preview and "  và 5 nhiệm vụ khác" in preview
    imported = dondoc.ok("import", "tasks", str(write(tmp_path, second))).output
    assert "Nhiệm vụ đã sửa:" in imported and "  và 5 nhiệm vụ khác" in imported


def test_a_dry_run_needs_no_write_lock_while_the_bot_writes(
    dondoc: Dondoc, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--dry-run`` works on a scratch copy: it runs while another connection (the bot, a
    confirmed import) holds SQLite's write lock, and holds none the bot would wait for."""
    plan = write(tmp_path, META + HEADER + "1,Việc A,Quý I/2025,Sở Nội vụ,Sở Tư pháp,\n")
    other = sqlite3.connect(tmp_path / "dondoc.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    copies: list[Path] = []
    real = tempfile.TemporaryDirectory

    def recorded(**kwargs: str) -> tempfile.TemporaryDirectory[str]:
        made = real(**kwargs)
        copies.append(Path(made.name))
        return made

    monkeypatch.setattr(tempfile, "TemporaryDirectory", recorded)
    try:
        preview = dondoc.ok("import", "tasks", str(plan), "--dry-run").output
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert "Xem trước (chưa ghi gì)" in preview and "sẽ thêm 1" in preview
    assert len(copies) == 1 and not copies[0].exists()  # the copy (a temporary file) is gone
    # It wrote nothing: the import proper still adds the task.
    assert "(mới): 1 nhiệm vụ (thêm 1" in dondoc.ok("import", "tasks", str(plan)).output


def test_an_empty_deadline_cell_is_said_empty_not_quoted(dondoc: Dondoc, tmp_path: Path) -> None:
    plan = write(tmp_path, META + HEADER + "1,Việc A,,Sở Nội vụ,,\n")
    preview = dondoc.ok("import", "tasks", str(plan), "--dry-run").output
    assert "(1): ô tiến độ để trống" in preview and "Tiến độ (trống) →" in preview
    assert "“”" not in preview
