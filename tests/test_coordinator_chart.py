"""The coordinator's chart says what it shows: counts per outcome, done-late apart from
overdue, the agencies left out named, names in Vietnamese alphabetical order."""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.config import Settings
from bot.db import session_scope
from bot.domain.collation import vietnamese_key
from bot.models import Agency, Assignment, Outbox
from bot.reports.charts import agency_bars
from bot.reports.digest import coordinator_chart, coordinator_digest
from bot.scheduler.planner import plan
from bot.services.assignments import Actor, mark_done
from tests.province import CAL, MONDAY, Province, at, build_province

NAMES = ["Ủy ban nhân dân tỉnh", "Văn phòng UBND tỉnh", "Đài Phát thanh và Truyền hình",
         "Ban Dân tộc", "Công an tỉnh", "Cục Thuế tỉnh", "Sở Xây dựng", "Sở Tài chính",
         "Sở Giáo dục và Đào tạo", "Sở Công Thương", "Sở Văn hóa, Thể thao và Du lịch",
         "Sở Khoa học và Công nghệ", "Sở Ngoại vụ", "Thanh tra tỉnh", "Ấp Tân Lập",
         "Bảo hiểm xã hội tỉnh", "Ăn uống công vụ"]  # fmt: skip


def province_of_twenty(engine: Engine) -> Province:
    """Sở Y tế: 1 done on time, 1 done late, 2 overdue; 17 more agencies, one overdue part
    each, but for two with nothing late at all."""
    province = build_province(engine)
    with session_scope(engine) as s:
        for i, name in enumerate(NAMES):
            agency = Agency(
                code=f"cq-{i}", name=name, kind="so", aliases=[], letter_symbol=f"CQ{i}"
            )
            s.add(agency)
            s.flush()
            province.agencies[agency.code] = agency.id  # type: ignore[assignment]
    done_on_time = province.add_task("20/12/2024")
    done_late = province.add_task("13/12/2024")
    province.add_task("10/12/2024")
    province.add_task("12/12/2024")
    for i in range(len(NAMES)):
        province.add_task("31/03/2025" if i >= 15 else "16/12/2024", lead=f"cq-{i}")
    with session_scope(engine) as s:
        who = Actor("telegram:501")
        mark_done(s, s.get(Assignment, done_on_time), who, at(date(2024, 12, 19), 10))  # type: ignore[arg-type]
        mark_done(s, s.get(Assignment, done_late), who, at(date(2024, 12, 18), 10))  # type: ignore[arg-type]
    return province


def test_bars_count_each_outcome_and_name_the_agencies_left_out(engine: Engine) -> None:
    province_of_twenty(engine)
    with Session(engine) as s:
        digest = coordinator_digest(s, MONDAY, CAL)
    syt = next(r for r in digest["ranking"] if r["agency"] == "Sở Y tế")
    assert (syt["on_time"], syt["late"], syt["overdue"]) == (1, 1, 2)
    title, rows = coordinator_chart(digest)
    assert title.startswith(
        "Phần việc chủ trì theo cơ quan: đúng hạn, trễ hạn, quá hạn – 23/12/2024"
    )
    assert "Tỷ lệ" not in title  # the bars are counts, not a rate
    assert len(rows) == 15 and dict(rows)["Sở Y tế"] == {"on_time": 1, "late": 1, "overdue": 2}
    # 16 agencies have a counted outcome; the 15 with the most overdue are drawn (ties in
    # alphabetical order) and the one left out is named.
    assert "\n15 cơ quan nhiều việc quá hạn nhất; và 1 cơ quan khác: Văn phòng UBND tỉnh" in title
    assert "Văn phòng UBND tỉnh" not in dict(rows)
    assert all(counts["overdue"] >= 1 for _, counts in rows)


def test_the_digest_attachment_carries_that_title_and_those_bars(engine: Engine) -> None:
    province_of_twenty(engine)
    with session_scope(engine) as s:
        plan(s, MONDAY, settings=Settings(), cal=CAL)
        [chart] = [o.attachment for o in s.exec(select(Outbox)) if o.attachment and
                   o.attachment.get("filename", "").startswith("tong-hop")]  # fmt: skip
    assert chart["title"].startswith("Phần việc chủ trì theo cơ quan")
    assert {"on_time": 1, "late": 1, "overdue": 2} in [counts for _, counts in chart["rows"]]


def test_names_sort_in_vietnamese_alphabetical_order() -> None:
    ordered = sorted(NAMES, key=vietnamese_key)
    assert ordered[:4] == ["Ăn uống công vụ", "Ấp Tân Lập", "Ban Dân tộc", "Bảo hiểm xã hội tỉnh"]
    assert ordered.index("Cục Thuế tỉnh") > ordered.index("Công an tỉnh")
    assert ordered.index("Đài Phát thanh và Truyền hình") > ordered.index("Cục Thuế tỉnh")
    assert ordered.index("Đài Phát thanh và Truyền hình") < ordered.index("Sở Công Thương")
    assert ordered[-3:] == ["Thanh tra tỉnh", "Ủy ban nhân dân tỉnh", "Văn phòng UBND tỉnh"]
    # Syllable by syllable, as a dictionary: the tone of "Giao" decides before "thông".
    assert sorted(["Sở Giáo dục và Đào tạo", "Sở Giao thông vận tải"], key=vietnamese_key) == [
        "Sở Giao thông vận tải", "Sở Giáo dục và Đào tạo"
    ]  # fmt: skip
    assert sorted(["ma", "mạ", "mã", "mà", "má", "mả"], key=vietnamese_key) == [
        "ma", "mà", "mả", "mã", "má", "mạ"
    ]  # fmt: skip


def test_the_chart_draws_agencies_in_that_order_whatever_it_is_given() -> None:
    rows = [(name, {"on_time": i % 3, "late": 1, "overdue": i % 2}) for i, name in enumerate(NAMES)]
    assert agency_bars(rows, "Thử") == agency_bars(list(reversed(rows)), "Thử")
    assert agency_bars(rows, "Thử") == agency_bars(
        sorted(rows, key=lambda r: vietnamese_key(r[0])), "Thử"
    )
