"""The head's weekly digest: its content on a known register, once a week, and /baocao."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.config import Settings
from bot.db import make_engine, session_scope
from bot.models import (
    Agency,
    Assignment,
    Chat,
    ExtensionRequest,
    Outbox,
    OutboxState,
    RequestState,
    Status,
)
from bot.reports.digest import head_digest
from bot.scheduler.planner import plan
from bot.services.actions import Sender
from bot.services.assignments import Actor, mark_done, record_change
from bot.services.outbox import enqueue
from tests.chat import say
from tests.province import CAL, MONDAY, Province, at, build_province


def register(engine: Engine) -> tuple[Province, dict[str, int]]:
    province = build_province(engine)
    parts = {
        "on_time": province.add_task("20/12/2024", text="Rà soát quy trình nội bộ"),
        "late": province.add_task("13/12/2024", text="Công khai thủ tục hành chính"),
        "soon": province.add_task("30/12/2024", text="Báo cáo quý IV"),
        "reason": province.add_task("10/12/2024", text="Tập huấn cán bộ một cửa"),
        "silent": province.add_task("12/12/2024", text="Số hóa hồ sơ"),
        "later": province.add_task("31/03/2025", text="Tổng kết năm"),
    }
    with session_scope(engine) as s:
        get = lambda key: s.get(Assignment, parts[key])  # noqa: E731
        mark_done(s, get("on_time"), Actor("telegram:501"), at(date(2024, 12, 19), 10))  # type: ignore[arg-type]
        mark_done(s, get("late"), Actor("telegram:501"), at(date(2024, 12, 18), 10))  # type: ignore[arg-type]
        record_change(s, get("reason"), Actor("telegram:501", "group:so-y-te"), at(date(2024, 12, 12), 9),  # type: ignore[arg-type]
                      "note", None, None, "chờ kinh phí")  # fmt: skip
        s.add(ExtensionRequest(assignment_id=parts["soon"], until=date(2025, 1, 10), reason="chờ số liệu",
                               requested_by="telegram:501", requested_at=at(date(2024, 12, 20), 9)))  # fmt: skip
    return province, parts


def test_the_digest_names_what_matters(engine: Engine) -> None:
    register(engine)
    with Session(engine) as s:
        agency = s.exec(select(Agency).where(Agency.code == "so-y-te")).one()
        d = head_digest(s, agency, MONDAY, CAL)
    assert [(x["task"], x["late"]) for x in d["done"]] == [
        ("Rà soát quy trình nội bộ", False), ("Công khai thủ tục hành chính", True)]  # fmt: skip
    assert [x["task"] for x in d["soon"]] == ["Báo cáo quý IV"]
    assert [(x["task"], x["reason"]) for x in d["overdue"]] == [
        ("Tập huấn cán bộ một cửa", True), ("Số hóa hồ sơ", False)]  # fmt: skip
    assert d["overdue"][0]["late"] == 9  # 10/12 → 23/12 in working days
    assert d["no_reason"] == 1 and [e["code"] for e in d["extensions"]] == [d["soon"][0]["code"]]
    assert all(x["plan"] == "126/KH-UBND" for x in d["done"] + d["soon"] + d["overdue"])


def test_sent_once_per_head_per_week_across_a_restart(engine: Engine, db_url: str) -> None:
    register(engine)
    settings = Settings()
    for moment in (at(date(2024, 12, 23), 7, 45), MONDAY, at(date(2024, 12, 23), 9)):
        with session_scope(engine) as s:
            plan(s, moment, settings=settings, cal=CAL)
    engine.dispose()
    restarted = make_engine(db_url)
    with session_scope(restarted) as s:
        plan(s, at(date(2024, 12, 23), 10), settings=settings, cal=CAL)
    with Session(restarted) as s:
        digests = s.exec(select(Outbox).where(Outbox.kind == "digest")).all()
    assert (
        len(digests) == 4
    )  # one per head chat (Sở Nội vụ, Sở Y tế, Sở Tư pháp), one to the coordinator
    text = next(d.parts[0] for d in digests if "Sở Y tế" in d.parts[0])
    assert "Hoàn thành trong tuần: 2" in text and "Quá hạn: 2" in text and "chưa báo lý do" in text
    with session_scope(restarted) as s:
        plan(s, at(date(2024, 12, 30), 8), settings=settings, cal=CAL)
        assert (
            len(s.exec(select(Outbox).where(Outbox.kind == "digest")).all()) == 8
        )  # the next week's
    restarted.dispose()


def test_baocao_asks_for_it_on_demand(engine: Engine) -> None:
    register(engine)
    head = Sender("console", "head:so-y-te", "601", "Trần Thị Bình")
    text = say(engine, head, "/baocao", MONDAY)
    with Session(engine) as s:
        pending = s.exec(select(ExtensionRequest)).one()
    assert (
        "Tuần này ở Sở Y tế" in text and "Báo cáo quý IV" in text and f"/duyet {pending.id}" in text
    )
    assert pending.state == RequestState.PENDING


def test_the_coordinator_digest_ranks_and_names(engine: Engine) -> None:
    from bot.reports.digest import coordinator_digest, render_coordinator_digest

    province, _ = register(engine)
    province.add_task("05/12/2024", text="Việc của Sở Tư pháp", lead="so-tu-phap")
    with Session(engine) as s:
        d = coordinator_digest(s, MONDAY, CAL)
    ranking = {r["agency"]: (r["on_time"], r["not"]) for r in d["ranking"]}
    assert ranking == {"Sở Y tế": (1, 3), "Sở Tư pháp": (0, 1)}  # 1 on time; 1 late + 2 overdue
    assert [r["agency"] for r in d["ranking"]] == ["Sở Y tế", "Sở Tư pháp"]
    assert [x["task"] for x in d["worst"]][:1] == ["Việc của Sở Tư pháp"]  # the longest overdue
    assert d["unbound"] == [] and d["unspecified"] == 0
    text = "\n".join(render_coordinator_digest(d))
    assert "Tổng hợp toàn tỉnh" in text and "Sở Y tế: 25% (1/4)" in text
    with session_scope(engine) as s:
        plan(s, MONDAY, settings=Settings(), cal=CAL)
        sent = s.exec(select(Outbox).where(Outbox.kind == "digest")).all()
    assert any("Tổng hợp toàn tỉnh" in o.parts[0] for o in sent)


def test_the_coordinator_digest_names_the_ten_longest_overdue_of_all(engine: Engine) -> None:
    """The ten longest overdue, the longest first (the earliest due; a weekend's due dates,
    as late as the Monday after, in date order), of all the overdue counted; a part marked
    done with no audit row of when (an old database) still counts as overdue."""
    from bot.reports.digest import coordinator_digest

    province, _ = register(engine)
    old = [province.add_task(f"{day:02d}/11/2024", text=f"Việc cũ {day}", lead="so-tu-phap")
           for day in range(1, 13)]  # fmt: skip
    with session_scope(engine) as s:
        unknown = s.get(Assignment, old[5])
        assert unknown is not None
        unknown.status = Status.DONE  # and no audit row says when
    with Session(engine) as s:
        d = coordinator_digest(s, MONDAY, CAL)
    assert d["overdue_count"] == 2 + 12
    assert [x["code"] for x in d["worst"]] == [f"NV{part}" for part in old[:10]]
    late = [x["late"] for x in d["worst"]]
    assert late == sorted(late, reverse=True) and late[1] == late[2] == late[3]  # 2, 3, 4/11
    ranking = {r["agency"]: (r["on_time"], r["not"]) for r in d["ranking"]}
    assert ranking == {"Sở Y tế": (1, 3), "Sở Tư pháp": (0, 12)}


def test_the_digest_goes_out_with_its_chart(engine: Engine) -> None:
    import asyncio
    import io

    from PIL import Image

    from bot.channels.console import ConsoleChannel
    from bot.scheduler.dispatcher import dispatch

    register(engine)
    with session_scope(engine) as s:
        plan(s, MONDAY, settings=Settings(), cal=CAL)
    channel = ConsoleChannel(quiet=True)
    asyncio.run(
        dispatch(engine, {"console": channel}, MONDAY, worker="t", settings=Settings(), cal=CAL)
    )
    charts = {chat: name for chat, name, _ in channel.documents}
    assert charts["head:so-y-te"] == "so-y-te-20241223.png"
    assert charts["coordinator"] == "tong-hop-20241223.png"
    png = next(data for chat, _, data in channel.documents if chat == "head:so-y-te")
    assert Image.open(io.BytesIO(png)).format == "PNG"


def test_on_zalo_the_digests_are_short_and_the_coordinator_sees_the_quota(engine: Engine) -> None:
    """A Zalo head and a Zalo coordinator get one message each, a line per section, no
    chart; every coordinator reads how much of Zalo's month is used."""
    from dataclasses import replace

    from bot.models import Chat, ChatRole
    from bot.services.channel_usage import count
    from bot.services.chats import ensure_chat

    province, _ = register(engine)
    settings = replace(Settings(), zalo_monthly_quota=3_000)
    with session_scope(engine) as s:
        agency = s.get(Agency, province.agencies["so-y-te"])
        for key, role in (("zh", ChatRole.HEAD), ("zc", ChatRole.COORDINATOR)):
            ensure_chat(s, channel="zalo", chat_key=key, role=role, agency=agency, title=key)
        count(s, "zalo", MONDAY, settings, sent=1_200, received=34)
    with session_scope(engine) as s:
        plan(s, MONDAY, settings=settings, cal=CAL)
        chats = {c.id: c for c in s.exec(select(Chat))}
        digests = {(chats[o.chat_id].channel, chats[o.chat_id].role): o
                   for o in s.exec(select(Outbox).where(Outbox.kind == "digest"))}  # fmt: skip
    head, coordinator = digests["zalo", ChatRole.HEAD], digests["zalo", ChatRole.COORDINATOR]
    for row in (head, coordinator):
        assert len(row.parts) == 1 and row.attachment is None
    assert "⚠️ Quá hạn: 2 (1 việc chưa báo lý do)" in head.parts[0]
    assert "Gõ /baocao" in head.parts[0] and "Công khai thủ tục" not in head.parts[0]
    assert "📨 Zalo tháng 12/2024: 1.234/3.000 tin nhắn (41%)" in coordinator.parts[0]
    full = digests["console", ChatRole.COORDINATOR]
    assert full.attachment is not None and "1.234/3.000 tin nhắn (41%)" in " ".join(full.parts)
    with Session(engine) as s:
        [console_head] = s.exec(select(Outbox).where(
            Outbox.kind == "digest", Outbox.chat_id == province.chats["head:so-y-te"])).all()  # fmt: skip
    assert "Công khai thủ tục" in " ".join(console_head.parts)


