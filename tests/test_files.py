"""Late administrative files: the export importer and the due-date counting."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.db import session_scope
from bot.domain.calendar import VIETNAM
from bot.domain.tthc import FileSettings, due_date
from bot.importers.errors import ImportFailed
from bot.importers.files import import_files
from bot.models import Apology, ApologyState, FileStatus, TthcFile
from tests.files import COLUMNS, SHORT, LateFile, add_late_files, labels, late_files_export
from tests.province import CAL, IMPORT_DAY, SETTINGS, at

HEADER = ",".join(COLUMNS.values()) + "\n"


def export(tmp_path: Path, *lines: str, header: str = HEADER) -> Path:
    path = tmp_path / "export.csv"
    path.write_text(header + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def load(engine: Engine, path: Path) -> object:
    with session_scope(engine) as s:
        return import_files(s, path, cal=CAL, settings=SETTINGS.files, on=IMPORT_DAY)


def files(engine: Engine) -> dict[str, TthcFile]:
    with Session(engine) as s:
        return {f.code: f for f in s.exec(select(TthcFile))}


@pytest.mark.parametrize(
    ("received", "days", "cutoff", "due"),
    [
        (datetime(2025, 1, 22, 9, 0, tzinfo=VIETNAM), 5, None, date(2025, 2, 5)),  # across Tết 2025
        (
            datetime(2025, 1, 22, 16, 0, tzinfo=VIETNAM),
            5,
            time(15),
            date(2025, 2, 6),
        ),  # after 15:00: next day's
        (datetime(2025, 1, 22, 14, 59, tzinfo=VIETNAM), 5, time(15), date(2025, 2, 5)),
        (
            datetime(2025, 1, 25, 10, 0, tzinfo=VIETNAM),
            5,
            None,
            date(2025, 2, 10),
        ),  # online on a Saturday of Tết
        (
            datetime(2025, 4, 25, 9, 0, tzinfo=VIETNAM),
            1,
            None,
            date(2025, 4, 26),
        ),  # the Saturday worked in 2025
        (
            datetime(2024, 12, 27, 9, 0, tzinfo=VIETNAM),
            3,
            None,
            date(2025, 1, 2),
        ),  # 1/1 is a holiday
    ],
)
def test_due_date_by_the_civil_code(
    received: datetime, days: int, cutoff: time | None, due: date
) -> None:
    assert due_date(received, days, CAL, cutoff) == due


def test_an_export_with_vietnamese_headers(registry_engine: Engine, tmp_path: Path) -> None:
    path = export(tmp_path,
        "STP-0001,Cấp Phiếu lý lịch tư pháp,Lý lịch tư pháp,Nguyễn Văn An,12 Đồng Khởi,0912345678,Sở Tư pháp,22/01/2025 09:00,,5,Đang xử lý,",
        "STP-0002,Cấp Phiếu lý lịch tư pháp,Lý lịch tư pháp,Trần Thị Bình,3 Võ Thị Sáu,0987654321,Sở Tư pháp,20/01/2025 10:00,24/01/2025,,Đã trả kết quả,23/01/2025 16:00",
    )  # fmt: skip
    report = load(registry_engine, path)
    assert (report.created, report.updated) == (2, 0)  # type: ignore[attr-defined]
    found = files(registry_engine)
    assert found["STP-0001"].due_on == date(2025, 2, 5) == found["STP-0001"].original_due_on
    assert (
        found["STP-0001"].status == FileStatus.OPEN
        and found["STP-0001"].applicant_phone == "0912345678"
    )
    assert (
        found["STP-0002"].due_on == date(2025, 1, 24)
        and found["STP-0002"].status == FileStatus.RETURNED
    )
    assert found["STP-0002"].returned_at == datetime(2025, 1, 23, 16, 0, tzinfo=VIETNAM)


def test_short_english_headers_work_too(registry_engine: Engine, tmp_path: Path) -> None:
    path = export(tmp_path, "A1,Chứng thực,Chứng thực,Lê Cường,Sở Tư pháp,02/01/2025 08:00,1,open",
                  header="code,procedure,field,applicant,agency,received,days,status\n")  # fmt: skip
    load(registry_engine, path)
    assert files(registry_engine)["A1"].due_on == date(2025, 1, 3)


def test_the_daily_reimport_updates_in_place_and_deletes_nothing(
    registry_engine: Engine, tmp_path: Path
) -> None:
    load(registry_engine, export(tmp_path,
        "F-1,Thủ tục A,,An,,,Sở Tư pháp,22/01/2025 09:00,,5,Đang xử lý,",
        "F-2,Thủ tục B,,Bình,,,Sở Tư pháp,22/01/2025 09:00,,5,Đang xử lý,"))  # fmt: skip
    report = load(registry_engine, export(tmp_path,
        "F-1,Thủ tục A,,An,,,Sở Tư pháp,22/01/2025 09:00,,5,Đã trả kết quả,04/02/2025 10:00"))  # fmt: skip
    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)  # type: ignore[attr-defined]
    found = files(registry_engine)
    assert found["F-1"].status == FileStatus.RETURNED
    assert found["F-2"].status == FileStatus.OPEN  # not in today's export: kept as it was


def test_bad_rows_are_listed_by_line_and_nothing_is_imported(
    registry_engine: Engine, tmp_path: Path
) -> None:
    path = export(tmp_path,
        "G-1,Thủ tục,,An,,,Sở Tư pháp,22/01/2025 09:00,,5,Đang xử lý,",
        "G-2,Thủ tục,,An,,,Sở Ngoại vụ,22/01/2025 09:00,,5,Đang xử lý,",
        "G-3,Thủ tục,,An,,,Sở Tư pháp,31/02/2025 09:00,,5,Đang xử lý,",
        "G-4,Thủ tục,,An,,,Sở Tư pháp,22/01/2025 09:00,,,Đang xử lý,",
        "G-1,Thủ tục,,An,,,Sở Tư pháp,22/01/2025 09:00,,5,Đang xử lý,",
    )  # fmt: skip
    with pytest.raises(ImportFailed) as failure:
        load(registry_engine, path)
    lines = failure.value.lines()
    assert [e.line for e in failure.value.errors] == [3, 4, 5, 6]
    assert "Sở Ngoại vụ" in lines[0] and "có phải: Sở Nội vụ" in lines[0]
    assert (
        "ngày tiếp nhận" in lines[1] and "thời hạn giải quyết" in lines[2] and "lặp lại" in lines[3]
    )
    assert files(registry_engine) == {}


def test_a_missing_column_is_named(registry_engine: Engine, tmp_path: Path) -> None:
    path = export(tmp_path, "X,Sở Tư pháp", header="Mã hồ sơ,Đơn vị xử lý\n")
    with pytest.raises(ImportFailed, match="Ngày tiếp nhận"):
        load(registry_engine, path)


def test_the_sample_export_of_the_demo_province(registry_engine: Engine) -> None:
    report = load(registry_engine, Path(__file__).resolve().parent.parent / "seed" / "files.csv")
    assert report.rows == 60 and report.by_kind["open"] > 30  # type: ignore[attr-defined]


def test_cutoff_hour_is_a_setting() -> None:
    assert FileSettings().cutoff is None


def walk(engine: Engine, days: list[date]) -> list[tuple[date, str, str]]:
    """One tick a day at 08:00: (day, stage, chat title) of every new file notice."""
    from bot.models import Chat, Notice
    from bot.scheduler.planner import plan
    from tests.province import at

    seen: list[tuple[date, str, str]] = []
    for day in days:
        with session_scope(engine) as s:
            before = len(s.exec(select(Notice.id).where(Notice.file_id != None)).all())  # noqa: E711
            plan(s, at(day), settings=SETTINGS, cal=CAL)
            s.flush()
            rows = s.exec(
                select(Notice, Chat)
                .join(Chat)
                .where(col(Notice.file_id).is_not(None))
                .order_by(col(Notice.id))
            ).all()
            seen += [(day, n.stage, c.chat_key) for n, c in rows[before:]]
    return seen


def test_a_file_walks_through_every_stage_across_tet(engine: Engine, tmp_path: Path) -> None:
    from tests.province import build_province

    build_province(engine)
    add_late_files(
        engine,
        tmp_path,
        LateFile("T-1", "Cấp phiếu lý lịch tư pháp", holder="Nguyễn Văn An", status="Đang xử lý"),
    )
    days = [date(2025, 1, d) for d in range(20, 32)] + [date(2025, 2, d) for d in range(1, 11)]
    assert sorted(walk(engine, days)) == sorted(
        [
            (date(2025, 1, 24), "due_soon", "group:so-tu-phap"),  # 3 working days ahead, before Tết
            (date(2025, 2, 4), "must_apologize", "group:so-tu-phap"),  # the last day for the letter
            (date(2025, 2, 5), "late_head", "group:so-tu-phap"),  # due, no approved letter
            (date(2025, 2, 5), "late_head", "head:so-tu-phap"),
            (date(2025, 2, 6), "late_coordinator", "group:so-tu-phap"),
            (date(2025, 2, 6), "late_coordinator", "head:so-tu-phap"),
            (date(2025, 2, 6), "late_coordinator", "coordinator"),
        ]
    )


def test_an_xlsx_export_with_real_dates(registry_engine: Engine, tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["DANH SÁCH HỒ SƠ TIẾP NHẬN"])  # a title line above the header, as exports have
    sheet.append(labels(*SHORT))
    # Excel stores wall-clock times without a zone: Vietnam's, by convention.
    received = datetime(2025, 1, 22, 15, 30, tzinfo=VIETNAM).replace(tzinfo=None)
    due = datetime(2025, 1, 24, tzinfo=VIETNAM).replace(tzinfo=None)
    sheet.append(["X-1", "Đăng ký khai sinh", "Hoàng Minh Em", "UBND phường Tân Phong", received, due,
                  "Đang xử lý"])  # fmt: skip
    path = tmp_path / "export.xlsx"
    book.save(path)
    load(registry_engine, path)
    found = files(registry_engine)["X-1"]
    assert found.due_on == date(2025, 1, 24)
    assert found.received_at == datetime(2025, 1, 22, 15, 30, tzinfo=VIETNAM)


def test_a_file_already_there_repeated_in_the_export_is_an_error_and_changes_nothing(
    registry_engine: Engine, tmp_path: Path
) -> None:
    """Yesterday's export held K-1; today's holds it twice: the repeat is named by line
    whether the file was there before the import or written by it."""
    add_late_files(registry_engine, tmp_path, LateFile("K-1", status="Đang xử lý"))
    path = late_files_export(
        tmp_path,
        LateFile("K-1", status="Đã trả kết quả", returned="29/01/2025 10:00"),
        LateFile("K-2"),
        LateFile("K-1"),
        LateFile("K-2"),
    )
    with pytest.raises(ImportFailed) as failure:
        load(registry_engine, path)
    assert [(e.line, e.reason) for e in failure.value.errors] == [
        (4, "mã hồ sơ “K-1” lặp lại trong tệp"),
        (5, "mã hồ sơ “K-2” lặp lại trong tệp"),
    ]
    assert [(f.code, f.status) for f in files(registry_engine).values()] == [
        ("K-1", FileStatus.OPEN)
    ]


def test_a_reimport_keeps_the_approved_letters_date_and_changes_nothing_else(
    registry_engine: Engine, tmp_path: Path
) -> None:
    """The head approved a letter moving F-1's appointment (written by the bot, not the
    import): the same export imported again finds the file as it is."""
    path = late_files_export(tmp_path, LateFile("F-1", status="Đang xử lý"), LateFile("F-2"))
    load(registry_engine, path)
    with session_scope(registry_engine) as s:
        moved = s.exec(select(TthcFile).where(TthcFile.code == "F-1")).one()
        assert moved.id is not None and moved.due_on == date(2025, 2, 5)
        moved.due_on = date(2025, 2, 21)
        s.add(Apology(file_id=moved.id, agency_id=moved.agency_id, state=ApologyState.APPROVED,
                      new_due_on=moved.due_on, original_due_on=date(2025, 2, 5),
                      started_by="Nguyễn Văn An", started_at=at(date(2025, 2, 4))))  # fmt: skip
    report = load(registry_engine, path)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)  # type: ignore[attr-defined]
    assert files(registry_engine)["F-1"].due_on == date(2025, 2, 21)


def test_an_imported_file_is_stored_exactly_as_the_models_store_it(
    registry_engine: Engine, tmp_path: Path
) -> None:
    """The importer writes the driver's values itself: the same file written through the
    model is stored the same, value for value, so that a re-import compares them raw."""
    load(registry_engine, export(tmp_path,
        "STP-0002,Cấp Phiếu lý lịch tư pháp,Lý lịch tư pháp,Trần Thị Bình,3 Võ Thị Sáu,0987654321,Sở Tư pháp,20/01/2025 10:00,24/01/2025,,Đã trả kết quả,23/01/2025 16:00"))  # fmt: skip
    with session_scope(registry_engine) as s:
        imported = s.exec(select(TthcFile)).one()
        s.add(TthcFile.model_validate({**imported.model_dump(), "id": None, "code": "COPY"}))
    table = TthcFile.metadata.tables["tthcfile"]
    columns = [c.name for c in table.columns if c.name not in ("id", "code")]
    with registry_engine.connect() as conn:
        raw = conn.exec_driver_sql(f"SELECT {', '.join(columns)} FROM tthcfile ORDER BY id").all()  # noqa: S608
    assert raw[0] == raw[1]


def test_an_export_full_of_old_late_files_makes_one_short_message_per_chat(
    engine: Engine, tmp_path: Path
) -> None:
    """The most urgent files are named, the others counted by stage; each file is told of
    once: the next day's tick says nothing more of them."""
    from dataclasses import replace

    from bot.models import Chat, Notice, Outbox
    from bot.scheduler.planner import plan
    from tests.province import build_province

    settings = replace(SETTINGS, files=FileSettings(listed=10))
    build_province(engine)
    urgent = [LateFile(f"N-{i}", status="Đang xử lý") for i in range(3)]  # letter due 4/2/2025
    old = [
        LateFile(f"C-{i:02d}", received=f"{1 + i % 28:02d}/{1 + i % 12:02d}/2024 09:00",
                 status="Đang xử lý")
        for i in range(57)
    ]  # fmt: skip
    add_late_files(engine, tmp_path, *urgent, *old, settings=settings)

    with session_scope(engine) as s:
        plan(s, at(date(2025, 2, 4)), settings=settings, cal=CAL)
    with Session(engine) as s:
        group = s.exec(select(Chat).where(Chat.chat_key == "group:so-tu-phap")).one()
        sent = s.exec(
            select(Outbox).where(Outbox.chat_id == group.id, Outbox.kind == "files")
        ).all()
        notices = s.exec(select(Notice).where(Notice.chat_id == group.id)).all()
    assert len(sent) == 1
    text = "\n".join(sent[0].parts)
    assert len(sent[0].parts) == 1
    assert text.count("61/2018/NĐ-CP") == 1  # each stage's heading once, not once a file
    assert "Phải xin lỗi hôm nay (3)" in text and "Đã trễ hạn (7)" in text
    assert "60 hồ sơ" in text
    assert "… và 50 hồ sơ khác: 50 đã trễ hạn." in text
    assert "/hoso" in text
    named = [code for code in [f.code for f in urgent + old] if f"<b>{code}</b>" in text]
    # The three whose letter is due today first, then the oldest late ones.
    assert named[:3] == ["N-0", "N-1", "N-2"]
    assert len(named) == 10
    by_due = sorted(files(engine).values(), key=lambda f: (f.due_on, f.id or 0))
    oldest = [f.code for f in by_due if f.code.startswith("C-")][:7]
    assert sorted(named[3:]) == sorted(oldest)
    assert text.index("<b>N-2</b>") < min(text.index(f"<b>{code}</b>") for code in oldest)
    assert sorted(n.stage for n in notices) == ["late_coordinator"] * 7 + ["must_apologize"] * 3

    with session_scope(engine) as s:
        again = plan(s, at(date(2025, 2, 5)), settings=settings, cal=CAL)
    assert not [m for m in again.messages if m.kind == "files" and m.chat.id == group.id
                and any(n["stage"] == "late_coordinator" for n in m.notices)]  # fmt: skip


