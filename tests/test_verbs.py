"""The one table of chat verbs: commands, button data, and the commands typed instead."""

from __future__ import annotations

import pytest

from bot.channels import buttons_as_text
from bot.domain import verbs
from bot.domain.verbs import (
    CALLBACK_DATA_LIMIT,
    VERBS,
    Verb,
    button,
    callback_data,
    find_command,
    help_lines,
    parse_button,
    typed_equivalent,
)

WITH_BUTTONS = [v for v in VERBS if v.button]
IDENTS = ("1", "12", "987654321", "2" * 40)

COMMANDS = {
    "xong": verbs.DONE,
    "tiendo": verbs.PROGRESS,
    "giahan": verbs.EXTEND,
    "duyet": verbs.APPROVE_EXTENSION,
    "khongduyet": verbs.REJECT_EXTENSION,
    "xinloi": verbs.APOLOGIZE,
    "duyetxl": verbs.APPROVE_APOLOGY,
    "tralai": verbs.RETURN_APOLOGY,
    "nhiemvu": verbs.TASKS,
    "quahan": verbs.OVERDUE,
    "baocao": verbs.REPORT,
    "hoso": verbs.FILES,
    "web": verbs.WEB,
    "lienket": verbs.BIND,
    "huylienket": verbs.UNBIND,
    "start": verbs.START,
    "trogiup": verbs.HELP,
    "help": verbs.HELP,
}

# Data on buttons already sent: it must keep meaning the same verb.
ON_THE_WIRE = {
    "d:12": (verbs.DONE, "12"),
    "p:12": (verbs.PROGRESS, "12"),
    "e:12": (verbs.EXTEND, "12"),
    "ea:3": (verbs.APPROVE_EXTENSION, "3"),
    "er:3": (verbs.REJECT_EXTENSION, "3"),
    "x:5": (verbs.APOLOGIZE, "5"),
    "aa:7": (verbs.APPROVE_APOLOGY, "7"),
    "ab:7": (verbs.RETURN_APOLOGY, "7"),
}


@pytest.mark.parametrize("verb", WITH_BUTTONS, ids=lambda v: v.name)
@pytest.mark.parametrize("ident", IDENTS)
def test_button_data_round_trips(verb: Verb, ident: str) -> None:
    label, data = button(verb, ident)
    assert verb.button is not None and label == verb.button.label
    assert len(data.encode()) <= CALLBACK_DATA_LIMIT
    assert parse_button(data) == (verb, ident)
    assert callback_data(verb, int(ident)) == data


@pytest.mark.parametrize(("data", "expected"), ON_THE_WIRE.items())
def test_data_already_sent_keeps_its_meaning(data: str, expected: tuple[Verb, str]) -> None:
    assert parse_button(data) == expected
    assert callback_data(*expected) == data


@pytest.mark.parametrize("data", ["", "d", "zz:1", "12", ":12", "D:12"])
def test_data_no_verb_makes_is_not_read(data: str) -> None:
    assert parse_button(data) is None
    assert typed_equivalent(data) is None


def test_callback_data_over_telegrams_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="64 bytes"):
        callback_data(verbs.DONE, "9" * 63)
    with pytest.raises(ValueError, match="no button"):
        callback_data(verbs.TASKS, 1)


@pytest.mark.parametrize(("name", "verb"), COMMANDS.items())
@pytest.mark.parametrize("suffix", ["", "@DondocBot", "@dondoc_test_bot"])
def test_every_command_is_found(name: str, verb: Verb, suffix: str) -> None:
    for typed in (f"/{name}{suffix}", f"/{name.upper()}{suffix}  NV12 đã gửi "):
        command = find_command(typed)
        assert command is not None and command.verb is verb, typed
        assert command.name == name
    assert find_command(f"/{name}{suffix} NV12  đã gửi\nsố 12").args == "NV12  đã gửi\nsố 12"  # type: ignore[union-attr]


def test_every_verb_is_in_the_table_of_commands() -> None:
    assert {v.name for v in COMMANDS.values()} == {v.name for v in VERBS}
    names = [n for v in VERBS for n in (v.command, *v.aliases)]
    kinds = [v.button.kind for v in VERBS if v.button]
    assert len(set(names)) == len(names) and len(set(kinds)) == len(kinds)  # none names two
    assert len({v.name for v in VERBS}) == len(VERBS)


def test_unknown_commands_and_plain_text() -> None:
    unknown = find_command("/khongco 12")
    assert unknown is not None and unknown.verb is None and unknown.name == "khongco"
    assert find_command("xong NV12") is None
    assert find_command("70%") is None


@pytest.mark.parametrize("verb", WITH_BUTTONS, ids=lambda v: v.name)
def test_every_button_has_a_command_typed_instead(verb: Verb) -> None:
    _, data = button(verb, 12)
    typed = typed_equivalent(data)
    assert typed is not None and typed.startswith(f"/{verb.command} {verb.code(12)}")
    command = find_command(typed)
    assert command is not None and command.verb is verb  # what is typed does the same
    assert verb.button is not None
    assert buttons_as_text([[button(verb, 12)]]) == f"{verb.button.label} → {typed}"


def test_zalo_text_for_a_reminder_is_unchanged() -> None:
    row = [button(v, 12, " NV12") for v in (verbs.DONE, verbs.PROGRESS, verbs.EXTEND)]
    assert buttons_as_text([row]) == (
        "✅ Hoàn thành NV12 → /xong NV12\n"
        "📝 Tiến độ NV12 → /tiendo NV12 70%\n"
        "⏳ Gia hạn NV12 → /giahan NV12 NGÀY lý do"
    )


def test_help_lists_commands_from_the_table() -> None:
    lines = help_lines()
    assert lines[1] == "/xong MÃ [ghi chú] – báo hoàn thành"
    assert lines[-1] == "/lienket MÃ – liên kết nhóm với cơ quan; /huylienket – bỏ liên kết"
    for line in lines:
        for usage in line.split("; "):
            command = find_command(usage.split(" – ")[0])
            assert command is not None and command.verb is not None, usage
