"""What a tester who did not write the Zalo channel broke (#18), each kind with its test:
polling that died on an answer Zalo's docs never show, a webhook that could not be set at
start taking the whole bot down, a wrong address failing every message, odd updates,
pictures and stickers, and a bot that took half a minute to stop."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.channels import ChannelStopped, MessageRejected
from bot.channels.zalo import ZaloChannel, ZaloClient, ZaloWebhook, handle_update, poll
from bot.config import Settings
from bot.models import Chat, Outbox
from tests.fake_zalo import FakeZalo, client_of, free_port
from tests.province import FRIDAY, Province, build_province

NOW = FRIDAY


def alerts(engine: Engine, province: Province, words: str) -> list[str]:
    with Session(engine) as s:
        rows = s.exec(select(Outbox).where(Outbox.chat_id == province.chats["admin"])).all()
        return [" ".join(o.parts) for o in rows if words in " ".join(o.parts)]


def scripted(*bodies: dict[str, Any] | str) -> httpx.MockTransport:
    """Zalo answering ``bodies`` in turn (a string: an HTML page), then idle polls."""
    queue = list(bodies)

    def answer(request: httpx.Request) -> httpx.Response:
        if not queue:
            return httpx.Response(200, json={"ok": False, "error_code": 408,
                                             "description": "Request timeout"})  # fmt: skip
        body = queue.pop(0)
        if isinstance(body, str):
            return httpx.Response(404, text=body)
        return httpx.Response(200, json=body)

    return httpx.MockTransport(answer)


async def test_an_error_code_that_is_no_number_does_not_end_polling(engine: Engine) -> None:
    """{"ok": false, "error_code": "timeout"} killed the polling task without a word."""
    province = build_province(engine)
    odd = {"ok": False, "error_code": "timeout", "description": "?"}
    update = FakeZalo.private("zu-1", "/start")
    queue: list[dict[str, Any]] = [{"ok": True, "result": {}}, *[odd] * 5,
                                   {"ok": True, "result": update}]  # fmt: skip
    sent: list[dict[str, Any]] = []
    answered = asyncio.Event()

    def answer(request: httpx.Request) -> httpx.Response:
        method = request.url.path.rsplit("/", 1)[-1]
        if method == "sendMessage":
            sent.append(json.loads(request.content))
            answered.set()
            return httpx.Response(200, json={"ok": True, "result": {"message_id": "m1"}})
        if queue:
            return httpx.Response(200, json=queue.pop(0))
        return httpx.Response(200, json={"ok": False, "error_code": 408})

    client = ZaloClient("t", "http://zalo.invalid/bot", transport=httpx.MockTransport(answer))
    stop = asyncio.Event()
    naps: list[float] = []

    async def no_wait(_stop: asyncio.Event, seconds: float) -> None:  # the backoff, noted
        naps.append(seconds)

    task = asyncio.create_task(poll(client, engine=engine, settings=Settings(), clock=lambda: NOW,
                                    stop=stop, wait=0, nap=no_wait))  # fmt: skip
    await asyncio.wait_for(answered.wait(), 10)
    stop.set()
    await task
    assert sent[0]["chat_id"] == "zu-1" and naps == [2, 4, 8, 16, 32]
    [told] = alerts(engine, province, "chưa nhận được tin nhắn")
    assert "Zalo" in told and "getUpdates" in told
    await client.close()


async def test_polling_starts_though_zalo_refuses_to_delete_a_webhook(engine: Engine) -> None:
    build_province(engine)
    fake = FakeZalo()
    fake.fail("deleteWebhook", 400, "Bad request: no webhook")
    client, stop = client_of(fake), asyncio.Event()
    task = asyncio.create_task(poll(client, engine=engine, settings=Settings(),
                                    clock=lambda: NOW, stop=stop, wait=1))  # fmt: skip
    await fake.push(FakeZalo.private("zu-1", "/start"))
    [answer] = await fake.wait_sent(1)
    stop.set()
    await task
    assert answer["chat_id"] == "zu-1"
    await client.close()


async def test_a_stop_ends_a_long_poll_at_once(engine: Engine) -> None:
    """Docker stops a container after 10 s: a 30 s poll must not hold the bot."""
    build_province(engine)
    fake = FakeZalo()
    client, stop = client_of(fake), asyncio.Event()
    task = asyncio.create_task(poll(client, engine=engine, settings=Settings(),
                                    clock=lambda: NOW, stop=stop, wait=30))  # fmt: skip
    await fake.wait_calls("getUpdates", 1)
    stop.set()
    await asyncio.wait_for(task, 5)  # far less than the poll's 30 s
    await client.close()


async def test_a_webhook_zalo_cannot_set_at_start_leaves_the_bot_running(engine: Engine) -> None:
    """A 502 from setWebhook stopped `dondoc run` (Telegram and the reminders with it)."""
    build_province(engine)
    fake = FakeZalo()
    fake.fail("setWebhook", 502, "Bad Gateway", times=3)
    client = client_of(fake)
    hook = ZaloWebhook(client, engine=engine, settings=Settings(zalo_webhook_secret="webhook-s3cret"),
                       clock=lambda: NOW)  # fmt: skip
    await hook.start("127.0.0.1", free_port(), public_url="https://dondoc.example/zalo")
    assert client.stopped is None and fake.webhook is None  # tried, failed, still trying
    await hook.stop()
    await client.close()


@pytest.mark.parametrize("body", ["<html>404 Not Found</html>",
                                  {"ok": False, "error_code": 404,
                                   "description": "Not found - Yêu cầu truy cập không lệ"}])  # fmt: skip
async def test_a_wrong_address_stops_zalo_instead_of_failing_every_message(
    body: dict[str, Any] | str,
) -> None:
    """Every call answered 404 (a wrong ZALO_BASE_URL): the channel stops (the admins
    are told by the dispatcher), no message is failed for good."""
    client = ZaloClient("t", "http://zalo.invalid/wrong", transport=scripted(body, body))
    with pytest.raises(ChannelStopped, match="ZALO_BASE_URL"):
        await ZaloChannel(client).send("zu-1", "Nhắc việc")
    await client.close()


async def test_a_404_for_one_message_only_fails_that_message() -> None:
    refused = {"ok": False, "error_code": 404, "description": "Not found"}
    me = {"ok": True, "result": {"id": "1", "account_name": "bot"}}
    client = ZaloClient("t", "http://zalo.invalid/bot", transport=scripted(refused, me))
    with pytest.raises(MessageRejected):
        await ZaloChannel(client).send("zu-1", "Nhắc việc")
    assert client.stopped is None
    await client.close()


@pytest.mark.parametrize("body", [[], "chuỗi", None, 42, {"event_name": "message.text.received"},
                                  {"event_name": "message.text.received",
                                   "message": {"text": "xong ạ", "from": {"id": "u"}}}])  # fmt: skip
async def test_an_update_that_is_no_message_to_a_chat_is_ignored(engine: Engine, body: Any) -> None:
    build_province(engine)
    fake = FakeZalo()
    client = client_of(fake)
    await handle_update(body, client=client, engine=engine, settings=Settings(), clock=lambda: NOW)
    assert fake.sent == []
    await client.close()


async def test_the_webhook_answers_odd_bodies_without_an_error(engine: Engine) -> None:
    build_province(engine)
    fake = FakeZalo()
    client = client_of(fake)
    hook = ZaloWebhook(client, engine=engine, settings=Settings(zalo_webhook_secret="webhook-s3cret"),
                       clock=lambda: NOW)  # fmt: skip
    port = free_port()
    await hook.start("127.0.0.1", port)
    async with httpx.AsyncClient() as http:
        answers = [(await http.post(f"http://127.0.0.1:{port}/zalo", json=body,
                                    headers={"X-Bot-Api-Secret-Token": "webhook-s3cret"})).status_code
                   for body in ([], "x", None)]  # fmt: skip
    await hook.stop()
    await client.close()
    assert answers == [200, 200, 200]


async def test_a_pictures_caption_is_read_and_a_sticker_is_told_what_the_bot_reads(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    build_province(engine)
    fake = FakeZalo()
    client = client_of(fake)
    photo = FakeZalo.private("zu-1", "")
    photo["event_name"], photo["message"]["caption"] = "message.image.received", "/trogiup"
    sticker = FakeZalo.private("zu-1", "")
    sticker["event_name"], sticker["message"]["sticker"] = "message.sticker.received", "st-1"
    with caplog.at_level("INFO", logger="bot.handlers.core"):
        for update in (photo, sticker):
            await handle_update(update, client=client, engine=engine, settings=Settings(),
                                clock=lambda: NOW)  # fmt: skip
    assert "Hướng dẫn" in fake.sent[0]["text"]
    assert "chỉ đọc được tin nhắn chữ" in fake.sent[1]["text"]
    # Each answered message is one log line, the sticker too (it goes around the words).
    assert [r.getMessage() for r in caplog.records if r.name == "bot.handlers.core"] == [
        "/trogiup in zalo zu-1 from user zu-1: answered (help)",
        "message without text in zalo zu-1 from user zu-1: not understood (text_only)",
    ]
    await client.close()


async def test_a_zalo_group_is_not_named_after_whoever_bound_it(zalo_group: Any) -> None:
    engine, title = zalo_group
    assert title == ""  # shown as its agency's group, not "Lê Văn Cường"
    with Session(engine) as s:
        assert s.exec(select(Chat).where(Chat.chat_key == "zg-1")).one().agency_id is not None


@pytest.fixture
async def zalo_group(engine: Engine) -> tuple[Engine, str]:
    from bot.db import session_scope
    from bot.models import Agency, ChatRole
    from bot.services.binding import create_link_code

    province = build_province(engine)
    with session_scope(engine) as s:
        code = create_link_code(s, agency=s.get(Agency, province.agencies["so-y-te"]),
                                role=ChatRole.GROUP, now=NOW)  # fmt: skip
    fake = FakeZalo()
    client = client_of(fake)
    await handle_update(FakeZalo.group("zg-1", "zu-1", f"/lienket {code}"), client=client,
                        engine=engine, settings=Settings(), clock=lambda: NOW)  # fmt: skip
    await client.close()
    assert "Đã liên kết" in fake.sent[0]["text"]
    with Session(engine) as s:
        return engine, s.exec(select(Chat).where(Chat.chat_key == "zg-1")).one().title


async def test_a_message_id_given_twice_does_not_send_a_message_twice(engine: Engine) -> None:
    """Zalo's message ids are not documented as unique: a repeated one once undid the
    record of a delivered part, which was then sent again."""
    from bot.channels.console import ConsoleChannel
    from bot.db import session_scope
    from bot.models import Agency, ChatRole, OutboxState
    from bot.scheduler.dispatcher import dispatch
    from bot.services.actions import notify
    from bot.services.chats import ensure_chat
    from tests.province import CAL, SETTINGS

    province = build_province(engine)
    with session_scope(engine) as s:
        chat = ensure_chat(s, channel="zalo", chat_key="zg-1", role=ChatRole.GROUP,
                           agency=s.get(Agency, province.agencies["so-y-te"]), title="")  # fmt: skip
        s.flush()
        for n in (1, 2):
            notify(s, chat, f"test:{n}", f"Tin {n}", NOW)

    def same_id(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"ok": True, "result": {"message_id": "m-1"}})

    client = ZaloClient("t", "http://zalo.invalid/bot", transport=httpx.MockTransport(same_id))
    channels = {"zalo": ZaloChannel(client), "console": ConsoleChannel(quiet=True)}
    result = await dispatch(engine, channels, NOW, worker="z", settings=SETTINGS, cal=CAL)
    await client.close()
    with Session(engine) as s:
        states = [o.state for o in s.exec(select(Outbox).where(Outbox.chat_id == chat.id))]
    assert states == [OutboxState.SENT] * 2 and result.retried == 0


async def test_start_in_a_private_chat_tells_the_user_their_id(engine: Engine) -> None:
    """ADMIN_ZALO_IDS lists Zalo user ids, which Zalo shows nowhere: the bot says it."""
    build_province(engine)
    fake = FakeZalo()
    client = client_of(fake)
    for update in (
        FakeZalo.private("zu-7f3a", "/start"),
        FakeZalo.group("zg-9", "zu-7f3a", "/start"),
    ):
        await handle_update(update, client=client, engine=engine, settings=Settings(),
                            clock=lambda: NOW)  # fmt: skip
    await client.close()
    private, group = (m["text"] for m in fake.sent)
    assert "Mã người dùng của bạn: zu-7f3a" in private and "zu-7f3a" not in group


async def test_an_answer_zalo_refuses_once_reaches_the_officer_later(zalo_group: Any) -> None:
    """The progress was recorded but Zalo answered 503: the answer waits in the outbox
    instead of being lost, and goes out with the next dispatch."""
    from bot.channels.console import ConsoleChannel
    from bot.scheduler.dispatcher import dispatch
    from tests.province import CAL, SETTINGS

    engine, _title = zalo_group
    fake = FakeZalo()
    client = client_of(fake)
    fake.fail("sendMessage", 503, "Service Unavailable")
    await handle_update(FakeZalo.group("zg-1", "zu-1", "/trogiup"), client=client, engine=engine,
                        settings=Settings(), clock=lambda: NOW)  # fmt: skip
    assert fake.sent == []
    channels = {"zalo": ZaloChannel(client), "console": ConsoleChannel(quiet=True)}
    await dispatch(engine, channels, NOW, worker="z", settings=SETTINGS, cal=CAL)
    await client.close()
    [later] = [m for m in fake.sent if m["chat_id"] == "zg-1"]
    assert "Hướng dẫn" in later["text"]


async def test_zalo_stopped_by_a_404_at_start_shows_down_in_healthz(engine: Engine) -> None:
    """``zalo stopped: deleteWebhook: 404`` (a wrong ZALO_BASE_URL or token): polling ends,
    and /healthz says Zalo is down at once, not after the grace an outage gets: it will
    not be tried again until someone fixes the settings."""
    import functools
    from datetime import timedelta

    from bot.app import _reached
    from bot.metrics import Links, TickState
    from bot.web.app import liveness

    build_province(engine)
    links, clock = Links(), lambda: NOW
    wrong = {"ok": False, "error_code": 404, "description": "Not found - Yêu cầu truy cập không lệ"}
    client = ZaloClient("t", "http://zalo.invalid/wrong", transport=scripted(wrong, wrong),
                        reached=functools.partial(_reached, links, "zalo", clock))  # fmt: skip
    await poll(client, engine=engine, settings=Settings(zalo_token="t"), clock=clock,
               stop=asyncio.Event())  # fmt: skip  # returns: the channel stopped
    await client.close()
    link = links.snapshot()["zalo"]
    assert not link.connected and link.stopped and "ZALO_BASE_URL" in link.error
    ticks, stale = TickState(), timedelta(minutes=5)
    ticks.end(NOW, 0.1, "")
    code, body = liveness(ticks, NOW, stale, links=links.snapshot(), grace=stale)
    assert (code, body["status"], body["down"]) == (503, "channel_down", ["zalo"])
    assert "Zalo đã ngừng" in body["message"] and "khởi động lại" in body["message"]
    links.down("zalo", NOW, "ConnectError")  # a later failure does not make it "retrying"
    assert links.snapshot()["zalo"].stopped


def test_a_channel_out_of_reach_is_down_only_after_the_grace() -> None:
    from datetime import timedelta

    from bot.metrics import Links, TickState
    from bot.web.app import liveness

    links, stale = Links(), timedelta(minutes=5)
    links.down("zalo", NOW, "ConnectError")
    ticks = TickState()
    ticks.end(NOW, 0.1, "")
    code, body = liveness(ticks, NOW, stale, links=links.snapshot())
    assert (code, body["status"], body["down"]) == (200, "ok", [])
    ticks.end(NOW + stale, 0.1, "")
    code, body = liveness(ticks, NOW + stale + timedelta(seconds=1), stale, links=links.snapshot())
    assert (code, body["down"]) == (503, ["zalo"]) and "vẫn đang thử lại" in body["message"]


def test_zalo_answering_404_is_a_problem_in_dondoc_health(tmp_path: Path) -> None:
    """The same wrong address: ``dondoc health`` fails on Zalo's getMe (exit 1)."""
    from tests.cli import Dondoc
    from tests.http_bridge import serve

    async def not_found(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"ok": False, "error_code": 404,
                                         "description": "Not found"})  # fmt: skip

    run = Dondoc(tmp_path)
    run.ok("db", "upgrade")
    with serve(not_found) as url:
        run.env.update(ZALO_BOT_TOKEN="zalo-token", ZALO_BASE_URL=f"{url}/wrong/bot")
        result = run("health")
    assert result.exit_code == 1, result.output
    assert "Sự cố: Zalo không trả lời getMe" in result.output
    assert "Zalo: KHÔNG trả lời getMe" in result.output
