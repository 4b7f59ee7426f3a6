"""Agencies change (#17): renamed, merged, split, dissolved on a date by an act, through
the CLI (``dondoc agencies …``, ``dondoc import agency-changes``) and the tick, on SQLite
and PostgreSQL. Time is an argument: the CLI's clock is fixed, the tick is given ``now``."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, col, select
from typer.testing import Result

from bot.channels.console import ConsoleChannel
from bot.db import make_engine, session_scope
from bot.domain.deadlines import parse_deadline, to_columns
from bot.models import (
    CHECK_NEVER,
    CHECK_NOW,
    Agency,
    AgencyChange,
    Assignment,
    Chat,
    ChatRole,
    ExtensionRequest,
    Notice,
    Outbox,
    Plan,
    RequestState,
    Role,
    Status,
    StatusUpdate,
    Task,
    TthcFile,
)
from bot.scheduler.runner import tick
from bot.services.actions import Sender
from bot.services.chats import FormerAgency, bind_console_chats, ensure_chat
from tests.chat import say
from tests.cli import Dondoc, one_error_line
from tests.province import SETTINGS, at

SEED = Path(__file__).resolve().parent.parent / "seed"
ACT_45 = "Nghị định số 45/2025/NĐ-CP ngày 28/02/2025"
ACT_72 = "Luật Tổ chức chính quyền địa phương số 72/2025/QH15"
NOW = at(date(2025, 3, 3), 9)  # Monday 3 March 2025: the merged departments are at work
KHDT, TC = "Sở Kế hoạch và Đầu tư", "Sở Tài chính"


@dataclass
class World:
    """The demo registry in a database (SQLite or PostgreSQL), a plan, and the admin's shell."""

    run: Dondoc
    engine: Engine
    plan_id: int = 0

    def id(self, code: str) -> int:
        with Session(self.engine) as s:
            found = s.exec(select(Agency).where(Agency.code == code)).one()
            assert found.id is not None
            return found.id

    def task(self, *parts: tuple[str, Role], due: date = date(2025, 6, 30),
             status: Status = Status.OPEN) -> dict[str, int]:  # fmt: skip
        """A task with a part for each (agency code, role): code → part id."""
        with session_scope(self.engine) as s:
            n = len(s.exec(select(Task.id)).all()) + 1
            deadline = to_columns(parse_deadline(f"{due:%d/%m/%Y}", plan_year=due.year))
            task = Task(plan_id=self.plan_id, key=str(n), number=str(n), text=f"Nhiệm vụ {n}",
                        deadline_text=f"{due:%d/%m/%Y}", **deadline)  # fmt: skip
            s.add(task)
            s.flush()
            out = {}
            for code, role in parts:
                part = Assignment(task_id=task.id, agency_id=self.id(code), role=role, due_on=due,  # type: ignore[arg-type]
                                  status=status, check_on=CHECK_NEVER, scope=f"phần của {code}")  # fmt: skip
                s.add(part)
                s.flush()
                assert part.id is not None
                out[code] = part.id
            return out

    def chat(self, code: str | None, role: ChatRole) -> int:
        with session_scope(self.engine) as s:
            agency = s.exec(select(Agency).where(Agency.code == code)).first() if code else None
            chat = ensure_chat(s, channel="console", chat_key=f"{role.value}:{code}", role=role,
                               agency=agency, title=f"{role.value} {code}")  # fmt: skip
            s.flush()
            assert chat.id is not None
            return chat.id

    def part(self, part_id: int) -> Assignment:
        with Session(self.engine) as s:
            found = s.get(Assignment, part_id)
            assert found is not None
            return found

    def get(self, model: type[SQLModel], ident: int) -> SQLModel:
        with Session(self.engine) as s:
            found = s.get(model, ident)
            assert found is not None
            return found

    def texts(self, chat_id: int) -> list[tuple[str, str]]:
        """(kind, text) of every outbox row to a chat."""
        with Session(self.engine) as s:
            rows = s.exec(select(Outbox).where(Outbox.chat_id == chat_id).order_by(col(Outbox.id)))
            return [(r.kind, "\n".join(r.parts)) for r in rows]

    def audit(self, part_id: int, field: str) -> list[tuple[str | None, str | None, str]]:
        with Session(self.engine) as s:
            rows = s.exec(select(StatusUpdate).where(StatusUpdate.assignment_id == part_id,
                                                     StatusUpdate.field == field))  # fmt: skip
            return [(r.old, r.new, r.note) for r in rows]

    def counts(self) -> dict[str, int]:
        """Rows per table a change writes: a refused change leaves them as they were."""
        with Session(self.engine) as s:
            return {
                m.__name__: s.exec(select(func.count()).select_from(m)).one()
                for m in (Agency, AgencyChange, Assignment, StatusUpdate, Outbox, Chat)
            }

    def agency_of_parts(self) -> dict[int, tuple[int, str]]:
        with Session(self.engine) as s:
            return {a.id: (a.agency_id, a.status) for a in s.exec(select(Assignment))}  # type: ignore[misc]


