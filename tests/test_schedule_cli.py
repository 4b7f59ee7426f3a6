"""The operator's commands on the demo province: preview, tick, calendar; and the settings file."""

from __future__ import annotations

import json
from datetime import time
from pathlib import Path

import pytest

from bot.config import Settings, SettingsError
from tests.cli import dondoc_process as dondoc


def test_preview_lists_messages_as_json_and_changes_nothing(demo: Path) -> None:
    first = json.loads(
        dondoc(demo, "preview", "--at", "2024-12-20 08:00", "--format", "json").stdout
    )
    again = json.loads(
        dondoc(demo, "preview", "--at", "2024-12-20 08:00", "--format", "json").stdout
    )
    assert first == again and first
    snv = [m for m in first if m["chat_id"] == "nhom:so-noi-vu"]
    assert snv and snv[0]["role"] == "group" and snv[0]["agency"] == "Sở Nội vụ"
    assert "before-7" in snv[0]["stages"] and "Kế hoạch 126/KH-UBND" in snv[0]["text"]
    assert all({"chat", "agency", "stages", "assignments", "text"} <= set(m) for m in first)


def test_preview_outside_office_hours_says_when_it_will_go(demo: Path) -> None:
    result = dondoc(demo, "preview", "--at", "2024-12-21 08:00")
    assert "Thứ Hai, 23/12/2024 07:30" in result.stderr
    assert "0 tin nhắn" in result.stdout


def test_tick_sends_once_through_the_console(tmp_path: Path) -> None:
    dondoc(tmp_path, "seed")
    first = dondoc(tmp_path, "tick", "--at", "2024-12-20 08:00")
    second = dondoc(tmp_path, "tick", "--at", "2024-12-20 08:01")
    assert "→ nhom:so-noi-vu" in first.stdout
    # 7 working days to 31/12 by the national calendar; the demo province is off on 30/12.
    assert "Còn 6 ngày làm việc" in first.stdout
    assert "gửi 0" in second.stdout and "→ nhom:" not in second.stdout


def test_calendar_changes_move_the_ladder(tmp_path: Path) -> None:
    dondoc(tmp_path, "seed")
    dondoc(tmp_path, "calendar", "off", "2024-12-20", "--note", "Nghỉ theo quyết định của tỉnh")
    assert "0 tin nhắn" in dondoc(tmp_path, "preview", "--at", "2024-12-20 08:00").stdout
    listing = dondoc(tmp_path, "calendar", "list", "--year", "2024").stdout
    [day] = [line for line in listing.splitlines() if line.startswith("│ 20/12/2024")]
    assert "Thứ Sáu" in day and "Nghỉ theo quyết định của tỉnh" in day
    dondoc(tmp_path, "calendar", "remove", "2024-12-20")
    assert "0 tin nhắn" not in dondoc(tmp_path, "preview", "--at", "2024-12-20 08:00").stdout


def test_settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # where "dondoc.toml" is looked for without DONDOC_CONFIG
    path = tmp_path / "rules.toml"
    path.write_text(
        '[office_hours]\nstart = "08:00"\nend = "16:30"\n[reminders]\nbefore = [5, 2]\n'
        "[escalation]\nhead_after = 2\nrepeat_every = 3\n",
        encoding="utf-8",
    )
    settings = Settings.load({"DONDOC_CONFIG": str(path)}, env_file=None)
    assert settings.config_file == path
    assert settings.hours.start == time(8) and settings.hours.end == time(16, 30)
    assert settings.ladder.before == (5, 2) and settings.ladder.late_head == 2
    assert settings.ladder.repeat_every == 3 and settings.ladder.late_coordinator == 7
    assert Settings.load({}, env_file=None) == Settings()  # no file: every default
    path.rename(tmp_path / "dondoc.toml")  # found in the working directory
    assert Settings.load({}, env_file=None).ladder.before == (5, 2)
    with pytest.raises(SettingsError, match="DONDOC_CONFIG: cần đường dẫn tới một tệp"):
        Settings.load({"DONDOC_CONFIG": str(path)}, env_file=None)
    path.write_text("[escalation]\ngroup_after = 5\nhead_after = 2\n", encoding="utf-8")
    with pytest.raises(
        SettingsError,
        match=r"rules\.toml \[escalation\] group_after, head_after, coordinator_after: cần tăng dần",
    ):
        Settings.load({"DONDOC_CONFIG": str(path)}, env_file=None)
