"""No credential of a URL is ever printed: ``dondoc health``, a settings error, a driver's
error, a log line (``bot.redact``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.redact import mask_url, mask_urls_in, scrub
from tests.cli import Dondoc


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql+psycopg://dondoc:s3cret@db:5432/dondoc",
         "postgresql+psycopg://dondoc:***@db:5432/dondoc"),
        ("postgresql+psycopg://dondoc:s3cret@db/dondoc?password=s3cret&sslmode=require",
         "postgresql+psycopg://dondoc:***@db/dondoc?password=***&sslmode=require"),
        ("postgresql://db/dondoc?user=dondoc&password=s3cret",
         "postgresql://db/dondoc?password=***&user=dondoc"),
        ("postgresql://dondoc:s3cret@db/dondoc?sslpassword=s3cret",
         "postgresql://dondoc:***@db/dondoc?sslpassword=***"),
        ("postgresql://db/dondoc?secret=s3cret&token=s3cret",
         "postgresql://db/dondoc?secret=***&token=***"),
        ("postgresql+psycopg://dondoc:p@ss@db/dondoc",  # an "@" left unescaped
         "postgresql+psycopg://dondoc:***@db/dondoc"),
        ("postgresql+psycopg://dondoc:a@b@c@db/dondoc", "postgresql+psycopg://dondoc:***@db/dondoc"),
        ("postgresql+psycopg://dondoc:p%40ss@db/dondoc", "postgresql+psycopg://dondoc:***@db/dondoc"),
        ("postgresql://dondoc:s3/cret@db/dondoc", "postgresql://dondoc:***@db/dondoc"),
        ("sqlite:///dondoc.db", "sqlite:///dondoc.db"),
        ("sqlite:////data/dondoc.db", "sqlite:////data/dondoc.db"),
        # Unreadable: the scheme and the host, or nothing.
        ("postgresql://dondoc:s3cret@db:port/dondoc", "postgresql://***@db:port"),
        ("dondoc.db", "***"),
        ("s3cret", "***"),
    ],
)  # fmt: skip
def test_mask_url(url: str, shown: str) -> None:
    assert mask_url(url) == shown
    assert "s3cret" not in shown and "ss@" not in shown


def test_urls_in_a_text_are_masked_and_the_rest_is_left_alone() -> None:
    text = ("Không nối được (postgresql://u:s3cret@db/x), thử lại với "
            "“postgresql://db/x?password=s3cret”; xem https://api.telegram.org/bot<token>/getMe.")  # fmt: skip
    assert mask_urls_in(text) == (
        "Không nối được (postgresql://u:***@db/x), thử lại với “postgresql://db/x?password=***”; "
        "xem https://api.telegram.org/bot<token>/getMe."
    )


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://dondoc:p@ss@127.0.0.1/dondoc",
        "postgresql+psycopg://dondoc:p@s@s@127.0.0.1:5432/dondoc",
        "postgresql://dondoc:p?ss@127.0.0.1/dondoc",
        "postgresql://dondoc:p#ss@127.0.0.1/dondoc",
        "postgresql://dondoc:p/ss@127.0.0.1/dondoc",
    ],
)
def test_a_password_holding_unescaped_characters_is_masked_in_a_text(url: str) -> None:
    said = mask_urls_in(f"could not connect to {url}: refused")
    assert "ss" not in said.replace("postgresql", "")
    assert said.startswith("could not connect to postgresql") and "***@127.0.0.1" in said


def test_a_drivers_error_loses_the_password_it_quotes() -> None:
    url = "postgresql+psycopg://dondoc:p@ss-w0rd@db/dondoc"
    said = "failed to resolve host 'ss-w0rd@db': Name or service not known"
    assert scrub(said, url) == "failed to resolve host '***@db': Name or service not known"


def test_a_database_that_cannot_be_opened_is_named_without_its_password(tmp_path: Path) -> None:
    url = "postgresql+psycopg://dondoc:p%40ss-w0rd@127.0.0.1:1/dondoc"  # port 1: refused at once
    result = Dondoc(tmp_path, DATABASE_URL=url)("tasks")
    assert result.exit_code == 1
    [line] = result.output.splitlines()
    assert line.startswith(
        "Không mở được cơ sở dữ liệu (postgresql+psycopg://dondoc:***@127.0.0.1:1/dondoc): "
    )
    assert "w0rd" not in result.output


def test_db_upgrade_out_of_reach_is_one_masked_line(tmp_path: Path) -> None:
    url = "postgresql+psycopg://dondoc:p%40ss-w0rd@127.0.0.1:1/dondoc"
    result = Dondoc(tmp_path, DATABASE_URL=url)("db", "upgrade")
    assert result.exit_code == 1 and "w0rd" not in result.output
    assert result.output.startswith("Không mở được cơ sở dữ liệu (postgresql+psycopg://dondoc:***@")
