"""Zalo as it really works (#18), against the fake of its Bot API over httpx: the error
table and what each code does to the channel, the chats and the admins; polling after
deleteWebhook, idle polls, one update per call, redelivered messages; the webhook's
secret; texts measured in UTF-16 units under 2,000."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.channels import (
    ChannelDown,
    ChannelPaused,
    ChannelStopped,
    MessageRejected,
    PermanentError,
    TooLong,
    TransientError,
)
from bot.channels.console import ConsoleChannel
from bot.channels.zalo import (
    ZaloChannel,
    ZaloClient,
    ZaloWebhook,
    check_webhook,
    classify,
    poll,
)
from bot.config import Settings
from bot.db import session_scope
from bot.models import Agency, Chat, ChatRole, Outbox, OutboxState
from bot.render import TELEGRAM_LIMIT, ZALO_LIMIT, utf16_length
from bot.scheduler.dispatcher import DispatchResult, dispatch
from bot.services import inbox
from bot.services.actions import notify
from bot.services.chats import ensure_chat
from tests.fake_zalo import ERRORS, FakeZalo, client_of, free_port
from tests.province import CAL, FRIDAY, SETTINGS, Province, build_province

NOW = FRIDAY
CHATS = ("zc-syt", "zc-stp")  # two Zalo groups, bound to Sở Y tế and Sở Tư pháp


@pytest.fixture
async def zalo(engine: Engine) -> AsyncIterator[tuple[FakeZalo, ZaloClient, Province]]:
    """The province (console chats, an admin among them), two Zalo groups, one message
    waiting for each."""
    province = build_province(engine)
    with session_scope(engine) as s:
        for key, agency in zip(CHATS, ("so-y-te", "so-tu-phap"), strict=True):
            chat = ensure_chat(s, channel="zalo", chat_key=key, role=ChatRole.GROUP,
                               agency=s.get(Agency, province.agencies[agency]), title=key)  # fmt: skip
            s.flush()
            notify(s, chat, f"test:{key}", f"Nhắc việc cho {key}", NOW)
    fake = FakeZalo()
    client = client_of(fake)
    yield fake, client, province
    await client.close()


async def send(client: ZaloClient, engine: Engine, now: Any = NOW) -> DispatchResult:
    channels = {"zalo": ZaloChannel(client), "console": ConsoleChannel(quiet=True)}
    return await dispatch(engine, channels, now, worker="z", settings=SETTINGS, cal=CAL)


def zalo_rows(engine: Engine) -> dict[str, tuple[OutboxState, int]]:
    """Each Zalo group's message: its state and attempts."""
    with Session(engine) as s:
        chats = {c.id: c.chat_key for c in s.exec(select(Chat).where(Chat.channel == "zalo"))}
        rows = s.exec(select(Outbox).where(Outbox.kind == "notice")).all()
        return {chats[o.chat_id]: (o.state, o.attempts) for o in rows if o.chat_id in chats}


def active(engine: Engine) -> dict[str, bool]:
    with Session(engine) as s:
        return {c.chat_key: c.active for c in s.exec(select(Chat).where(Chat.channel == "zalo"))}


def admin_alerts(engine: Engine, province: Province) -> list[str]:
    with Session(engine) as s:
        rows = s.exec(select(Outbox).where(Outbox.chat_id == province.chats["admin"])).all()
        return [" ".join(o.parts) for o in rows]


def sends(fake: FakeZalo) -> list[str]:
    return [str(p["chat_id"]) for m, p in fake.calls if m == "sendMessage"]


# --- the error table --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "description", "kind"),
    [
        (401, ERRORS[401], ChannelStopped),
        (429, ERRORS[429], ChannelPaused),
        (403, ERRORS[403], ChannelDown),  # the docs call 403 "Internal server error"
        (408, ERRORS[408], ChannelDown),
        (500, "", ChannelDown),
        (502, "Bad Gateway", ChannelDown),
        (400, "Bad request: chat not found", PermanentError),
        (400, "Bad request - user does not exist", PermanentError),
        (404, "Not found: the bot was removed from the group", PermanentError),
        (400, "Bad request: người dùng không tồn tại", PermanentError),
        (403, "User has blocked the bot", ChannelDown),  # 403 is Zalo's server error
        (400, "User has blocked the bot", PermanentError),
        (404, "chat không tồn tại", PermanentError),
        (400, ERRORS[400], MessageRejected),  # names no chat: the chat stays
        (404, "API không tồn tại", MessageRejected),
        (400, "Bad request: The chat_id must not be empty", MessageRejected),
        (404, ERRORS[404], MessageRejected),
        (400, "Bad request: text too long", TooLong),
        (418, "", MessageRejected),
    ],
)
def test_each_documented_code_has_one_meaning(code: int, description: str, kind: type) -> None:
    error = classify("sendMessage", code, description)
    assert type(error) is kind and str(code) in str(error)


