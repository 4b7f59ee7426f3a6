"""The CLI speaks its users' language: day-first dates, one Vietnamese line per error,
only the formats it has, codes and progress in listings, CSV that Excel opens."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import Session, col, create_engine, select

from bot.db import session_scope
from bot.models import Agency, Chat, ChatRole
from bot.services.chats import ensure_chat
from tests.cli import SEED, Dondoc, one_error_line
from tests.files import LateFile, late_files_export

PLAN = (
    "Số kế hoạch,99/KH-UBND\n"
    "STT,Nhiệm vụ cụ thể,Tiến độ,Cơ quan chủ trì\n"
    "1,Rà soát thủ tục hành chính nội bộ,31/12/2024,Sở Nội vụ\n"
    "2,Tổng kết công tác cải cách hành chính,Quý I/2025,Sở Nội vụ\n"
)
FILE = LateFile("TP-1", "Chứng thực bản sao", holder="Lê Văn Cường", received="02/01/2025 09:00",
                due="07/01/2025", days=None, status="Đang xử lý")  # fmt: skip


@pytest.fixture
def admin(dondoc: Dondoc, tmp_path: Path) -> Dondoc:
    (tmp_path / "plan.csv").write_text(PLAN, encoding="utf-8")
    late_files_export(tmp_path, FILE)
    dondoc.ok("import", "tasks", "plan.csv", "--date", "05/01/2024")
    dondoc.ok("import", "files", "export.csv")
    return dondoc


def test_every_date_option_takes_day_first_and_iso(admin: Dondoc) -> None:
    listed = json.loads(admin.ok("tasks", "--today", "31/12/2024", "--format", "json").stdout)
    assert [x["overdue"] for x in listed] == [False, False]
    listed = json.loads(admin.ok("tasks", "--today", "02/01/2025", "--format", "json").stdout)
    assert [x["overdue"] for x in listed] == [True, False]
    assert (
        json.loads(admin.ok("tasks", "--today", "2025-01-02", "--format", "json").stdout) == listed
    )
    assert "TP-1" in admin.ok("files", "--late", "--today", "08/01/2025").stdout
    admin.ok("apologies", "--from", "01/01/2025", "--to", "31/03/2025", "--out", "ck",
             "--today", "31/03/2025")  # fmt: skip
    assert "tin nhắn sẽ được gửi" in admin.ok("preview", "--at", "20/12/2024").stdout
    assert "Đã xét" in admin.ok("tick", "--at", "20/12/2024 08:00").stdout
    assert "nghỉ" in admin.ok("calendar", "off", "03/09/2025", "--note", "Nghỉ theo tỉnh").stdout
    assert "Đã bỏ" in admin.ok("calendar", "remove", "03/09/2025").stdout


def test_simulate_takes_day_first_dates(dondoc: Dondoc) -> None:
    result = dondoc.ok("simulate", "--from", "02/12/2024", "--to", "03/12/2024", "--quiet")
    assert "Mô phỏng 02/12/2024 – 03/12/2024" in result.stdout


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["tasks", "--today", "31/13/2024"], "--today: “31/13/2024” không phải một ngày"),
        (["preview", "--at", "hôm qua"], "--at: “hôm qua” không phải thời điểm"),
        (["apologies", "--from", "2025/01/01", "--to", "31/03/2025"], "--from: “2025/01/01”"),
        (["report", "--plan", "99/KH-UBND", "--period", "2024-Q4", "--out", "khong-co/bc.xlsx"],
         "--out: thư mục “khong-co” không tồn tại"),
        (["tasks", "--format", "xml"], "--format: chỉ nhận table, csv, json."),
        (["preview", "--at", "20/12/2024", "--format", "csv"], "--format: chỉ nhận table, json."),
        (["simulate", "--format", "csv"], "--format: chỉ nhận table, json."),
        (["tasks", "--due-within", "mười"], "--due-within: cần một số nguyên."),
        (["tasks", "--qua-han"], "Không có tùy chọn --qua-han"),
        (["nhiemvu"], "Không có lệnh “nhiemvu”"),
        (["chat"], "Không có lệnh “chat”. Có phải là “chats”, “health”?"),
        (["report", "--period", "2024-Q4"], "Thiếu --plan"),
        (["tasks", "--agency", "Sở Nộ vụ"], "Không tìm thấy cơ quan “Sở Nộ vụ” (có phải: Sở Nội vụ?)"),
        (["files", "--agency", "So Tu phap x"], "Không tìm thấy cơ quan"),
        (["link", "Sở Y tá"], "(có phải: Sở Y tế?)"),
        (["import", "tasks", "khong-co.csv"], "khong-co.csv: không tìm thấy tệp"),
    ],
)  # fmt: skip
def test_every_error_is_one_vietnamese_line(admin: Dondoc, args: list[str], said: str) -> None:
    output = one_error_line(admin(*args))
    assert said in output, output
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    for english in ("Error", "Invalid", "Usage", "No such", "Missing"):
        assert english not in output


def test_unlink_refuses_the_last_admin_chat(admin: Dondoc) -> None:
    engine = create_engine(admin.env["DATABASE_URL"])
    with session_scope(engine) as s:
        ensure_chat(s, channel="telegram", chat_key="42", role=ChatRole.ADMIN, agency=None,
                    title="Quản trị viên")  # fmt: skip
    with Session(engine) as s:
        chats = [(c.channel, c.chat_key) for c in s.exec(
            select(Chat).where(Chat.role == ChatRole.ADMIN, col(Chat.active).is_(True))).all()]  # fmt: skip
    *others, (channel, key) = sorted(chats, key=lambda c: c == ("telegram", "42"))
    for other in others:
        admin.ok("unlink", *other)
    refused = one_error_line(admin("unlink", channel, key))
    assert "chat quản trị viên cuối cùng" in refused and "Traceback" not in refused, refused
    with Session(engine) as s:
        assert s.exec(select(Chat).where(Chat.chat_key == key)).one().active
    engine.dispose()


def test_unlink_a_telegram_group_as_the_help_shows_it(admin: Dondoc) -> None:
    engine = create_engine(admin.env["DATABASE_URL"])
    with session_scope(engine) as s:
        agency = s.exec(select(Agency).where(Agency.code == "so-y-te")).one()
        ensure_chat(s, channel="telegram", chat_key="-1001234567890", role=ChatRole.GROUP,
                    agency=agency, title="Nhóm Sở Y tế")  # fmt: skip
    assert "dondoc unlink telegram -1001234567890" in admin.ok("unlink", "--help").stdout
    assert "Đã bỏ liên kết" in admin.ok("unlink", "telegram", "-1001234567890").stdout
    with Session(engine) as s:
        assert not s.exec(select(Chat).where(Chat.chat_key == "-1001234567890")).one().active


def test_tasks_show_the_code_the_progress_and_an_overdue_mark(admin: Dondoc) -> None:
    table = admin.ok("tasks", "--today", "02/01/2025").stdout
    assert "NV1" in table and "NV2" in table and "0%" in table
    [overdue_line] = [line for line in table.splitlines() if "quá hạn" in line]
    assert "NV1" in overdue_line
    [first, _] = json.loads(admin.ok("tasks", "--today", "02/01/2025", "--format", "json").stdout)
    assert (first["code"], first["progress"], first["overdue"]) == ("NV1", 0, True)


def test_csv_exports_open_in_excel(admin: Dondoc) -> None:
    tasks = admin.ok("tasks", "--today", "02/01/2025", "--format", "csv").stdout_bytes
    assert tasks.startswith("\ufeffMã,Kế hoạch,Mục,Nhiệm vụ,Chỉ số/nội dung,Cơ quan".encode())
    assert b"NV1,99/KH-UBND" in tasks and "Chủ trì".encode() in tasks
    files = admin.ok("files", "--today", "08/01/2025", "--format", "csv").stdout_bytes
    assert files.startswith("\ufeffMã hồ sơ,Tên thủ tục,Đơn vị xử lý".encode())
    assert b"07/01/2025" in files


def test_the_calendar_in_vietnamese_with_the_national_make_up_days(admin: Dondoc) -> None:
    table = admin.ok("calendar", "list", "--year", "2025").stdout
    assert "Giỗ Tổ Hùng Vương" in table and "Quốc khánh" in table
    assert "Hung" not in table and "Day" not in table
    [make_up] = [line for line in table.splitlines() if line.startswith("│ 26/04/2025")]
    assert "Thứ Bảy" in make_up and "làm việc" in make_up and "Làm bù" in make_up
    assert "2025-" not in table


def test_a_bad_rules_file_is_named_with_its_table_and_key(dondoc: Dondoc) -> None:
    """The message is printed as it is: "[escalation]" is a TOML table, not console markup."""
    (dondoc.folder / "dondoc.toml").write_text('[escalation]\nhead_after = "3"\n', encoding="utf-8")
    result = dondoc("tasks")
    assert result.exit_code == 78  # EX_CONFIG: every settings error, every command
    assert result.output == (
        "Cấu hình sai: dondoc.toml [escalation] head_after: cần một số nguyên, đang là “3”\n"
    )


@pytest.mark.parametrize(
    "command", [("tasks",), ("health",), ("run",), ("prune",), ("backup", "x.db")]
)
def test_a_bad_variable_is_one_line_and_the_same_exit_code_for_every_command(
    dondoc: Dondoc, command: tuple[str, ...]
) -> None:
    dondoc.env["DATABASE_URL"] = "mysql://dondoc:s3cret-pw@db/dondoc"
    result = dondoc(*command)
    assert result.exit_code == 78
    [line] = result.output.splitlines()
    assert line.startswith("Cấu hình sai: DATABASE_URL: dondoc không hỗ trợ mysql; cần ")
    assert "s3cret-pw" not in result.output and "mysql://dondoc:***@db/dondoc" in line


def test_health_as_json_with_bad_settings_is_json_naming_the_error(dondoc: Dondoc) -> None:
    dondoc.env["LOG_FORMAT"] = "yaml"
    result = dondoc("health", "--format", "json")
    assert result.exit_code == 78
    figures = json.loads(result.stdout)
    assert figures["ok"] is False and figures["exit_code"] == 78
    assert figures["error"] == "Cấu hình sai: LOG_FORMAT: cần text hoặc json, đang là “yaml”"
    assert figures["problems"] == [figures["error"]]


@pytest.mark.parametrize(
    ("typer_says", "said"),
    [
        ("File 'ke-hoach.csv' is not readable.", "TỆP: “ke-hoach.csv” không đọc được: tài khoản chạy dondoc không có quyền đọc"),
        ("Path 'ke-hoach' is a directory.", "TỆP: “ke-hoach” là một thư mục, không phải tệp."),
        ("File 'ke hoach.csv' does not exist.", "TỆP: “ke hoach.csv” không tồn tại."),
    ],
)  # fmt: skip
def test_a_path_typer_refuses_is_named_with_the_reason(typer_says: str, said: str) -> None:
    """A file the bot's own account cannot read (copied into its container as root) is
    told as such, not as an invalid value. Typer's own words, as it checks a path."""
    from typer._click import exceptions as usage

    from bot.cli.common import vietnamese

    assert vietnamese(usage.BadParameter(typer_says, param_hint="TỆP")).startswith(said)


