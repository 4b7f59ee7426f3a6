"""Files and letters in the digests, the published statistics and the listings, counted
in SQL: the same figures as counting each file in Python (the rule as first written,
kept here as the reference), on SQLite and PostgreSQL; no file read into Python and no
list of ids sent, so a province with more than 65,535 files in the window is served."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.db import driver_value, insert_values
from bot.domain.calendar import VIETNAM
from bot.models import Agency, Apology, ApologyState, FileStatus, TthcFile
from bot.reports.apologies import AgencyRecord, letters, records
from bot.reports.digest import _files, coordinator_digest, head_digests
from bot.services.files import OpenFile, open_files
from tests.province import CAL, at, build_province

UTC_MIDNIGHT_EDGES = (time(0, 30), time(8), time(23, 30))  # in Vietnam: 17:30, 01:00, 16:30 UTC


def moment(day: date, when: time) -> datetime:
    return datetime.combine(day, when, VIETNAM)


def insert_rows(engine: Engine, model: Any, rows: Sequence[dict[str, Any]]) -> None:
    """``rows`` of ``model`` (dicts of every column but the id) in one bulk insert."""
    if not rows:
        return
    table = model.__table__
    names = list(rows[0])
    with engine.begin() as conn:
        process = [driver_value(conn.dialect, table.c[n]) for n in names]
        values = [tuple(p(r[n]) for p, n in zip(process, names, strict=True)) for r in rows]
        insert_values(conn, table, names, values)


def a_file(n: int, agency_id: int, due: date, *, status: str = FileStatus.OPEN,
           returned: datetime | None = None, original: date | None = None) -> dict[str, Any]:  # fmt: skip
    return {"code": f"HS-{n}", "procedure": "Cấp giấy phép", "field": "", "applicant_name": f"Nguyễn Văn {n}",
            "applicant_address": "", "applicant_phone": "", "agency_id": agency_id,
            "received_at": moment(due - timedelta(days=10), time(9)), "processing_days": 5,
            "original_due_on": original or due, "due_on": due, "status": status, "status_text": "Đang xử lý",
            "returned_at": returned, "check_on": due, "source_line": n,
            "updated_at": moment(due, time(9))}  # fmt: skip


def a_letter(file_id: int, agency_id: int, due: date, approved: datetime | None,
             state: str = ApologyState.APPROVED) -> dict[str, Any]:  # fmt: skip
    return {"file_id": file_id, "agency_id": agency_id, "state": state, "reason": "Chờ xác minh",
            "new_due_on": due + timedelta(days=10), "original_due_on": due, "number": f"{file_id}/PXL",
            "started_by": "telegram:1", "chat_id": None, "started_at": approved or moment(due, time(8)),
            "decided_by": "telegram:2", "approved_at": approved, "note": ""}  # fmt: skip


def varied_files(engine: Engine, agency_ids: list[int], count: int = 400) -> None:
    """Files around Tết 2025 (28/01–02/02 off): open, returned just before or after
    midnight in Vietnam, closed; letters approved just before or after it, some drafts."""
    rng = random.Random(7)  # noqa: S311 - test data, not secrets
    files, letters_ = [], []
    for n in range(count):
        due = date(2025, 1, 10) + timedelta(days=rng.randint(0, 60))
        status = rng.choice([FileStatus.OPEN] * 3 + [FileStatus.RETURNED, FileStatus.CLOSED])
        returned = None
        if status != FileStatus.OPEN or rng.random() < 0.1:
            returned = moment(
                due + timedelta(days=rng.choice((-1, 0, 1))), rng.choice(UTC_MIDNIGHT_EDGES)
            )
        agency_id = agency_ids[n % len(agency_ids)]
        original = due - timedelta(days=rng.choice((0, 0, 3)))
        files.append(a_file(n, agency_id, due, status=status, returned=returned, original=original))
        if rng.random() < 0.5:
            day = original + timedelta(days=rng.choice((-1, 0, 1)))
            approved = moment(day, rng.choice(UTC_MIDNIGHT_EDGES)) if rng.random() < 0.9 else None
            state = ApologyState.APPROVED if rng.random() < 0.8 else ApologyState.PENDING
            letters_.append(a_letter(n + 1, agency_id, original, approved, state))
    insert_rows(engine, TthcFile, files)
    insert_rows(engine, Apology, letters_)


def reference_records(s: Session, start: date, end: date, today: date) -> list[AgencyRecord]:
    """The statistics as first written: every file read, its letter looked up."""
    rows = s.exec(select(TthcFile, Agency).join(Agency).where(
        TthcFile.original_due_on >= start, TthcFile.original_due_on <= end)).all()  # fmt: skip
    approved = {
        a.file_id: a for a in s.exec(select(Apology).where(Apology.state == ApologyState.APPROVED))
    }
    by_agency: dict[str, AgencyRecord] = {}
    for file, agency in rows:
        record = by_agency.setdefault(agency.name, AgencyRecord(agency.name))
        record.files += 1
        returned = CAL.local(file.returned_at).date() if file.returned_at else None
        if file.status == FileStatus.CLOSED:
            continue
        if returned is not None and returned <= file.original_due_on:
            record.on_time += 1
        elif returned is None and today <= file.original_due_on:
            record.pending += 1
        else:
            record.late += 1
            letter = approved.get(file.id)
            if letter is None or letter.approved_at is None:
                record.no_letter += 1
            elif CAL.local(letter.approved_at).date() < file.original_due_on:
                record.timely_letter += 1
            else:
                record.late_letter += 1
    return sorted(by_agency.values(), key=lambda r: r.agency)


def reference_files(s: Session, today: date) -> dict[int, dict[str, int]]:
    """The digest's file figures as first written: each open file's day asked of the calendar."""
    lettered = set(s.exec(select(Apology.file_id).where(Apology.state == ApologyState.APPROVED)))
    counts: dict[int, dict[str, int]] = {}
    for file in s.exec(select(TthcFile).where(TthcFile.status == FileStatus.OPEN)):
        figures = counts.setdefault(file.agency_id, {"due_soon": 0, "late": 0, "late_no_letter": 0})
        due = CAL.on_or_after(file.due_on)
        figures["due_soon"] += 0 <= CAL.working_days_between(today, due) <= 3
        figures["late"] += due < today
        figures["late_no_letter"] += due < today and file.id not in lettered
    return counts


def reference_open_files(s: Session, today: date, **wanted: Any) -> list[OpenFile]:
    lettered = set(s.exec(select(Apology.file_id).where(Apology.state == ApologyState.APPROVED)))
    found = []
    query = select(TthcFile, Agency).join(Agency).where(TthcFile.status == FileStatus.OPEN)
    for file, agency in s.exec(query.order_by(TthcFile.due_on, TthcFile.id)):
        left = CAL.working_days_between(today, CAL.on_or_after(file.due_on))
        if wanted.get("late") and left >= 0:
            continue
        if wanted.get("at_risk_days") is not None and not 0 <= left <= wanted["at_risk_days"]:
            continue
        if wanted.get("without_letter") and file.id in lettered:
            continue
        found.append(OpenFile(file.code, file.procedure, agency.name, file.applicant_name,
                              CAL.local(file.received_at).date(), file.due_on, left, file.id in lettered,
                              file.status_text))  # fmt: skip
    return found


def dondoc(db_url: str, folder: Path, *args: str) -> str:
    """``python -m bot ARGS…`` on ``db_url`` as an admin runs it; its output, line ends kept."""
    done = subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, check=False, cwd=folder,
                          env={**os.environ, "DATABASE_URL": db_url, "COLUMNS": "400"}, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    return done.stdout.decode("utf-8")


@contextmanager
def statements(engine: Engine) -> Iterator[list[tuple[str, int]]]:
    """Every statement run on ``engine`` meanwhile, with how many parameters it carried."""
    seen: list[tuple[str, int]] = []

    def record(_conn: Any, _cursor: Any, sql: str, params: Any, _context: Any, many: bool) -> None:
        seen.append((sql, 0 if many or params is None else len(params)))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_the_statistics_are_those_counted_file_by_file(engine: Engine) -> None:
    province = build_province(engine)
    varied_files(engine, list(province.agencies.values()))
    periods = [(date(2025, 1, 1), date(2025, 3, 31), date(2025, 2, 10)),
               (date(2025, 1, 20), date(2025, 2, 5), date(2025, 1, 31)),
               (date(2025, 2, 1), date(2025, 2, 28), date(2025, 3, 31))]  # fmt: skip
    with Session(engine) as s:
        for start, end, today in periods:
            counted = records(s, start, end, today, CAL)
            assert counted == reference_records(s, start, end, today), (start, end, today)
            assert sum(r.files for r in counted) > 50 and sum(r.timely_letter for r in counted) > 0
            assert sum(r.late_letter for r in counted) > 0 and sum(r.on_time for r in counted) > 0


def test_the_digest_file_figures_are_those_counted_file_by_file(engine: Engine) -> None:
    province = build_province(engine)
    ids = list(province.agencies.values())
    varied_files(engine, ids)
    with Session(engine) as s:
        for offset in range(0, 60, 2):  # weekdays, weekends, Tết
            today = date(2025, 1, 15) + timedelta(days=offset)
            counted = _files(s, today, today - timedelta(days=7), CAL, ids)
            figures = {a: {k: v for k, v in f.items() if k != "issued"} for a, f in counted.items()}
            expected = reference_files(s, today)
            assert figures == {a: expected[a] for a in figures}, today
            assert set(expected) <= set(figures)


def test_open_files_filtered_in_sql_as_file_by_file(engine: Engine) -> None:
    province = build_province(engine)
    varied_files(engine, list(province.agencies.values()), count=200)
    choices: list[dict[str, Any]] = [{}, {"late": True}, {"at_risk_days": 3}, {"at_risk_days": 0},
                                     {"without_letter": True, "late": True}]  # fmt: skip
    with Session(engine) as s:
        for today in (date(2025, 1, 27), date(2025, 2, 1), date(2025, 2, 3), date(2025, 2, 15)):
            for wanted in choices:
                listed = list(open_files(s, CAL, today, **wanted))
                assert listed == reference_open_files(s, today, **wanted), (today, wanted)
        assert list(open_files(s, CAL, date(2025, 2, 3), late=True))  # the filters leave some


def test_the_statistics_read_no_file_and_send_no_list_of_ids(engine: Engine) -> None:
    """Twice the files, the same statements with as many parameters: no id is sent, no
    file or letter is built."""
    province = build_province(engine)
    ids = list(province.agencies.values())
    shapes = []
    for more in (0, 1):
        if more:
            insert_rows(
                engine,
                TthcFile,
                [a_file(10_000 + n, ids[n % 3], date(2025, 2, 3)) for n in range(400)],
            )
        else:
            varied_files(engine, ids)
        with Session(engine) as s, statements(engine) as seen:
            stats = records(s, date(2025, 1, 1), date(2025, 3, 31), date(2025, 2, 10), CAL)
            digest = coordinator_digest(s, at(date(2025, 3, 3)), CAL)
            kept = [o for o in s.identity_map.values() if isinstance(o, TthcFile | Apology)]
        assert len(stats) == 3 and digest["files"] and kept == []
        assert max(n for _, n in seen) < 100, seen  # a few dates and states, never the files'
        shapes.append(seen)
    assert sum(r.files for r in stats) == 800
    assert shapes[0] == shapes[1]


def test_more_than_65535_files_in_the_window(engine: Engine, db_url: str, tmp_path: Path) -> None:
    """The coordinator's digest and ``dondoc apologies`` over 70,000 files of a quarter."""
    province = build_province(engine)
    ids = sorted(province.agencies.values())
    files, letters_ = [], []
    for n in range(70_000):
        due = date(2025, 2, 3) + timedelta(days=n % 20)
        files.append(a_file(n, ids[n % 3], due))
        if n % 3 == 0:  # Sở Nội vụ's: a letter for each, timely every other one
            letters_.append(
                a_letter(n + 1, ids[0], due, moment(due - timedelta(days=n % 2), time(9)))
            )
    insert_rows(engine, TthcFile, files)
    insert_rows(engine, Apology, letters_)
    with Session(engine) as s:
        digest = coordinator_digest(s, at(date(2025, 3, 3)), CAL)
    by_agency = {f["agency"]: f for f in digest["files"]}
    first = by_agency["Sở Nội vụ"]
    assert (first["late"], first["timely"] + first["after"], first["none"]) == (23_334, 23_334, 0)
    assert first["timely"] == 11_667 and by_agency["Sở Y tế"]["none"] == 23_333

    shown = dondoc(db_url, tmp_path, "apologies", "--from", "01/02/2025", "--to", "28/02/2025",
                   "--today", "03/03/2025", "--out", "ck")  # fmt: skip
    assert "23.334 văn bản xin lỗi" in shown and "23.333" in shown  # written 1.234
    sheet = (tmp_path / "ck" / "xin-loi-20250201-20250228.csv").read_bytes().decode("utf-8")
    assert sheet.count("\r\n") == 1 + 23_334 and sheet.startswith("\ufeffSố văn bản")
    page = (tmp_path / "ck" / "xin-loi-20250201-20250228.html").read_text(encoding="utf-8")
    assert "Danh sách văn bản xin lỗi (23334)" in page and page.count("<tr><td>") == 23_334 + 3