NOTHING_TO_DRAW = "Chưa có nhiệm vụ nào để vẽ biểu đồ."


def _dispatched(engine: Engine) -> Any:
    """Every message the Monday's planner queued, sent on the console channel."""
    import asyncio

    from bot.channels.console import ConsoleChannel
    from bot.scheduler.dispatcher import dispatch

    channel = ConsoleChannel(quiet=True)
    asyncio.run(
        dispatch(engine, {"console": channel}, MONDAY, worker="t", settings=Settings(), cal=CAL)
    )
    return channel


def test_a_head_with_nothing_to_draw_gets_the_digest_without_a_chart(engine: Engine) -> None:
    """Sở Nội vụ and Sở Tư pháp lead nothing: their heads read the digest, and a line in
    place of a chart of empty bars; Sở Y tế's head gets its chart, without that line."""
    province, _ = register(engine)
    with session_scope(engine) as s:
        plan(s, MONDAY, settings=Settings(), cal=CAL)
    digests = {o.chat_id: o for o in province.outbox() if o.kind == "digest"}
    for code in ("so-noi-vu", "so-tu-phap"):
        row = digests[province.chats[f"head:{code}"]]
        assert row.attachment is None and NOTHING_TO_DRAW in row.parts[-1]
    row = digests[province.chats["head:so-y-te"]]
    assert row.attachment is not None and NOTHING_TO_DRAW not in " ".join(row.parts)
    channel = _dispatched(engine)
    assert {chat for chat, _, _ in channel.documents} == {"head:so-y-te", "coordinator"}
    told = [text for chat, text in channel.sent if chat == "head:so-noi-vu"]
    assert "Tuần này ở Sở Nội vụ" in told[0] and NOTHING_TO_DRAW in told[-1]
    with Session(engine) as s:
        assert {o.state for o in s.exec(select(Outbox))} == {OutboxState.SENT}


