"""The faults a province's bot must survive, each against real ``dondoc run`` processes,
the fake Bot API over HTTP and a real database (``tests.fault_bots``): a bot killed with
SIGKILL in the middle of a burst and started again; the Bot API down for a while;
PostgreSQL restarted under two bots; two bots whose passes outlast the lease; and two
bots of which only one plans. Each notice is counted as the fake API received it (chat
and text): every one sent, none twice beyond the window the README documents.
"""

from __future__ import annotations

import re
import time
from collections import Counter, defaultdict
from datetime import UTC, date, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.channels.telegram_inbox import RECOVER_EVERY
from bot.db import session_scope
from bot.domain.calendar import VIETNAM
from bot.domain.deadlines import final_date, parse_deadline, to_columns
from bot.models import (
    Agency,
    Assignment,
    ChatRole,
    InboxUpdate,
    OutboxState,
    Plan,
    Role,
    Task,
    TickRun,
)
from bot.services.chats import ensure_chat
from tests.conftest import Cluster
from tests.fault_bots import LEASE, TICK, Fleet, burst, wait_until

BOTH = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
POSTGRES = [pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.mark.parametrize("db_url", BOTH, indirect=True)
def test_a_bot_killed_mid_burst_and_restarted_sends_every_notice(fleet: Fleet) -> None:
    fleet.fake.latency = 0.3  # seconds a send takes: a few are in flight at the kill
    [first] = fleet.start()
    notices = burst(fleet.engine, groups=12, per_group=3)
    wait_until(lambda: len(fleet.fake.accepted) >= 12, 30, "a third of the burst sent")
    first.kill()
    rows = fleet.rows()
    cut = {fleet.notice_of(r) for r in rows
           if r.state == OutboxState.SENDING and r.claimed_by == first.worker}  # fmt: skip
    before = fleet.sent()
    assert any(r.state != OutboxState.SENT for r in rows)  # killed in the middle
    assert cut  # with messages in flight, which only their lease's end brings back

    [second] = fleet.start()
    fleet.all_sent(within=LEASE + 30)
    sent = fleet.sent()
    assert set(sent) == {(n.chat, n.text) for n in notices}
    # The window: a notice the API accepted while its row was in flight, before the bot
    # could record it, is sent once more; nothing else, and nothing a third time.
    twice = {notice for notice, count in sent.items() if count > 1}
    assert twice <= cut and max(sent.values()) <= 2
    assert all(before[notice] == 1 for notice in twice)
    # The killed bot planned the ticks; the new one plans them now (on PostgreSQL once the
    # killed one has missed two intervals: its lock went with its connection).
    wait_until(lambda: second.worker in _planners(fleet.engine), 3 * TICK, "the new bot planning")


@pytest.mark.parametrize("db_url", BOTH, indirect=True)
def test_a_bot_killed_with_officers_messages_queued_handles_each_after_its_restart(
    fleet: Fleet,
) -> None:
    """Telegram forgets the updates a later getUpdates confirmed, which python-telegram-bot
    does before it handles them: without the inbox, a bot killed with a queue of officers'
    messages lost them all. Each is kept first; the next bot handles what is left, each
    once but the one being handled at the kill (the window the README documents)."""
    fleet.fake.latency = 0.25  # each answer takes a while: the updates queue up in the bot
    [first] = fleet.start()
    chats = [-400_000 - i for i in range(30)]
    for i, chat in enumerate(chats):
        fleet.server.run_here(fleet.fake.say(chat, 1_000 + i, "/trogiup"))

    def answers() -> Counter[tuple[int, str]]:
        return Counter((a.chat_id, a.text) for a in list(fleet.fake.accepted)
                       if a.chat_id in chats)  # fmt: skip

    wait_until(lambda: len({chat for chat, _ in answers()}) >= 3, 30, "the first answers")
    first.kill()
    before = {chat for chat, _ in answers()}
    assert len(before) < len(chats)  # killed with messages still to answer
    with Session(fleet.engine) as s:
        kept = s.exec(select(InboxUpdate)).all()
    assert len(kept) == len(chats)  # every one kept, though Telegram forgot them
    in_hand = {u.payload["message"]["chat"]["id"] for u in kept
               if u.claimed_by == first.worker and u.handled_at is None}  # fmt: skip

    fleet.start()

    def all_handled() -> bool:
        with Session(fleet.engine) as s:
            return all(u.handled_at is not None for u in s.exec(select(InboxUpdate)).all())

    # The one in hand at the kill waits for its claim's lease (on SQLite the new bot ends
    # every claim at its start: one process per file) and the next look for leftovers.
    wait_until(all_handled, LEASE + RECOVER_EVERY + 30, "each update handled")
    counts = answers()
    assert {chat for chat, _ in counts} == set(chats)  # every officer answered
    twice = {chat for (chat, _text), count in counts.items() if count > 1}
    assert twice <= in_hand and max(counts.values()) <= 2


def test_a_bot_stopped_with_officers_messages_queued_leaves_them_to_the_next(
    fleet: Fleet,
) -> None:
    """SIGTERM (``docker compose stop``, 30 s before Docker kills) with a queue of
    updates and a slow Bot API: the bot finishes the one in hand and stops, rather than
    answering the queue one by one past Docker's patience; the next bot answers the rest,
    each once."""
    fleet.fake.latency = 1.0  # each answer takes a second: 30 would outlast Docker's 30 s
    [first] = fleet.start()
    chats = [-500_000 - i for i in range(30)]
    for i, chat in enumerate(chats):
        fleet.server.run_here(fleet.fake.say(chat, 2_000 + i, "/trogiup"))

    def answered() -> Counter[int]:
        return Counter(a.chat_id for a in list(fleet.fake.accepted) if a.chat_id in chats)

    wait_until(lambda: len(answered()) >= 2, 30, "the first answers")
    began = time.monotonic()
    assert first.stop() == 0
    assert time.monotonic() - began < 15  # not the queue's 28 s, one by one
    assert len(answered()) < len(chats)

    fleet.start()
    wait_until(lambda: set(answered()) == set(chats), 90, "every officer answered")
    texts = Counter((a.chat_id, a.text) for a in list(fleet.fake.accepted) if a.chat_id in chats)
    assert set(texts.values()) == {1}  # nothing twice: the one in hand was finished


def _planners(engine: Engine) -> set[str]:
    with Session(engine) as s:
        return {tick.worker for tick in s.exec(select(TickRun)).all()}


@pytest.mark.parametrize(
    ("db_url", "outage"),
    [("sqlite", "502"), pytest.param("postgres", "refused", marks=pytest.mark.postgres)],
    indirect=["db_url"],
)
# The fake's server closes the connections it refuses, but one accepted as it stops can
# still be left to the garbage collector (the fake's socket, not the bot's).
@pytest.mark.filterwarnings("ignore:unclosed transport:ResourceWarning")
@pytest.mark.filterwarnings("ignore:Exception ignored in.*_SelectorSocketTransport")
@pytest.mark.filterwarnings("ignore:Exception ignored in.*socket.socket")
def test_the_outbox_waits_while_the_bot_api_is_down_then_drains_in_order(
    fleet: Fleet, outage: str
) -> None:
    [bot] = fleet.start()
    if outage == "502":
        fleet.fake.fail(502)
    else:
        fleet.refuse()
    notices = burst(fleet.engine, groups=4, per_group=5)
    wait_until(lambda: bot.logged("telegram unreachable"), 30, "the bot to see the API down")
    # The outage lasts while the bot tries again every retry_seconds (0.5 s): each try
    # puts the message back with a new next attempt. Three of them for four messages.
    tries: dict[int, set[datetime]] = defaultdict(set)

    def tried_thrice() -> bool:
        for row in fleet.rows():
            if row.last_error:
                tries[row.id].add(row.next_attempt_at)
        return sum(len(seen) >= 3 for seen in tries.values()) >= 4

    wait_until(tried_thrice, 30, "three tries of four messages while the API is down")
    assert not fleet.fake.accepted
    assert all(r.state != OutboxState.FAILED for r in fleet.rows())
    if outage == "502":
        fleet.fake.recover()
    else:
        fleet.reopen()

    fleet.all_sent(within=30)
    sent = fleet.sent()
    assert set(sent) == {(n.chat, n.text) for n in notices} and set(sent.values()) == {1}
    in_order: dict[int, list[str]] = defaultdict(list)
    for notice in notices:
        in_order[notice.chat].append(notice.text)
    received: dict[int, list[str]] = defaultdict(list)
    for accepted in fleet.fake.accepted:
        received[accepted.chat_id].append(accepted.text)
    assert received == in_order
    # The outage spent no attempt: each row went on its first counted one.
    assert {row.attempts for row in fleet.rows()} == {1}
    # One line when the API went away, one when it came back; no line per retry (a
    # message kept waiting is said at DEBUG only). The sender says it is back once its
    # pass ends, which can be after the rows are marked.
    wait_until(lambda: bot.logged("telegram reachable again"), 10, "the line saying so")
    assert bot.logged("telegram unreachable") == 1
    assert bot.logged("telegram reachable again") == 1
    assert bot.logged("waiting (channel unreachable, kept)") == 0


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", POSTGRES, indirect=True)
def test_two_bots_survive_postgresql_restarting_under_them(
    fleet: Fleet, postgres_cluster: Cluster | None
) -> None:
    if postgres_cluster is None:
        pytest.skip("TEST_POSTGRES_URL names a server these tests must not restart")
    fleet.fake.latency = 0.4
    bots = fleet.start(2)
    notices = burst(fleet.engine, groups=20, per_group=3)
    wait_until(lambda: len(fleet.fake.accepted) >= 10, 30, "the burst under way")
    restarted = datetime.now(UTC)
    postgres_cluster.restart()

    fleet.all_sent(within=LEASE + 30)
    sent = fleet.sent()
    assert set(sent) == {(n.chat, n.text) for n in notices}
    # The README's window: a part Telegram accepted while the database was away is
    # recorded when it is back if its lease still runs; on a loaded machine the restart
    # can outlast it, and that message goes once more. Only messages in flight then
    # (four per bot), and never a third time.
    twice = [notice for notice, count in sent.items() if count > 1]
    assert max(sent.values()) <= 2 and len(twice) <= 2 * 4, twice
    assert all(bot.proc.poll() is None for bot in bots)

    def ticked_since() -> bool:
        with Session(fleet.engine) as s:
            return any(t.started_at > restarted for t in s.exec(select(TickRun)).all())

    wait_until(ticked_since, 3 * TICK, "a tick after the restart")
    # A bot that met the outage says so once and once that the database is back; one
    # whose pool reconnected before it needed the database (pool_pre_ping) has nothing
    # to say. Either way no traceback.
    went = [bot.logged("database unreachable") for bot in bots]
    back = [bot.logged("database reachable again") for bot in bots]
    assert max(went) <= 1 and back == went, [b.log.read_text() for b in bots]
    tracebacks = [_traceback_in(bot.log.read_text()) for bot in bots if bot.logged("Traceback")]
    assert not tracebacks, "\n".join(tracebacks)


def _traceback_in(log: str) -> str:
    """The log line before the first traceback and that traceback's last lines (the
    exception raised), for a failure's message."""
    start = log.index("Traceback")
    line_start = log.rfind("\n", 0, log.rfind("\n", 0, start)) + 1
    end = re.search(r"\n\d{4}-\d{2}-\d{2} ", log[start:])
    block = log[start : start + end.start()] if end else log[start:]
    return log[line_start:start] + "…\n" + block[-1500:]


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", POSTGRES, indirect=True)
def test_two_bots_whose_passes_outlast_the_lease_send_each_notice_once(fleet: Fleet) -> None:
    latency, in_flight = 1.0, 4  # each send takes a second, four at once (``RULES``)
    fleet.fake.latency = latency
    bots = fleet.start(2)
    notices = burst(fleet.engine, groups=30, per_group=3)

    fleet.all_sent(within=90)
    sent = fleet.sent()
    assert set(sent) == {(n.chat, n.text) for n in notices} and set(sent.values()) == {1}
    assert {row.claimed_by for row in fleet.rows()} == {bot.worker for bot in bots}

    # A pass that sent N messages, ``in_flight`` at a time, each taking ``latency``,
    # lasted at least N × latency / in_flight seconds: longer than the lease.
    def ended() -> list[int] | None:  # each bot logs its pass's count when it ends
        counts = [_pass_counts(bot.log.read_text()) for bot in bots]
        return counts if all(counts) else None

    passes = wait_until(ended, 10, "each bot's pass to end")
    assert max(passes) * latency / in_flight > LEASE


def _pass_counts(log: str) -> int:
    """The most messages one pass of the sender sent (its "sent N, …" line)."""
    return max((int(n) for n in re.findall(r"INFO bot\.scheduler\.relay: sent (\d+),", log)),
               default=0)  # fmt: skip


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", POSTGRES, indirect=True)
def test_of_two_bots_only_one_plans_and_both_send(fleet: Fleet) -> None:
    fleet.fake.latency = 0.5
    bots = fleet.start(2)
    agencies = 16
    today = datetime.now(VIETNAM).date()
    _due_today(fleet.engine, today, agencies)

    wait_until(lambda: len(fleet.rows()) == agencies, 3 * TICK, "the reminders planned")
    fleet.all_sent(within=30)
    sent = fleet.sent()
    assert len(sent) == agencies and set(sent.values()) == {1}
    planners = _planners(fleet.engine)
    assert len(planners) == 1 and planners <= {bot.worker for bot in bots}
    assert {row.claimed_by for row in fleet.rows()} == {bot.worker for bot in bots}


def _due_today(engine: Engine, today: date, agencies: int) -> None:
    """``agencies`` agencies, each with a Telegram group and one task due ``today``: one
    reminder each at the next tick."""
    deadline = today.strftime("%d/%m/%Y")
    parsed = parse_deadline(deadline, plan_year=today.year)
    with session_scope(engine) as s:
        plan = Plan(number="1/KH-UBND", issued_on=today, year=today.year, title="Kế hoạch")
        s.add(plan)
        s.flush()
        for i in range(agencies):
            agency = Agency(code=f"co-quan-{i}", name=f"Cơ quan {i}", kind="so", aliases=[],
                            letter_symbol=f"CQ{i}")  # fmt: skip
            s.add(agency)
            s.flush()
            ensure_chat(s, channel="telegram", chat_key=str(-200_000 - i), role=ChatRole.GROUP,
                        agency=agency, title=f"Nhóm {i}")  # fmt: skip
            task = Task(plan_id=plan.id, key=str(i), number=str(i + 1), position=i,  # type: ignore[arg-type]
                        text=f"Việc của cơ quan {i}", result="Báo cáo", deadline_text=deadline,
                        **to_columns(parsed))  # fmt: skip
            s.add(task)
            s.flush()
            s.add(Assignment(task_id=task.id, agency_id=agency.id, role=Role.LEAD,  # type: ignore[arg-type]
                             due_on=final_date(parsed)))  # fmt: skip
