"""Settings: one object from the environment and the province's TOML file, checked once."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from bot.config import DEFAULT_DATABASE_URL, Settings, SettingsError, Weekly


def load(tmp_path: Path, toml: str, **environ: str) -> Settings:
    path = tmp_path / "rules.toml"
    path.write_text(toml, encoding="utf-8")
    return Settings.load({"DONDOC_CONFIG": str(path), **environ}, env_file=None)


def test_defaults_when_nothing_is_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings.load(environ={}, env_file=None)
    assert settings == Settings()
    assert settings.database_url == DEFAULT_DATABASE_URL and settings.config_file is None
    assert settings.digest == Weekly(0, time(8)) and settings.dispatch.max_attempts == 8


def test_env_file_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("DATABASE_URL=sqlite:///from-file.db\nADMIN_ZALO_IDS=z1\n")
    settings = Settings.load(environ={"DATABASE_URL": "sqlite:///from-env.db"}, env_file=env_file)
    assert (settings.database_url, settings.admin_zalo_ids) == ("sqlite:///from-env.db", {"z1"})


def test_secret_from_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "db_url"
    secret.write_text("postgresql+psycopg://dondoc:s3cret@db/dondoc\n")
    settings = Settings.load(environ={"DATABASE_URL_FILE": str(secret)}, env_file=None)
    assert settings.database_url == "postgresql+psycopg://dondoc:s3cret@db/dondoc"


@pytest.mark.parametrize(
    ("environ", "names"),
    [
        ({"DATABASE_URL": "dondoc.db"}, "DATABASE_URL"),
        ({"DONDOC_TIMEZONE": "UTC"}, "DONDOC_TIMEZONE: .*Asia/Ho_Chi_Minh.*đang là “UTC”"),
        ({"DATABASE_URL_FILE": "/nonexistent/secret"}, "DATABASE_URL_FILE"),
        ({"DONDOC_CONFIG": "/nonexistent/dondoc.toml"}, "DONDOC_CONFIG"),
        ({"ZALO_WEBHOOK_URL": "https://x.example/zalo"}, "ZALO_WEBHOOK_SECRET"),
        ({"WEBHOOK_PORT": "70000"}, "WEBHOOK_PORT"),
        (
            {"DATABASE_URL": "sqlite:///"},
            "DATABASE_URL: SQLite cần một tệp, như sqlite:///dondoc.db, đang là “sqlite:///”",
        ),
        (
            {"DATABASE_URL": "mysql://u@h/db"},
            "DATABASE_URL: dondoc không hỗ trợ mysql; cần sqlite:///dondoc.db",
        ),
        ({"DATABASE_URL": "foo://bar"}, "DATABASE_URL"),
        (
            {"TELEGRAM_WEBHOOK_URL": "not a url", "TELEGRAM_WEBHOOK_SECRET": "s"},
            "TELEGRAM_WEBHOOK_URL: cần một địa chỉ https://… \\(webhook\\), đang là “not a url”",
        ),
        (
            {"TELEGRAM_WEBHOOK_URL": "http://x.example/hook", "TELEGRAM_WEBHOOK_SECRET": "s"},
            "TELEGRAM_WEBHOOK_URL: cần một địa chỉ https://",
        ),
        (
            {"ZALO_WEBHOOK_URL": "https://x.example/zalo", "ZALO_WEBHOOK_SECRET": "abc def!"},
            "ZALO_WEBHOOK_SECRET: cần 1 đến 256 ký tự A-Z, a-z, 0-9, _ và -, đang là \\*\\*\\* \\(8 ký tự\\)",
        ),
        (  # Zalo's setWebhook: a secret token of 8 to 256 characters
            {"ZALO_WEBHOOK_URL": "https://x.example/zalo", "ZALO_WEBHOOK_SECRET": "short-7"},
            "ZALO_WEBHOOK_SECRET: cần 8 đến 256 ký tự \\(Zalo\\), đang là \\*\\*\\* \\(7 ký tự\\)",
        ),
        (
            {"ZALO_WEBHOOK_URL": "https://x.example/zalo", "ZALO_WEBHOOK_SECRET": "s" * 257},
            "ZALO_WEBHOOK_SECRET: cần 1 đến 256 ký tự",
        ),
        (
            {"ZALO_WEBHOOK_URL": "http://x.example/zalo", "ZALO_WEBHOOK_SECRET": "webhook-s3cret"},
            "ZALO_WEBHOOK_URL: cần một địa chỉ https://",
        ),
    ],
)
def test_bad_values_fail_fast_naming_the_variable(environ: dict[str, str], names: str) -> None:
    with pytest.raises(SettingsError, match=names):
        Settings.load(environ=environ, env_file=None)


def test_a_telegram_secret_under_8_characters_is_still_accepted() -> None:
    """The 8-character floor is Zalo's alone; Telegram's rule is unchanged."""
    environ = {"TELEGRAM_WEBHOOK_URL": "https://x.example/tg", "TELEGRAM_WEBHOOK_SECRET": "s"}
    assert Settings.load(environ=environ, env_file=None).telegram_webhook_secret == "s"


def test_the_rules_file_sets_only_what_it_writes(tmp_path: Path) -> None:
    settings = load(tmp_path, '[digest]\nweekday = 4\n[dispatch]\nmax_attempts = 3\n'
                              '[apology]\nplace = "Long Khánh"\n[files]\ncutoff = "15:00"\n')  # fmt: skip
    assert settings.digest == Weekly(4, time(8))  # "at" keeps its default
    assert settings.dispatch.max_attempts == 3 and settings.dispatch.lease_seconds == 120
    assert settings.apology.place == "Long Khánh" and settings.apology.number_suffix == "PXL"
    assert settings.files.cutoff == time(15) and settings.files.warn_days == 3
    assert settings.unspecified == Weekly() and settings.ladder == Settings().ladder


@pytest.mark.parametrize(
    ("toml", "named"),
    [
        (
            "[digest]\nweekday = 7\n",
            r"\[digest\] weekday: cần 0 \(thứ Hai\) đến 6 \(Chủ nhật\), đang là 7",
        ),
        (
            '[escalation]\nhead_after = "3"\n',
            r"\[escalation\] head_after: cần một số nguyên, đang là “3”",
        ),
        (
            "[escalation]\ngroup_after = 0\n",
            r"\[escalation\] group_after: cần ít nhất 1 ngày làm việc, đang là 0",
        ),
        ('[files]\ncutoff = "3pm"\n', r"\[files\] cutoff: cần một giờ trong ngày"),
        ("head_after = 3\n", r"head_after: cần được viết trong bảng \[escalation\]"),
        ('[apology]\nplace = ""\n', r"\[apology\] place: cần một đoạn chữ, đang để trống"),
        ("[unspecified]\nweekday = -1\n", r"\[unspecified\] weekday: cần 0"),
        (
            '[digest]\nat = "25:00"\n',
            r"\[digest\] at: cần một giờ trong ngày như \"08:00\", đang là “25:00”",
        ),
        (
            '[office_hours]\nstart = "18:00"\n',
            r"\[office_hours\] start, end: cần giờ bắt đầu trước giờ kết thúc, đang là 18:00 và 17:00",
        ),
        (
            "[escalation]\nhead_after = -3\n",
            r"\[escalation\] head_after: cần ít nhất 1 ngày làm việc, đang là -3",
        ),
        (
            "[escalation]\nhead_after = 9\n",
            r"\[escalation\] group_after, head_after, coordinator_after: cần tăng dần .*đang là 1, 9, 7",
        ),
        (
            "[reminders]\nbefore = [3, -1]\n",
            r"\[reminders\] before: cần các số ngày làm việc dương, .*đang là \[3, -1\]",
        ),
        (
            '[reminders]\nbefore = ["ba"]\n',
            r"\[reminders\] before: cần một số nguyên, đang là “ba”",
        ),
        (
            "[reminders]\non_due_day = 1\n",
            r"\[reminders\] on_due_day: cần true hoặc false, đang là 1",
        ),
        (
            "[dispatch]\nlease_seconds = 0\n",
            r"\[dispatch\] lease_seconds: cần ít nhất 10 \(giây\), đang là 0",
        ),
        (
            "[dispatch]\nmax_attempts = 2.5\n",
            r"\[dispatch\] max_attempts: cần một số nguyên, đang là 2.5",
        ),
        (
            "[files]\nwarn_days = 0\n",
            r"\[files\] warn_days: cần từ 1 đến 30 ngày làm việc, đang là 0",
        ),
        (
            "[scheduler]\ntick_seconds = 1\n",
            r"\[scheduler\] tick_seconds: cần từ 5 đến 3600 \(giây\), đang là 1",
        ),
        (
            "[escalation]\nhead_afer = 5\n",
            r"\[escalation\] head_afer: không có khóa này; cần một trong coordinator_after, group_after",
        ),
        ("[reminder]\nbefore = [5]\n", r"\[reminder\]: không có bảng này"),
        ('[apology]\nplase = "Long Khánh"\n', r"\[apology\] plase: không có khóa này"),
        ("digest = 3\n", r"\[digest\]: cần là một bảng, như \[digest\]"),
        ("[digest\n", r"rules\.toml: cần cú pháp TOML đúng: lỗi ở dòng 1, cột 8"),
        ("[retention]\ndays = 7\n", r"\[retention\] days: cần 0 \(giữ mãi\) hoặc từ 30 đến 36500"),
    ],
)
def test_every_weekday_hour_and_count_is_checked(tmp_path: Path, toml: str, named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        load(tmp_path, toml)


def test_the_example_file_is_every_default() -> None:
    example = Path(__file__).resolve().parent.parent / "dondoc.example.toml"
    assert Settings.load({"DONDOC_CONFIG": str(example)}, env_file=None) == Settings(
        config_file=example
    )


def test_a_rules_file_not_in_utf8_is_named(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text('[apology]\nplace = "Biên Hòa"\n', encoding="utf-16")
    with pytest.raises(SettingsError, match="cần văn bản UTF-8"):
        Settings.load({"DONDOC_CONFIG": str(path)}, env_file=None)
    env_file = tmp_path / ".env"
    env_file.write_text("DATABASE_URL=sqlite:///x.db\n", encoding="utf-16")
    with pytest.raises(SettingsError, match=r"\.env: cần văn bản UTF-8"):
        Settings.load({}, env_file=env_file)


def test_a_folder_named_like_the_rules_file_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dondoc.toml").mkdir()
    with pytest.raises(SettingsError, match="cần tệp quy định của tỉnh, đây là một thư mục"):
        Settings.load({}, env_file=None)


@pytest.mark.parametrize(
    ("environ", "secret"),
    [
        ({"DATABASE_URL": "mysql://dondoc:s3cret-pw@db/dondoc"}, "s3cret-pw"),
        ({"DATABASE_URL": "oracle://dondoc:p@ss-w0rd@db/dondoc"}, "ss-w0rd"),
        ({"DATABASE_URL": "mysql://db/dondoc?password=s3cret-pw"}, "s3cret-pw"),
        (
            {"TELEGRAM_WEBHOOK_URL": "https://x.example/tg", "TELEGRAM_WEBHOOK_SECRET": "no way!"},
            "no way!",
        ),
        ({"TELEGRAM_BASE_URL": "ftp://bot:s3cret-pw@x.example/bot"}, "s3cret-pw"),
    ],
)
def test_a_secret_in_a_bad_value_is_never_shown(environ: dict[str, str], secret: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.load(environ=environ, env_file=None)
    said = str(refused.value)
    assert secret not in said and "***" in said and "đang là" in said
    assert "\n" not in said and said.split(":")[0] in environ  # names the variable


def test_retention_is_six_months_unless_the_rules_say(tmp_path: Path) -> None:
    assert Settings().retention.days == 180
    assert load(tmp_path, "[retention]\ndays = 365\n").retention.days == 365
    assert load(tmp_path, "[retention]\ndays = 0\n").retention.days == 0  # keep everything


# What an IT officer's first deployment got wrong: each is a settings error, not a crash
# at run time nor a setting silently dropped.


def _error(environ: dict[str, str], env_file: Path | None = None) -> str:
    with pytest.raises(SettingsError) as caught:
        Settings.load(environ, env_file=env_file)
    return str(caught.value)


def test_a_secret_file_that_is_not_utf8_names_the_variable_and_the_file(tmp_path: Path) -> None:
    token = tmp_path / "telegram_bot_token"
    token.write_bytes(b"\xff\xfe1234:abc")
    said = _error({"TELEGRAM_BOT_TOKEN_FILE": str(token)})
    assert said.startswith("TELEGRAM_BOT_TOKEN_FILE: cần một tệp văn bản UTF-8")
    assert str(token) in said


@pytest.mark.parametrize("text", ["", "\n  \n"])
def test_an_empty_secret_file_is_refused(tmp_path: Path, text: str) -> None:
    token = tmp_path / "zalo_bot_token"
    token.write_text(text)
    said = _error({"ZALO_BOT_TOKEN_FILE": str(token)})
    assert said.startswith("ZALO_BOT_TOKEN_FILE: cần một tệp chứa giá trị của ZALO_BOT_TOKEN")


def test_a_secret_file_saved_with_a_bom_is_read(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("\ufeff1234:abc\n", encoding="utf-8")
    settings = Settings.load({"TELEGRAM_BOT_TOKEN_FILE": str(token)}, env_file=None)
    assert settings.telegram_token == "1234:abc"


def test_a_secret_and_its_file_set_to_different_values_is_refused(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("1234:from-file\n")
    said = _error({"TELEGRAM_BOT_TOKEN_FILE": str(token), "TELEGRAM_BOT_TOKEN": "1234:direct"})
    assert said.startswith("TELEGRAM_BOT_TOKEN, TELEGRAM_BOT_TOKEN_FILE: cần chỉ đặt một")
    assert "from-file" not in said and "direct" not in said
    same = {"TELEGRAM_BOT_TOKEN_FILE": str(token), "TELEGRAM_BOT_TOKEN": "1234:from-file"}
    assert Settings.load(same, env_file=None).telegram_token == "1234:from-file"


@pytest.mark.parametrize("name", ["METRICS_LISTEN", "WEBHOOK_LISTEN"])
@pytest.mark.parametrize("value", ["abc", "0.0.0.0:9100", "127.0.0.256", "http://0.0.0.0"])
def test_a_listen_address_must_be_an_ip_address(name: str, value: str) -> None:
    said = _error({name: value})
    assert said.startswith(f"{name}: cần một địa chỉ IP") and "localhost" in said


@pytest.mark.parametrize("value", ["0.0.0.0", "127.0.0.1", "::", "::1", "localhost"])  # noqa: S104
def test_listen_addresses_that_a_server_can_bind(value: str) -> None:
    assert Settings.load({"METRICS_LISTEN": value}, env_file=None).metrics_listen == value


def test_an_env_line_dotenv_cannot_parse_is_an_error_naming_file_and_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text('ADMIN_TELEGRAM_IDS=1\nTELEGRAM_BOT_TOKEN="123:abc\nLOG_FORMAT=text\n')
    said = _error({}, env_file)
    assert said.startswith(f"{env_file} dòng 2: cần dạng TÊN=giá trị")
    assert "123:abc" not in said  # a token's line is not quoted
    assert not caplog.records  # python-dotenv's English warning is not printed


def test_an_env_file_saved_with_a_bom_is_read(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("\ufeffADMIN_ZALO_IDS=z1\n", encoding="utf-8")
    assert Settings.load({}, env_file=env_file).admin_zalo_ids == {"z1"}


def test_a_rules_file_saved_with_a_bom_is_read(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text("\ufeff[scheduler]\ntick_seconds = 30\n", encoding="utf-8")
    assert Settings.load({"DONDOC_CONFIG": str(path)}, env_file=None).tick_seconds == 30


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://dondoc:p@ss@127.0.0.1/dondoc",
        "postgresql+psycopg://dondoc:p@ss@w@rd@db:5432/dondoc",
    ],
)
def test_a_database_password_with_an_unencoded_at_sign_is_refused(url: str) -> None:
    said = _error({"DATABASE_URL": url})
    assert said.startswith("DATABASE_URL: cần mật khẩu") and "%40" in said
    assert said.endswith("đang là “postgresql+psycopg://dondoc:***@" + url.rpartition("@")[2] + "”")
    encoded = "postgresql+psycopg://dondoc:p%40ss@127.0.0.1/dondoc"
    assert Settings.load({"DATABASE_URL": encoded}, env_file=None).database_url == encoded