def test_a_province_with_nothing_to_draw_gets_no_chart(engine: Engine) -> None:
    """No lead part has an outcome yet: the coordinator's digest goes alone, saying so."""
    province = build_province(engine)
    with session_scope(engine) as s:
        plan(s, MONDAY, settings=Settings(), cal=CAL)
    [row] = [o for o in province.outbox() if o.chat_id == province.chats["coordinator"]]
    assert row.attachment is None and "Tổng hợp toàn tỉnh" in row.parts[0]
    assert NOTHING_TO_DRAW in row.parts[-1]
    channel = _dispatched(engine)
    assert channel.documents == []
    assert NOTHING_TO_DRAW in [text for chat, text in channel.sent if chat == "coordinator"][-1]


def test_a_digest_queued_with_an_empty_chart_goes_without_it(engine: Engine) -> None:
    """A digest queued before empty charts were left out still carries one: its text is
    sent and the message ends there, no picture drawn."""
    province = build_province(engine)
    empty = [["Sở Nội vụ", {"on_time": 0, "late": 0, "soon": 0, "overdue": 0}]]
    with session_scope(engine) as s:
        head = s.get(Chat, province.chats["head:so-noi-vu"])
        assert head is not None
        enqueue(s, key="digest:old", chat=head, kind="digest", parts=["Tuần này ở Sở Nội vụ"],
                now=MONDAY, attachment={"kind": "chart", "filename": "so-noi-vu.png",
                                        "title": "Sở Nội vụ", "rows": empty})  # fmt: skip
    channel = _dispatched(engine)
    assert channel.documents == [] and channel.sent == [("head:so-noi-vu", "Tuần này ở Sở Nội vụ")]
    [row] = province.outbox()
    assert row.state == OutboxState.SENT


