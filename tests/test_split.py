"""The one splitter: any HTML text into messages within a channel's limit, each valid
HTML on its own, nothing lost (issue 12, kind 1)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2 import UndefinedError

from bot.render import (
    TELEGRAM_LIMIT,
    _split,
    echo,
    environment,
    split_message,
    split_smaller,
    visible_length,
)
from tests.fake_telegram import Entities, visible_text

_WORDS = st.sampled_from(["rà soát", "thủ tục", "&amp;", "&lt;Sở&gt;", "😀", "NV12", "x" * 70,
                          "\n", "\n\n", " ", "đơn giản hóa"])  # fmt: skip
_TEXT = st.lists(_WORDS, min_size=1, max_size=30).map("".join)
_HTML = st.recursive(
    _TEXT,
    lambda inner: st.tuples(
        st.sampled_from(["b", "i", "code", 'a href="https://snv.gov.vn/bc?a=1&amp;b=2"']),
        st.lists(inner, min_size=1, max_size=4).map(" ".join),
    ).map(lambda t: f"<{t[0]}>{t[1]}</{t[0].split()[0]}>"),
    max_leaves=12,
)


def _valid(piece: str) -> bool:
    parser = Entities()
    try:
        parser.feed(piece)
        parser.close()
        parser.check()
    except ValueError:
        return False
    return True


@settings(max_examples=150, deadline=None)
@given(st.lists(_HTML, min_size=1, max_size=8), st.integers(min_value=20, max_value=400))
def test_every_piece_fits_parses_and_nothing_is_lost(blocks: list[str], limit: int) -> None:
    messages = split_message(blocks, limit)
    assert all(visible_length(m) <= limit for m in messages)
    assert all(_valid(m) for m in messages)
    shown = "".join(visible_text(m) for m in messages)
    assert "".join(shown.split()) == "".join("".join(visible_text(b) for b in blocks).split())


@settings(max_examples=300, deadline=None)
@given(st.lists(_HTML | st.just("") | st.just("&#128512;"), max_size=6),
       st.integers(min_value=1, max_value=4096))  # fmt: skip
def test_a_message_that_fits_whole_is_cut_as_the_long_way_would(
    blocks: list[str], limit: int
) -> None:
    # split_message answers most messages from their HTML length alone: the same answer.
    assert split_message(blocks, limit) == _split(blocks, limit)


def test_a_template_reads_a_dicts_fields_and_its_methods_as_before() -> None:
    env = environment()
    shown = env.from_string("{{ n.code }} {{ n.items() | list | length }}")
    assert shown.render(n={"code": "NV1", "items": 3}) == "NV1 2"  # .items: the method
    with pytest.raises(UndefinedError):  # a field the dict lacks is an error, as before
        env.from_string("{{ n.code }}").render(n={})


def test_telegram_counts_the_text_after_parsing_in_utf16_units() -> None:
    assert visible_length("<b>Sở</b> &amp; 😀") == len("Sở & ") + 2
    many_tags = "<b>x</b>" * 4000  # 32,000 characters of HTML, 4,000 of text: one message
    assert split_message([many_tags]) == [many_tags]
    emoji = "😀" * 3000  # 3,000 characters, 6,000 UTF-16 units: two messages
    assert [visible_length(m) for m in split_message([emoji])] == [4096, 6000 - 4096]
    assert all(visible_length(m) <= TELEGRAM_LIMIT for m in split_message([emoji]))


def test_a_cut_prefers_a_line_break_then_a_space() -> None:
    text = "\n".join(f"• Dòng {i} " + "chữ " * 20 for i in range(30))
    messages = split_message([text], 500)
    assert all(m.startswith("• Dòng") for m in messages)
    one_line = "chữ " * 300
    assert all(not m.endswith("ch") for m in split_message([one_line], 100))


def test_a_text_refused_as_too_long_is_halved_until_it_is_short() -> None:
    long = "<i>" + "rà soát " * 500 + "</i>"
    halves = split_smaller(long)
    assert halves is not None and len(halves) >= 2
    assert all(visible_length(h) <= visible_length(long) // 2 and _valid(h) for h in halves)
    assert split_smaller("<b>ngắn</b>") is None  # too short to be the problem


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [("xong ạ", 200, "xong ạ"), ("a  b\n c", 200, "a b c"),
     ("rà soát " * 100, 30, "rà soát rà soát rà soát rà…")],
)  # fmt: skip
def test_user_text_shown_back_is_shortened(text: str, limit: int, expected: str) -> None:
    assert echo(text, limit) == expected
    assert len(echo("x" * 10_000)) == 200
