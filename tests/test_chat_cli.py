"""Admin and operator commands for chats: link codes, the console officer, `run` on a token."""

from __future__ import annotations

import re
from pathlib import Path

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