class Shell(Dondoc):
    """``dondoc`` on any database: each command's engine is closed when it ends, as the
    process's exit would close it (PostgreSQL connections left open warn when collected)."""

    def __init__(self, folder: Path, url: str, monkeypatch: pytest.MonkeyPatch) -> None:
        super().__init__(folder, DATABASE_URL=url)
        self.engines: list[Engine] = []

        def make(url: str) -> Engine:
            self.engines.append(make_engine(url))
            return self.engines[-1]

        monkeypatch.setattr("bot.cli.common.make_engine", make)

    def __call__(self, *args: str, input: str | None = None) -> Result:
        try:
            return super().__call__(*args, input=input)
        finally:
            while self.engines:
                self.engines.pop().dispose()


@pytest.fixture
def world(
    db_url: str, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[World]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("bot.cli.agencies.clock", lambda: NOW)
    monkeypatch.setattr("bot.app.clock", lambda: NOW)
    run = Shell(tmp_path, db_url, monkeypatch)
    run.ok("import", "agencies", str(SEED / "agencies.csv"))
    w = World(run, engine)
    with session_scope(engine) as s:
        plan = Plan(number="126/KH-UBND", issued_on=date(2025, 1, 6), year=2025)
        s.add(plan)
        s.flush()
        assert plan.id is not None
        w.plan_id = plan.id
    yield w


def test_a_merge_moves_open_work_folds_it_into_a_part_the_task_has_and_tells_the_chats(
    world: World,
) -> None:
    moved = world.task(("so-khdt", Role.LEAD))["so-khdt"]
    both = world.task(
        ("so-khdt", Role.LEAD), ("so-tai-chinh", Role.COORDINATE), due=date(2025, 5, 31)
    )
    with session_scope(world.engine) as s:  # the old part: later due date, a request pending
        old = s.get(Assignment, both["so-khdt"])
        assert old is not None
        old.due_on = old.extended_to = date(2025, 9, 30)
        s.add(ExtensionRequest(assignment_id=old.id, until=date(2025, 12, 31), reason="chờ số liệu",  # type: ignore[arg-type]
                               requested_by="console:1", requested_at=at(date(2025, 2, 20))))  # fmt: skip
    closed = world.task(("so-khdt", Role.LEAD), status=Status.DONE)["so-khdt"]
    group, head = world.chat("so-khdt", ChatRole.GROUP), world.chat("so-khdt", ChatRole.HEAD)
    admin = world.chat(None, ChatRole.ADMIN)

    result = world.run.ok("agencies", "merge", "Sở Kế hoạch và Đầu tư", "so-tai-chinh",
                          "--date", "01/03/2025", "--act", ACT_45)  # fmt: skip

    how = f"{KHDT} → {TC} từ 01/03/2025 theo {ACT_45}"
    assert f"Đã áp dụng: {KHDT} sáp nhập vào {TC} từ 01/03/2025 theo {ACT_45}." in result.output
    assert "chuyển sang Sở Tài chính 1, gộp vào phần việc sẵn có 1, hủy 0" in result.output
    assert "đề nghị gia hạn chuyển theo 1" in result.output
    tc = world.id("so-tai-chinh")
    # A part the task did not have for Sở Tài chính: the row moves, audited, ladder again.
    part = world.part(moved)
    assert (part.agency_id, part.status, part.check_on) == (tc, Status.OPEN, CHECK_NOW)
    assert world.audit(moved, "agency") == [(KHDT, TC, how)]
    # The task already had Sở Tài chính's part: it now leads, follows the later date and
    # the extension, and takes the pending request; the old part is marked moved, saying where.
    survivor, old = world.part(both["so-tai-chinh"]), world.part(both["so-khdt"])
    assert (survivor.role, survivor.due_on, survivor.extended_to) == (
        Role.LEAD, date(2025, 9, 30), date(2025, 9, 30))  # fmt: skip
    assert survivor.check_on == CHECK_NOW
    assert (old.agency_id, old.status) == (world.id("so-khdt"), Status.MOVED)
    assert world.audit(both["so-khdt"], "status") == [
        ("open", "moved", f"gộp vào NV{both['so-tai-chinh']}: {how}")
    ]
    with Session(world.engine) as s:
        request = s.exec(select(ExtensionRequest)).one()
    assert (request.assignment_id, request.state) == (both["so-tai-chinh"], RequestState.PENDING)
    assert world.audit(both["so-tai-chinh"], "agency") == [
        (KHDT, TC, f"nhận phần việc NV{both['so-khdt']}: {how}")
    ]
    # Work closed by the old agency stays under its name.
    assert (world.part(closed).agency_id, world.audit(closed, "agency")) == (
        world.id("so-khdt"),
        [],
    )
    # Both chats are bound to Sở Tài chính and told, once each.
    for chat, here in ((group, "nhóm này"), (head, "chat này")):
        assert world.get(Chat, chat).agency_id == tc  # type: ignore[attr-defined]
        assert world.texts(chat) == [("notice",
            f"📢 Từ 01/03/2025, {KHDT} sáp nhập vào {TC} (theo {ACT_45}).\n"
            f"2 việc đang mở đã chuyển sang {TC}; {here} từ nay nhận nhắc việc của {TC}.")]  # fmt: skip
    (alert,) = world.texts(admin)
    assert "Đã áp dụng thay đổi cơ quan" in alert[1] and "gộp vào phần việc sẵn có 1" in alert[1]
    with Session(world.engine) as s:
        change = s.exec(select(AgencyChange)).one()
    assert change.applied_at is not None and change.recorded_by == "cli:admin"
    history = world.run.ok("agencies", "history", "so-tai-chinh").output
    assert "01/03/2025" in history and "sáp nhập" in history and "03/03/2025 09:00" in history


def test_a_rename_adds_the_agency_under_its_new_name_and_moves_the_work(world: World) -> None:
    part = world.task(("so-nnptnt", Role.LEAD), ("so-y-te", Role.COORDINATE))["so-nnptnt"]
    with session_scope(world.engine) as s:
        s.add(TthcFile(code="HS-1", agency_id=world.id("so-nnptnt"), received_at=at(date(2025, 2, 3)),
                       original_due_on=date(2025, 3, 10), due_on=date(2025, 3, 10)))  # fmt: skip

    result = world.run.ok("agencies", "rename", "so-nnptnt", "Sở Nông nghiệp và Môi trường",
                          "--code", "so-nnmt", "--date", "01/03/2025", "--act", ACT_45)  # fmt: skip

    assert (
        "Đã thêm cơ quan “Sở Nông nghiệp và Môi trường” (mã so-nnmt, ký hiệu SN)" in result.output
    )
    with Session(world.engine) as s:
        new = s.exec(select(Agency).where(Agency.code == "so-nnmt")).one()
        file = s.exec(select(TthcFile)).one()
    assert (new.name, new.kind) == ("Sở Nông nghiệp và Môi trường", "so")
    assert world.part(part).agency_id == new.id and file.agency_id == new.id
    assert world.audit(part, "agency") == [(
        "Sở Nông nghiệp và Phát triển nông thôn", "Sở Nông nghiệp và Môi trường",
        "Sở Nông nghiệp và Phát triển nông thôn → Sở Nông nghiệp và Môi trường từ 01/03/2025 "
        f"theo {ACT_45}")]  # fmt: skip
    assert "Hồ sơ TTHC, văn bản xin lỗi đã chuyển: 1" in result.output


def test_a_rename_to_a_name_or_code_already_registered_is_refused(world: World) -> None:
    before = world.counts()
    clash = world.run("agencies", "rename", "so-tnmt", "Sở Tài chính", "--date", "01/03/2025",
                      "--act", ACT_45)  # fmt: skip
    assert "tên “Sở Tài chính” đã có trong danh mục (mã “so-tai-chinh”)" in one_error_line(clash)
    code = world.run("agencies", "rename", "so-tnmt", "Sở Môi trường", "--code", "so-y-te",
                     "--date", "01/03/2025", "--act", ACT_45)  # fmt: skip
    assert "mã “so-y-te” đã có trong danh mục" in one_error_line(code)
    assert clash.exit_code == code.exit_code == 1 and world.counts() == before


def test_a_split_gives_every_successor_the_part(world: World) -> None:
    parts = world.task(("so-ldtbxh", Role.LEAD))
    with session_scope(world.engine) as s:
        old = s.get(Assignment, parts["so-ldtbxh"])
        assert old is not None
        old.extended_to = old.due_on = date(2025, 8, 31)
    group = world.chat("so-ldtbxh", ChatRole.GROUP)

    result = world.run.ok("agencies", "split", "so-ldtbxh", "Sở Nội vụ", "so-y-te",
                          "--date", "01/03/2025", "--act", ACT_45)  # fmt: skip

    assert "chuyển sang Sở Nội vụ, Sở Y tế 2" in result.output
    with Session(world.engine) as s:
        rows = s.exec(select(Assignment).order_by(col(Assignment.id))).all()
    got = [(a.agency_id, a.role, a.scope, a.due_on, a.extended_to, a.status) for a in rows]
    same = (Role.LEAD, "phần của so-ldtbxh", date(2025, 8, 31), date(2025, 8, 31), Status.OPEN)
    assert got == [(world.id("so-noi-vu"), *same), (world.id("so-y-te"), *same)]
    assert [len(world.audit(a.id or 0, "agency")) for a in rows] == [1, 1]
    assert world.get(Chat, group).agency_id == world.id("so-noi-vu")  # type: ignore[attr-defined]
    assert "2 việc" not in world.texts(group)[0][1]  # one part of the old agency, now two
    assert "1 việc đang mở đã chuyển sang Sở Nội vụ, Sở Y tế" in world.texts(group)[0][1]


def test_a_dissolution_without_successor_cancels_open_work_and_closes_the_chats(
    world: World,
) -> None:
    part = world.task(("h-bien-hoa", Role.LEAD))["h-bien-hoa"]
    done = world.task(("h-bien-hoa", Role.LEAD), status=Status.DONE)["h-bien-hoa"]
    group = world.chat("h-bien-hoa", ChatRole.GROUP)
    with session_scope(world.engine) as s:
        s.add(TthcFile(code="HS-BH-7", agency_id=world.id("h-bien-hoa"), received_at=at(date(2025, 6, 2)),
                       original_due_on=date(2025, 7, 10), due_on=date(2025, 7, 10)))  # fmt: skip
    world.run.ok("agencies", "dissolve", "h-bien-hoa", "--date", "01/07/2025", "--act", ACT_72)
    # Recorded ahead of its day (the clock says 3 March): nothing moves yet.
    assert world.part(part).status == Status.OPEN

    later = NOW.replace(month=7, day=2)
    result = _changes_at(world, later)
    assert [c.parts_cancelled for c in result] == [[f"NV{part} (126/KH-UBND, mục 1)"]]
    assert result[0].files_left == ["HS-BH-7"]
    assert world.part(part).status == Status.CANCELLED
    assert world.audit(part, "status") == [("open", "cancelled", f"UBND thành phố Biên Hòa giải "
                                            f"thể từ 01/07/2025 theo {ACT_72}, không có cơ quan kế tục")]  # fmt: skip
    assert world.part(done).status == Status.DONE  # closed work is history: untouched
    chat = world.get(Chat, group)
    assert chat.active is False and chat.agency_id == world.id("h-bien-hoa")  # type: ignore[attr-defined]
    ((kind, text),) = world.texts(group)
    assert kind == "farewell"
    assert text == (f"📢 Từ 01/07/2025, UBND thành phố Biên Hòa giải thể (theo {ACT_72}).\n"
                    "1 việc đang mở đã dừng nhắc vì không có cơ quan kế tục; nhóm này không còn "
                    "nhận nhắc việc từ dondoc.")  # fmt: skip
    with Session(world.engine) as s:  # the farewell is sent though the chat is closed
        farewell = s.exec(select(Outbox).where(Outbox.chat_id == group)).one()
    assert farewell.state == "sent"


def test_the_cli_lists_the_parts_a_dissolution_cancels_and_the_files_left(world: World) -> None:
    part = world.task(("h-long-khanh", Role.LEAD))["h-long-khanh"]
    with session_scope(world.engine) as s:
        s.add(TthcFile(code="HS-LK-1", agency_id=world.id("h-long-khanh"), received_at=at(date(2025, 2, 3)),
                       original_due_on=date(2025, 3, 10), due_on=date(2025, 3, 10)))  # fmt: skip
    result = world.run.ok("agencies", "dissolve", "h-long-khanh", "--date", "01/03/2025",
                          "--act", ACT_72)  # fmt: skip
    assert (
        f"Phần việc bị hủy vì không có cơ quan kế tục (1): NV{part} (126/KH-UBND, mục 1)"
        in result.output
    )
    assert "Còn lại, cần quản trị viên xử lý (1): HS-LK-1" in result.output


def test_a_dissolution_with_a_successor_hands_the_work_on(world: World) -> None:
    part = world.task(("h-trang-bom", Role.LEAD))["h-trang-bom"]
    group = world.chat("h-trang-bom", ChatRole.GROUP)
    result = world.run.ok("agencies", "dissolve", "UBND huyện Trảng Bom", "--to", "x-ho-nai-3",
                          "--date", "01/03/2025", "--act", ACT_72)  # fmt: skip
    assert "giải thể, công việc chuyển cho UBND xã Hố Nai 3" in result.output
    assert world.part(part).agency_id == world.id("x-ho-nai-3")
    assert world.part(part).status == Status.OPEN
    chat = world.get(Chat, group)
    assert chat.active and chat.agency_id == world.id("x-ho-nai-3")  # type: ignore[attr-defined]
    assert "nhóm này từ nay nhận nhắc việc của UBND xã Hố Nai 3" in world.texts(group)[0][1]


def _changes_at(world: World, now: datetime) -> list:  # type: ignore[type-arg]
    """One tick at ``now`` with a quiet console: the changes it applied."""
    done = asyncio.run(tick(world.engine, {"console": ConsoleChannel(quiet=True)}, now,
                            settings=SETTINGS))  # fmt: skip
    return done.changes


def test_a_change_dated_ahead_is_applied_by_the_first_tick_on_its_day_and_not_before(
    world: World,
) -> None:
    part = world.task(("so-khdt", Role.LEAD))["so-khdt"]
    group = world.chat("so-khdt", ChatRole.GROUP)
    result = world.run.ok("agencies", "merge", "so-khdt", "so-tai-chinh", "--date", "01/04/2025",
                          "--act", ACT_45)  # fmt: skip
    assert (
        "Chưa đến ngày có hiệu lực (hôm nay 03/03/2025): dondoc đang chạy sẽ chuyển"
        in result.output
    )
    assert world.part(part).agency_id == world.id("so-khdt")
    assert "chờ đến ngày" in world.run.ok("agencies", "history").output

    assert _changes_at(world, at(date(2025, 3, 31), 23, 59)) == []
    assert world.part(part).agency_id == world.id("so-khdt") and world.texts(group) == []
    # Tuesday 1 April, 00:05: outside office hours, the work moves all the same.
    (applied,) = _changes_at(world, at(date(2025, 4, 1), 0, 5))
    assert (applied.parts_moved, applied.chats_rebound) == (1, 1)
    assert world.part(part).agency_id == world.id("so-tai-chinh")
    assert _changes_at(world, at(date(2025, 4, 1), 9)) == []  # applied once
    assert "01/04/2025 00:05" in world.run.ok("agencies", "history").output


def test_a_failing_change_does_not_stop_the_planners(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> list[object]:
        raise RuntimeError("hỏng")

    admin = world.chat(None, ChatRole.ADMIN)
    monkeypatch.setattr("bot.scheduler.runner.apply_due", broken)
    done = asyncio.run(tick(world.engine, {}, at(date(2025, 3, 3), 9), settings=SETTINGS))
    assert done.changes == []
    assert "chuyển công việc của cơ quan đã thay đổi" in world.texts(admin)[0][1]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("merge", "so-khong-co", "so-xay-dung", "--date", "01/03/2025", "--act", ACT_45),
         "Không tìm thấy cơ quan"),
        (("merge", "so-gtvt", "so-xay-dung", "--date", "01/03/2025"), "thiếu văn bản"),
        (("merge", "so-gtvt", "so-xay-dung", "--date", "01/03/2025", "--act", "  "), "thiếu văn bản"),
        (("merge", "so-gtvt", "so-xay-dung", "--date", "31/02/2025", "--act", ACT_45),
         "“31/02/2025” không phải một ngày"),
        (("merge", "so-gtvt", "so-xay-dung", "--act", ACT_45), "Thiếu --date"),
        (("split", "so-ldtbxh", "so-noi-vu", "--date", "01/03/2025", "--act", ACT_45),
         "chia tách cần ít nhất hai cơ quan kế tục (đã ghi 1)"),
        (("merge", "so-gtvt", "so-gtvt", "--date", "01/03/2025", "--act", ACT_45),
         "không thể là cơ quan kế tục của chính mình"),
        (("merge", "so-gtvt", "so-tnmt", "--date", "01/03/2025", "--act", ACT_45),
         "cơ quan kế tục “Sở Tài nguyên và Môi trường” đã không còn từ ngày 01/02/2025"),
        (("merge", "so-tnmt", "so-xay-dung", "--date", "01/03/2025", "--act", ACT_45),
         "Sở Tài nguyên và Môi trường đã có thay đổi: Sở Tài nguyên và Môi trường giải thể"),
        (("merge", "so-tai-chinh", "so-khdt", "--date", "01/04/2025", "--act", ACT_45),
         "vòng lặp"),
        (("merge", "so-gtvt", "so-xay-dung", "--date", "01/03/2025", "--act",
          "Nghị định của Chính phủ ngày 28/02/2025"),
         "văn bản cần có số hiệu, ví dụ “Nghị định số 45/2025/NĐ-CP ngày 28/02/2025”"),
        (("merge", "vp-ubnd", "tt-pvhcc", "--date", "01/03/2025", "--act", ACT_45),
         "cơ quan kế tục “Trung tâm Phục vụ hành chính công tỉnh” là đơn vị trực thuộc Văn phòng "
         "UBND tỉnh"),
    ],
)  # fmt: skip
def test_bad_input_says_why_in_one_line_and_writes_nothing(
    world: World, args: tuple[str, ...], says: str
) -> None:
    world.task(("so-gtvt", Role.LEAD), ("so-khdt", Role.LEAD), ("so-tnmt", Role.LEAD))
    world.chat("so-gtvt", ChatRole.GROUP)
    world.run.ok("agencies", "dissolve", "so-tnmt", "--date", "01/02/2025", "--act", ACT_72)
    world.run.ok(
        "agencies", "merge", "so-khdt", "so-tai-chinh", "--date", "01/05/2025", "--act", ACT_45
    )
    before, parts = world.counts(), world.agency_of_parts()

    result = world.run("agencies", *args)

    assert result.exit_code == 1, result.output
    assert says in one_error_line(result)
    assert len(result.output.strip().splitlines()) == 1
    assert world.counts() == before and world.agency_of_parts() == parts