async def test_a_refused_token_stops_zalo_and_tells_the_admins_but_no_chat(zalo: Any) -> None:
    fake, client, province = zalo
    fake.fail("sendMessage", 401)
    await send(client, province.engine)
    assert sends(fake) == ["zc-syt"]  # nothing more was tried on Zalo
    assert active(province.engine) == {"zc-syt": True, "zc-stp": True}
    assert zalo_rows(province.engine) == {"zc-syt": (OutboxState.PENDING, 0),
                                          "zc-stp": (OutboxState.PENDING, 0)}  # fmt: skip
    [alert] = [a for a in admin_alerts(province.engine, province) if "ngừng gửi" in a]
    assert "Zalo" in alert and "Token đã hết hạn" in alert
    calls = len(fake.calls)
    await send(client, province.engine, NOW + timedelta(minutes=5))  # the token is still bad
    assert len(fake.calls) == calls  # no request at all: the client stopped for good
    assert len([a for a in admin_alerts(province.engine, province) if "ngừng gửi" in a]) == 1
    assert active(province.engine) == {"zc-syt": True, "zc-stp": True}


async def test_a_quota_pauses_zalo_for_the_pass_and_the_messages_keep_their_place(
    zalo: Any,
) -> None:
    fake, client, province = zalo
    with session_scope(province.engine) as s:  # a console message too: its channel goes on
        notify(s, s.get(Chat, province.chats["group:so-y-te"]), "test:console", "Trên console", NOW)
    fake.fail("sendMessage", 429)
    result = await send(client, province.engine)
    assert sends(fake) == ["zc-syt"] and result.paused == {"zalo"}
    assert result.sent == 1  # the console's message
    assert zalo_rows(province.engine) == {"zc-syt": (OutboxState.PENDING, 0),
                                          "zc-stp": (OutboxState.PENDING, 0)}  # fmt: skip
    assert active(province.engine) == {"zc-syt": True, "zc-stp": True}
    [told] = [a for a in admin_alerts(province.engine, province) if "tạm từ chối" in a]
    assert "Zalo" in told and "Quota exceeded" in told  # a pause that lasts is not silent
    await send(client, province.engine, NOW + timedelta(minutes=1))
    assert sorted(m["chat_id"] for m in fake.sent) == ["zc-stp", "zc-syt"]


@pytest.mark.parametrize("code", [403, 408, 500, 503])
async def test_a_server_error_leaves_zalo_alone_for_a_while_and_loses_nothing(
    zalo: Any, code: int
) -> None:
    """Zalo's server, not the message: the channel is left alone for the rest of the pass
    (the continuous sender: for ``dispatch.retry_seconds``), each message keeps its place
    and its attempts, however many times it fails."""
    fake, client, province = zalo
    fails = SETTINGS.dispatch.max_attempts + 2  # longer than any message's attempts
    fake.fail("sendMessage", code, times=fails)
    now = NOW
    for tried in range(1, fails + 1):
        result = await send(client, province.engine, now)
        assert len(sends(fake)) == tried  # one try a pass: the channel, not each message
        assert result.paused == {"zalo"} and result.sent == 0 and str(code) in result.down["zalo"]
        assert zalo_rows(province.engine) == {"zc-syt": (OutboxState.PENDING, 0),
                                              "zc-stp": (OutboxState.PENDING, 0)}  # fmt: skip
        now += timedelta(seconds=31)
    await send(client, province.engine, now)
    assert sorted(m["chat_id"] for m in fake.sent) == ["zc-stp", "zc-syt"]
    assert active(province.engine) == {"zc-syt": True, "zc-stp": True}


