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

# Questions, conditions and other people's words carry "xong" but are no answer: the
# officer gets the help answer and the task stays open (issue 12, kind 3).
NOT_AN_ANSWER = [
    # questions: a final "?", or a question particle at the end
    "xong chưa vậy?", "xong chua vay?", "hoàn thành chưa anh?", "hoan thanh chua anh",
    "Xong chưa ạ", "xong chua a", "đã xong chưa nhỉ", "da xong chua nhi", "Xong rồi à",
    "xong rồi hả anh", "xong roi ha", "xong không anh", "có xong không", "co xong khong",
    "hoàn thành rồi chứ?", "xong k", "Đã hoàn thành hết chưa chị ơi", "✅?", "70% rồi à?",
    "100% chưa?", "xong chưa? em cần gấp", "bao giờ xong", "bao gio xong", "khi nào hoàn thành",
    "Việc này ai xong rồi", "xong rồi phải không", "xong roi dung khong", "xong ko", "xong hk",
    "xong chưa z", "Sở Tư pháp hoàn thành chưa?", "xong rồi ư", "xong đâu mà", "xong？",
    # conditions and intentions
    "nếu xong thì báo anh nhé", "neu xong thi bao anh nhe", "khi xong em sẽ báo",
    "khi xong em se bao", "xong thì em báo ạ", "xong thi em bao a", "em sẽ hoàn thành trong tuần",
    "Sau khi hoàn thành sẽ gửi báo cáo", "giả sử xong trước Tết",
    "Dự kiến hoàn thành 100% vào thứ Sáu", "cần xong trước 30/12", "mai xong",
    "phải hoàn thành trước thứ 6",
    # not sure of it
    "hình như xong rồi", "có lẽ đã hoàn thành", "chắc xong rồi",
    # someone else's words
    "anh Nam bảo xong rồi", "anh nam noi la xong roi", "nghe nói bên đó đã xong",
    "nghe noi ben do da xong", "họ báo là hoàn thành rồi", "Chị ấy xong rồi",
    "Phòng Tư pháp huyện cho biết đã hoàn thành", "bên Sở Tư pháp xong rồi",
    "phía huyện đã hoàn thành",
]  # fmt: skip

# Real answers close to the phrasings above that must keep working.
STILL_DONE = [
    "Xong rồi ạ. Anh xem giúp em nhé?", "Báo cáo: đã xong ạ", "bao cao da xong a",
    "Em đảm bảo đã xong", "Hồ sơ đã xong", "ho so da xong", "lúc 9h đã xong",
    "Báo cáo bảo hiểm đã xong", "de an da hoan thanh", "Việc này thì xong rồi ạ",
    "Đã xong hết rồi nhé", "xong rồi anh ạ", "bên em xong rồi", "Bên mình đã hoàn thành ạ",
    "chắc chắn đã xong", "xong rồi nha", "đã xong, mai em gửi bản giấy", "can bo da xong",
    "da co van ban, xong roi", "nop muon nhung da xong", "file dinh kem da xong roi",
]  # fmt: skip

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


@pytest.mark.parametrize("text", NOT_AN_ANSWER)
def test_a_question_a_condition_or_hearsay_is_not_an_answer(text: str) -> None:
    assert isinstance(parse_reply(text, today=TODAY), Unclear)


@pytest.mark.parametrize("text", STILL_DONE)
def test_statements_near_those_are_still_done(text: str) -> None:
    assert isinstance(parse_reply(text, today=TODAY), Done)


def test_a_polite_request_for_more_time_is_a_request_even_as_a_question() -> None:
    reply = parse_reply("cho em xin gia hạn đến 30/12 được không ạ?", today=TODAY)
    assert reply == Extension(date(2024, 12, 30), "")


@pytest.mark.parametrize("text", ["1000%", "²%", "٥٠%", "５０%", "0" * 40 + "1%"])
def test_percentages_are_ascii_digits_from_0_to_100(text: str) -> None:
    reply = parse_reply(text, today=TODAY)
    assert not isinstance(reply, Done) and not (isinstance(reply, Progress) and reply.percent)


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


@pytest.mark.parametrize("written", ["31/02/2025", "31/02", "30/13"])
def test_an_extension_to_no_real_day_says_which_day(written: str) -> None:
    reply = parse_reply(f"xin gia hạn đến {written} vì chờ số liệu", today=TODAY)
    assert reply == Extension(None, "chờ số liệu", no_such_day=written)


@given(st.text())
def test_never_raises(text: str) -> None:
    assert parse_reply(text, today=TODAY) is not None


@pytest.mark.parametrize(
    ("caption", "asking"),
    [("file này được chưa anh?", True), ("gửi ai ạ", True), ("báo cáo đây ạ", False), ("", False)],
)
def test_words_sent_with_a_file_say_whether_they_ask(caption: str, asking: bool) -> None:
    reply = parse_reply(caption, today=TODAY)
    assert isinstance(reply, Unclear) and reply.asking is asking
