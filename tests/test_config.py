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
        ({"DONDOC_TIMEZONE": "UTC"}, "DONDOC_TIMEZONE: .*Asia/Ho_Chi_Minh"),
        ({"DATABASE_URL_FILE": "/nonexistent/secret"}, "DATABASE_URL_FILE"),
        ({"DONDOC_CONFIG": "/nonexistent/dondoc.toml"}, "DONDOC_CONFIG"),
        ({"ZALO_WEBHOOK_URL": "https://x.example/zalo"}, "ZALO_WEBHOOK_SECRET"),
        ({"WEBHOOK_PORT": "70000"}, "WEBHOOK_PORT"),
        ({"DATABASE_URL": "sqlite:///"}, "DATABASE_URL: SQLite needs a file"),
        ({"DATABASE_URL": "mysql://u@h/db"}, "DATABASE_URL: mysql is not supported"),
        ({"DATABASE_URL": "foo://bar"}, "DATABASE_URL"),
        (
            {"TELEGRAM_WEBHOOK_URL": "not a url", "TELEGRAM_WEBHOOK_SECRET": "s"},
            "TELEGRAM_WEBHOOK_URL: a webhook is an https:// URL",
        ),
        (
            {"TELEGRAM_WEBHOOK_URL": "http://x.example/hook", "TELEGRAM_WEBHOOK_SECRET": "s"},
            "TELEGRAM_WEBHOOK_URL: a webhook is an https:// URL",
        ),
        (
            {"ZALO_WEBHOOK_URL": "https://x.example/zalo", "ZALO_WEBHOOK_SECRET": "abc def!"},
            "ZALO_WEBHOOK_SECRET: 1 to 256 of",
        ),
        (  # Zalo's setWebhook: a secret token of 8 to 256 characters
            {"ZALO_WEBHOOK_URL": "https://x.example/zalo", "ZALO_WEBHOOK_SECRET": "short-7"},
            "ZALO_WEBHOOK_SECRET: Zalo needs 8 to 256 characters",
        ),
        (
            {"ZALO_WEBHOOK_URL": "https://x.example/zalo", "ZALO_WEBHOOK_SECRET": "s" * 257},
            "ZALO_WEBHOOK_SECRET: 1 to 256 of",
        ),
        (
            {"ZALO_WEBHOOK_URL": "http://x.example/zalo", "ZALO_WEBHOOK_SECRET": "webhook-s3cret"},
            "ZALO_WEBHOOK_URL: a webhook is an https:// URL",
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
        ("[digest]\nweekday = 7\n", r"\[digest\]: weekday"),
        ('[escalation]\nhead_after = "3"\n', r"\[escalation\] head_after: expected a whole number"),
        ("[escalation]\ngroup_after = 0\n", r"\[escalation\]: group_after: at least 1"),
        ('[files]\ncutoff = "3pm"\n', r"\[files\] cutoff: expected a time of day"),
        ("head_after = 3\n", r"head_after must be written inside \[escalation\]"),
        ('[apology]\nplace = ""\n', r"\[apology\] place: must not be empty"),
        ("[unspecified]\nweekday = -1\n", r"\[unspecified\]: weekday"),
        ('[digest]\nat = "25:00"\n', r"\[digest\] at: expected a time of day"),
        ('[office_hours]\nstart = "18:00"\n', r"\[office_hours\]"),
        ("[escalation]\nhead_after = -3\n", r"\[escalation\]: head_after: at least 1"),
        ("[escalation]\nhead_after = 9\n", r"\[escalation\]: escalation days must grow"),
        ("[reminders]\nbefore = [3, -1]\n", r"\[reminders\]: reminders ahead must be positive"),
        ('[reminders]\nbefore = ["ba"]\n', r"\[reminders\] before: expected a whole number"),
        ("[reminders]\non_due_day = 1\n", "true or false"),
        ("[dispatch]\nlease_seconds = 0\n", r"\[dispatch\]: lease_seconds"),
        ("[dispatch]\nmax_attempts = 2.5\n", r"\[dispatch\] max_attempts: expected a whole number"),
        ("[files]\nwarn_days = 0\n", r"\[files\]: warn_days"),
        ("[scheduler]\ntick_seconds = 1\n", r"tick_seconds: 5 to 3600"),
        ("[escalation]\nhead_afer = 5\n", r"\[escalation\]: unknown key head_afer"),
        ("[reminder]\nbefore = [5]\n", r"unknown table \[reminder\]"),
        ('[apology]\nplase = "Long Khánh"\n', r"\[apology\]: unknown key plase"),
        ("digest = 3\n", r"\[digest\]: must be a table"),
        ("[digest\n", r"rules\.toml"),
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
    with pytest.raises(SettingsError, match="not UTF-8 text"):
        Settings.load({"DONDOC_CONFIG": str(path)}, env_file=None)
    env_file = tmp_path / ".env"
    env_file.write_text("DATABASE_URL=sqlite:///x.db\n", encoding="utf-16")
    with pytest.raises(SettingsError, match=r"\.env: not UTF-8 text"):
        Settings.load({}, env_file=env_file)


def test_a_folder_named_like_the_rules_file_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dondoc.toml").mkdir()
    with pytest.raises(SettingsError, match="a folder, not the rules file"):
        Settings.load({}, env_file=None)