async def test_zalo_unreachable_is_down_too(zalo: Any) -> None:
    _fake, _client, province = zalo

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("All connection attempts failed", request=request)

    unreachable = ZaloClient("123:secret", "https://zalo.invalid/bot",
                             transport=httpx.MockTransport(refused))  # fmt: skip
    try:
        result = await send(unreachable, province.engine)
    finally:
        await unreachable.close()
    assert result.paused == {"zalo"} and "ConnectError" in result.down["zalo"]
    assert "secret" not in result.down["zalo"]
    assert zalo_rows(province.engine) == {"zc-syt": (OutboxState.PENDING, 0),
                                          "zc-stp": (OutboxState.PENDING, 0)}  # fmt: skip


async def test_only_an_error_naming_the_chat_deactivates_it(zalo: Any) -> None:
    fake, client, province = zalo
    fake.fail("sendMessage", 400, "Bad request: chat not found", chat="zc-syt")
    await send(client, province.engine)
    assert active(province.engine) == {"zc-syt": False, "zc-stp": True}
    assert zalo_rows(province.engine)["zc-syt"][0] == OutboxState.FAILED
    assert [m["chat_id"] for m in fake.sent] == ["zc-stp"]


@pytest.mark.parametrize("code", [400, 404])
async def test_an_error_naming_no_chat_fails_the_message_and_tells_the_admins(
    zalo: Any, code: int
) -> None:
    fake, client, province = zalo
    fake.fail("sendMessage", code, chat="zc-syt")  # the docs' own wording: no chat named
    await send(client, province.engine)
    assert active(province.engine) == {"zc-syt": True, "zc-stp": True}
    assert zalo_rows(province.engine)["zc-syt"][0] == OutboxState.FAILED
    assert any("không gửi được" in a for a in admin_alerts(province.engine, province))


# --- polling ----------------------------------------------------------------------------


async def start_polling(
    fake: FakeZalo, engine: Engine, wait: int = 1
) -> tuple[ZaloClient, asyncio.Event, asyncio.Task[None]]:
    client, stop = client_of(fake), asyncio.Event()
    task = asyncio.create_task(poll(client, engine=engine, settings=Settings(),
                                    clock=lambda: NOW, stop=stop, wait=wait))  # fmt: skip
    return client, stop, task


async def test_polling_deletes_the_webhook_first_then_answers(engine: Engine) -> None:
    build_province(engine)
    fake = FakeZalo()
    setup = client_of(fake)
    await setup.call("setWebhook", url="https://dondoc.example/zalo", secret_token="webhook-s3cret")
    with pytest.raises(MessageRejected):  # a webhook set blocks getUpdates (documented)
        await setup.get_updates(0)
    client, stop, task = await start_polling(fake, engine)
    await fake.push(FakeZalo.private("zu-1", "/start"))
    [answer] = await fake.wait_sent(1)
    stop.set()
    await task
    methods = [m for m, _p in fake.calls]
    assert methods[:2] == ["setWebhook", "getUpdates"]  # the refused poll, before polling
    assert methods.index("deleteWebhook") < methods.index("getUpdates", 2)
    assert methods.count("deleteWebhook") == 1 and fake.webhook is None
    assert answer["chat_id"] == "zu-1" and "chưa được liên kết" in answer["text"]
    await client.close()
    await setup.close()


@pytest.mark.parametrize("status", [200, 408])
async def test_an_idle_poll_is_nothing_new_and_no_failure(engine: Engine, status: int) -> None:
    fake = FakeZalo()
    fake.idle_status = status  # the HTTP status of the 408 body is not pinned down
    client = client_of(fake)
    assert await client.get_updates(0) == []
    build_province(engine)
    _polling, stop, task = await start_polling(fake, engine, wait=0)
    # With a backoff after each idle poll (2, 4, 8 s…), five polls would take half a minute.
    await fake.wait_calls("getUpdates", 6)
    stop.set()
    await task
    await client.close()
    await _polling.close()


