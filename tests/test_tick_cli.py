"""`dondoc tick` (as cron runs it) sends through the channels the settings configure."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, create_engine, select

from bot.db import session_scope
from bot.models import Agency, ChatRole, Outbox, OutboxState
from bot.services.chats import ensure_chat
from tests.cli import Dondoc
from tests.fake_telegram import FakeTelegram
from tests.fake_zalo import FakeZalo
from tests.http_bridge import serve

PLAN = (
    "Số kế hoạch,99/KH-UBND\n"
    "STT,Nhiệm vụ cụ thể,Tiến độ,Cơ quan chủ trì\n"
    "1,Rà soát thủ tục hành chính nội bộ,31/12/2024,Sở Y tế\n"
    "2,Công khai kết quả giải quyết hồ sơ,31/12/2024,Sở Tư pháp\n"
)


def test_tick_sends_through_telegram_and_zalo(dondoc: Dondoc, tmp_path: Path) -> None:
    plan = tmp_path / "plan.csv"
    plan.write_text(PLAN, encoding="utf-8")
    dondoc.ok("import", "tasks", str(plan))
    engine = create_engine(dondoc.env["DATABASE_URL"])
    with session_scope(engine) as s:
        for code, channel, key in (("so-y-te", "telegram", "-1001234567890"),
                                   ("so-tu-phap", "zalo", "zalo-group-7")):  # fmt: skip
            agency = s.exec(select(Agency).where(Agency.code == code)).one()
            ensure_chat(s, channel=channel, chat_key=key, role=ChatRole.GROUP, agency=agency,
                        title=f"Nhóm {agency.name}")  # fmt: skip
    telegram, zalo = FakeTelegram(), FakeZalo()
    with serve(telegram.handle) as tg_url, serve(zalo.handle) as zalo_url:
        cron = Dondoc(tmp_path, TELEGRAM_BOT_TOKEN="123:abc", TELEGRAM_BASE_URL=f"{tg_url}/bot",
                      ZALO_BOT_TOKEN="456:def", ZALO_BASE_URL=f"{zalo_url}/bot")  # fmt: skip
        result = cron.ok("tick", "--at", "20/12/2024 08:00")
    assert "gửi 2" in result.output, result.output
    [to_group] = [m for m in telegram.sent if m["chat"]["id"] == -1001234567890]
    assert "Rà soát thủ tục hành chính nội bộ" in to_group["text"]
    assert any("Công khai kết quả" in str(m) for m in zalo.sent)
    with Session(engine) as s:
        assert {o.state for o in s.exec(select(Outbox))} == {OutboxState.SENT}
