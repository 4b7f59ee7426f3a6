"""What officers actually write back, and what it must mean."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.replies import Done, Extension, Progress, Unclear, parse_reply

TODAY = date(2024, 12, 20)

DONE = [
    "xong", "Xong", "xong ạ", "Xong ạ", "xong a", "XONG Ạ!", "đã xong", "da xong", "Dạ xong rồi ạ",
    "hoàn thành", "hoan thanh", "đã hoàn thành", "Đã hoàn thành ạ", "da hoan thanh roi",
    "done", "Done!", "ok xong rồi", "Ok xong roi nhé", "✅", "✅ xong", "xong ✅", "Báo cáo: đã xong ạ",
    "hoàn tất", "Em báo cáo đã hoàn thành", "100%", "xong 100%", "Dạ, hoàn thành rồi ạ 👍",
]  # fmt: skip

NOT_DONE = [
    ("chưa xong", None), ("chua xong", None), ("không xong được", None), ("khong xong duoc", None),
    ("sắp xong", None), ("sap xong", None), ("gần xong rồi", None), ("chưa hoàn thành", None),
    ("đang làm", None), ("Đang thực hiện ạ", None),
    ("50%", 50), ("đang làm, được 70%", 70), ("dang lam duoc 70%", 70), ("được 30 phần trăm", 30),
    ("Tiến độ 85 %", 85), ("0%", 0), ("chưa xong, mới được 40%", 40),
]  # fmt: skip

EXTENSIONS = [
    ("xin gia hạn đến 30/12", date(2024, 12, 30)),
    ("Xin gia han den 30/12", date(2024, 12, 30)),
    ("xin gia hạn đến 15/1", date(2025, 1, 15)),
    ("đề nghị gia hạn đến 10/01/2025 vì chờ ý kiến Sở Tư pháp", date(2025, 1, 10)),
    ("xin lùi hạn", None),
    ("cho em xin thêm thời gian ạ", None),
]

UNCLEAR = ["ok", "cảm ơn", "???", "họp lúc 9h", "150%", "👍", "anh ơi", "báo cáo gửi ở đâu ạ"]


@pytest.mark.parametrize("text", DONE)
def test_done(text: str) -> None:
    assert isinstance(parse_reply(text, today=TODAY), Done)


@pytest.mark.parametrize(("text", "percent"), NOT_DONE)
def test_not_done_is_progress(text: str, percent: int | None) -> None:
    reply = parse_reply(text, today=TODAY)
    assert isinstance(reply, Progress)
    assert reply.percent == percent
    assert reply.note == text.strip()


@pytest.mark.parametrize(("text", "until"), EXTENSIONS)
def test_extension_requests(text: str, until: date | None) -> None:
    reply = parse_reply(text, today=TODAY)
    assert isinstance(reply, Extension)
    assert reply.until == until


@pytest.mark.parametrize("text", UNCLEAR)
def test_anything_else_is_unclear(text: str) -> None:
    assert isinstance(parse_reply(text, today=TODAY), Unclear)


def test_there_are_at_least_forty_phrasings() -> None:
    assert len(DONE) + len(NOT_DONE) + len(EXTENSIONS) + len(UNCLEAR) >= 40


def test_done_keeps_its_evidence_and_note() -> None:
    reply = parse_reply(
        "Đã xong, báo cáo số 125/BC-SNV gửi UBND, xem https://snv.gov.vn/bc125", today=TODAY
    )
    assert isinstance(reply, Done)
    assert reply.evidence == ("125/BC-SNV", "https://snv.gov.vn/bc125")
    assert "125/BC-SNV" in reply.note
    assert parse_reply("xong ạ", today=TODAY) == Done()


def test_extension_reason() -> None:
    reply = parse_reply("xin gia hạn đến 30/12 vì chờ số liệu của các huyện", today=TODAY)
    assert reply == Extension(date(2024, 12, 30), "chờ số liệu của các huyện")


@given(st.text())
def test_never_raises(text: str) -> None:
    assert parse_reply(text, today=TODAY) is not None
