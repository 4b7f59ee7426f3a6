"""The apology for a late file, walked through in chat: drafted, sent back, redone,
approved by the head, numbered, sent as a Word document; a second move is refused."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.db import session_scope
from bot.models import Agency, Apology, ApologyState, Outbox, SentMessage, TthcFile
from bot.render import answer
from bot.reports.letter import text_of
from bot.services.actions import Sender
from tests.chat import press, say, send_all
from tests.files import LateFile, add_late_files
from tests.province import CAL, FEB_4, SETTINGS, Province, at, build_province

OFFICER = Sender("console", "group:so-tu-phap", "501", "Nguyễn Văn An")
HEAD = Sender("console", "head:so-tu-phap", "601", "Trần Thị Bình")
OTHER = Sender("console", "group:so-y-te", "701", "Lê Văn Cường")


@pytest.fixture
def province(province: Province, tmp_path: Path) -> Province:
    """The demo province holding one file of Sở Tư pháp's, received 22/01/2025, 5 working days."""
    add_late_files(
        province.engine,
        tmp_path,
        LateFile("LLTP-0001", "Cấp Phiếu lý lịch tư pháp số 1", address="12 Đồng Khởi",
                 phone="0912345678", status="Đang xử lý"),
    )  # fmt: skip
    return province


def letter(engine: Engine) -> Apology:
    with Session(engine) as s:
        return s.exec(select(Apology)).one()


def the_file(engine: Engine) -> TthcFile:
    with Session(engine) as s:
        return s.exec(select(TthcFile)).one()


def test_drafted_sent_back_redone_approved_and_sent_as_a_word_document(province: Province) -> None:
    engine = province.engine
    assert "lý do" in say(engine, OFFICER, "/xinloi LLTP-0001", FEB_4)
    assert "ngày hẹn trả mới" in say(
        engine, OFFICER, "Chờ kết quả xác minh của Công an tỉnh", FEB_4
    )
    assert "ngày nghỉ" in say(engine, OFFICER, "22/02/2025", FEB_4)  # a Saturday
    assert "Đã gửi dự thảo" in say(engine, OFFICER, "20/02/2025", FEB_4)
    assert letter(engine).state == ApologyState.PENDING
    to_head = send_all(engine, FEB_4)
    [(chat, draft)] = to_head.sent
    assert chat == "head:so-tu-phap" and "Chờ kết quả xác minh của Công an tỉnh" in draft
    [[approve, send_back]] = next(o.buttons for o in province.outbox() if o.kind == "notice")
    assert approve[1].startswith("aa:") and send_back[1].startswith("ab:")

    # The officer cannot approve; the head sends it back.
    assert "Chỉ Thủ trưởng" in press(engine, OFFICER, approve[1], FEB_4)
    assert "trả lại" in press(engine, HEAD, send_back[1], FEB_4).lower()
    assert "soạn lại" in send_all(engine, FEB_4).sent[0][1]
    # Redone with another date, approved.
    say(engine, OFFICER, "/xinloi LLTP-0001", FEB_4)
    say(engine, OFFICER, "Hồ sơ phải xin ý kiến Bộ Tư pháp về quốc tịch của người yêu cầu", FEB_4)
    say(engine, OFFICER, "21/02/2025", FEB_4)
    send_all(engine, FEB_4)
    decided = press(engine, HEAD, f"aa:{letter(engine).id}", FEB_4)
    assert "01/PXL-STP" in decided
    assert the_file(engine).due_on == date(2025, 2, 21)
    assert the_file(engine).original_due_on == date(2025, 2, 5)

    delivered = send_all(engine, FEB_4)
    assert delivered.sent[0][0] == "group:so-tu-phap" and "01/PXL-STP" in delivered.sent[0][1]
    [(chat, name, docx)] = delivered.documents
    assert (chat, name) == ("group:so-tu-phap", "xin-loi-LLTP-0001.docx")
    text = text_of(docx)
    for field in ("SỞ TƯ PHÁP", "01/PXL-STP", "Biên Hòa", "ngày 04 tháng 02 năm 2025",
                  "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ", "Mẫu số 04", "Phạm Thu Dung",
                  "12 Đồng Khởi", "0912345678", "22/01/2025", "Cấp Phiếu lý lịch tư pháp số 1",
                  "LLTP-0001", "05/02/2025", "xin ý kiến Bộ Tư pháp", "21/02/2025",
                  "Nghị định số 61/2018/NĐ-CP", "Bộ phận Một cửa", "KT. GIÁM ĐỐC"):  # fmt: skip
        assert field in text, field
    assert "{{" not in text


