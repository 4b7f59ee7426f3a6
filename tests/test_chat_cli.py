"""Admin and operator commands for chats: link codes, the console officer, `run` on a token."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path

import pytest

from tests.cli import dondoc_process as dondoc


def test_link_prints_a_one_time_code(demo: Path) -> None:
    output = dondoc(demo, "link", "Sở Y tế", "--role", "head").stdout
    assert re.search(r"Mã liên kết cho Sở Y tế \(head\): [A-Z2-9]{4}-[A-Z2-9]{4}", output)
    assert "Dùng được một lần" in output


def test_a_person_plays_an_officer_in_the_console(demo: Path) -> None:
    output = dondoc(demo, "console", "--agency", "Sở Y tế", "--at", "2024-12-20 08:00",
                    stdin="/nhiemvu\nxong ạ\nhọp lúc mấy giờ?\n:q\n").stdout  # fmt: skip
    assert "Bạn là cán bộ trong nhóm Sở Y tế" in output
    assert "Nhắc việc – Sở Y tế" in output  # the reminder, printed to the player
    assert "Việc đang thực hiện" in output
    assert "Đề nghị ghi rõ mã" in output or "Đã ghi nhận" in output
    assert "chưa hiểu" in output
    assert "Nhắc việc – Sở Nội vụ" not in output  # other groups' messages are not shown


def test_chats_lists_the_demo_bindings(demo: Path) -> None:
    assert "nhom:so-noi-vu" in dondoc(demo, "chats").stdout


async def test_a_head_played_in_the_console_signs_in_to_the_web_view_of_the_demo_day(
    demo: Path, tmp_path: Path
) -> None:
    """`dondoc console --role head` asks /web at the demo's moment; `dondoc web --at` serves
    the same day (``clock_from``), so the link is in time and the pages read that day."""
    import shutil
    from datetime import datetime

    import httpx

    from bot.app import clock_from
    from bot.config import Settings
    from bot.db import make_engine
    from bot.domain.calendar import VIETNAM
    from bot.web.site import create_site, prepare

    folder = tmp_path / "demo"
    shutil.copytree(demo, folder)
    engine = make_engine(f"sqlite:///{folder / 'dondoc.db'}")
    day = datetime(2024, 12, 20, 8, 0, tzinfo=VIETNAM)
    settings = Settings(web_base_url="http://dondoc.test")
    key = prepare(engine, settings, day)
    output = dondoc(folder, "console", "--role", "head", "--agency", "Sở Y tế",
                    stdin="/web\n:q\n").stdout  # fmt: skip
    assert "Bạn đang ở chat: Thủ trưởng Sở Y tế" in output
    found = re.search(r"\(Thủ trưởng, Sở Y tế\): http://dondoc\.test(/dang-nhap\?t=\S+)", output)
    assert found, output
    site = create_site(engine=engine, settings=settings, key=key, clock=clock_from(day))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=site),
                                 base_url="http://dondoc.test") as client:  # fmt: skip
        form = await client.get(found.group(1))
        assert form.status_code == 200 and "Đăng nhập" in form.text
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert csrf
        signed = await client.post("/dang-nhap", data={"csrf": csrf.group(1),
                                                       "t": found.group(1).split("t=", 1)[1]})  # fmt: skip
        assert signed.status_code == 303
        assert "<h1>Sở Y tế" in (await client.get("/tong-quan")).text
    engine.dispose()


def test_the_console_plays_only_the_roles_there_are(demo: Path) -> None:
    import subprocess

    try:
        dondoc(demo, "console", "--role", "boss", stdin=":q\n")
    except subprocess.CalledProcessError as failed:
        assert "group" in failed.stderr and "head" in failed.stderr
        assert "Traceback" not in failed.stderr
    else:
        raise AssertionError("--role boss was accepted")


def test_the_console_clock_runs_on_from_its_at_so_a_late_web_link_is_in_time(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`dondoc console --at` runs its clock on from that moment, as `dondoc web --at` does:
    /web typed 15 minutes after the console started is stamped 15 minutes later, so it is
    in time on a web view started with the same --at (a link stamped at --at itself would
    have expired after 10 minutes)."""
    import shutil
    import sys
    from datetime import datetime, timedelta

    from sqlmodel import Session, select

    import bot.app
    from bot.cli.chat import console_cmd
    from bot.db import make_engine
    from bot.domain.calendar import VIETNAM
    from bot.models import ChatRole, WebLink
    from bot.services.web_access import LINK_TTL, publish

    folder = tmp_path / "demo"
    shutil.copytree(demo, folder)
    monkeypatch.chdir(folder)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{folder / 'dondoc.db'}")
    engine = make_engine(f"sqlite:///{folder / 'dondoc.db'}")
    day = datetime(2024, 12, 20, 8, 0, tzinfo=VIETNAM)
    with Session(engine) as session:
        publish(session, "http://dondoc.test", day)
        session.commit()
    real = [datetime(2026, 6, 1, 9, 0, tzinfo=VIETNAM)]  # the machine's clock, moved here
    monkeypatch.setattr(bot.app, "clock", lambda: real[0])

    def typed() -> Iterator[str]:
        real[0] += timedelta(minutes=15)  # the person reads the reminders first
        yield "/web\n"
        yield ":q\n"

    monkeypatch.setattr(sys, "stdin", typed())
    console_cmd(agency="Sở Y tế", at="20/12/2024 08:00", role=ChatRole.HEAD)
    with Session(engine) as session:
        issued = session.exec(select(WebLink.issued_at)).one()
    engine.dispose()
    stamped = issued if issued.tzinfo else issued.replace(tzinfo=UTC)
    assert stamped == day + timedelta(minutes=15) > day + LINK_TTL
