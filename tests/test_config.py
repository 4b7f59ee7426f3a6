from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import DEFAULT_DATABASE_URL, Settings, SettingsError


def test_defaults_when_nothing_is_set() -> None:
    settings = Settings.load(environ={}, env_file=None)
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert str(settings.tz) == "Asia/Ho_Chi_Minh"


def test_env_file_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("DATABASE_URL=sqlite:///from-file.db\nDONDOC_TIMEZONE=UTC\n")
    settings = Settings.load(environ={"DATABASE_URL": "sqlite:///from-env.db"}, env_file=env_file)
    assert (settings.database_url, settings.timezone) == ("sqlite:///from-env.db", "UTC")


def test_secret_from_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "db_url"
    secret.write_text("postgresql+psycopg://dondoc:s3cret@db/dondoc\n")
    settings = Settings.load(environ={"DATABASE_URL_FILE": str(secret)}, env_file=None)
    assert settings.database_url == "postgresql+psycopg://dondoc:s3cret@db/dondoc"


@pytest.mark.parametrize(
    ("environ", "names"),
    [
        ({"DATABASE_URL": "dondoc.db"}, "DATABASE_URL"),
        ({"DONDOC_TIMEZONE": "Mars/Olympus"}, "DONDOC_TIMEZONE"),
        ({"DATABASE_URL_FILE": "/nonexistent/secret"}, "DATABASE_URL_FILE"),
    ],
)
def test_bad_values_fail_fast_naming_the_variable(environ: dict[str, str], names: str) -> None:
    with pytest.raises(SettingsError, match=names):
        Settings.load(environ=environ, env_file=None)