def test_the_files_table_stops_at_500_and_says_how_to_have_them_all(engine: Engine, db_url: str,
                                                                     tmp_path: Path) -> None:  # fmt: skip
    province = build_province(engine)
    agency_id = province.agencies["so-tu-phap"]
    insert_rows(engine, TthcFile, [a_file(n, agency_id, date(2025, 1, 6)) for n in range(620)])
    late = ("files", "--late", "--today", "10/02/2025")
    table = dondoc(db_url, tmp_path, *late)
    assert "Hồ sơ trễ hạn (620)" in table and table.count("HS-") == 500  # --late: its title says so
    assert (
        "… và 120 hồ sơ khác không hiện ở đây" in table
        and "dùng --format csv để xem tất cả" in table
    )
    sheet = dondoc(db_url, tmp_path, *late, "--format", "csv")
    assert sheet.count("\r\n") == 621
    listed = dondoc(db_url, tmp_path, *late, "--format", "json")
    assert listed == json.dumps(json.loads(listed), ensure_ascii=False, indent=2) + "\n"
    assert len(json.loads(listed)) == 620 and json.loads(listed)[0]["due"] == "2025-01-06"
    none = dondoc(db_url, tmp_path, "files", "--late", "--today", "01/01/2025", "--format", "json")
    assert none == "[]\n"