CHANGES = (
    "Ngày hiệu lực,Thay đổi,Cơ quan,Cơ quan kế tục,Văn bản,Ghi chú\n"
    f"01/03/2025,sap nhap,Sở Kế hoạch và Đầu tư,so-tai-chinh,{ACT_45},\n"
    f"01/03/2025,Chia tách,so-ldtbxh,Sở Nội vụ|so-y-te,{ACT_45},một phần sang Sở GD&ĐT\n"
    f"01/07/2025,giải thể,h-bien-hoa,,{ACT_72},\n"
)


def test_import_agency_changes_records_applies_and_a_second_import_changes_nothing(
    world: World, tmp_path: Path
) -> None:
    merged = world.task(("so-khdt", Role.LEAD))["so-khdt"]
    split = world.task(("so-ldtbxh", Role.LEAD))["so-ldtbxh"]
    path = tmp_path / "thay-doi.csv"
    path.write_text(CHANGES, encoding="utf-8")

    first = world.run.ok("import", "agency-changes", str(path)).output

    assert "ghi mới 3, giữ nguyên 0" in first
    assert f"Đã áp dụng: {KHDT} sáp nhập vào {TC}" in first
    assert "Đã ghi: UBND thành phố Biên Hòa giải thể từ 01/07/2025" in first  # ahead: waits
    assert world.part(merged).agency_id == world.id("so-tai-chinh")
    assert world.part(split).agency_id == world.id("so-noi-vu")
    with Session(world.engine) as s:
        changes = s.exec(select(AgencyChange).order_by(col(AgencyChange.id))).all()
    assert [(c.kind, c.recorded_by, c.applied_at is not None) for c in changes] == [
        ("merged", "import:thay-doi.csv", True), ("split", "import:thay-doi.csv", True),
        ("dissolved", "import:thay-doi.csv", False)]  # fmt: skip
    before = world.counts()

    again = world.run.ok("import", "agency-changes", str(path)).output

    assert "ghi mới 0, giữ nguyên 3" in again and "Đã áp dụng" not in again
    assert world.counts() == before