def test_a_second_move_is_refused_and_escalated(province: Province) -> None:
    engine = province.engine
    say(engine, OFFICER, "/xinloi LLTP-0001", FEB_4)
    say(engine, OFFICER, "Chờ kết quả xác minh của Công an tỉnh", FEB_4)
    say(engine, OFFICER, "20/02/2025", FEB_4)
    press(engine, HEAD, f"aa:{letter(engine).id}", FEB_4)
    send_all(engine, FEB_4)
    refused = say(engine, OFFICER, "/xinloi LLTP-0001", at(date(2025, 2, 19), 9))
    assert "một lần" in refused
    alerts = send_all(engine, at(date(2025, 2, 19), 9)).sent
    assert {chat for chat, _ in alerts} == {"head:so-tu-phap", "coordinator"}
    assert all("lần hai" in text for _, text in alerts)
    with Session(engine) as s:
        assert len(s.exec(select(Apology)).all()) == 1


def test_the_letter_number_carries_the_registry_symbol(province: Province) -> None:
    engine = province.engine
    with session_scope(engine) as s:
        s.get(Agency, province.agencies["so-tu-phap"]).letter_symbol = "STP-ĐN"  # type: ignore[union-attr]
    say(engine, OFFICER, "/xinloi LLTP-0001", FEB_4)
    say(engine, OFFICER, "Chờ kết quả xác minh của Công an tỉnh", FEB_4)
    say(engine, OFFICER, "20/02/2025", FEB_4)
    assert "01/PXL-STP-ĐN" in press(engine, HEAD, f"aa:{letter(engine).id}", FEB_4)


def test_only_the_agency_holding_the_file_writes_the_letter(province: Province) -> None:
    engine = province.engine
    assert "Sở Tư pháp" in say(engine, OTHER, "/xinloi LLTP-0001", FEB_4)
    with Session(engine) as s:
        assert s.exec(select(Apology)).all() == []
    assert "Không tìm thấy" in say(engine, OFFICER, "/xinloi KHONG-CO", FEB_4)


def test_the_new_date_must_follow_the_current_one(province: Province) -> None:
    engine = province.engine
    say(engine, OFFICER, "/xinloi LLTP-0001", FEB_4)
    say(engine, OFFICER, "Thiếu giấy tờ xác minh nhân thân", FEB_4)
    assert "sau 05/02/2025" in say(engine, OFFICER, "05/02/2025", FEB_4)
    assert letter(engine).state == ApologyState.ASK_DATE


def test_the_buttons_on_a_must_apologise_warning_start_the_letter(province: Province) -> None:
    from bot.scheduler.planner import plan

    with session_scope(province.engine) as s:
        plan(s, at(date(2025, 2, 4), 8), settings=SETTINGS, cal=CAL)
    [warning] = [o for o in province.outbox() if o.kind == "files"]
    assert "Phải xin lỗi hôm nay" in warning.parts[0]
    [[label, data]] = warning.buttons[0]
    assert data.startswith("x:") and "LLTP-0001" in label
    assert "lý do" in press(province.engine, OFFICER, data, FEB_4)
    with Session(province.engine) as s:
        assert s.exec(select(Outbox)).all()


def test_a_reply_to_a_late_file_warning_asks_which_task_and_changes_nothing(
    province: Province,
) -> None:
    """A warning about a file covers no task: "xong ạ" under it is no answer to a task."""
    from bot.handlers.core import Incoming, handle_message
    from bot.scheduler.planner import plan

    engine = province.engine
    with session_scope(engine) as s:
        plan(s, at(date(2025, 2, 4), 8), settings=SETTINGS, cal=CAL)
    send_all(engine, FEB_4)
    with Session(engine) as s:
        [warning] = [o for o in s.exec(select(Outbox)).all() if o.kind == "files"]
        [sent] = s.exec(select(SentMessage).where(SentMessage.outbox_id == warning.id)).all()
    with session_scope(engine) as s:
        answers = handle_message(s, Incoming(OFFICER, "xong ạ", reply_to=sent.message_key),
                                 FEB_4, CAL, SETTINGS.apology)  # fmt: skip
    assert [a.html for a in answers] == [answer("unclear")]  # Sở Tư pháp has no open task
    assert the_file(engine).status == "open"


