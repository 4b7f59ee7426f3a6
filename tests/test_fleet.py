"""Telegram's limits kept by several ``dondoc run`` processes together
(``bot.scheduler.fleet``): which worker sends to which chat, each worker's share of the
bot's 30 messages a second, the heartbeat on a real PostgreSQL, and the outbox rows a
worker may claim. The processes themselves, against the fake Bot API, are in
``tests/test_fleet_processes.py``."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bench.fake_bot_api import max_in_window
from bot.channels.limits import SendLimiter
from bot.config import LimitSettings
from bot.db import session_scope
from bot.models import Chat, ChatRole, OutboxState, SentMessage, Worker
from bot.scheduler.fleet import BUCKETS, Fleet, bucket_of, owned, owner, share
from bot.services import outbox as store
from tests.virtual_time import VirtualTime

WORKERS = [f"may-chu-{host}:{pid}" for host, pid in itertools.product("abc", (811, 4242, 90013))]
POSTGRES = [pytest.param("postgres", marks=pytest.mark.postgres)]


# -- which worker sends to which chat ------------------------------------------------------


def test_every_bucket_has_exactly_one_owner_among_the_live_workers() -> None:
    for n in range(1, len(WORKERS) + 1):
        live = WORKERS[:n]
        parts = [owned(worker, live) for worker in live]
        assert sum(len(p) for p in parts) == BUCKETS  # no bucket twice
        assert frozenset().union(*parts) == frozenset(range(BUCKETS))  # none left out
        assert all(owner(b, live) in live for b in range(BUCKETS))


def test_the_assignment_is_the_same_in_every_process_whatever_the_order_it_reads() -> None:
    live = WORKERS[:5]
    first = [owner(b, live) for b in range(BUCKETS)]
    assert [owner(b, list(reversed(live))) for b in range(BUCKETS)] == first
    assert [owner(b, sorted(live)) for b in range(BUCKETS)] == first
    # A chat's bucket is its id in the database, the same for every process.
    assert bucket_of(7) == bucket_of(7 + BUCKETS) == 7


def test_the_buckets_are_divided_about_evenly() -> None:
    for n in (2, 3, 5, 9):
        counts = Counter(owner(b, WORKERS[:n]) for b in range(BUCKETS))
        assert len(counts) == n
        assert all(0.5 * BUCKETS / n <= c <= 1.6 * BUCKETS / n for c in counts.values()), counts


def test_a_worker_leaving_moves_only_its_own_chats() -> None:
    live = WORKERS[:4]
    before = {b: owner(b, live) for b in range(BUCKETS)}
    gone = live[1]
    after = {b: owner(b, [w for w in live if w != gone]) for b in range(BUCKETS)}
    moved = {b for b in range(BUCKETS) if before[b] != after[b]}
    assert moved == {b for b in range(BUCKETS) if before[b] == gone}


def test_a_worker_joining_takes_about_its_share_and_nothing_else_moves() -> None:
    live = WORKERS[:3]
    before = {b: owner(b, live) for b in range(BUCKETS)}
    joined = WORKERS[3]
    after = {b: owner(b, [*live, joined]) for b in range(BUCKETS)}
    moved = {b for b in range(BUCKETS) if before[b] != after[b]}
    assert all(after[b] == joined for b in moved)  # only to the newcomer
    assert 0.5 * BUCKETS / 4 <= len(moved) <= 1.6 * BUCKETS / 4  # about a quarter


def test_a_worker_counts_itself_live_before_the_table_shows_it() -> None:
    assert owned("moi:1", []) == frozenset(range(BUCKETS))
    assert owned("moi:1", ["cu:2"]) == owned("moi:1", ["cu:2", "moi:1"])


# -- the per-second budget -----------------------------------------------------------------


def test_the_shares_never_add_up_to_more_than_the_bots_budget() -> None:
    assert share(30, 1) == 30 and share(30, 2) == 15 and share(30, 4) == 7
    for n in range(1, 31):
        assert n * share(30, n) <= 30
        assert share(30, n) >= 1
    assert share(30, 0) == 30  # before it has read the table: itself


async def test_a_limiter_set_to_its_share_lets_that_many_through_a_second() -> None:
    time = VirtualTime()
    limiter = SendLimiter(LimitSettings(), clock=time.clock, sleep=time.sleep)
    limiter.share(15)
    sent: list[float] = []

    async def send(chat: int) -> None:
        await limiter.acquire(chat, queued=True)
        sent.append(time.now)

    await time.run(*(send(-7000 - i) for i in range(60)))
    assert limiter.per_second == 15
    assert max_in_window(sent, 1.0) == 15
    assert sent[-1] - sent[0] >= 59 / 15 * 0.9  # no faster than its share

    # Back to the whole budget (the other worker left): the pace doubles.
    limiter.share(30)
    more: list[float] = []

    async def again(chat: int) -> None:
        await limiter.acquire(chat, queued=True)
        more.append(time.now)

    await time.run(*(again(-8000 - i) for i in range(60)))
    assert max_in_window(more, 1.0) == 30


async def test_an_answer_goes_before_the_notices_within_the_share() -> None:
    time = VirtualTime()
    limiter = SendLimiter(LimitSettings(), clock=time.clock, sleep=time.sleep)
    limiter.share(5)
    order: list[str] = []
    sent: list[float] = []

    async def notice(i: int) -> None:
        await limiter.acquire(-9000 - i, queued=True)
        order.append(f"notice {i}")
        sent.append(time.now)

    async def answer() -> None:
        await time.sleep(0.01)  # asked while the notices wait
        await limiter.acquire(42)
        order.append("answer")
        sent.append(time.now)

    await time.run(*(notice(i) for i in range(12)), answer())
    assert order.index("answer") <= 2  # the answer overtakes the queue…
    assert max_in_window(sent, 1.0) == 5  # …and comes out of the share, not on top of it


def test_a_limiter_refuses_a_share_of_nothing() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        SendLimiter(LimitSettings()).share(0)


# -- the heartbeat, on a real PostgreSQL ---------------------------------------------------


class Ticking:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Recorder:
    """A limiter that notes what the fleet sets on it."""

    def __init__(self) -> None:
        self.shares: list[int] = []
        self.before: list[tuple[int, float]] = []  # (chat, seconds ago)

    def share(self, per_second: int) -> None:
        self.shares.append(per_second)

    def sent_before(self, chat: int, ago: float) -> None:
        self.before.append((chat, ago))


def fleet(engine: Engine, worker: str, clock: Ticking, limiter: Recorder) -> Fleet:
    return Fleet(engine, worker, per_second=30, heartbeat_seconds=1.0,
                 limiters=lambda: [limiter], clock=clock)  # fmt: skip


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", POSTGRES, indirect=True)
async def test_two_workers_divide_the_chats_and_the_budget_and_the_survivor_takes_all(
    engine: Engine,
) -> None:
    clock, a_limits, b_limits = Ticking(), Recorder(), Recorder()
    a, b = fleet(engine, "a:1", clock, a_limits), fleet(engine, "b:2", clock, b_limits)
    await a.heartbeat()
    assert a.ready and a.chats() == frozenset(range(BUCKETS))  # alone: at once, everything
    assert a_limits.shares[-1] == 30

    await b.heartbeat()  # b joins: it waits a heartbeat, so that a has seen it
    assert not b.ready and b.chats() == frozenset()
    assert b_limits.shares[-1] == 15
    await a.heartbeat()
    assert a_limits.shares[-1] == 15
    clock.now += 1.2
    assert b.ready and b.chats() == frozenset()
    await b.heartbeat()  # ready: it takes its chats over
    a_chats, b_chats = a.chats(), b.chats()
    assert a_chats is not None and b_chats is not None
    assert not a_chats & b_chats and a_chats | b_chats == frozenset(range(BUCKETS))

    # b dies: its heartbeat grows old (three heartbeats), and a takes everything back.
    with session_scope(engine) as s:
        s.execute(update(Worker).where(col(Worker.worker) == "b:2")
                  .values(seen_at=datetime.now(UTC) - timedelta(seconds=3.5)))  # fmt: skip
    await a.heartbeat()
    assert a.live == ("a:1",) and a.chats() == frozenset(range(BUCKETS))
    assert a_limits.shares[-1] == 30


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", POSTGRES, indirect=True)
async def test_a_worker_that_stops_hands_its_chats_over_at_the_next_heartbeat(
    engine: Engine,
) -> None:
    clock = Ticking()
    a, b = fleet(engine, "a:1", clock, Recorder()), fleet(engine, "b:2", clock, Recorder())
    await a.heartbeat()
    await b.heartbeat()
    await a.heartbeat()
    assert a.live == ("a:1", "b:2")
    await b.leave()
    await a.heartbeat()
    assert a.live == ("a:1",) and a.share() == 30
    with Session(engine) as s:
        assert [w.worker for w in s.exec(select(Worker)).all()] == ["a:1"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_on_sqlite_one_process_owns_every_chat_and_the_whole_budget(engine: Engine) -> None:
    limiter = Recorder()
    alone = fleet(engine, "a:1", Ticking(), limiter)
    await alone.heartbeat()
    assert alone.ready and alone.chats() is None and alone.share() == 30
    assert limiter.shares == []  # the limiter keeps its settings
    with Session(engine) as s:
        assert s.exec(select(Worker)).all() == []


# -- the rows a worker may claim -----------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", POSTGRES, indirect=True)
def test_a_worker_claims_only_its_chats_and_none_with_a_message_in_flight(
    engine: Engine,
) -> None:
    now = datetime.now(UTC)
    with session_scope(engine) as s:
        chats = [Chat(channel="telegram", chat_key=str(-500 - i), role=ChatRole.GROUP,
                      title=f"Nhóm {i}") for i in range(8)]  # fmt: skip
        s.add_all(chats)
        s.flush()
        ids = [c.id for c in chats]
        for chat in chats:
            for n in range(2):
                store.enqueue(s, key=f"f:{chat.id}:{n}", chat=chat, kind="reminder",
                              parts=[f"{n}"], now=now)  # fmt: skip
    assert all(i is not None for i in ids)
    mine = frozenset(bucket_of(i) for i in ids[:4] if i is not None)
    rows = store.due_rows(engine, ["telegram"], now, 100,
                          buckets=store.Buckets(mine, BUCKETS))  # fmt: skip
    assert {r.chat_id for r in rows} == set(ids[:4])

    # Another worker is sending the first message of chat 0 (a handover): its second
    # waits for it, whoever owns the chat now.
    first = min(r.id for r in rows if r.chat_id == ids[0])
    assert store.claim_many(engine, [first], "other:9", now, 60) == [first]
    rows = store.due_rows(engine, ["telegram"], now, 100,
                          buckets=store.Buckets(mine, BUCKETS))  # fmt: skip
    assert ids[0] not in {r.chat_id for r in rows}
    assert {r.chat_id for r in rows} == set(ids[1:4])
    # Once its lease has run out, the row itself is the next to claim, then the second.
    later = now + timedelta(seconds=61)
    rows = store.due_rows(engine, ["telegram"], later, 100,
                          buckets=store.Buckets(mine, BUCKETS))  # fmt: skip
    assert first in {r.id for r in rows}


# -- a chat taken over: what its former owner sent in the last minute ----------------------


async def test_parts_sent_by_another_process_count_in_the_chats_window() -> None:
    time = VirtualTime()
    limiter = SendLimiter(LimitSettings(), clock=time.clock, sleep=time.sleep)
    for ago in range(40, 20, -1):  # the former owner sent 20 in the last 40 s
        limiter.sent_before(-1001, float(ago))
    margin = LimitSettings().margin_ms / 1000
    # The 21st may go when the first of them is a minute old: in 20 s, not now.
    assert limiter.delay(-1001) == pytest.approx(20.0 + margin)
    assert limiter.delay(-1002) == 0.0  # another group: nothing to wait for


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", POSTGRES, indirect=True)
async def test_a_worker_taking_chats_over_counts_what_was_sent_to_them_in_the_last_minute(
    engine: Engine,
) -> None:
    now = datetime.now(UTC)
    with session_scope(engine) as s:
        busy, idle = (Chat(channel="telegram", chat_key=key, role=ChatRole.GROUP, title=key)
                      for key in ("-3001", "-3002"))  # fmt: skip
        s.add_all([busy, idle])
        s.flush()
        for chat in (busy, idle):
            row = store.enqueue(s, key=f"old:{chat.id}", chat=chat, kind="reminder",
                                parts=["cũ"], now=now)  # fmt: skip
            assert row is not None and row.id is not None
            row.state = OutboxState.SENT
            for n, ago in enumerate((10, 30, 90)):  # the last is older than a minute
                s.add(SentMessage(outbox_id=row.id, chat_id=chat.id, message_key=f"{n}",  # type: ignore[arg-type]
                                  sent_at=now - timedelta(seconds=ago)))  # fmt: skip
        store.enqueue(s, key="new", chat=busy, kind="reminder", parts=["mới"], now=now)
    limiter = Recorder()
    await fleet(engine, "b:2", Ticking(), limiter).heartbeat()  # alone: takes every chat
    counted = sorted((chat, round(ago)) for chat, ago in limiter.before)
    # Only the chat with a message waiting, and only what is younger than a minute.
    assert [chat for chat, _ in counted] == [-3001, -3001]
    assert [ago for _, ago in counted] == pytest.approx([10, 30], abs=2)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_worker_stopping_while_the_database_is_away_logs_one_line(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """SIGTERM during a PostgreSQL outage: no traceback, the driver's first line only."""
    from sqlalchemy.exc import OperationalError

    from bot.services import workers

    def away(_engine: Engine, _worker: str) -> None:
        driver = ConnectionRefusedError('connection to server at "db" (10.0.0.5), port 5432 '
                                        "failed: Connection refused\n\tIs the server running?")  # fmt: skip
        raise OperationalError("DELETE FROM worker", {}, driver)

    monkeypatch.setattr(workers, "leave", away)
    stopping = fleet(engine, "a:1", Ticking(), Recorder())
    stopping.shared = True  # as on PostgreSQL
    await stopping.leave()
    [record] = [r for r in caplog.records if r.name == "bot.scheduler.fleet"]
    said = record.getMessage()
    assert not record.exc_info and "\n" not in said
    assert said.startswith("fleet: could not delete this worker's heartbeat (database "
                           'unreachable: connection to server at "db"')  # fmt: skip