def test_import_agency_changes_names_every_bad_row_and_writes_nothing(
    world: World, tmp_path: Path
) -> None:
    world.run.ok(
        "agencies", "merge", "so-khdt", "so-tai-chinh", "--date", "01/03/2025", "--act", ACT_45
    )
    part = world.task(("so-gtvt", Role.LEAD))["so-gtvt"]
    path = tmp_path / "sai.csv"
    path.write_text(
        "Ngày hiệu lực,Thay đổi,Cơ quan,Cơ quan kế tục,Văn bản\n"
        f"01/03/2025,sáp nhập,so-gtvt,so-xay-dung,{ACT_45}\n"  # good, but the file is not
        f"01/03/2025,sáp nhập,so-tnmt,Sở Nông nghiệp và Môi trường,{ACT_45}\n"
        f"31/02/2025,đổi tên,so-tttt,so-khcn,{ACT_45}\n"
        f"01/03/2025,hợp nhất,so-cong-thuong,so-khcn,{ACT_45}\n"
        "01/03/2025,giải thể,h-long-khanh,,\n"
        f"01/04/2025,sáp nhập,so-khdt,so-noi-vu,{ACT_45}\n",
        encoding="utf-8",
    )
    before = world.counts()

    result = world.run("import", "agency-changes", str(path))

    assert result.exit_code == 1
    output = one_error_line(result)
    for line, why in (
        (3, "cơ quan kế tục “Sở Nông nghiệp và Môi trường” không có trong danh mục"),
        (4, "ngày hiệu lực “31/02/2025” không phải một ngày"),
        (5, "thay đổi “hợp nhất” không hợp lệ"),
        (6, "thiếu văn bản"),
        (7, f"{KHDT} đã có thay đổi: {KHDT} sáp nhập vào {TC} từ 01/03/2025"),
    ):
        assert f"{path}:{line}: {why}" in output
    assert f"{path}:2:" not in output
    assert world.counts() == before and world.part(part).agency_id == world.id("so-gtvt")