def test_letters_of_the_period_by_day_in_vietnam(engine: Engine) -> None:
    """A letter approved at 00:30 on 01/02 in Vietnam (17:30 UTC the day before) is of
    February; one at 23:30 on 28/02 too; one at 00:30 on 01/03 is not."""
    province = build_province(engine)
    agency_id = province.agencies["so-tu-phap"]
    due = date(2025, 2, 20)
    insert_rows(engine, TthcFile, [a_file(n, agency_id, due) for n in range(3)])
    insert_rows(engine, Apology, [a_letter(1, agency_id, due, moment(date(2025, 2, 1), time(0, 30))),
                                  a_letter(2, agency_id, due, moment(date(2025, 2, 28), time(23, 30))),
                                  a_letter(3, agency_id, due, moment(date(2025, 3, 1), time(0, 30)))])  # fmt: skip
    with Session(engine) as s:
        listed = list(letters(s, date(2025, 2, 1), date(2025, 2, 28), CAL))
    assert [(x["file_code"], x["date"], x["timely"]) for x in listed] == [
        ("HS-0", date(2025, 2, 1), True), ("HS-1", date(2025, 2, 28), False)]  # fmt: skip
    with Session(engine) as s:
        [record] = records(s, date(2025, 2, 1), date(2025, 2, 28), date(2025, 3, 3), CAL)
    assert (record.late, record.timely_letter, record.late_letter, record.no_letter) == (3, 1, 2, 0)


def test_digests_of_more_agencies_than_an_in_list_holds(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past ``IN_LIST_LIMIT`` agencies, every agency's rows are read and the wanted ones
    kept: the same digests as with a list of ids."""
    province = build_province(engine)
    varied_files(engine, list(province.agencies.values()))
    province.add_task("15/01/2025")
    province.add_task("20/01/2025", lead="so-tu-phap")  # an agency not asked for
    now = at(date(2025, 2, 10))
    with Session(engine) as s:
        wanted = [s.get(Agency, province.agencies[c]) for c in ("so-noi-vu", "so-y-te")]
        listed = head_digests(s, wanted, now, CAL)  # type: ignore[arg-type]
        monkeypatch.setattr("bot.db.IN_LIST_LIMIT", 1)
        read_all = head_digests(s, wanted, now, CAL)  # type: ignore[arg-type]
    assert read_all == listed and set(read_all) == {a.id for a in wanted if a}
    assert any(d["files"]["late"] for d in listed.values()) and any(
        d["overdue"] for d in listed.values()
    )
