"""One typed settings object, read once from the environment (and ``.env``).

A bad value stops the program at start-up with the variable's name; secrets can be read
from a file named by ``<NAME>_FILE`` (Docker and systemd credentials).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

DEFAULT_DATABASE_URL = "sqlite:///dondoc.db"


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names it."""


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    timezone: str = "Asia/Ho_Chi_Minh"
    config_file: Path | None = None  # the reminder ladder and office hours (TOML)
    telegram_token: str | None = None
    telegram_base_url: str = "https://api.telegram.org/bot"
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: str | None = None
    webhook_listen: str = "0.0.0.0"  # noqa: S104 - a webhook server listens for the world
    webhook_port: int = 8443
    admin_telegram_ids: frozenset[str] = frozenset()
    zalo_token: str | None = None
    zalo_base_url: str = "https://bot-api.zaloplatforms.com/bot"
    zalo_webhook_url: str | None = None
    zalo_webhook_secret: str | None = None
    zalo_webhook_port: int = 8444
    admin_zalo_ids: frozenset[str] = frozenset()
    # (month, day): the last day of a school year, for deadlines like "Năm học 2027-2028"
    school_year_end: tuple[int, int] = (5, 31)

    def __repr__(self) -> str:  # never print a token
        return f"Settings(database_url=…, telegram={'on' if self.telegram_token else 'off'}, zalo={'on' if self.zalo_token else 'off'})"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def load(
        cls, environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")
    ) -> Settings:
        values: dict[str, str] = {}
        if env_file is not None and env_file.is_file():
            values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
        values.update(os.environ if environ is None else environ)

        port = _port(values, "WEBHOOK_PORT", 8443)
        zalo_port = _port(values, "ZALO_WEBHOOK_PORT", 8444)
        settings = cls(
            database_url=_secret(values, "DATABASE_URL") or DEFAULT_DATABASE_URL,
            timezone=values.get("DONDOC_TIMEZONE", "Asia/Ho_Chi_Minh"),
            config_file=Path(values.get("DONDOC_CONFIG", "dondoc.toml")),
            telegram_token=_secret(values, "TELEGRAM_BOT_TOKEN"),
            telegram_base_url=values.get("TELEGRAM_BASE_URL") or "https://api.telegram.org/bot",
            telegram_webhook_url=values.get("TELEGRAM_WEBHOOK_URL") or None,
            telegram_webhook_secret=_secret(values, "TELEGRAM_WEBHOOK_SECRET"),
            webhook_listen=values.get("WEBHOOK_LISTEN") or "0.0.0.0",  # noqa: S104
            webhook_port=port,
            admin_telegram_ids=_ids(values, "ADMIN_TELEGRAM_IDS"),
            zalo_token=_secret(values, "ZALO_BOT_TOKEN"),
            zalo_base_url=values.get("ZALO_BASE_URL") or "https://bot-api.zaloplatforms.com/bot",
            zalo_webhook_url=values.get("ZALO_WEBHOOK_URL") or None,
            zalo_webhook_secret=_secret(values, "ZALO_WEBHOOK_SECRET"),
            zalo_webhook_port=zalo_port,
            admin_zalo_ids=_ids(values, "ADMIN_ZALO_IDS"),
            school_year_end=_day_month(values, "DONDOC_SCHOOL_YEAR_END", (5, 31)),
        )
        for channel in ("TELEGRAM", "ZALO"):
            if values.get(f"{channel}_WEBHOOK_URL") and not _secret(
                values, f"{channel}_WEBHOOK_SECRET"
            ):
                raise SettingsError(f"{channel}_WEBHOOK_SECRET: a webhook needs a secret token")
        try:
            settings.tz  # noqa: B018 - validate now, not at the first reminder
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingsError(
                f"DONDOC_TIMEZONE: unknown time zone {settings.timezone!r}"
            ) from None
        if values.get("DONDOC_CONFIG") and not Path(values["DONDOC_CONFIG"]).is_file():
            raise SettingsError(f"DONDOC_CONFIG: no file {values['DONDOC_CONFIG']}")
        if "://" not in settings.database_url:
            raise SettingsError("DATABASE_URL: expected a URL like sqlite:///dondoc.db")
        return settings


def _secret(values: Mapping[str, str], name: str) -> str | None:
    path = values.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SettingsError(f"{name}_FILE: cannot read {path}: {exc.strerror}") from None
    return values.get(name) or None


def _ids(values: Mapping[str, str], name: str) -> frozenset[str]:
    raw = [x.strip() for x in values.get(name, "").replace(";", ",").split(",") if x.strip()]
    bad = [x for x in raw if not x.lstrip("-").isdigit()]
    if bad and name.startswith("ADMIN_TELEGRAM"):
        raise SettingsError(f"{name}: Telegram user ids are numbers, got {', '.join(bad)}")
    return frozenset(raw)


def _day_month(values: Mapping[str, str], name: str, default: tuple[int, int]) -> tuple[int, int]:
    """A day of every year written dd/mm ("31/05"), as (month, day)."""
    raw = values.get(name)
    if not raw:
        return default
    try:
        day, month = (int(x) for x in raw.split("/"))
        date(2001, month, day)  # 2001: not a leap year, so 29/02 is refused
    except ValueError:
        raise SettingsError(f"{name}: a day of the year as dd/mm, like 31/05") from None
    return month, day


def _port(values: Mapping[str, str], name: str, default: int) -> int:
    try:
        port = int(values.get(name) or default)
    except ValueError:
        raise SettingsError(f"{name}: a port number, like {default}") from None
    if not 0 < port < 65536:
        raise SettingsError(f"{name}: {port} is not a port")
    return port
