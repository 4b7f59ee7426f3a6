"""The same story on Zalo, against a fake of its Bot API: binding, a reminder, "xong ạ",
a refused close, an extension approved by the head, 2,000-character messages, the webhook."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.channels.zalo import ZaloChannel, ZaloClient, ZaloWebhook, poll
from bot.config import ApologySettings, Settings
from bot.db import session_scope
from bot.models import Agency, Apology, Chat, ChatRole, Outbox, OutboxState, Status
from bot.reports.letter import text_of
from bot.services.apology import letter_docx
from bot.services.binding import create_link_code
from tests import chat as shared
from tests.fake_zalo import FakeZalo, free_port
from tests.files import LateFile, add_late_files
from tests.province import CAL, FEB_4, FRIDAY, Province, at, build_province

NOW = FRIDAY


@pytest.fixture
async def zalo(engine: Engine) -> AsyncIterator[tuple[ZaloClient, FakeZalo, Province]]:
    province = build_province(engine)
    fake = FakeZalo()
    client = ZaloClient("zalo-secret-token", "http://zalo.invalid/bot", transport=fake.transport)
    stop = asyncio.Event()
    poller = asyncio.create_task(
        poll(
            client,
            engine=engine,
            settings=Settings(admin_zalo_ids=frozenset({"z-admin"})),
            clock=lambda: NOW,
            stop=stop,
            wait=1,
        )
    )
    yield client, fake, province
    stop.set()
    await poller
    await client.close()


def code(province: Province, agency: str, role: ChatRole, now: Any = NOW) -> str:
    with session_scope(province.engine) as s:
        return create_link_code(
            s, agency=s.get(Agency, province.agencies[agency]), role=role, now=now
        )


async def say(fake: FakeZalo, chat: str, text: str) -> dict[str, Any]:
    """A user writes to the bot in their private chat (whose id is theirs) and it answers."""
    before = len(fake.sent)
    await fake.push(FakeZalo.private(chat, text))
    return (await fake.wait_sent(before + 1))[-1]


async def tick(client: ZaloClient, province: Province, moment: Any = NOW) -> None:
    await shared.tick(province.engine, {"zalo": ZaloChannel(client)}, moment, worker="z")


async def test_the_story_on_zalo(zalo: Any) -> None:
    client, fake, province = zalo
    assert (
        "Đã liên kết"
        in (await say(fake, "zc-syt", f"/lienket {code(province, 'so-y-te', ChatRole.GROUP)}"))[
            "text"
        ]
    )
    await say(fake, "zc-head", f"/lienket {code(province, 'so-y-te', ChatRole.HEAD)}")
    await say(fake, "zc-stp", f"/lienket {code(province, 'so-tu-phap', ChatRole.GROUP)}")
    first = province.add_task("31/12/2024", text="Rà soát <quy trình> & biểu mẫu")
    await tick(client, province)
    reminder = (await fake.wait_sent(4))[-1]
    assert reminder["chat_id"] == "zc-syt" and "<b>" not in reminder["text"]
    assert "Rà soát <quy trình> & biểu mẫu" in reminder["text"]  # plain text: no HTML escapes
    assert f"/xong NV{first}" in reminder["text"]  # buttons become typed commands

    assert "Đã ghi nhận" in (await say(fake, "zc-syt", "Xong ạ"))["text"]
    assert province.part(first).status == Status.DONE

    second = province.add_task("31/12/2024", text="Công khai thủ tục")
    refusal = await say(fake, "zc-stp", f"/xong NV{second}")
    assert "không thể" in refusal["text"] and "Sở Y tế" in refusal["text"]
    assert province.part(second).status == Status.OPEN

    requested = await say(fake, "zc-syt", f"/giahan NV{second} 15/01/2025 chờ ý kiến Sở Tư pháp")
    assert "Đã gửi đề nghị gia hạn" in requested["text"]
    await tick(client, province, at(date(2024, 12, 20), 9))
    to_head = next(m for m in reversed(await fake.wait_sent(8)) if m["chat_id"] == "zc-head")
    assert "/duyet" in to_head["text"] and "chờ ý kiến Sở Tư pháp" in to_head["text"]
    command = next(line for line in to_head["text"].splitlines() if "/duyet" in line).split("→ ")[1]
    assert "Chỉ Thủ trưởng" in (await say(fake, "zc-syt", command))["text"]
    assert "Đã duyệt" in (await say(fake, "zc-head", command))["text"]
    assert province.part(second).due_on == date(2025, 1, 15)
    count = len(fake.sent)
    await tick(client, province, at(date(2025, 1, 6), 8))  # also Monday's digest to the head
    sent = await fake.wait_sent(count + 3)  # the decision, the new ladder's reminder, the digest
    to_group = [m["text"] for m in sent[count:] if m["chat_id"] == "zc-syt"]
    assert any("duyệt gia hạn" in t for t in to_group) and any(
        "Còn 7 ngày làm việc" in t for t in to_group
    )


async def test_long_reminders_are_cut_under_2000_characters(zalo: Any) -> None:
    client, fake, province = zalo
    await say(fake, "zc-syt", f"/lienket {code(province, 'so-y-te', ChatRole.GROUP)}")
    for i in range(12):
        province.add_task("31/12/2024", text=f"Nhiệm vụ {i}: " + "rà soát thủ tục hành chính " * 10)
    await tick(client, province)
    messages = (await fake.wait_sent(3))[1:]
    assert len(messages) >= 2 and all(len(m["text"]) <= 2000 for m in messages)
    assert all(f"Nhiệm vụ {i}:" in "".join(m["text"] for m in messages) for i in range(12))


async def test_a_text_zalo_finds_too_long_is_split_and_the_chat_stays(zalo: Any) -> None:
    client, fake, province = zalo
    await say(fake, "zc-syt", f"/lienket {code(province, 'so-y-te', ChatRole.GROUP)}")
    for i in range(6):
        province.add_task("31/12/2024", text=f"Nhiệm vụ {i}: " + "rà soát thủ tục hành chính " * 6)
    fake.max_length = 700  # a server stricter than its documentation
    await tick(client, province)
    messages = [m["text"] for m in fake.sent[1:]]
    assert len(messages) >= 2 and all(len(t) <= 700 for t in messages)
    assert all(f"Nhiệm vụ {i}:" in "".join(messages) for i in range(6))
    with Session(province.engine) as s:
        assert s.exec(select(Chat).where(Chat.chat_key == "zc-syt")).one().active
        [row] = [o for o in s.exec(select(Outbox)).all() if o.chat_id == s.exec(
            select(Chat.id).where(Chat.chat_key == "zc-syt")).one()]  # fmt: skip
        assert (row.state, row.attempts) == (OutboxState.SENT, 1)


async def test_a_question_on_zalo_is_not_an_answer(zalo: Any) -> None:
    client, fake, province = zalo
    await say(fake, "zc-syt", f"/lienket {code(province, 'so-y-te', ChatRole.GROUP)}")
    only = province.add_task("31/12/2024")
    await tick(client, province)
    await fake.wait_sent(2)
    handled = (
        REGISTRY.get_sample_value(
            "dondoc_replies_handled_total", {"channel": "zalo", "kind": "message"}
        )
        or 0
    )
    for question in ("hoàn thành chưa anh?", "xong chua vay", "anh Nam bảo xong rồi"):
        assert "chưa hiểu" in (await say(fake, "zc-syt", question))["text"]
    assert province.part(only).status == Status.OPEN
    # Each counted in /metrics, as on Telegram.
    assert (
        REGISTRY.get_sample_value(
            "dondoc_replies_handled_total", {"channel": "zalo", "kind": "message"}
        )
        == handled + 3
    )


async def test_odd_numbers_and_failures_on_zalo_get_an_answer_and_polling_goes_on(
    zalo: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _client, fake, province = zalo
    await say(fake, "zc-head", f"/lienket {code(province, 'so-y-te', ChatRole.HEAD)}")
    for command in ("/duyet ²", "/duyet " + "9" * 30, "/duyetxl ²", "/xinloi " + "1" * 30):
        assert "gặp lỗi" not in (await say(fake, "zc-head", command))["text"]

    def broken(*_args: Any, **_kw: Any) -> Any:
        raise RuntimeError("a bug somewhere below the handler")

    with monkeypatch.context() as patched:
        patched.setattr("bot.channels.zalo.handle_message", broken)
        assert "gặp lỗi" in (await say(fake, "zc-head", "/nhiemvu"))["text"]
    assert "Hướng dẫn" in (await say(fake, "zc-head", "/trogiup"))["text"]


async def test_the_webhook_checks_the_secret_token(engine: Engine) -> None:
    build_province(engine)
    fake = FakeZalo()
    client = ZaloClient("zalo-secret-token", "http://zalo.invalid/bot", transport=fake.transport)
    hook = ZaloWebhook(
        client,
        engine=engine,
        settings=Settings(zalo_webhook_secret="webhook-s3cret"),
        clock=lambda: NOW,
    )
    port = free_port()
    await hook.start("127.0.0.1", port, public_url="https://dondoc.example/zalo")
    assert (
        "setWebhook",
        {"url": "https://dondoc.example/zalo", "secret_token": "webhook-s3cret"},
    ) in fake.calls
    body = {"ok": True, "result": FakeZalo.private("zc-1", "/start")}
    async with httpx.AsyncClient() as http:
        url = f"http://127.0.0.1:{port}/zalo"
        missing = await http.post(url, json=body)
        wrong = await http.post(url, json=body, headers={"X-Bot-Api-Secret-Token": "guess"})
        right = await http.post(
            url, json=body, headers={"X-Bot-Api-Secret-Token": "webhook-s3cret"}
        )
    assert (missing.status_code, wrong.status_code, right.status_code) == (403, 403, 200)
    assert len(fake.sent) == 1 and "chưa được liên kết" in fake.sent[0]["text"]
    assert fake.paths == {"/botzalo-secret-token/setWebhook", "/botzalo-secret-token/sendMessage"}
    await hook.stop()
    await client.close()


async def test_a_letter_approved_on_zalo_follows_the_provinces_apology_settings(
    engine: Engine, tmp_path: Path
) -> None:
    """dondoc.toml's [apology] reaches the Zalo handlers: the number's suffix and the
    letter's place are the province's, not the defaults."""
    province = build_province(engine)
    settings = Settings(apology=ApologySettings(number_suffix="XLHS", place="Long Khánh"))
    add_late_files(engine, tmp_path, LateFile("LLTP-0001", status="Đang xử lý"), settings=settings)
    fake = FakeZalo()
    client = ZaloClient("zalo-secret-token", "http://zalo.invalid/bot", transport=fake.transport)
    stop = asyncio.Event()
    poller = asyncio.create_task(
        poll(client, engine=engine, settings=settings, clock=lambda: FEB_4, stop=stop, wait=1)
    )
    try:
        for chat, role in (("zc-stp", ChatRole.GROUP), ("zc-stp-head", ChatRole.HEAD)):
            bound = code(province, "so-tu-phap", role, FEB_4)
            assert "Đã liên kết" in (await say(fake, chat, f"/lienket {bound}"))["text"]
        await say(fake, "zc-stp", "/xinloi LLTP-0001")
        await say(fake, "zc-stp", "Chờ kết quả xác minh của Công an tỉnh")
        assert "Đã gửi dự thảo" in (await say(fake, "zc-stp", "20/02/2025"))["text"]
        with Session(engine) as s:
            letter = s.exec(select(Apology)).one()
        approved = await say(fake, "zc-stp-head", f"/duyetxl {letter.id}")
        assert "01/XLHS-STP" in approved["text"]
    finally:
        stop.set()
        await poller
        await client.close()
    with Session(engine) as s:
        assert s.exec(select(Apology)).one().number == "01/XLHS-STP"
        _name, docx = letter_docx(s, letter.id, settings.apology, CAL)  # type: ignore[arg-type]
    assert "Long Khánh" in text_of(docx) and "Biên Hòa" not in text_of(docx)


async def test_weekly_digests_on_zalo_are_delivered_week_after_week(zalo: Any) -> None:
    """On Zalo a digest is one short message (each counts against the monthly quota) and
    no chart (Zalo sends no pictures from dondoc), week after week."""
    client, fake, province = zalo
    await say(fake, "zc-head", f"/lienket {code(province, 'so-y-te', ChatRole.HEAD)}")
    province.add_task("31/03/2025")
    for monday in (date(2025, 1, 6), date(2025, 1, 13)):
        await tick(client, province, at(monday, 8))
    with Session(province.engine) as s:
        head = s.exec(select(Chat).where(Chat.chat_key == "zc-head")).one()
        digests = s.exec(
            select(Outbox).where(Outbox.kind == "digest", Outbox.chat_id == head.id)
        ).all()
    assert [(o.state, o.sent_parts, o.attachment) for o in digests] == [
        (OutboxState.SENT, 1, None)
    ] * 2
    [text] = digests[0].parts
    assert "Quá hạn:" in text and "Gõ /baocao để xem đầy đủ" in text
