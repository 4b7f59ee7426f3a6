"""The shared send limiter, on virtual time: its three windows, answers before notices,
the pause after a 429, and a notice that cannot wait long enough told so at once."""

from __future__ import annotations

import asyncio
import itertools
from collections import defaultdict

import pytest

from bench.fake_bot_api import max_in_window
from bot.channels.limits import SendLimiter, SlotMissed
from bot.config import LimitSettings
from tests.virtual_time import VirtualTime

GROUP, OTHER_GROUP, PERSON = -1001, -1002, 501


def limiter(time: VirtualTime, **limits: int) -> SendLimiter:
    return SendLimiter(LimitSettings(**limits), clock=time.clock, sleep=time.sleep)


async def test_no_second_holds_more_than_30_messages_and_they_are_spaced() -> None:
    time = VirtualTime()
    shared = limiter(time)
    sent: list[float] = []

    async def send(chat: int) -> None:
        await shared.acquire(chat, queued=True)
        sent.append(time.now)

    await time.run(*(send(-5000 - i) for i in range(150)))
    assert len(sent) == 150 and max_in_window(sent, 1.0) == 30
    gaps = [b - a for a, b in itertools.pairwise(sent)]
    window = 1 + LimitSettings().margin_ms / 1000
    assert min(gaps) >= 0.75 * window / 30 - 1e-9  # never a burst of 30 at once
    assert max_in_window(sent, window) == 30  # the margin kept
    assert sent[-1] - sent[0] <= 149 * window / 30  # the ceiling, no slower


async def test_a_group_gets_20_a_minute_and_a_person_one_a_second() -> None:
    time = VirtualTime()
    shared = limiter(time)
    sent: dict[int, list[float]] = defaultdict(list)

    async def send(chat: int) -> None:
        await shared.acquire(chat, queued=True)
        sent[chat].append(time.now)

    await time.run(*(send(GROUP) for _ in range(45)), *(send(PERSON) for _ in range(3)))
    group = sent[GROUP]
    assert max_in_window(group, 60.0) == 20 and len(group) == 45
    assert group[20] - group[0] >= 60.0 and group[40] - group[20] >= 60.0
    assert max_in_window(sent[PERSON], 1.0) == 1 and sent[PERSON][2] - sent[PERSON][0] >= 2.0


async def test_a_full_group_holds_back_no_other_chat() -> None:
    time = VirtualTime()
    shared = limiter(time, per_group_minute=2)
    sent: list[tuple[int, float]] = []

    async def send(chat: int) -> None:
        await shared.acquire(chat, queued=True)
        sent.append((chat, time.now))

    await time.run(*(send(GROUP) for _ in range(3)), send(OTHER_GROUP))
    assert [chat for chat, _ in sent] == [GROUP, GROUP, OTHER_GROUP, GROUP]
    assert sent[2][1] < 1.0 + sent[0][1] and sent[3][1] >= sent[0][1] + 60


async def test_an_answer_takes_the_next_free_slot_before_queued_notices() -> None:
    time = VirtualTime()
    shared = limiter(time)
    order: list[str] = []

    async def notice(i: int) -> None:
        await shared.acquire(-7000 - i, queued=True)
        order.append(f"notice {i}")

    async def answer() -> None:
        await time.sleep(0.5)  # a person writes while 60 notices wait
        asked = time.now
        await shared.acquire(PERSON)
        order.append("answer")
        assert time.now - asked <= shared.spacing + 1e-9

    await time.run(*(notice(i) for i in range(60)), answer())
    index = order.index("answer")
    assert 18 <= index <= 22  # the notices granted in the first half second, then the answer
    assert order[index + 1 :] == [f"notice {i}" for i in range(index, 60)]  # then in their order


async def test_a_429_pauses_every_send_for_its_retry_after() -> None:
    time = VirtualTime()
    shared = limiter(time)
    sent: list[float] = []

    async def send(chat: int) -> None:
        await shared.acquire(chat, queued=chat < 0)
        sent.append(time.now)

    await time.run(send(-1))
    paused_at = time.now
    shared.pause(5)
    assert shared.delay(-2) == pytest.approx(5) and shared.delay(PERSON) == pytest.approx(5)
    await time.run(send(-2), send(PERSON), shared.unpaused())
    assert min(sent[1:]) >= paused_at + 5


async def test_a_notice_that_cannot_wait_long_enough_is_told_at_once() -> None:
    time = VirtualTime()
    shared = limiter(time, per_group_minute=1)
    await time.run(shared.acquire(GROUP, queued=True))
    started = time.now
    with pytest.raises(SlotMissed) as missed:
        await time.run(shared.acquire(GROUP, queued=True, within=30))
    assert time.now == started and missed.value.wait > 59  # no waiting for nothing
    await time.run(shared.acquire(OTHER_GROUP, queued=True, within=30))  # others go on
    assert shared.granted == 2


async def test_a_cancelled_wait_leaves_no_ticket_behind() -> None:
    time = VirtualTime()
    shared = limiter(time, per_group_minute=1)
    await time.run(shared.acquire(GROUP))
    waiting = asyncio.ensure_future(shared.acquire(GROUP))
    for _ in range(5):
        await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    await time.run(shared.acquire(PERSON))
    assert shared.granted == 2


async def test_answers_are_held_by_the_window_not_by_the_spacing() -> None:
    """Replies one after another are answered at once; forty at once still keep 30 a second."""
    time = VirtualTime()
    shared = limiter(time)
    granted: list[float] = []
    start = time.now
    for _ in range(5):  # each answer asked for as soon as the one before went
        await shared.acquire(GROUP)
        granted.append(time.now)
    assert granted == [start] * 5

    async def answer(chat: int) -> None:
        await shared.acquire(chat)
        granted.append(time.now)

    await time.run(*(answer(-8000 - i) for i in range(40)))
    window = 1 + LimitSettings().margin_ms / 1000
    assert max_in_window(granted, window) == 30 and len(granted) == 45


async def test_a_message_held_up_after_its_grant_counts_from_when_it_could_arrive() -> None:
    """Granted first, then held up before its request went (the event loop busy, a
    garbage collection): it reaches Telegram among those granted after it. Counted from
    its grant, the 31st would go a window after it, and Telegram would see 31 within a
    second; counted from its answer, the 31st waits a window after the second one."""
    time = VirtualTime()
    shared = limiter(time)

    async def burst() -> tuple[list[float], float]:
        held_up = await shared.acquire(-9000, queued=True)
        granted = [time.now]
        for i in range(29):  # spaced as bulk notices are, each answered at once
            shared.settled(await shared.acquire(-9001 - i, queued=True))
            granted.append(time.now)
            if i == 10:
                shared.settled(held_up)  # its answer, a third of a second after its grant
        await shared.acquire(-9100, queued=True)
        return granted, time.now

    granted, thirty_first = (await time.run(burst()))[0]
    window = 1 + LimitSettings().margin_ms / 1000
    assert thirty_first >= granted[1] + window - 1e-9 > granted[0] + window
    arrivals = [granted[11], *granted[1:], thirty_first]  # the held-up one, as it went
    assert max_in_window(arrivals, 1.0) <= 30