def test_log_format_json_in_dot_env_makes_a_settings_error_a_json_line(dondoc: Dondoc) -> None:
    (dondoc.folder / ".env").write_text(
        "LOG_FORMAT=json\nWEBHOOK_PORT=tám nghìn\n", encoding="utf-8"
    )
    result = dondoc("tasks")
    assert result.exit_code == 78
    [line] = result.output.splitlines()
    logged = json.loads(line)
    assert logged["level"] == "ERROR" and logged["message"] == (
        "Cấu hình sai: WEBHOOK_PORT: cần một số cổng, như 8443, đang là “tám nghìn”"
    )


@pytest.mark.parametrize(
    ("args", "where"),
    [
        (("link", "Sở Y tế"), "Gõ /lienket {code} trong nhóm công tác của Sở Y tế"),
        (("link", "Sở Y tế", "--role", "head"), "Thủ trưởng Sở Y tế mở chat riêng với bot"),
        (("link", "Sở Nội vụ", "--role", "coordinator"),
         "Cán bộ theo dõi, đôn đốc của Sở Nội vụ mở chat riêng với bot"),
        (("link", "--role", "admin"), "Quản trị viên mở chat riêng với bot"),
    ],
)  # fmt: skip
def test_the_link_code_is_typed_where_its_role_reads_its_messages(
    tmp_path: Path, args: tuple[str, ...], where: str
) -> None:
    """An admin, a head, a coordinator link their private chat; only a group its group."""
    run = Dondoc(tmp_path)
    run.ok("import", "agencies", str(SEED / "agencies.csv"))
    result = run.ok(*args)
    code = result.output.split(": ", 1)[1].split()[0]
    assert where.format(code=code) in result.output
    assert ("chat riêng" in result.output) == (len(args) != 2)


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_an_env_line_that_cannot_be_parsed_is_one_config_error(
    tmp_path: Path, log_format: str
) -> None:
    """python-dotenv would print an English warning and drop the line; dondoc stops with
    one Vietnamese line naming the file and the line (a JSON line when logs are JSON)."""
    import os
    import subprocess
    import sys

    (tmp_path / ".env").write_text(f'LOG_FORMAT={log_format}\nTELEGRAM_BOT_TOKEN="123:abc\n')
    env = {k: v for k, v in os.environ.items() if k not in ("LOG_FORMAT", "TELEGRAM_BOT_TOKEN")}
    done = subprocess.run([sys.executable, "-m", "bot", "health"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 78 and done.stdout == ""
    [line] = done.stderr.splitlines()
    said = json.loads(line)["message"] if log_format == "json" else line
    assert said.startswith("Cấu hình sai: .env dòng 2: cần dạng TÊN=giá trị")
    assert "123:abc" not in done.stderr and "python-dotenv" not in done.stderr


@pytest.mark.parametrize("command", [(), ("import",), ("import", "tasks")])
def test_the_help_speaks_vietnamese_around_the_commands_own_words(
    dondoc: Dondoc, command: tuple[str, ...]
) -> None:
    shown = dondoc.ok(*command, "--help").stdout
    assert "Xem hướng dẫn này rồi thoát." in shown and "Tùy chọn" in shown
    assert "Show this message" not in shown and " Options " not in shown
