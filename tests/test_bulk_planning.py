"""The planner's bulk writes and streaming, and the files import's batches: the same
guarantees at any size (each notice once, even with two planners at once; an import
that fails anywhere leaves nothing)."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

import bot.importers.files as files_importer
import bot.scheduler.planners.ladder as ladder
import bot.scheduler.planners.late_files as late_files
from bot.db import session_scope
from bot.importers.errors import ImportFailed
from bot.models import Notice, Outbox, TthcFile
from bot.scheduler.planner import plan
from tests.files import LateFile, add_late_files, late_files_export
from tests.province import CAL, IMPORT_DAY, SETTINGS, Province, at

DEC_31 = "31/12/2024"
DEC_20 = date(2024, 12, 20)


def notice_keys(province: Province) -> list[str]:
    with Session(province.engine) as s:
        return list(s.exec(select(Notice.key)).all())


def test_a_second_planner_that_read_before_the_first_committed_writes_nothing_twice(
    province: Province, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two planners at once: the second read "nothing planned yet" before the first
    committed. Its messages lose the race at the unique keys and nothing is written twice."""
    for _ in range(3):
        province.add_task(DEC_31)
    with session_scope(province.engine) as s:
        first = plan(s, at(DEC_20), settings=SETTINGS, cal=CAL)
    assert len(first.messages) == 1
    monkeypatch.setattr(ladder, "existing_keys", lambda session, keys: set())
    with session_scope(province.engine) as s:
        second = plan(s, at(DEC_20, 9), settings=SETTINGS, cal=CAL)
    assert second.messages == []
    keys = notice_keys(province)
    assert len(keys) == 3 and len(set(keys)) == 3
    assert len([o for o in province.outbox() if o.kind == "reminder"]) == 1


def test_a_message_that_lost_one_notice_to_another_planner_is_planned_again_without_it(
    province: Province, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second planner saw one more part due than the first: its message would repeat
    the first one's notices, so it is withdrawn, and the next tick tells only the new one."""
    old = province.add_task(DEC_31)
    with session_scope(province.engine) as s:
        plan(s, at(DEC_20), settings=SETTINGS, cal=CAL)
    new = province.add_task(DEC_31)
    with session_scope(province.engine) as s:  # the first part is due again to the racer
        s.get_one(ladder.Assignment, old).check_on = DEC_20
    monkeypatch.setattr(ladder, "existing_keys", lambda session, keys: set())
    with session_scope(province.engine) as s:
        raced = plan(s, at(DEC_20, 9), settings=SETTINGS, cal=CAL)
    assert raced.messages == []
    assert province.part(new).check_on == DEC_20  # looked at again today
    monkeypatch.undo()
    with session_scope(province.engine) as s:
        again = plan(s, at(DEC_20, 10), settings=SETTINGS, cal=CAL)
    assert [m.notices[0]["code"] for m in again.messages] == [f"NV{new}"]
    counts = Counter(k.split(":")[0] for k in notice_keys(province))
    assert counts == {str(old): 1, str(new): 1}
    assert len([o for o in province.outbox() if o.kind == "reminder"]) == 2


def test_parts_that_share_a_deadline_are_still_each_reminded_for_themselves(
    province: Province,
) -> None:
    """The planner asks the policy once per distinct question (deadline, due date, role,
    last report): a coordinating part and an extended one of the same late task still get
    their own answer, not the late lead's."""
    extended = province.add_task("10/12/2024", coordinate=("so-tu-phap",))
    late = province.add_task("10/12/2024", lead="so-tu-phap")
    with session_scope(province.engine) as s:
        part = s.get_one(ladder.Assignment, extended)
        part.due_on = part.extended_to = date(2025, 1, 31)
    with session_scope(province.engine) as s:
        plan(s, at(DEC_20), settings=SETTINGS, cal=CAL)
    assert {k.split(":")[0] for k in notice_keys(province)} == {str(late)}
    assert {stage for stage, _ in province.notices()} == {"late-7"}


def test_open_files_are_read_a_page_at_a_time_each_once(
    province: Province, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(late_files, "_PAGE", 2)
    codes = [f"LLTP-{i}" for i in range(7)]
    add_late_files(
        province.engine, tmp_path, *(LateFile(c, received="16/12/2024 09:00") for c in codes)
    )
    with session_scope(province.engine) as s:
        first = plan(s, at(DEC_20), settings=SETTINGS, cal=CAL)
    told = [n["file"] for m in first.messages if m.kind == "files" for n in m.notices]
    assert first.checked == 7
    assert sorted(set(told)) == codes and Counter(told).most_common(1)[0][1] == len(
        [m for m in first.messages if m.kind == "files"]
    )  # each file once per chat
    with session_scope(province.engine) as s:
        assert plan(s, at(DEC_20, 9), settings=SETTINGS, cal=CAL).checked == 0


def test_a_files_import_that_fails_on_its_last_line_leaves_nothing(
    registry_engine: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files_importer, "BATCH", 3)  # several batches written before the error
    rows = [LateFile(f"STP-{i:04d}") for i in range(10)] + [
        LateFile("STP-9999", received="32/01/2025")
    ]
    path = late_files_export(tmp_path, *rows)
    engine = registry_engine
    with pytest.raises(ImportFailed) as failed, session_scope(engine) as s:  # type: ignore[arg-type]
        files_importer.import_files(s, path, cal=CAL, settings=SETTINGS.files, on=IMPORT_DAY)
    assert [e.line for e in failed.value.errors] == [12]
    with Session(engine) as s:  # type: ignore[arg-type]
        assert s.exec(select(func.count()).select_from(TthcFile)).one() == 0
        assert s.exec(select(func.count()).select_from(Outbox)).one() == 0


def test_a_code_repeated_batches_apart_is_an_error_on_the_repeating_line(
    registry_engine: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files_importer, "BATCH", 2)
    rows = [LateFile(f"STP-{i:04d}") for i in range(6)] + [LateFile("STP-0001")]
    path = late_files_export(tmp_path, *rows)
    with pytest.raises(ImportFailed) as failed, session_scope(registry_engine) as s:  # type: ignore[arg-type]
        files_importer.import_files(s, path, cal=CAL, settings=SETTINGS.files, on=IMPORT_DAY)
    assert [(e.line, e.reason) for e in failed.value.errors] == [
        (8, "mã hồ sơ “STP-0001” lặp lại trong tệp")
    ]
    # The same export without the repeat imports whole, twice (a daily re-import).
    path = late_files_export(tmp_path, *rows[:-1])
    for _ in range(2):
        with session_scope(registry_engine) as s:  # type: ignore[arg-type]
            report = files_importer.import_files(
                s, path, cal=CAL, settings=SETTINGS.files, on=IMPORT_DAY
            )
        assert report.rows == 6
    assert report.unchanged == 6
