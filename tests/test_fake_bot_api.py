"""The benchmark's fake Bot API refuses what Telegram refuses, as Telegram words it.

Its clock is given, so a test moves time by hand and never waits for it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from bench.fake_bot_api import FakeBotApi, max_in_window


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def api(clock: Clock) -> AsyncIterator[tuple[FakeBotApi, httpx.AsyncClient]]:
    fake = FakeBotApi(per_second=3, per_group_minute=2, per_private_second=1, clock=clock)
    base = await fake.start()
    async with httpx.AsyncClient(base_url=f"{base}1:token/") as client:
        yield fake, client
    await fake.stop()


async def send(client: httpx.AsyncClient, chat_id: int) -> httpx.Response:
    return await client.post("sendMessage", data={"chat_id": str(chat_id), "text": "Nhắc việc"})


async def test_a_fourth_message_in_one_second_is_refused_with_telegrams_429(
    api: tuple[FakeBotApi, httpx.AsyncClient], clock: Clock
) -> None:
    fake, client = api
    for chat in (-1, -2, -3):
        assert (await send(client, chat)).json()["ok"] is True
    clock.now += 0.4
    refused = await send(client, -4)
    assert refused.status_code == 429
    assert refused.json() == {"ok": False, "error_code": 429,
                              "description": "Too Many Requests: retry after 1",
                              "parameters": {"retry_after": 1}}  # fmt: skip
    clock.now += 0.6  # the first three leave the window
    assert (await send(client, -4)).status_code == 200
    assert fake.traffic().too_many == 1
    assert fake.traffic().messages == 4


async def test_a_group_hears_at_most_its_limit_a_minute(
    api: tuple[FakeBotApi, httpx.AsyncClient], clock: Clock
) -> None:
    fake, client = api
    for _ in range(2):
        assert (await send(client, -100)).status_code == 200
        clock.now += 10
    refused = await send(client, -100)
    assert refused.status_code == 429
    assert refused.json()["parameters"] == {"retry_after": 40}  # the first leaves at 60 s
    assert (await send(client, -200)).status_code == 200  # another group is free
    clock.now += 40
    assert (await send(client, -100)).status_code == 200
    assert fake.traffic().max_per_group_minute == 2


async def test_a_private_chat_hears_one_message_a_second(
    api: tuple[FakeBotApi, httpx.AsyncClient], clock: Clock
) -> None:
    _fake, client = api
    assert (await send(client, 501)).status_code == 200
    assert (await send(client, 501)).status_code == 429
    clock.now += 1
    assert (await send(client, 501)).status_code == 200


async def test_a_reply_written_in_a_group_reaches_get_updates(
    api: tuple[FakeBotApi, httpx.AsyncClient],
) -> None:
    fake, client = api
    asked = await fake.say(-100, 501, "/xong NV12")
    updates = (await client.post("getUpdates", data={"offset": "0", "timeout": "0"})).json()
    message = updates["result"][0]["message"]
    assert message["message_id"] == asked and message["text"] == "/xong NV12"
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 5}]


def test_the_busiest_window_is_counted_half_open() -> None:
    assert max_in_window([0.0, 0.5, 0.99, 1.0, 1.5], 1.0) == 3
    assert max_in_window([], 60.0) == 0
