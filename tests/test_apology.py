"""The apology for a late file, walked through in chat: drafted, sent back, redone,
approved by the head, numbered, sent as a Word document; a second move is refused."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.channels.console import ConsoleChannel
from bot.db import session_scope
from bot.domain.calendar import WorkCalendar
from bot.handlers.core import Incoming, handle_button, handle_message
from bot.importers.files import import_files
from bot.models import Apology, ApologyState, Outbox, TthcFile
from bot.reports.letter import text_of
from bot.scheduler.dispatcher import dispatch
from bot.scheduler.settings import SchedulerSettings
from bot.services.actions import Sender
from tests.province import Province, at, build_province

CAL = WorkCalendar()
SETTINGS = SchedulerSettings()
OFFICER = Sender("console", "group:so-tu-phap", "501", "Nguyễn Văn An")
HEAD = Sender("console", "head:so-tu-phap", "601", "Trần Thị Bình")
OTHER = Sender("console", "group:so-y-te", "701", "Lê Văn Cường")
FEB_4 = at(date(2025, 2, 4), 9)


@pytest.fixture
def province(engine: Engine, tmp_path: Path) -> Province:
    province = build_province(engine)
    path = tmp_path / "export.csv"
    path.write_text(
        "Mã hồ sơ,Tên thủ tục,Chủ hồ sơ,Địa chỉ,Số điện thoại,Đơn vị xử lý,Ngày tiếp nhận,"
        "Thời hạn giải quyết (ngày làm việc),Trạng thái\n"
        "LLTP-0001,Cấp Phiếu lý lịch tư pháp số 1,Phạm Thu Dung,12 Đồng Khởi,0912345678,Sở Tư pháp,"
        "22/01/2025 09:00,5,Đang xử lý\n",
        encoding="utf-8",
    )
    with session_scope(engine) as s:
        import_files(s, path, cal=CAL)
    return province


def say(engine: Engine, who: Sender, text: str, now: Any = FEB_4) -> str:
    with session_scope(engine) as s:
        return "\n".join(a.html for a in handle_message(s, Incoming(who, text), now, CAL))


def press(engine: Engine, who: Sender, data: str, now: Any = FEB_4) -> str:
    with session_scope(engine) as s:
        return "\n".join(a.html for a in handle_button(s, who, data, now, CAL))


def send_all(engine: Engine, now: Any = FEB_4) -> ConsoleChannel:
    channel = ConsoleChannel(quiet=True)
    asyncio.run(dispatch(engine, {"console": channel}, now, worker="t", settings=SETTINGS, cal=CAL))
    return channel


def letter(engine: Engine) -> Apology:
    with Session(engine) as s:
        return s.exec(select(Apology)).one()


def the_file(engine: Engine) -> TthcFile:
    with Session(engine) as s:
        return s.exec(select(TthcFile)).one()


def test_drafted_sent_back_redone_approved_and_sent_as_a_word_document(province: Province) -> None:
    engine = province.engine
    assert "lý do" in say(engine, OFFICER, "/xinloi LLTP-0001")
    assert "ngày hẹn trả mới" in say(engine, OFFICER, "Chờ kết quả xác minh của Công an tỉnh")
    assert "ngày nghỉ" in say(engine, OFFICER, "22/02/2025")  # a Saturday
    assert "Đã gửi dự thảo" in say(engine, OFFICER, "20/02/2025")
    assert letter(engine).state == ApologyState.PENDING
    to_head = send_all(engine)
    [(chat, draft)] = to_head.sent
    assert chat == "head:so-tu-phap" and "Chờ kết quả xác minh của Công an tỉnh" in draft
    [[approve, send_back]] = next(o.buttons for o in province.outbox() if o.kind == "notice")
    assert approve[1].startswith("aa:") and send_back[1].startswith("ab:")

    # The officer cannot approve; the head sends it back.
    assert "Chỉ Thủ trưởng" in press(engine, OFFICER, approve[1])
    assert "trả lại" in press(engine, HEAD, send_back[1]).lower()
    assert "soạn lại" in send_all(engine).sent[0][1]
    # Redone with another date, approved.
    say(engine, OFFICER, "/xinloi LLTP-0001")
    say(engine, OFFICER, "Hồ sơ phải xin ý kiến Bộ Tư pháp về quốc tịch của người yêu cầu")
    say(engine, OFFICER, "21/02/2025")
    send_all(engine)
    decided = press(engine, HEAD, f"aa:{letter(engine).id}")
    assert "01/PXL-STP" in decided
    assert the_file(engine).due_on == date(2025, 2, 21)
    assert the_file(engine).original_due_on == date(2025, 2, 5)

    delivered = send_all(engine)
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
    say(engine, OFFICER, "/xinloi LLTP-0001")
    say(engine, OFFICER, "Chờ kết quả xác minh của Công an tỉnh")
    say(engine, OFFICER, "20/02/2025")
    press(engine, HEAD, f"aa:{letter(engine).id}")
    send_all(engine)
    refused = say(engine, OFFICER, "/xinloi LLTP-0001", at(date(2025, 2, 19), 9))
    assert "một lần" in refused
    alerts = send_all(engine, at(date(2025, 2, 19), 9)).sent
    assert {chat for chat, _ in alerts} == {"head:so-tu-phap", "coordinator"}
    assert all("lần hai" in text for _, text in alerts)
    with Session(engine) as s:
        assert len(s.exec(select(Apology)).all()) == 1


def test_only_the_agency_holding_the_file_writes_the_letter(province: Province) -> None:
    engine = province.engine
    assert "Sở Tư pháp" in say(engine, OTHER, "/xinloi LLTP-0001")
    with Session(engine) as s:
        assert s.exec(select(Apology)).all() == []
    assert "Không tìm thấy" in say(engine, OFFICER, "/xinloi KHONG-CO")


def test_the_new_date_must_follow_the_current_one(province: Province) -> None:
    engine = province.engine
    say(engine, OFFICER, "/xinloi LLTP-0001")
    say(engine, OFFICER, "Thiếu giấy tờ xác minh nhân thân")
    assert "sau 05/02/2025" in say(engine, OFFICER, "05/02/2025")
    assert letter(engine).state == ApologyState.ASK_DATE


def test_the_buttons_on_a_must_apologise_warning_start_the_letter(province: Province) -> None:
    from bot.scheduler.planner import plan

    with session_scope(province.engine) as s:
        plan(s, at(date(2025, 2, 4), 8), settings=SETTINGS, cal=CAL)
    [warning] = [o for o in province.outbox() if o.kind == "files"]
    assert "Phải xin lỗi hôm nay" in warning.parts[0]
    [[label, data]] = warning.buttons[0]
    assert data.startswith("x:") and "LLTP-0001" in label
    assert "lý do" in press(province.engine, OFFICER, data)
    with Session(province.engine) as s:
        assert s.exec(select(Outbox)).all()