async def test_a_quota_page_that_is_not_json_still_pauses() -> None:
    """A 429 may come from a proxy as an HTML page (third-party report): the status is
    enough; a non-JSON success is retried, never read as a refusal."""
    answers = iter(
        [httpx.Response(429, text="<html>429</html>"), httpx.Response(200, text="<html>")]
    )

    def answer(_request: httpx.Request) -> httpx.Response:
        return next(answers)

    client = ZaloClient("t", "http://zalo.invalid/bot", transport=httpx.MockTransport(answer))
    with pytest.raises(ChannelPaused):
        await client.call("sendMessage", chat_id="zu-1", text="x")
    with pytest.raises(TransientError, match="not JSON"):
        await client.call("sendMessage", chat_id="zu-1", text="x")
    await client.close()


async def test_one_update_or_a_list_of_them(engine: Engine) -> None:
    update = FakeZalo.private("zu-1", "/start")

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"ok": True, "result": [update, update]})

    listing = ZaloClient("t", "http://zalo.invalid/bot", transport=httpx.MockTransport(answer))
    assert await listing.get_updates(0) == [update, update]
    fake = FakeZalo()
    await fake.push(update)
    client = client_of(fake)
    assert await client.get_updates(0) == [update]  # Zalo's own: one object
    await listing.close()
    await client.close()


async def test_a_message_delivered_twice_is_answered_once_when_polling(engine: Engine) -> None:
    build_province(engine)
    fake = FakeZalo()
    client, stop, task = await start_polling(fake, engine)
    again = FakeZalo.private("zu-1", "/start", message_id="dup-1")
    for update in (again, again, FakeZalo.private("zu-1", "/trogiup")):
        await fake.push(update)
    sent = await fake.wait_sent(2)
    stop.set()
    await task
    assert len(fake.sent) == 2 and "Hướng dẫn" in sent[1]["text"]
    await client.close()


async def test_what_a_killed_process_kept_is_answered_at_the_next_start_and_only_then(
    engine: Engine,
) -> None:
    """A process kept an officer's message, then was killed before it answered: the next
    one answers it when it starts polling; Zalo delivering it again later changes nothing."""
    build_province(engine)
    kept = FakeZalo.private("zu-1", "/trogiup", message_id="kept-1")
    before = NOW - timedelta(hours=1)
    assert inbox.store(engine, "zalo", "zu-1:kept-1", kept, before)
    assert inbox.claim(engine, "zalo", "zu-1:kept-1", "gone:1", before)  # its lease ran out
    fake = FakeZalo()
    client, stop, task = await start_polling(fake, engine)
    [sent] = await fake.wait_sent(1)
    assert "Hướng dẫn" in sent["text"]
    await fake.push(kept)  # delivered again, after it was answered
    await fake.push(FakeZalo.private("zu-1", "/start"))
    await fake.wait_sent(2)
    stop.set()
    await task
    await client.close()
    assert len(fake.sent) == 2 and "Hướng dẫn" not in fake.sent[1]["text"]
    assert inbox.leftovers(engine, "zalo", NOW, older_than=0) == []


async def test_a_refused_token_ends_polling_and_tells_the_admins(engine: Engine) -> None:
    province = build_province(engine)
    fake = FakeZalo()
    fake.fail("getUpdates", 401)
    client, _stop, task = await start_polling(fake, engine)
    await task  # returns by itself: nothing more to poll with this token
    assert [m for m, _p in fake.calls] == ["deleteWebhook", "getUpdates"]
    assert any("ngừng gửi" in a for a in admin_alerts(engine, province))
    with Session(engine) as s:
        assert all(c.active for c in s.exec(select(Chat)))
    await client.close()


# --- the webhook ------------------------------------------------------------------------


async def test_the_webhook_drops_a_redelivered_message(engine: Engine) -> None:
    build_province(engine)
    fake = FakeZalo()
    client = client_of(fake)
    hook = ZaloWebhook(client, engine=engine, settings=Settings(zalo_webhook_secret="webhook-s3cret"),
                       clock=lambda: NOW)  # fmt: skip
    port = free_port()
    await hook.start("127.0.0.1", port, public_url="https://dondoc.example/zalo")
    assert fake.webhook == {"url": "https://dondoc.example/zalo", "secret_token": "webhook-s3cret"}
    url = f"http://127.0.0.1:{port}/zalo"
    update = FakeZalo.private("zu-1", "/start", message_id="dup-2")
    answers = [(await fake.deliver(url, update)).status_code for _ in range(2)]
    forged = await fake.deliver(url, FakeZalo.private("zu-1", "/start"), secret="guessing")
    await hook.stop()
    await client.close()
    assert answers == [200, 200] and forged.status_code == 403
    assert [m["chat_id"] for m in fake.sent] == ["zu-1"]


