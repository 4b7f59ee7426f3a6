"""Two real ``dondoc run`` processes on one token and a real PostgreSQL: one polls
Telegram, the other sends only (``bot.scheduler.poller``), against the fake Bot API,
which ends a held getUpdates with 409 Conflict when another comes, as Telegram does
(``bench.fake_bot_api``). An officer's commands are each answered once, the fake sees no
conflict; when the polling process is killed (SIGKILL), the other polls within a few
heartbeats and answers the next command once."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.engine import Engine

from bot.db import session_scope
from bot.domain.calendar import VIETNAM
from bot.models import Agency, ChatRole
from bot.services.binding import create_link_code
from tests.fault_bots import Bot, Fleet, wait_until

POSTGRES = [pytest.param("postgres", marks=pytest.mark.postgres)]
POLLING = "this process now receives updates by polling"
GROUP, OFFICER = -4200, 501  # a Telegram group and an officer in it


def _link_code(engine: Engine) -> str:
    """A one-time code binding a group to Sở Y tế, valid from now."""
    with session_scope(engine) as s:
        agency = Agency(code="so-y-te", name="Sở Y tế", kind="so", aliases=[], letter_symbol="SYT")
        s.add(agency)
        s.flush()
        return create_link_code(s, agency=agency, role=ChatRole.GROUP, now=datetime.now(VIETNAM))


def _say(fleet: Fleet, text: str) -> int:
    """The officer writes ``text`` in the group; the message's id."""
    return fleet.server.run_here(fleet.fake.say(GROUP, OFFICER, text))


def _answers(fleet: Fleet, message_id: int) -> list[str]:
    """The texts the bot sent in reply to ``message_id``."""
    return [a.text for a in list(fleet.fake.accepted) if a.reply_to == message_id]


def _answered_once(fleet: Fleet, message_ids: list[int]) -> None:
    """Each message answered, then each exactly once (a second answer would come from
    the other process handling it too: it is given a moment, the time a poll takes)."""
    wait_until(lambda: all(_answers(fleet, m) for m in message_ids), 30, "every answer")
    for message_id in message_ids:
        assert len(_answers(fleet, message_id)) == 1, _answers(fleet, message_id)


def _poller(bots: list[Bot]) -> Bot:
    """The one bot whose log says it polls (waited for)."""
    return wait_until(lambda: next((b for b in bots if b.logged(POLLING)), None), 30,
                      "one bot to poll")  # fmt: skip


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", POSTGRES, indirect=True)
def test_one_of_two_processes_polls_and_the_other_takes_over_when_it_is_killed(
    fleet: Fleet,
) -> None:
    code = _link_code(fleet.engine)
    bots = fleet.start(2)
    polling = _poller(bots)
    other = bots[1] if polling is bots[0] else bots[0]

    linked = _say(fleet, f"/lienket {code}")
    _answered_once(fleet, [linked])
    assert "Đã liên kết" in _answers(fleet, linked)[0]
    tasks = [_say(fleet, "/nhiemvu") for _ in range(3)]
    _answered_once(fleet, tasks)
    # Both processes poll the heartbeat (1 s) for the lock: a few heartbeats have gone by.
    wait_until(lambda: other.logged("another process receives updates by polling"), 30,
               "the other to say it sends only")  # fmt: skip
    assert fleet.fake.conflicts == 0
    assert other.logged(POLLING) == 0 and polling.logged(POLLING) == 1

    polling.kill()
    wait_until(lambda: other.logged(POLLING), 15, "the other to poll")
    after = _say(fleet, "/nhiemvu")
    _answered_once(fleet, [after])
    for message_id in [linked, *tasks]:  # nothing answered again by the new poller
        assert len(_answers(fleet, message_id)) == 1
    assert fleet.fake.conflicts == 0
    for bot in bots:
        assert bot.logged("Traceback") == 0 and bot.logged("Conflict") == 0
