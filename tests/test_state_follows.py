"""State that must follow: a request for more time ends with the task; letter numbers
are each agency's own."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.db import session_scope
from bot.importers.agencies import import_agencies
from bot.importers.errors import ImportFailed
from bot.importers.plans import import_plan
from bot.models import Agency, ChatRole, ExtensionRequest, RequestState, Status
from bot.services.actions import Sender
from bot.services.chats import ensure_chat
from tests.chat import press, say
from tests.province import IMPORT_DAY, SETTINGS, Province, at, build_province

NOW = at(date(2024, 12, 20), 9)
OFFICER = Sender("console", "group:so-y-te", "501", "Nguyễn Văn An")
HEAD = Sender("console", "head:so-y-te", "601", "Trần Thị Bình")


def requests(engine: Engine) -> list[ExtensionRequest]:
    with Session(engine) as s:
        return list(s.exec(select(ExtensionRequest)).all())


def test_closing_a_task_withdraws_its_pending_extension_request(engine: Engine) -> None:
    province: Province = build_province(engine)
    target = province.add_task("31/12/2024")
    assert "Đã gửi đề nghị gia hạn" in say(
        engine, OFFICER, f"/giahan NV{target} 15/01/2025 chờ số liệu", NOW
    )
    [request] = requests(engine)
    assert request.state == RequestState.PENDING
    say(engine, OFFICER, f"/xong NV{target}", NOW)
    assert province.part(target).status == Status.DONE
    [request] = requests(engine)
    assert request.state == RequestState.WITHDRAWN and request.decided_at is not None
    # The head's late press changes nothing and says why.
    answer = press(engine, HEAD, f"ea:{request.id}", NOW)
    assert "không còn hiệu lực" in answer
    assert province.part(target).due_on == date(2024, 12, 31)
    assert province.part(target).extended_to is None


def test_a_part_cancelled_by_a_reimport_withdraws_its_request(
    registry_engine: Engine, tmp_path: Path
) -> None:
    plan = tmp_path / "plan.csv"
    head = "Số kế hoạch,99/KH-UBND\nSTT,Nhiệm vụ cụ thể,Tiến độ,Cơ quan chủ trì\n"
    plan.write_text(head + "1,Rà soát TTHC,31/12/2024,Sở Y tế\n", encoding="utf-8")
    with session_scope(registry_engine) as s:
        import_plan(s, plan, settings=SETTINGS, on=IMPORT_DAY)
        syt = s.exec(select(Agency).where(Agency.code == "so-y-te")).one()
    with session_scope(registry_engine) as s:
        ensure_chat(s, channel="console", chat_key="group:so-y-te", role=ChatRole.GROUP,
                    agency=s.get(Agency, syt.id), title="Nhóm Sở Y tế")  # fmt: skip
    say(registry_engine, OFFICER, "/giahan NV1 15/01/2025 chờ số liệu", NOW)
    assert [r.state for r in requests(registry_engine)] == [RequestState.PENDING]
    plan.write_text(head + "1,Rà soát TTHC,31/12/2024,Sở Tư pháp\n", encoding="utf-8")
    with session_scope(registry_engine) as s:
        import_plan(s, plan, settings=SETTINGS, on=IMPORT_DAY)
    assert [r.state for r in requests(registry_engine)] == [RequestState.WITHDRAWN]


def test_agencies_sharing_initials_need_their_own_letter_symbols(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "agencies.csv"
    path.write_text(
        "Mã,Tên cơ quan,Loại,Ký hiệu văn bản\n"
        "so-tnmt,Sở Tài nguyên và Môi trường,so,\n"
        "so-tttt,Sở Thông tin và Truyền thông,so,\n"
        "so-tu-phap,Sở Tư pháp,so,STP\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportFailed) as failed, session_scope(engine) as s:
        import_agencies(s, path)
    [line] = failed.value.lines()
    assert line.startswith(f"{path}:3:") and "“ST”" in line and "dòng 2" in line
    fixed = path.read_text(encoding="utf-8").replace("Môi trường,so,", "Môi trường,so,STNMT")
    path.write_text(fixed, encoding="utf-8")
    with session_scope(engine) as s:
        import_agencies(s, path)
    with Session(engine) as s:
        symbols = {a.code: a.letter_symbol for a in s.exec(select(Agency))}
    assert symbols == {"so-tnmt": "STNMT", "so-tttt": "ST", "so-tu-phap": "STP"}


def test_the_database_refuses_a_second_agency_with_the_same_symbol(engine: Engine) -> None:
    with pytest.raises(IntegrityError), session_scope(engine) as s:
        s.add(Agency(code="so-tnmt", name="Sở TN&MT", kind="so", aliases=[], letter_symbol="ST"))
        s.add(Agency(code="so-tttt", name="Sở TT&TT", kind="so", aliases=[], letter_symbol="ST"))
        s.flush()


def test_the_seed_registry_gives_every_agency_its_own_symbol(registry_engine: Engine) -> None:
    with Session(registry_engine) as s:
        symbols = [a.letter_symbol for a in s.exec(select(Agency))]
    assert all(symbols) and len(set(symbols)) == len(symbols)
    assert {"STNMT", "STTTT", "STP"} <= set(symbols)


def test_an_extension_to_no_real_day_is_answered_with_that_day(engine: Engine) -> None:
    province: Province = build_province(engine)
    target = province.add_task("31/12/2024")
    said = say(engine, OFFICER, f"/giahan NV{target} 31/02/2025 bận việc", NOW)
    assert "Ngày 31/02/2025 không có thật" in said and f"/giahan NV{target}" in said
    assert requests(engine) == []
