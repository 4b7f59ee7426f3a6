"""One typed settings object, read once from the environment (and ``.env``).

A bad value stops the program at start-up with the variable's name; secrets can be read
from a file named by ``<NAME>_FILE`` (Docker and systemd credentials).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
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

        settings = cls(
            database_url=_secret(values, "DATABASE_URL") or DEFAULT_DATABASE_URL,
            timezone=values.get("DONDOC_TIMEZONE", "Asia/Ho_Chi_Minh"),
            config_file=Path(values.get("DONDOC_CONFIG", "dondoc.toml")),
        )
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