def test_after_a_merge_the_ladder_reminds_the_successors_chats(world: World) -> None:
    part = world.task(("so-khdt", Role.LEAD), due=date(2025, 3, 5))["so-khdt"]
    group = world.chat("so-khdt", ChatRole.GROUP)  # bound to Sở Tài chính by the merge
    world.run.ok("agencies", "merge", "so-khdt", "so-tai-chinh", "--date", "01/03/2025",
                 "--act", ACT_45)  # fmt: skip
    _changes_at(world, NOW)
    with Session(world.engine) as s:
        reminded = s.exec(select(Notice.chat_id).where(Notice.assignment_id == part)).all()
    assert group in reminded
    assert world.part(part).check_on != CHECK_NOW  # the ladder worked it out again


def test_import_agency_changes_reads_an_excel_file(world: World, tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for line in CHANGES.splitlines():
        sheet.append(line.split(","))
    book.save(tmp_path / "thay-doi.xlsx")
    output = world.run.ok("import", "agency-changes", str(tmp_path / "thay-doi.xlsx")).output
    assert "ghi mới 3, giữ nguyên 0" in output
    assert world.run.ok("agencies", "history").output.count("01/03/2025") == 2


LONG_NAME = "Sở " + "Văn hóa và Thể thao " * 13  # 263 characters


@pytest.mark.parametrize(
    ("args", "says", "not_says"),
    [
        (("so-tnmt", "Sở KH&ĐT"),
         "“Sở KH&ĐT” đã là tên (hoặc tên gọi khác) của Sở Kế hoạch và Đầu tư: nếu Sở Tài nguyên "
         "và Môi trường sáp nhập vào cơ quan này, dùng “dondoc agencies merge so-tnmt so-khdt”",
         "mã “"),
        (("so-tnmt", "so tai nguyen va MOI TRUONG"),
         "“so tai nguyen va MOI TRUONG” là tên hiện nay của Sở Tài nguyên và Môi trường: tên mới "
         "cần khác tên hiện nay", "merge"),
        (("so-khdt", "Sở KH&ĐT"),
         "“Sở KH&ĐT” đã là tên (hoặc tên gọi khác) của Sở Kế hoạch và Đầu tư: tên mới cần khác",
         "merge"),
        (("so-tnmt", LONG_NAME), f"tên mới dài {len(LONG_NAME.strip())} ký tự, quá 255 ký tự",
         "value too long"),
        (("so-tnmt", "Sở Môi trường", "--code", "Sở-Môi-trường"),
         "mã “Sở-Môi-trường” không hợp lệ: chỉ gồm chữ thường không dấu, số và “-”", "ký hiệu"),
        (("so-tnmt", "Sở Môi trường", "--code", "so_moi_truong"), "mã “so_moi_truong” không hợp lệ",
         "ký hiệu"),
        (("so-tnmt", "Sở Môi trường", "--code", "s" * 65), "tối đa 64 ký tự", "ký hiệu"),
        (("so-tnmt", "Sở Môi trường", "--code", "-".join("abcdefghijklmnopq")),
         "ký hiệu văn bản suy từ mã “a-b-c-d-e-f-g-h-i-j-k-l-m-n-o-p-q” (“ABCDEFGHIJKLMNOPQ”) "
         "không dùng được: ghi ký hiệu bằng --symbol", "không hợp lệ"),
        (("so-tnmt", "Sở Môi trường", "--code", "so-mt", "--symbol", "s mt"),
         "ký hiệu văn bản “S MT” không hợp lệ", "suy từ mã"),
    ],
)  # fmt: skip
def test_a_rename_refuses_a_name_code_or_symbol_that_cannot_be_the_new_agencys(
    world: World, args: tuple[str, ...], says: str, not_says: str
) -> None:
    before = world.counts()

    result = world.run("agencies", "rename", *args, "--date", "01/03/2025", "--act", ACT_45)

    assert result.exit_code == 1, result.output
    output = one_error_line(result)
    assert says in output and not_says not in output
    assert len(output.strip().splitlines()) == 1
    assert world.counts() == before


def test_a_rename_to_a_name_merely_containing_a_registered_one_is_recorded(world: World) -> None:
    world.run.ok("agencies", "rename", "so-khdt", "Sở Tài chính - Kế hoạch", "--code", "so-tckh",
                 "--date", "01/03/2025", "--act", ACT_45)  # fmt: skip
    assert "Sở Tài chính - Kế hoạch" in world.run.ok("link", "so-tckh").output


def test_import_agency_changes_names_an_act_without_number_and_a_merge_into_a_unit_by_line(
    world: World, tmp_path: Path
) -> None:
    path = tmp_path / "thay-doi.csv"
    path.write_text(
        "Ngày hiệu lực,Thay đổi,Cơ quan,Cơ quan kế tục,Văn bản\n"
        f"01/03/2025,sáp nhập,so-gtvt,so-xay-dung,{ACT_45}\n"
        "01/03/2025,sáp nhập,so-tttt,so-khcn,Nghị định của Chính phủ ngày 28/02/2025\n"
        f"01/03/2025,sáp nhập,Sở Kế hoạch và Đầu tư,Văn phòng Sở Kế hoạch và Đầu tư,{ACT_45}\n"
        f"01/07/2025,giải thể,h-bien-hoa,x-tan-phong,{ACT_72}\n",  # a district to its ward: fine
        encoding="utf-8",
    )
    before = world.counts()

    result = world.run("import", "agency-changes", str(path))

    output = one_error_line(result)
    assert f"{path}:3: văn bản cần có số hiệu, ví dụ “Nghị định số 45/2025/NĐ-CP" in output
    assert (f"{path}:4: cơ quan kế tục “Văn phòng Sở Kế hoạch và Đầu tư” là đơn vị trực thuộc "
            f"{KHDT}: một cơ quan không thể sáp nhập vào đơn vị của chính nó") in output  # fmt: skip
    assert f"{path}:2:" not in output and f"{path}:5:" not in output
    assert world.counts() == before


def test_console_chats_never_go_back_to_a_former_agency(world: World) -> None:
    with session_scope(world.engine) as s:
        bind_console_chats(s)
    world.run.ok("agencies", "merge", "so-khdt", "so-tai-chinh", "--date", "01/03/2025",
                 "--act", ACT_45)  # fmt: skip

    with session_scope(world.engine) as s:  # as a second "dondoc seed" does
        bound = bind_console_chats(s)
    with Session(world.engine) as s:
        chats = {c.chat_key: c.agency_id for c in s.exec(select(Chat).where(col(Chat.active)))}
        khdt = s.exec(select(Agency).where(Agency.code == "so-khdt")).one()
    assert chats["nhom:so-khdt"] == chats["thu-truong:so-khdt"] == world.id("so-tai-chinh")
    assert world.id("so-khdt") not in chats.values()
    assert bound == len(chats) - 2  # all but the former agency's group and head
    with pytest.raises(FormerAgency), session_scope(world.engine) as s:
        ensure_chat(s, channel="console", chat_key="nhom:so-khdt", role=ChatRole.GROUP,
                    agency=khdt, title="Nhóm Sở Kế hoạch và Đầu tư")  # fmt: skip
    merged = f"{KHDT} sáp nhập vào {TC} từ 01/03/2025 theo {ACT_45}"
    for args, then in ((("console", "--agency", "so-khdt"), "hãy đóng vai cán bộ"),
                       (("link", KHDT), "hãy cấp mã")):  # fmt: skip
        result = world.run(*args, input=":q\n")
        assert result.exit_code == 1, result.output
        output = one_error_line(result)
        assert output.strip() == f"{merged}: {then} cho cơ quan hiện nay."
    with Session(world.engine) as s:
        assert s.exec(select(Chat).where(Chat.chat_key == "nhom:so-khdt")).one().agency_id == (
            world.id("so-tai-chinh")
        )


def test_a_refusal_names_only_the_leads_whose_part_is_still_theirs(world: World) -> None:
    parts = world.task(("so-khdt", Role.LEAD), ("so-tai-chinh", Role.LEAD),
                       ("so-y-te", Role.COORDINATE))  # fmt: skip
    world.chat("so-y-te", ChatRole.GROUP)
    world.run.ok("agencies", "merge", "so-khdt", "so-tai-chinh", "--date", "01/03/2025",
                 "--act", ACT_45)  # fmt: skip
    assert world.part(parts["so-khdt"]).status == Status.MOVED  # folded into Sở Tài chính's

    said = say(world.engine, Sender("console", "group:so-y-te", "501", "Nguyễn Văn An"),
               f"/xong NV{parts['so-tai-chinh']}", NOW)  # fmt: skip

    assert "⛔" in said and f"do <b>{TC}</b> chủ trì" in said and KHDT not in said


def test_tasks_of_an_agency_say_its_work_moved_only_once_the_change_is_applied(
    world: World,
) -> None:
    world.task(("so-khdt", Role.LEAD))
    world.run.ok("agencies", "merge", "so-khdt", "so-tai-chinh", "--date", "01/05/2025",
                 "--act", ACT_45)  # fmt: skip

    ahead = world.run.ok("tasks", "--agency", "so-khdt", "--today", "02/05/2025").output

    assert "đã chuyển" not in ahead and "Phần việc (1)" in ahead
    asyncio.run(tick(world.engine, {}, at(date(2025, 5, 2), 9), settings=SETTINGS))
    applied = world.run.ok("tasks", "--agency", "so-khdt", "--today", "02/05/2025").output
    assert f"{KHDT} sáp nhập vào {TC} từ 01/05/2025" in applied and "đã chuyển" in applied
    assert "Phần việc (0)" in applied
