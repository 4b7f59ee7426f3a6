"""The working-day calendar and the reminder ladder, as pure functions of a date."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.calendar import WorkCalendar
from bot.domain.deadlines import DueDate, Milestone, Milestones, Period, Recurring, Unspecified
from bot.domain.policy import Audience, Item, Ladder, decide, period_of
from tests.province import CAL, at

LADDER = Ladder()
G, H, C, A = Audience.GROUP, Audience.HEAD, Audience.COORDINATOR, Audience.ADMINS


def test_tet_and_swapped_days() -> None:
    assert not CAL.is_working_day(date(2025, 1, 31))  # Tết 2025
    assert CAL.on_or_after(date(2025, 1, 31)) == date(2025, 2, 3)
    assert CAL.is_working_day(date(2025, 4, 26))  # Saturday worked for Friday 2/5
    assert not CAL.is_working_day(date(2025, 5, 2))
    assert CAL.add_working_days(date(2025, 1, 22), 5) == date(2025, 2, 5)
    assert CAL.working_days_between(date(2025, 1, 22), date(2025, 2, 5)) == 5
    assert CAL.working_days_between(date(2025, 2, 5), date(2025, 1, 22)) == -5
    assert CAL.add_working_days(date(2025, 2, 5), -5) == date(2025, 1, 22)


def test_local_overrides_win() -> None:
    cal = WorkCalendar(extra_off=[date(2024, 12, 30)], extra_work=[date(2024, 12, 28)])
    assert not cal.is_working_day(date(2024, 12, 30))
    assert cal.is_working_day(date(2024, 12, 28))  # a Saturday made a working day


@pytest.mark.parametrize(
    ("moment", "window"),
    [
        (at(date(2024, 12, 20), 8), at(date(2024, 12, 20), 8)),
        (at(date(2024, 12, 20), 7, 0), at(date(2024, 12, 20), 7, 30)),
        (at(date(2024, 12, 20), 17, 0), at(date(2024, 12, 23), 7, 30)),  # Friday evening
        (at(date(2024, 12, 21), 10), at(date(2024, 12, 23), 7, 30)),  # Saturday
        (at(date(2025, 1, 24), 18), at(date(2025, 2, 3), 7, 30)),  # the eve of Tết
    ],
)
def test_next_sending_window(moment: object, window: object) -> None:
    assert CAL.next_window(moment) == window  # type: ignore[arg-type]


def _ladder(item: Item, start: date, end: date) -> list[tuple[date, str, frozenset[Audience], int]]:
    """Every new notice from ``start`` to ``end``, one tick a day (what was sent is skipped)."""
    seen: set[str] = set()
    out = []
    day = start
    while day <= end:
        for n in decide(item, day, CAL, LADDER).notices:
            if n.key not in seen:
                seen.add(n.key)
                out.append((day, n.stage.name, n.stage.audience, n.working_days))
        day += timedelta(days=1)
    return out


def test_each_stage_of_the_ladder() -> None:
    item = Item(DueDate(date(2024, 12, 31)), date(2024, 12, 31))
    assert _ladder(item, date(2024, 12, 1), date(2025, 1, 20)) == [
        (date(2024, 12, 20), "before-7", frozenset({G}), -7),
        (date(2024, 12, 26), "before-3", frozenset({G}), -3),
        (date(2024, 12, 30), "before-1", frozenset({G}), -1),
        (date(2024, 12, 31), "due", frozenset({G}), 0),
        (date(2025, 1, 2), "late-1", frozenset({G}), 1),  # 1/1 is a holiday
        (date(2025, 1, 6), "late-3", frozenset({G, H}), 3),
        (date(2025, 1, 10), "late-7", frozenset({G, H, C, A}), 7),
        (date(2025, 1, 17), "late-12", frozenset({G, H}), 12),
    ]


def test_due_date_in_tet_moves_to_the_next_working_day() -> None:
    item = Item(DueDate(date(2025, 1, 31)), date(2025, 1, 31))
    days = {stage: day for day, stage, _, _ in _ladder(item, date(2025, 1, 1), date(2025, 2, 10))}
    assert days["before-1"] == date(2025, 1, 24)  # the last working day before Tết
    assert days["due"] == date(2025, 2, 3)
    assert days["late-1"] == date(2025, 2, 4)


def test_make_up_saturday_counts_as_a_working_day() -> None:
    item = Item(DueDate(date(2025, 5, 5)), date(2025, 5, 5))
    days = {stage: day for day, stage, _, _ in _ladder(item, date(2025, 4, 1), date(2025, 5, 5))}
    # Back from Monday 5/5: 29/4, 28/4, then Saturday 26/4 (worked); 30/4-4/5 are days off.
    assert days["before-1"] == date(2025, 4, 29)
    assert days["before-3"] == date(2025, 4, 26)
    assert days["before-7"] == date(2025, 4, 22)
    assert CAL.working_days_between(date(2025, 4, 25), date(2025, 4, 28)) == 2


def test_catch_up_sends_only_the_latest_stage() -> None:
    item = Item(DueDate(date(2024, 12, 31)), date(2024, 12, 31))
    decision = decide(item, date(2025, 1, 7), CAL, LADDER)
    assert [n.stage.name for n in decision.notices] == ["late-3"]
    assert decision.next_check == date(2025, 1, 10)


def test_done_nothing_and_coordinating_agencies_are_not_escalated() -> None:
    coordinating = Item(DueDate(date(2024, 12, 31)), date(2024, 12, 31), lead=False)
    stages = [s for _, s, _, _ in _ladder(coordinating, date(2024, 12, 1), date(2025, 2, 1))]
    assert stages == ["before-7", "before-3", "before-1", "due"]


def test_unspecified_is_never_reminded() -> None:
    decision = decide(Item(Unspecified("Theo kế hoạch"), None), date(2024, 12, 20), CAL, LADDER)
    assert decision.notices == () and decision.next_check is None


def test_ongoing_task_asks_for_a_quarterly_report() -> None:
    item = Item(
        Recurring(Period.QUARTERLY, ongoing=True, starts_on=date(2024, 1, 1)),
        None,
        starts_on=date(2024, 10, 15),
    )
    first = decide(item, date(2024, 12, 20), CAL, LADDER)
    assert [(n.stage.name, n.period) for n in first.notices] == [("before-7", "2024-Q4")]
    # Unreported, Q4 keeps escalating into Q1 while Q1's own ladder starts.
    later = decide(item, date(2025, 3, 21), CAL, LADDER)
    assert {n.period for n in later.notices} == {"2024-Q4", "2025-Q1"}
    reported = Item(item.deadline, None, last_report_period="2024-Q4", starts_on=date(2024, 10, 15))
    assert {n.period for n in decide(reported, date(2025, 3, 21), CAL, LADDER).notices} == {
        "2025-Q1"
    }
    assert period_of(Recurring(Period.HALF_YEARLY), date(2025, 8, 1)) == "2025-H2"


def test_yearly_task_anchored_to_a_day() -> None:
    item = Item(Recurring(Period.YEARLY, anchor=(11, 15), starts_on=date(2024, 1, 1)), None)
    decision = decide(item, date(2024, 12, 6), CAL, LADDER)
    assert [(n.stage.name, n.due) for n in decision.notices] == [("before-7", date(2024, 12, 16))]


def test_each_milestone_has_its_own_ladder() -> None:
    item = Item(
        Milestones((Milestone(date(2022, 12, 31), "90%"), Milestone(date(2023, 1, 31), "100%"))),
        None,
    )
    stages = _ladder(item, date(2022, 12, 1), date(2023, 2, 28))
    first = [s for d, s, _, _ in stages if d <= date(2023, 1, 16)]
    assert first[:4] == ["before-7", "before-3", "before-1", "due"]
    periods = {
        n.period
        for d in (date(2023, 1, 13), date(2023, 2, 10))
        for n in decide(item, d, CAL, LADDER).notices
    }
    assert periods == {"m:2022-12-31", "m:2023-01-31"}
    # Only the last milestone repeats after its late-7.
    late = [s for _, s, _, _ in stages if s.startswith("late-") and int(s[5:]) > 7]
    assert late and all(d > date(2023, 2, 1) for d, s, _, _ in stages if s in late)


def test_extension_is_a_new_period_so_the_ladder_restarts() -> None:
    before = decide(
        Item(DueDate(date(2024, 12, 31)), date(2024, 12, 31)), date(2025, 1, 6), CAL, LADDER
    )
    after = decide(
        Item(DueDate(date(2024, 12, 31)), date(2025, 1, 15)), date(2025, 1, 6), CAL, LADDER
    )
    assert [n.key for n in before.notices] == ["late-3@2024-12-31"]
    assert [n.key for n in after.notices] == ["before-7@2025-01-15"]


def test_ladder_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="grow"):
        Ladder(late_group=3, late_head=1)


def _step_by_step(cal: WorkCalendar, day: date, n: int) -> date:
    step = 1 if n >= 0 else -1
    for _ in range(abs(n)):
        day += timedelta(days=step)
        while not cal.is_working_day(day):
            day += timedelta(days=step)
    return day


@given(st.dates(date(2021, 1, 1), date(2027, 12, 31)), st.integers(-60, 400))
def test_working_day_arithmetic_matches_counting_day_by_day(day: date, n: int) -> None:
    cal = WorkCalendar(extra_off=[date(2024, 12, 30)], extra_work=[date(2024, 12, 28)])
    moved = cal.add_working_days(day, n)
    assert moved == _step_by_step(cal, day, n)
    if n:
        assert cal.is_working_day(moved)
    if n > 0 or cal.is_working_day(day):  # back from a day off, its eve is the first step
        assert cal.working_days_between(day, moved) == n