@pytest.mark.parametrize(("agencies", "middle"), [(15, None), (18, None), (20, None), (23, 3)])
def test_the_coordinators_ranking_numbers_every_agency_once(
    agencies: int, middle: int | None
) -> None:
    """The first fifteen and the last five by rank, each with its rank, none twice; the
    agencies between them counted."""
    from bot.reports.digest import render_coordinator_digest

    ranking = [{"agency": f"Cơ quan {i:02d}", "rate": 1 - i / 100, "on_time": 100 - i, "not": i}
               for i in range(1, agencies + 1)]  # fmt: skip
    digest = {"today": date(2025, 1, 6), "ranking": ranking[:15], "ranking_count": agencies,
              "chart": [], "bottom": ranking[max(15, agencies - 5):], "worst": [],
              "overdue_count": 0, "unbound": [], "silent": [], "unspecified": 0, "files": [],
              "channels": []}  # fmt: skip
    text = "\n".join(render_coordinator_digest(digest, chart=False))
    ranks = [line.split(".")[0] for line in text.splitlines() if ". Cơ quan " in line]
    shown = [int(r) for r in ranks]
    assert shown == sorted(set(shown)) and all(f"{n}. Cơ quan {n:02d}:" in text for n in shown)
    assert shown[:15] == list(range(1, min(agencies, 15) + 1)) and shown[-1] == agencies
    assert (f"… ({middle} cơ quan ở giữa)" in text) if middle else "ở giữa" not in text
