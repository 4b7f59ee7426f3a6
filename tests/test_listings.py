"""What the admin's listings read, as plain values: chats, the calendar, files, a preview."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.db import session_scope
from bot.domain.calendar import WorkCalendar
from bot.importers.files import import_files
from bot.services.binding import LinkedChat, find_chat, linked_chats
from bot.services.calendar import NotableDay, notable_days, set_override
from bot.services.chats import deactivate_chat
from bot.services.files import open_files
from bot.services.preview import preview
from tests.province import IMPORT_DAY, SETTINGS, at, build_province

EXPORT = (
    "Mã hồ sơ,Tên thủ tục,Lĩnh vực,Chủ hồ sơ,Địa chỉ,Số điện thoại,Đơn vị xử lý,Ngày tiếp nhận,"
    "Ngày hẹn trả,Thời hạn giải quyết (ngày làm việc),Trạng thái,Ngày trả kết quả\n"
    "STP-1,Cấp Phiếu lý lịch tư pháp,Lý lịch tư pháp,Nguyễn Văn An,,,Sở Tư pháp,22/01/2025 09:00,,5,Đang xử lý,\n"
    "STP-2,Chứng thực bản sao,Chứng thực,Lê Thị Bình,,,Sở Tư pháp,03/02/2025 09:00,,5,Đang xử lý,\n"
)


def test_linked_chats_name_their_agency_and_leave_out_unlinked_ones(engine: Engine) -> None:
    build_province(engine)
    with session_scope(engine) as s:
        chat = find_chat(s, "console", "head:so-tu-phap")
        assert chat is not None
        deactivate_chat(s, chat, at(date(2024, 12, 20)), tell_admins=False)
    with Session(engine) as s:
        chats = {c.chat_key: c for c in linked_chats(s)}
    assert chats["group:so-y-te"] == LinkedChat(
        "console", "group:so-y-te", "group Sở Y tế", "Sở Y tế", "group"
    )
    assert chats["admin"].agency == "" and "head:so-tu-phap" not in chats


def test_notable_days_mix_the_nation_and_the_province(engine: Engine) -> None:
    with session_scope(engine) as s:
        set_override(s, date(2025, 5, 5), working=False, note="Nghỉ bù lễ hội")
        set_override(s, date(2025, 6, 7), working=True)
    with Session(engine) as s:
        days = {d.day: d for d in notable_days(s, SETTINGS.hours, 2025)}
    assert days[date(2025, 4, 26)] == NotableDay(
        date(2025, 4, 26), True, "Làm bù theo lịch nghỉ của cả nước"
    )
    assert "Quốc khánh" in days[date(2025, 9, 2)].note and not days[date(2025, 9, 2)].working
    assert days[date(2025, 5, 5)] == NotableDay(date(2025, 5, 5), False, "Nghỉ bù lễ hội")
    assert days[date(2025, 6, 7)] == NotableDay(date(2025, 6, 7), True, "Làm bù (tỉnh)")
    assert list(days) == sorted(days)


def test_open_files_filtered_as_asked(registry_engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(EXPORT, encoding="utf-8")
    cal = WorkCalendar()
    with session_scope(registry_engine) as s:
        import_files(s, path, cal=cal, settings=SETTINGS.files, on=IMPORT_DAY)
    with Session(registry_engine) as s:
        every = list(open_files(s, cal, date(2025, 2, 6)))
        late = list(open_files(s, cal, date(2025, 2, 6), late=True))
        soon = list(open_files(s, cal, date(2025, 2, 6), at_risk_days=5))
    assert [f.code for f in every] == ["STP-1", "STP-2"]  # by due date
    first = every[0]
    assert (first.agency, first.received, first.due, first.letter) == ("Sở Tư pháp", date(2025, 1, 22),
                                                                     date(2025, 2, 5), False)  # fmt: skip
    assert first.working_days_left < 0
    assert [f.code for f in late] == ["STP-1"] and [f.code for f in soon] == ["STP-2"]


def test_a_preview_changes_nothing(engine: Engine) -> None:
    province = build_province(engine)
    province.add_task("31/12/2024")
    with Session(engine) as s:
        shown = preview(s, at(date(2024, 12, 20)), SETTINGS)
    assert shown.held_until is None
    [message] = shown.messages
    assert (message.chat_id, message.agency, message.role) == ("group:so-y-te", "Sở Y tế", "group")
    assert "Rà soát thủ tục hành chính" in message.text
    assert province.outbox() == []
    with Session(engine) as s:
        night = preview(s, at(date(2024, 12, 20), 22), SETTINGS)
    assert (
        night.messages == []
        and night.held_until is not None
        and night.held_until.date() == date(2024, 12, 23)
    )  # Monday
