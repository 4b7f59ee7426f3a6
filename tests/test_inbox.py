"""The inbox (``bot.services.inbox``): an update kept once, handled by one worker at a
time and once for good; what nobody handles found again; handled rows pruned."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.services import inbox

NOW = datetime(2024, 12, 20, 1, 0, tzinfo=UTC)
UPDATE = {"update_id": 7, "message": {"text": "xong ạ", "chat": {"id": -1001}}}


def test_an_update_delivered_again_is_handled_once(engine: Engine) -> None:
    assert inbox.store(engine, "telegram", "7", UPDATE, NOW)
    assert inbox.store(engine, "telegram", "7", UPDATE, NOW)  # kept, not handled yet
    assert inbox.claim(engine, "telegram", "7", "a:1", NOW)
    inbox.handled(engine, "telegram", "7", NOW)
    assert not inbox.store(engine, "telegram", "7", UPDATE, NOW + timedelta(hours=1))
    assert not inbox.claim(engine, "telegram", "7", "b:2", NOW + timedelta(hours=1))
    assert inbox.store(engine, "zalo", "7", UPDATE, NOW)  # another channel's own ids


def test_one_worker_at_a_time_until_its_lease_runs_out(engine: Engine) -> None:
    inbox.store(engine, "telegram", "7", UPDATE, NOW)
    assert inbox.claim(engine, "telegram", "7", "a:1", NOW, lease_seconds=60)
    assert not inbox.claim(engine, "telegram", "7", "b:2", NOW + timedelta(seconds=59))
    assert not inbox.claim(engine, "telegram", "7", "a:1", NOW + timedelta(seconds=30))
    assert inbox.claim(engine, "telegram", "7", "b:2", NOW + timedelta(seconds=61))


def test_leftovers_are_the_unhandled_nobody_holds(engine: Engine) -> None:
    for key in ("1", "2", "3", "4"):
        inbox.store(engine, "telegram", key, {"update_id": int(key)}, NOW)
    inbox.claim(engine, "telegram", "2", "a:1", NOW, lease_seconds=60)  # in hand
    inbox.claim(engine, "telegram", "3", "a:1", NOW, lease_seconds=60)
    inbox.handled(engine, "telegram", "3", NOW)  # done
    later = NOW + timedelta(seconds=30)
    found = inbox.leftovers(engine, "telegram", later, older_than=10)
    assert found == [("1", {"update_id": 1}), ("4", {"update_id": 4})]
    assert [k for k, _ in inbox.leftovers(engine, "telegram", later, older_than=10,
                                          skip={"1"})] == ["4"]  # fmt: skip
    assert inbox.leftovers(engine, "telegram", later, older_than=60) == []  # too young
    # The holder's lease runs out: its update is anyone's again.
    gone = NOW + timedelta(seconds=90)
    assert [k for k, _ in inbox.leftovers(engine, "telegram", gone, older_than=10)] == [
        "1", "2", "4"
    ]  # fmt: skip
    inbox.claim(engine, "telegram", "4", "b:2", gone, lease_seconds=60)
    inbox.release_all(engine, "telegram")  # a new process on SQLite: every claim was dead
    assert [k for k, _ in inbox.leftovers(engine, "telegram", gone, older_than=10)] == [
        "1", "2", "4"
    ]  # fmt: skip


def test_handled_updates_are_pruned_the_others_kept(engine: Engine) -> None:
    for key in ("1", "2", "3"):
        inbox.store(engine, "telegram", key, {"update_id": int(key)}, NOW)
    inbox.claim(engine, "telegram", "1", "a:1", NOW)
    inbox.handled(engine, "telegram", "1", NOW)
    inbox.claim(engine, "telegram", "2", "a:1", NOW)
    inbox.handled(engine, "telegram", "2", NOW + timedelta(days=3))
    with Session(engine) as session:
        assert inbox.prune(session, NOW + timedelta(days=1)) == 1
        session.commit()
    later = NOW + timedelta(days=4)
    assert [k for k, _ in inbox.leftovers(engine, "telegram", later, older_than=0)] == ["3"]
    assert not inbox.store(engine, "telegram", "2", {"update_id": 2}, later)  # still known
