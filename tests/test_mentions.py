"""Leading @mentions come off before a command or an answer is read (issue #18): the
bot's known name exactly, any other name by its capitalised words, never the answer."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.mentions import strip_mentions

TODAY = date(2024, 12, 20)


@pytest.mark.parametrize(
    ("text", "left"),
    [
        ("@Đôn Đốc xong ạ", "xong ạ"),
        ("@dondoc /xong NV12", "/xong NV12"),
        ("@dondoc_bot /xong@dondoc_bot NV12 đã gửi", "/xong@dondoc_bot NV12 đã gửi"),
        ("@Đôn Đốc", ""),
        ("  @Đôn Đốc  ", ""),
        ("@Đôn Đốc Xong ạ", "Xong ạ"),
        ("@Đôn Đốc Chưa xong", "Chưa xong"),  # "xong" alone would close the task
        ("@Đôn Đốc 70%", "70%"),
        ("@Đôn Đốc, xin gia hạn đến 30/12 vì chờ số liệu", "xin gia hạn đến 30/12 vì chờ số liệu"),
        ("@Đôn Đốc: xong", "xong"),
        ("@Đôn Đốc @Nguyễn Văn An xong rồi", "xong rồi"),
        ("@Đôn Đốc\nxong ạ", "xong ạ"),
        ("@Đôn Đốc ✅", "✅"),
        ("@Đôn Đốc hoàn thành chưa anh?", "hoàn thành chưa anh?"),
        ("xong ạ", "xong ạ"),
        ("/xong NV12", "/xong NV12"),
        ("gửi @Đôn Đốc xong", "gửi @Đôn Đốc xong"),  # only leading mentions
        ("@", ""),
    ],
)
def test_a_name_not_known_is_its_capitalised_words(text: str, left: str) -> None:
    assert strip_mentions(text, today=TODAY) == left


@pytest.mark.parametrize(
    ("text", "left"),
    [
        ("@Đôn Đốc Xong ạ", "Xong ạ"),
        ("@đôn đốc Chờ kết quả xác minh", "Chờ kết quả xác minh"),  # known: nothing else eaten
        ("@Đôn Đốc Nhắc Việc xong", "Nhắc Việc xong"),
        ("@Đôn Đốc Nhắc Việc", "Nhắc Việc"),
        ("@Đôn Đốc", ""),
        # the same name written with combining marks (decomposed, as some keyboards send it)
        ("@Đo\u0302n Đo\u0302\u0301c xong", "xong"),
        ("@dondoc xong", "xong"),  # another mention of the bot, not known by this name
    ],
)
def test_the_bots_known_name_comes_off_exactly(text: str, left: str) -> None:
    assert strip_mentions(text, ("Đôn Đốc",), today=TODAY) == left