async def test_a_token_refused_by_setwebhook_stops_zalo_not_the_bot(engine: Engine) -> None:
    province = build_province(engine)
    fake = FakeZalo()
    fake.fail("setWebhook", 401)
    client = client_of(fake)
    hook = ZaloWebhook(client, engine=engine, settings=Settings(zalo_webhook_secret="webhook-s3cret"),
                       clock=lambda: NOW)  # fmt: skip
    await hook.start("127.0.0.1", free_port(), public_url="https://dondoc.example/zalo")
    await hook.stop()
    assert client.stopped is not None and fake.webhook is None
    assert any("ngừng gửi" in a for a in admin_alerts(engine, province))
    with pytest.raises(ChannelStopped):
        await ZaloChannel(client).send("zu-1", "Xin chào")
    await client.close()


@pytest.mark.parametrize(
    ("secret", "url", "says"),
    [
        ("seven-7", "https://dondoc.example/zalo", "8 to 256"),
        ("s" * 257, "https://dondoc.example/zalo", "8 to 256"),
        (None, "https://dondoc.example/zalo", "8 to 256"),
        ("webhook-s3cret", "http://dondoc.example/zalo", "https://"),
    ],
)
def test_a_webhook_zalo_would_refuse_is_refused_at_start(
    secret: str | None, url: str, says: str
) -> None:
    with pytest.raises(ValueError, match=says):
        check_webhook(secret, url)


async def test_the_fake_refuses_a_webhook_as_zalo_documents(engine: Engine) -> None:
    client = client_of(FakeZalo())
    with pytest.raises(MessageRejected, match="secret_token"):
        await client.call("setWebhook", url="https://dondoc.example/zalo", secret_token="short")
    with pytest.raises(MessageRejected, match="HTTPS"):
        await client.call("setWebhook", url="http://dondoc.example/zalo", secret_token="x" * 8)
    await client.close()


def test_a_private_chat_is_its_users_and_a_group_its_own() -> None:
    private = FakeZalo.private("zu-9", "xong ạ")["message"]
    group = FakeZalo.group("zg-9", "zu-9", "/xong NV12")["message"]
    assert (
        private["chat"] == {"id": "zu-9", "chat_type": "PRIVATE"}
        and private["from"]["id"] == "zu-9"
    )
    assert group["chat"] == {"id": "zg-9", "chat_type": "GROUP"} and group["from"]["id"] == "zu-9"
    assert group["text"] == "@dondoc /xong NV12"
    assert private["message_id"] != group["message_id"]


# --- length -----------------------------------------------------------------------------


async def test_texts_are_measured_in_utf16_units_under_2000() -> None:
    """1,500 emoji are 1,500 characters but 3,000 UTF-16 units: two messages for Zalo,
    each at most 1,900 units; Telegram's limit is unchanged."""
    fake = FakeZalo()
    client = client_of(fake)
    text = " ".join(["📌 việc"] * 300)  # 2,099 characters, 2,399 UTF-16 units
    assert len(text) > ZALO_LIMIT and utf16_length(text) > 2000
    await ZaloChannel(client).send("zu-1", text)
    await client.close()
    assert len(fake.sent) == 2
    assert all(utf16_length(m["text"]) <= ZALO_LIMIT == 1900 for m in fake.sent)
    assert "".join(m["text"] for m in fake.sent).count("📌") == 300
    assert TELEGRAM_LIMIT == 4096


async def test_a_server_counting_stricter_still_gets_the_whole_text() -> None:
    fake = FakeZalo()
    fake.max_length = 1000
    client = client_of(fake)
    await ZaloChannel(client).send("zu-1", " ".join(["😀 xong"] * 250))
    await client.close()
    assert len(fake.sent) >= 2 and all(utf16_length(m["text"]) <= 1000 for m in fake.sent)
    assert "".join(m["text"] for m in fake.sent).count("😀") == 250