def test_statistics_count_timely_late_and_missing_letters(engine: Engine, tmp_path: Path) -> None:
    from bot.reports.apologies import letters, records, to_csv, to_html

    build_province(engine)
    waiting = {"A-TIMELY": "Phạm Thu Dung", "A-AFTER": "Võ Thị Giang", "A-NONE": "Đặng Quốc Huy"}
    add_late_files(
        engine,
        tmp_path,
        LateFile("A-ONTIME", "Chứng thực", holder="Lê Văn Em", status="Đã trả kết quả",
                 returned="04/02/2025 10:00"),
        *(LateFile(code, "Lý lịch tư pháp", holder=who, status="Đang xử lý")
          for code, who in waiting.items()),
        LateFile("A-OPEN", "Lý lịch tư pháp", holder="Bùi Ngọc Khánh", received="03/02/2025 09:00",
                 days=10, status="Đang xử lý"),
    )  # fmt: skip

    def write_letter(code: str, when: Any) -> None:
        say(engine, OFFICER, f"/xinloi {code}", when)
        say(engine, OFFICER, "Chờ xác minh của cơ quan công an", when)
        say(engine, OFFICER, "14/02/2025", when)
        with Session(engine) as s:
            pending = s.exec(select(Apology).where(Apology.state == ApologyState.PENDING)).one()
        press(engine, HEAD, f"aa:{pending.id}", when)

    write_letter("A-TIMELY", FEB_4)  # the day before the appointment
    write_letter("A-AFTER", at(date(2025, 2, 7), 9))  # two working days too late
    with Session(engine) as s:
        [record] = records(s, date(2025, 2, 1), date(2025, 2, 28), date(2025, 2, 10), CAL)
        published = list(letters(s, date(2025, 2, 1), date(2025, 2, 28), CAL))
    assert (record.files, record.on_time, record.late, record.pending) == (5, 1, 3, 1)
    assert (record.timely_letter, record.late_letter, record.no_letter) == (1, 1, 1)
    assert record.on_time_rate == 0.25
    assert [p["file_code"] for p in published] == ["A-TIMELY", "A-AFTER"]
    assert [p["number"] for p in published] == ["01/PXL-STP", "02/PXL-STP"]
    assert [p["timely"] for p in published] == [True, False]
    page = to_html(published, [record], date(2025, 2, 1), date(2025, 2, 28))
    assert "01/PXL-STP" in page and "A-AFTER" in page and "Phạm T. D." in page
    assert "Phạm Thu Dung" not in page  # names are shortened for publication
    assert "25,0%" in page
    table = to_csv(published)
    assert table.startswith("\ufeffSố văn bản,Ngày,Cơ quan,Mã hồ sơ") and "02/PXL-STP" in table
    assert "A-TIMELY,Lý lịch tư pháp" in table and ",có\r\n" in table and "05/02/2025" in table


def test_the_apologies_command_writes_csv_and_html(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'd.db'}"}
    run = [sys.executable, "-m", "bot"]
    subprocess.run([*run, "seed"], env=env, cwd=tmp_path, check=True, capture_output=True)
    out = subprocess.run([*run, "apologies", "--from", "2024-10-01", "--to", "2024-12-31", "--out", "cong-khai",
                          "--today", "2024-12-31"], env=env, cwd=tmp_path, check=True, capture_output=True,
                         text=True)  # fmt: skip
    # seed/files.csv: files due in the last quarter of 2024; the demo's one letter.
    assert "Sở Tư pháp" in out.stdout and "1 văn bản xin lỗi" in out.stdout
    html = (tmp_path / "cong-khai" / "xin-loi-20241001-20241231.html").read_text(encoding="utf-8")
    assert "CÔNG KHAI VĂN BẢN XIN LỖI" in html and "Sở Tư pháp" in html and "01/PXL-STP" in html
    assert (tmp_path / "cong-khai" / "xin-loi-20241001-20241231.csv").exists()
    listing = subprocess.run([*run, "files", "--late", "--today", "2024-12-31", "--format", "json"], env=env,
                             cwd=tmp_path, check=True, capture_output=True, text=True)  # fmt: skip
    import json

    late = json.loads(listing.stdout)
    assert late and all(f["working_days_left"] < 0 for f in late)