def test_hoso_lists_what_to_act_on_today_then_the_longest_late(
    engine: Engine, tmp_path: Path
) -> None:
    """/hoso answers at once however many files are open: each list cut, the counts whole;
    an agency's chat sees its own files, the coordinator every agency's."""
    from bot.services.actions import Sender
    from tests.chat import say
    from tests.province import FEB_4, build_province

    build_province(engine)
    add_late_files(
        engine, tmp_path,
        *[LateFile(f"N-{i}", status="Đang xử lý") for i in range(3)],  # due 5/2/2025
        LateFile("D-0", received="21/01/2025 09:00", status="Đang xử lý"),  # due 4/2/2025
        *[LateFile(f"C-{i:02d}", received=f"{1 + i:02d}/10/2024 09:00", status="Đang xử lý")
          for i in range(25)],
        *[LateFile(f"T-{i}", received="03/02/2025 09:00", status="Đang xử lý") for i in range(4)],
        LateFile("YT-1", agency="Sở Y tế", received="02/10/2024 09:00", status="Đang xử lý"),
    )  # fmt: skip
    group = say(engine, Sender("console", "group:so-tu-phap", "501", "An"), "/hoso", FEB_4)
    assert "Phải xin lỗi hôm nay (3)" in group and "Đến hạn trả hôm nay (1)" in group
    # The letter is offered for the files due tomorrow, not for the one due today.
    assert group.index("/xinloi") < group.index("<b>N-0</b>") < group.index("Đến hạn trả hôm nay")
    assert (
        group.index("Đến hạn trả hôm nay") < group.index("<b>D-0</b>") < group.index("Đã trễ hạn")
    )
    assert "Đã trễ hạn (25)" in group
    assert "… và 5 hồ sơ trễ hạn khác." in group
    assert "Còn trong hạn: 4 hồ sơ." in group
    late = [f"C-{i:02d}" for i in range(25)]
    assert [c for c in late if f"<b>{c}</b>" in group] == late[:20]  # the longest late first
    assert group.index("<b>N-0</b>") < group.index("<b>C-00</b>")
    assert "YT-1" not in group and "Sở Tư pháp" not in group  # its own files: no agency named

    province = say(engine, Sender("console", "coordinator", "801", "Bình"), "/hoso", FEB_4)
    assert "Đã trễ hạn (26)" in province
    assert "<b>YT-1</b>" in province and "· Sở Y tế" in province

    stranger = say(engine, Sender("console", "group:moi", "901", "Cường"), "/hoso", FEB_4)
    assert "chưa được liên kết" in stranger and "C-00" not in stranger


@pytest.mark.parametrize("listed", [0, -1, 101])
def test_the_number_of_files_named_in_a_warning_is_bounded(listed: int) -> None:
    with pytest.raises(ValueError, match="listed: 1 to 100"):
        FileSettings(listed=listed)


def test_a_warning_of_late_files_only_does_not_offer_a_letter_that_is_too_late(
    engine: Engine, tmp_path: Path
) -> None:
    from bot.models import Chat, Outbox
    from bot.scheduler.planner import plan
    from tests.province import build_province

    build_province(engine)
    add_late_files(
        engine, tmp_path, LateFile("C-1", received="01/10/2024 09:00", status="Đang xử lý")
    )
    with session_scope(engine) as s:
        plan(s, at(date(2025, 2, 4)), settings=SETTINGS, cal=CAL)
    with Session(engine) as s:
        group = s.exec(select(Chat).where(Chat.chat_key == "group:so-tu-phap")).one()
        [warning] = s.exec(select(Outbox).where(Outbox.chat_id == group.id)).all()
    text = "\n".join(warning.parts)
    assert "Đã trễ hạn (1)" in text and "trễ 79 ngày làm việc" in text
    assert "/xinloi" not in text and "Đề nghị giải quyết dứt điểm" in text
