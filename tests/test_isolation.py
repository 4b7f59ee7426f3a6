"""One bad part or one bad outbox row must not stop the work of all (issue 12, kind 2)."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

from sqlmodel import Session, col, select

from bot.channels import Buttons
from bot.channels.console import ConsoleChannel
from bot.db import session_scope
from bot.models import Assignment, Outbox, OutboxState
from bot.scheduler.dispatcher import dispatch
from bot.scheduler.planner import plan
from tests.province import CAL, FRIDAY, SETTINGS, Province, at


def alerts(province: Province, prefix: str) -> list[Outbox]:
    with Session(province.engine) as s:
        return list(s.exec(select(Outbox).where(col(Outbox.key).startswith(prefix))).all())


def test_a_part_whose_date_overflows_does_not_stop_the_others(province: Province) -> None:
    healthy = province.add_task("31/12/2024", text="Công khai thủ tục")
    broken = province.add_task("31/12/2024", lead="so-tu-phap", text="Hạn ghi nhầm 31/12/9999")
    with session_scope(province.engine) as s:
        part = s.get(Assignment, broken)
        assert part is not None
        part.due_on = date(9999, 12, 31)  # its ladder runs past year 9999
    with session_scope(province.engine) as s:
        result = plan(s, FRIDAY, settings=SETTINGS, cal=CAL)
    assert any(f"NV{healthy}" in m.parts[0] for m in result.messages)
    assert not any(f"NV{broken}" in "".join(m.parts) for m in result.messages)
    [alert] = alerts(province, f"alert:plan-part:{broken}:")
    assert f"NV{broken}" in alert.parts[0] and "Sở Tư pháp" in alert.parts[0]
    assert province.part(broken).check_on == date(2024, 12, 21)  # looked at again tomorrow
    for day in (date(2024, 12, 23), date(2024, 12, 24)):  # every tick goes on; one alert
        with session_scope(province.engine) as s:
            plan(s, at(day), settings=SETTINGS, cal=CAL)
    assert len(alerts(province, f"alert:plan-part:{broken}:")) == 1


class BrokenFor(ConsoleChannel):
    """A channel with a bug that shows for one chat only."""

    def __init__(self, chat_key: str) -> None:
        super().__init__(quiet=True)
        self.chat_key = chat_key

    async def send(self, chat_key: str, html_text: str, buttons: Buttons | None = None) -> str:
        if chat_key == self.chat_key:
            raise RuntimeError("unexpected")
        return await super().send(chat_key, html_text, buttons)


def test_an_outbox_row_that_fails_unexpectedly_is_set_aside(province: Province) -> None:
    for lead in ("so-y-te", "so-tu-phap", "so-noi-vu"):
        province.add_task("31/12/2024", lead=lead)
    with session_scope(province.engine) as s:
        plan(s, at(date(2025, 1, 6)), settings=SETTINGS, cal=CAL)  # late-3: group and head each
    channel = BrokenFor("group:so-tu-phap")
    moment = at(date(2025, 1, 6), 8, 1)
    result = asyncio.run(dispatch(province.engine, {"console": channel}, moment, worker="w",
                                  settings=SETTINGS, cal=CAL))  # fmt: skip
    # Every other row went out; the admins' alert about this one goes in the next pass.
    assert result.retried == 1 and result.sent == len(province.outbox()) - 2
    [row] = [o for o in province.outbox() if o.state != OutboxState.SENT and o.kind != "notice"]
    assert row.state == OutboxState.PENDING and row.lease_until is None  # never left "sending"
    assert row.next_attempt_at > moment and "RuntimeError" in row.last_error
    asyncio.run(dispatch(province.engine, {"console": channel}, moment + timedelta(hours=1),
                         worker="w", settings=SETTINGS, cal=CAL))  # fmt: skip
    [alert] = alerts(province, f"alert:outbox:{row.id}:")  # told once, not at every attempt
    assert "không gửi được" in alert.parts[0]
