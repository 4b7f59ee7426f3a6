"""The demo province's 2025 reorganisation (seed/agency_changes.csv): `dondoc seed` as of
a day before it and as of today, run twice, and `dondoc demo` showing today's agencies."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.db import make_engine
from bot.models import Agency, AgencyChange, Assignment, Chat, Status, StatusUpdate, TthcFile
from tests.cli import dondoc_process

FORMER = ("so-khdt", "so-tttt", "so-tnmt", "so-nnptnt", "so-gtvt", "so-ldtbxh",
          "h-bien-hoa", "h-long-khanh", "h-trang-bom")  # fmt: skip


def open_work(folder: Path) -> tuple[dict[str, int], dict[str, int], int]:
    """Open parts by agency code, open files by agency code, changes applied."""
    engine = make_engine(f"sqlite:///{folder / 'dondoc.db'}")
    with Session(engine) as s:
        parts = dict(
            s.exec(
                select(Agency.code, func.count())
                .join(Assignment, col(Assignment.agency_id) == col(Agency.id))
                .where(Assignment.status == Status.OPEN)
                .group_by(Agency.code)
            ).all()
        )
        files = dict(
            s.exec(
                select(Agency.code, func.count())
                .join(TthcFile, col(TthcFile.agency_id) == col(Agency.id))
                .where(TthcFile.status == "open")
                .group_by(Agency.code)
            ).all()
        )
        applied = s.exec(
            select(func.count()).where(col(AgencyChange.applied_at).is_not(None))
        ).one()
    engine.dispose()
    return parts, files, applied


def test_the_demo_before_the_reorganisation_names_the_agencies_of_that_day(tmp_path: Path) -> None:
    dondoc_process(tmp_path, "seed", "--today", "25/11/2024")
    parts, files, applied = open_work(tmp_path)
    assert applied == 0
    # The plans' and files' import is stamped on the seed's day, not the machine's.
    engine = make_engine(f"sqlite:///{tmp_path / 'dondoc.db'}")
    with Session(engine) as s:
        days = {at.date() for at in s.exec(select(StatusUpdate.at)).all()}
        updated = {at.date() for at in s.exec(select(TthcFile.updated_at)).all()}
    engine.dispose()
    assert days == {date(2024, 11, 25)} and updated == {date(2024, 11, 25)}
    assert parts["so-khdt"] > 0 and parts["h-trang-bom"] > 0
    assert files["h-bien-hoa"] > 0


def test_the_demo_today_has_no_open_work_left_with_a_former_agency_and_reseeding_changes_nothing(
    tmp_path: Path,
) -> None:
    dondoc_process(tmp_path, "seed")
    first = open_work(tmp_path)
    parts, files, applied = first
    assert applied == len(FORMER)
    assert not set(FORMER) & (set(parts) | set(files)), (parts, files)
    assert parts["so-nnmt"] > 0 and parts["so-xay-dung"] > 0 and files["x-tan-phong"] > 0
    dondoc_process(tmp_path, "seed")
    assert open_work(tmp_path) == first
    # The second seed binds no console chat back to a former agency: a former agency's
    # chats stay with the successor its change gave them to.
    engine = make_engine(f"sqlite:///{tmp_path / 'dondoc.db'}")
    with Session(engine) as s:
        bound = dict(s.exec(select(Chat.chat_key, Agency.code)
                            .join(Agency, col(Chat.agency_id) == col(Agency.id))
                            .where(Chat.channel == "console", col(Chat.active))).all())  # fmt: skip
    engine.dispose()
    assert not set(FORMER) & set(bound.values()), bound
    assert bound["nhom:so-khdt"] == bound["thu-truong:so-khdt"] == "so-tai-chinh"


def test_the_demo_shows_a_merged_agencys_open_work_under_its_successor(tmp_path: Path) -> None:
    shown = dondoc_process(tmp_path, "demo", env={"COLUMNS": "250"}).stdout
    assert "Thay đổi cơ quan đã áp dụng (9)" in shown
    assert ("Sở Kế hoạch và Đầu tư sáp nhập vào Sở Tài chính từ 01/03/2025 theo Nghị định số "
            "45/2025/NĐ-CP ngày 28/02/2025 của Chính phủ") in shown  # fmt: skip
    finance = shown.split("Sở Tài chính, ngày")[1]
    assert "Sở Tài chính" in finance and "quá hạn" in finance
    assert "Sở Kế hoạch và Đầu tư │" not in finance
