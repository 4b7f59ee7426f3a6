"""Every setting of dondoc, in one typed object, read and validated once at start-up.

Two sources: the environment (and ``.env``) for the deployment (database, tokens,
webhooks, admins), and a TOML file for the province's rules (the reminder ladder,
office hours, the weekly lists and digests, the outbox's dispatch, late files, the
apology letter). ``DONDOC_CONFIG`` names the file (default ``dondoc.toml`` in the
working directory, if there is one); every key in it is optional and
``dondoc.example.toml`` lists them all. A default is written once, on its field below.

A bad value stops the program at start-up with one Vietnamese line (:class:`SettingsError`):
the variable (or the file, table and key), the value as written (masked when it is a
secret: ``bot.redact``) and what is expected. Secrets can be read from a file named by
``<NAME>_FILE`` (Docker and systemd credentials).
Times of day are local (Asia/Ho_Chi_Minh): dondoc works on Vietnam's clock and calendar.
"""

from __future__ import annotations

import errno
import io
import ipaddress
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date, time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dotenv import dotenv_values
from dotenv.parser import parse_stream
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.domain.calendar import VIETNAM, OfficeHours
from bot.domain.deadlines import SCHOOL_YEAR_END
from bot.domain.policy import Ladder
from bot.domain.tthc import FileSettings
from bot.redact import mask_url, mask_urls_in, secret_key

DEFAULT_DATABASE_URL = "sqlite:///dondoc.db"
WEB_DEFAULT_PORT = 8080  # ``dondoc web`` without WEB_PORT


class SettingsError(ValueError):
    """A setting is missing or malformed: one Vietnamese line naming the variable or the
    TOML key, the value given (masked if secret) and what is expected."""


def _shown(value: object, *, secret: bool = False) -> str:
    """A value as a settings error quotes it: a secret as ``***`` and its length, a URL
    without its credentials, anything else as written."""
    if secret:
        return f"*** ({len(str(value))} ký tự)"
    if isinstance(value, str):
        return f"“{mask_urls_in(value)}”"
    return repr(value) if not isinstance(value, bool) else str(value).lower()


def _wrong(
    name: str, expected: str, value: object = None, *, secret: bool = False
) -> SettingsError:
    """``NAME: cần <expected>, đang là <value>``: the error of one setting."""
    given = "" if value is None else f", đang là {_shown(value, secret=secret)}"
    return SettingsError(f"{name}: cần {expected}{given}")


@dataclass(frozen=True)
class Weekly:
    """A moment of every week: ``weekday`` 0 (Monday) to 6 (Sunday), ``at`` local time."""

    weekday: int = 0
    at: time = time(8, 0)

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday: cần 0 (thứ Hai) đến 6 (Chủ nhật), đang là {self.weekday}")


@dataclass(frozen=True)
class DispatchSettings:
    """How the outbox is sent: a claimed message stays with one worker ``lease_seconds``
    (then another may take it); a transient failure is retried until ``max_attempts``,
    then the message is failed and the admins are told."""

    lease_seconds: int = 120
    max_attempts: int = 8
    # ``dondoc run`` drains the outbox continuously: at most ``in_flight`` messages being
    # sent at once, and a look every ``poll_seconds`` for rows other processes added and
    # retries that came due (rows added in the process wake it at once).
    in_flight: int = 32
    poll_seconds: float = 1.0
    # The wait before a message's first retry (doubling with each attempt, an hour at
    # most), and before a channel that could not be reached is tried again.
    retry_seconds: float = 30.0
    # Several processes on PostgreSQL: each says it is alive every ``heartbeat_seconds``;
    # one not heard from for three heartbeats is gone, and its chats go to the others
    # (``bot.scheduler.fleet``).
    heartbeat_seconds: float = 5.0

    def __post_init__(self) -> None:
        if self.lease_seconds < 10:
            raise ValueError(f"lease_seconds: cần ít nhất 10 (giây), đang là {self.lease_seconds}")
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts: cần ít nhất 1, đang là {self.max_attempts}")
        if not 1 <= self.in_flight <= 256:
            raise ValueError(f"in_flight: cần từ 1 đến 256, đang là {self.in_flight}")
        if not 0.1 <= self.poll_seconds <= 60:
            raise ValueError(f"poll_seconds: cần từ 0.1 đến 60 (giây), đang là {self.poll_seconds}")
        if not 0.1 <= self.retry_seconds <= 3600:
            raise ValueError(
                f"retry_seconds: cần từ 0.1 đến 3600 (giây), đang là {self.retry_seconds}"
            )
        if not 0.2 <= self.heartbeat_seconds <= 60:
            raise ValueError(
                f"heartbeat_seconds: cần từ 0.2 đến 60 (giây), đang là {self.heartbeat_seconds}"
            )


@dataclass(frozen=True)
class LimitSettings:
    """Telegram's limits on what one bot sends (Bot API FAQ, "My bot is hitting limits,
    how do I avoid this?"): about 30 messages a second over all chats, 20 a minute to one
    group, one a second to one private chat. ``margin_ms`` widens every window a little,
    so that messages sent on a window's edge do not reach Telegram inside it. They are
    the bot's: several processes divide them (``bot.scheduler.fleet``)."""

    per_second: int = 30
    per_group_minute: int = 20
    per_private_second: int = 1
    margin_ms: int = 35

    def __post_init__(self) -> None:
        for name in ("per_second", "per_group_minute", "per_private_second"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}: cần ít nhất 1, đang là {getattr(self, name)}")
        if not 0 <= self.margin_ms <= 1000:
            raise ValueError(f"margin_ms: cần từ 0 đến 1000 (mili giây), đang là {self.margin_ms}")


@dataclass(frozen=True)
class RetentionSettings:
    """How long sent messages are kept: outbox rows sent more than ``days`` days ago (with
    the record of their delivery) and the notices no tick can plan again are pruned once
    a day (``bot.services.retention``); 0 keeps everything. The audit trail of every part
    is never pruned."""

    days: int = 180

    def __post_init__(self) -> None:
        if self.days != 0 and not 30 <= self.days <= 36500:
            raise ValueError(
                f"days: cần 0 (giữ mãi) hoặc từ 30 đến 36500 (ngày), đang là {self.days}"
            )


@dataclass(frozen=True)
class ApologySettings:
    """The apology letter's legal basis and form (Nghị định 61/2018/NĐ-CP, the form of
    Thông tư 01/2018/TT-VPCP): configuration, since the rules change (Nghị định
    118/2025/NĐ-CP renames the letter), and how long the public page
    (``/cong-khai/ho-so-tre-han``) keeps the letters published: the province's own rule."""

    legal_basis: str = "Nghị định số 61/2018/NĐ-CP ngày 23/4/2018 của Chính phủ"
    form_name: str = "Phiếu xin lỗi và hẹn lại ngày trả kết quả"
    form_number: str = "Mẫu số 04"
    place: str = "Biên Hòa"
    signer_title: str = "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC"
    desk: str = "Bộ phận Một cửa"
    number_suffix: str = "PXL"
    publish_days: int = 90  # a quarter, the reform (CCHC) reports' period


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    config_file: Path | None = None  # the TOML file the rules below came from, if any
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
    # The Zalo bot's display name, as members pick it after "@" in a group
    # (ZALO_BOT_NAME): taken off mentions, and named in reminders to a Zalo group.
    zalo_bot_name: str = ""
    # Messages a month the Zalo bot's plan allows, both ways (ZALO_MONTHLY_QUOTA; Zalo does
    # not publish the figure: read it in Zalo Bot Creator). None: counted, not limited.
    zalo_monthly_quota: int | None = None
    # dondoc run's own HTTP port: /healthz and Prometheus' /metrics (METRICS_PORT; 0 or
    # empty: none), on METRICS_LISTEN: this machine only by default (in a container, set
    # 0.0.0.0 for a Prometheus outside it to scrape).
    metrics_port: int | None = 9100
    metrics_listen: str = "127.0.0.1"
    # The web view (bot.web.site) for heads, coordinators and admins: WEB_PORT (unset, 0
    # or empty: ``dondoc run`` serves none; ``dondoc web`` then uses WEB_DEFAULT_PORT), on
    # WEB_LISTEN (this machine only by default: a reverse proxy with TLS goes in front),
    # and WEB_BASE_URL, the address people open, written into the sign-in links (default
    # http://WEB_LISTEN:port). Its signing key is not a setting: it is generated once and
    # kept in the database (bot.services.web_access), shared by every process.
    web_port: int | None = None
    web_listen: str = "127.0.0.1"
    web_base_url: str | None = None
    # Log lines as text, or one JSON object a line for a log collector (LOG_FORMAT).
    log_format: str = "text"
    # (month, day): the last day of a school year, for deadlines like "Năm học 2027-2028"
    school_year_end: tuple[int, int] = SCHOOL_YEAR_END
    # The province's rules (TOML).
    ladder: Ladder = field(default_factory=Ladder)
    hours: OfficeHours = field(default_factory=OfficeHours)
    tick_seconds: int = 60
    unspecified: Weekly = field(default_factory=Weekly)  # deadlines without a date, to admins
    digest: Weekly = field(default_factory=Weekly)  # the heads' and coordinators' digest
    dispatch: DispatchSettings = field(default_factory=DispatchSettings)
    limits: LimitSettings = field(default_factory=LimitSettings)
    files: FileSettings = field(default_factory=FileSettings)
    apology: ApologySettings = field(default_factory=ApologySettings)
    retention: RetentionSettings = field(default_factory=RetentionSettings)

    def __post_init__(self) -> None:
        if not 5 <= self.tick_seconds <= 3600:
            raise ValueError(f"tick_seconds: cần từ 5 đến 3600 (giây), đang là {self.tick_seconds}")

    def web_url(self, port: int | None = None) -> str:
        """The address the web view is opened at, without a trailing slash: WEB_BASE_URL,
        or ``http://WEB_LISTEN:port`` (``port``: the one actually bound, else WEB_PORT,
        else :data:`WEB_DEFAULT_PORT`)."""
        if self.web_base_url:
            return self.web_base_url
        host = self.web_listen if ":" not in self.web_listen else f"[{self.web_listen}]"
        return f"http://{host}:{port or self.web_port or WEB_DEFAULT_PORT}"

    def __repr__(self) -> str:  # never print a token
        return f"Settings(database_url=…, telegram={'on' if self.telegram_token else 'off'}, zalo={'on' if self.zalo_token else 'off'})"

    @classmethod
    def load(
        cls, environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")
    ) -> Settings:
        """The environment over ``env_file``, then the TOML file ``DONDOC_CONFIG`` names.
        Raises :class:`SettingsError` naming the first bad variable or key."""
        values: dict[str, str] = {}
        if env_file is not None and env_file.is_file():
            values.update(read_env_file(env_file))
        values.update(os.environ if environ is None else environ)

        zone = values.get("DONDOC_TIMEZONE")
        if zone and zone != VIETNAM.key:
            raise SettingsError(
                f"DONDOC_TIMEZONE: dondoc chỉ làm việc theo giờ và lịch Việt Nam ({VIETNAM.key}), "
                f"đang là {_shown(zone)}: hãy bỏ thiết lập này"
            )
        for channel in ("TELEGRAM", "ZALO"):
            url, secret = (
                values.get(f"{channel}_WEBHOOK_URL"),
                _secret(values, f"{channel}_WEBHOOK_SECRET"),
            )
            if url and not secret:
                raise _wrong(
                    f"{channel}_WEBHOOK_SECRET",
                    f"một khóa bí mật khi đặt {channel}_WEBHOOK_URL (webhook)",
                )
            if url and not url.startswith("https://"):
                raise _wrong(f"{channel}_WEBHOOK_URL", "một địa chỉ https://… (webhook)", url)
            # Telegram's setWebhook secret_token: "1-256 characters. Only characters A-Z,
            # a-z, 0-9, _ and - are allowed" (Bot API); the same rule is kept for Zalo.
            if secret and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
                raise _wrong(f"{channel}_WEBHOOK_SECRET", "1 đến 256 ký tự A-Z, a-z, 0-9, _ và -",
                             secret, secret=True)  # fmt: skip
            # Zalo's setWebhook secret_token: "Một khóa bí mật từ 8 tới 256 ký tự" (Zalo Bot
            # Platform docs); its character set is not documented, so Telegram's is kept.
            if channel == "ZALO" and secret and len(secret) < 8:
                raise _wrong("ZALO_WEBHOOK_SECRET", "8 đến 256 ký tự (Zalo)", secret, secret=True)
        database_url = _secret(values, "DATABASE_URL") or DEFAULT_DATABASE_URL
        _check_database_url(database_url)
        for name in ("TELEGRAM_BASE_URL", "TELEGRAM_WEBHOOK_URL", "ZALO_BASE_URL",
                     "ZALO_WEBHOOK_URL"):  # fmt: skip
            if values.get(name) and not values[name].startswith(("https://", "http://")):
                raise _wrong(name, "một địa chỉ như https://…", values[name])
        named = values.get("DONDOC_CONFIG")
        if named and Path(named).is_dir():
            raise _wrong("DONDOC_CONFIG", "một tệp quy định .toml, không phải thư mục", named)
        if named and not Path(named).is_file():
            raise _wrong("DONDOC_CONFIG", "đường dẫn tới một tệp quy định .toml có thật "
                         "(không có tệp này; xem dondoc.example.toml)", named)  # fmt: skip
        config_file = Path(named or "dondoc.toml")
        if config_file.exists() and not config_file.is_file():
            raise SettingsError(f"{config_file}: cần tệp quy định của tỉnh, đây là một thư mục")
        rules = _rules(config_file) if config_file.is_file() else {}
        return cls(
            database_url=database_url,
            config_file=config_file if config_file.is_file() else None,
            telegram_token=_secret(values, "TELEGRAM_BOT_TOKEN"),
            telegram_base_url=values.get("TELEGRAM_BASE_URL") or cls.telegram_base_url,
            telegram_webhook_url=values.get("TELEGRAM_WEBHOOK_URL") or None,
            telegram_webhook_secret=_secret(values, "TELEGRAM_WEBHOOK_SECRET"),
            webhook_listen=_listen(values, "WEBHOOK_LISTEN", cls.webhook_listen),
            webhook_port=_port(values, "WEBHOOK_PORT", cls.webhook_port),
            admin_telegram_ids=_ids(values, "ADMIN_TELEGRAM_IDS"),
            zalo_token=_secret(values, "ZALO_BOT_TOKEN"),
            zalo_base_url=values.get("ZALO_BASE_URL") or cls.zalo_base_url,
            zalo_webhook_url=values.get("ZALO_WEBHOOK_URL") or None,
            zalo_webhook_secret=_secret(values, "ZALO_WEBHOOK_SECRET"),
            zalo_webhook_port=_port(values, "ZALO_WEBHOOK_PORT", cls.zalo_webhook_port),
            admin_zalo_ids=_ids(values, "ADMIN_ZALO_IDS"),
            zalo_bot_name=(values.get("ZALO_BOT_NAME") or "").strip().lstrip("@").strip(),
            zalo_monthly_quota=_quota(values, "ZALO_MONTHLY_QUOTA"),
            school_year_end=_day_month(values, "DONDOC_SCHOOL_YEAR_END", SCHOOL_YEAR_END),
            metrics_port=_optional_port(values, "METRICS_PORT", cls.metrics_port),
            metrics_listen=_listen(values, "METRICS_LISTEN", cls.metrics_listen),
            web_port=_web_port(values),
            web_listen=_listen(values, "WEB_LISTEN", cls.web_listen),
            web_base_url=_web_base_url(values),
            log_format=_log_format(values),
            **rules,
        )


def read_env_file(path: Path, *, strict: bool = True) -> dict[str, str]:
    """The variables ``path`` (a ``.env`` file) sets. Raises :class:`SettingsError` for a
    file that cannot be read, is not UTF-8, or (``strict``) has a line python-dotenv
    cannot parse: that line would be dropped with an English warning, and the setting on
    it silently left out (an unread ``DATABASE_URL`` falls back to SQLite), so it stops
    the start. Not ``strict``: such lines are skipped without a word (to peek at one
    setting before the settings' own error is printed)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise SettingsError(f"{path}: cần văn bản UTF-8; hãy lưu lại tệp dưới dạng UTF-8") from None
    except OSError as exc:
        raise SettingsError(f"{path}: không đọc được ({_why(exc)}); cần quyền đọc "
                            "cho tài khoản chạy dondoc") from None  # fmt: skip
    bindings = list(parse_stream(io.StringIO(text)))
    if not strict:
        return {b.key: b.value for b in bindings if not b.error and b.key and b.value is not None}
    for binding in bindings:
        if binding.error:
            first = binding.original.string.splitlines()[0] if binding.original.string else ""
            shown = _shown(first.strip()[:60], secret="=" in first and _secret_name(first))
            raise SettingsError(
                f"{path} dòng {binding.original.line}: cần dạng TÊN=giá trị (giá trị có dấu "
                f"cách hay # thì đặt trong dấu nháy, ghi chú ở dòng riêng), đang là {shown}"
            )
    read = dotenv_values(stream=io.StringIO(text))
    return {k: v for k, v in read.items() if v is not None}


def _secret_name(line: str) -> bool:
    """Whether a ``.env`` line sets what may be a secret (its value is then not shown)."""
    name = line.split("=", 1)[0].strip().removeprefix("export ").strip()
    return secret_key(name) or name.startswith("DATABASE_URL")


def _rules(path: Path) -> dict[str, Any]:
    """The TOML file's tables as ``Settings`` fields. Only the keys written are set, so
    every default stays on its field; a key dondoc does not know is an error (a typo
    must not silently leave the default in force)."""
    try:
        # utf-8-sig: Windows Notepad may save the file with a byte order mark.
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError:
        raise SettingsError(f"{path}: cần văn bản UTF-8; hãy lưu lại tệp dưới dạng UTF-8") from None
    except OSError as exc:
        raise SettingsError(f"{path}: không đọc được tệp quy định ({_why(exc)}); cần quyền "
                            "đọc cho tài khoản chạy dondoc") from None  # fmt: skip
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: cần cú pháp TOML đúng: {_toml_error(exc)}") from None
    known = {table for rule in _RULES for table, _key in rule.keys}
    for table, value in data.items():
        if table not in known and not isinstance(value, dict):
            tables = sorted({t for rule in _RULES for t, k in rule.keys if k == table})
            inside = f"trong bảng [{tables[0]}]" if tables else "trong một bảng"
            raise SettingsError(f"{path} {table}: cần được viết {inside}")
        if table not in known:
            raise SettingsError(f"{path} [{table}]: không có bảng này; cần một bảng trong "
                                "dondoc.example.toml")  # fmt: skip
        if not isinstance(value, dict):
            raise SettingsError(f"{path} [{table}]: cần là một bảng, như [{table}]")
        keys = {key for t, key in (k for rule in _RULES for k in rule.keys) if t == table}
        unknown = sorted(set(value) - keys)
        if unknown:
            raise SettingsError(f"{path} [{table}] {', '.join(unknown)}: không có khóa này; "
                                f"cần một trong {', '.join(sorted(keys))}")  # fmt: skip
    rules: dict[str, Any] = {}
    for rule in _RULES:
        written = {(t, k): data[t][k] for t, k in rule.keys if k in data.get(t, {})}
        if not written:
            continue
        given: dict[str, Any] = {}
        for (table, key), value in written.items():
            name, read = rule.keys[(table, key)]
            try:
                given[name] = read(value)
            except (TypeError, ValueError) as exc:
                raise SettingsError(f"{path} [{table}] {key}: {exc}") from None
        where = ", ".join(dict.fromkeys(f"[{t}]" for t, _k in written))
        try:
            if rule.check is not None:
                rule.check(given)
            rules[rule.field] = given.pop("") if "" in given else rule.kind(**given)
        except (TypeError, ValueError) as exc:  # a check names its table: "[escalation] …"
            said = str(exc) if str(exc).startswith("[") else f"{where} {exc}"
            raise SettingsError(f"{path} {said}") from None
    try:
        Settings(**rules)  # the checks across fields
    except ValueError as exc:
        raise SettingsError(f"{path} [scheduler] {exc}") from None
    return rules


def _toml_error(exc: tomllib.TOMLDecodeError) -> str:
    """Where the TOML parser stopped, in Vietnamese (its own words are English)."""
    found = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
    if found:
        return f"lỗi ở dòng {found.group(1)}, cột {found.group(2)}"
    found = re.search(r"\(at end of document\)", str(exc))
    return "tệp kết thúc giữa chừng" if found else "có chỗ viết sai"


@dataclass(frozen=True)
class _Rule:
    """One ``Settings`` field from the file: ``keys`` maps (table, key) to the field of
    ``kind`` it sets and how its value is read ("" for the whole field)."""

    field: str
    kind: Any
    keys: dict[tuple[str, str], tuple[str, Callable[[Any], Any]]]
    # Checks ``kind``'s own rules first, in Vietnamese with the TOML keys' names (the
    # domain's classes say them in English, with their field names).
    check: Callable[[dict[str, Any]], None] | None = None


def _expect(kind: type, what: str) -> Callable[[Any], Any]:
    """A reader of one TOML value that must be of ``kind`` (a bool is not a number)."""

    def read(value: Any) -> Any:
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            raise TypeError(f"cần {what}, đang là {_shown(value)}")
        return value

    return read


_int = _expect(int, "một số nguyên")
_bool = _expect(bool, "true hoặc false")
_quoted = _expect(str, "chữ đặt trong dấu nháy")


def _seconds(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"cần một số giây, đang là {_shown(value)}")
    return float(value)


def _text(value: Any) -> str:
    if not str(_quoted(value)).strip():
        raise ValueError("cần một đoạn chữ, đang để trống")
    return str(value)


def _time(value: Any) -> time:
    if isinstance(value, time):
        return value
    try:
        return time.fromisoformat(value) if isinstance(value, str) else _no_time(value)
    except ValueError:
        return _no_time(value)


def _no_time(value: Any) -> time:
    raise TypeError(f'cần một giờ trong ngày như "08:00", đang là {_shown(value)}')


def _check_database_url(url: str) -> None:
    """SQLite with a file, or PostgreSQL: the two databases dondoc is tested on."""
    example = "sqlite:///dondoc.db hoặc postgresql+psycopg://người_dùng:mật_khẩu@máy_chủ/dondoc"
    shown = f"“{mask_url(url)}”"
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise SettingsError(f"DATABASE_URL: cần {example}, đang là {shown}") from None
    if "@" in (parsed.host or ""):  # "user:p@ss@host": the driver would look for host "ss@host"
        raise SettingsError(
            "DATABASE_URL: cần mật khẩu (và tên người dùng) viết “@” thành %40 (mã hóa URL, "
            "như mat%40khau cho mat@khau; “/” thành %2F), đang là "
            f"{shown}"
        )
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise SettingsError(f"DATABASE_URL: SQLite cần một tệp, như sqlite:///dondoc.db, "
                                f"đang là {shown}")  # fmt: skip
    elif parsed.get_backend_name() != "postgresql":
        raise SettingsError(f"DATABASE_URL: dondoc không hỗ trợ {parsed.get_backend_name()}; "
                            f"cần {example}, đang là {shown}")  # fmt: skip


def _secret(values: Mapping[str, str], name: str) -> str | None:
    """``name``'s value, or the text of the file ``<name>_FILE`` names (Docker and systemd
    credentials; blanks around it dropped). Raises :class:`SettingsError` for a file that
    cannot be read, is not UTF-8 or is empty, and for both set to different values (as
    the official postgres image refuses ``POSTGRES_PASSWORD`` with its ``_FILE``)."""
    path = values.get(f"{name}_FILE")
    direct = values.get(name) or None
    if not path:
        return direct
    try:
        read = Path(path).read_text(encoding="utf-8-sig").strip()
    except UnicodeDecodeError:
        raise _wrong(f"{name}_FILE", "một tệp văn bản UTF-8 (tệp này không phải UTF-8; hãy "
                     "ghi lại giá trị bằng một trình soạn thảo văn bản)", path) from None  # fmt: skip
    except OSError as exc:
        raise _wrong(f"{name}_FILE", f"một tệp đọc được ({_why(exc)})", path) from None
    if not read:
        raise _wrong(f"{name}_FILE", f"một tệp chứa giá trị của {name} (tệp này trống)", path)
    if direct is not None and direct.strip() != read:
        raise SettingsError(f"{name}, {name}_FILE: cần chỉ đặt một trong hai, đang đặt cả "
                            f"hai với giá trị khác nhau; hãy bỏ {name} hoặc {name}_FILE")  # fmt: skip
    return read


def _why(exc: OSError) -> str:
    """Why a file could not be read, in Vietnamese."""
    return {
        errno.ENOENT: "không có tệp này",
        errno.EACCES: "không có quyền đọc",
        errno.EPERM: "không được phép đọc",
        errno.EISDIR: "đây là một thư mục",
    }.get(exc.errno or 0, exc.strerror or exc.__class__.__name__)


def _ids(values: Mapping[str, str], name: str) -> frozenset[str]:
    raw = [x.strip() for x in values.get(name, "").replace(";", ",").split(",") if x.strip()]
    bad = [x for x in raw if not x.lstrip("-").isdigit()]
    if bad and name.startswith("ADMIN_TELEGRAM"):
        raise _wrong(name, "mã người dùng Telegram là số, cách nhau dấu phẩy", ", ".join(bad))
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
        raise _wrong(name, "một ngày trong năm dạng dd/mm, như 31/05", raw) from None
    return month, day


def _quota(values: Mapping[str, str], name: str) -> int | None:
    """A number of messages a month ("3000", "3.000" or "3,000"), or None when not set."""
    raw = (values.get(name) or "").strip()
    if not raw:
        return None
    # Thousands grouped by ".", "," or a space, never a fraction: "3,5" is no quota.
    if not re.fullmatch(r"[0-9]+|[0-9]{1,3}([., ][0-9]{3})+", raw) or not int(
        re.sub(r"\D", "", raw)
    ):
        raise _wrong(name, "số tin nhắn mỗi tháng gói của bot cho phép, như 3000", raw)
    return int(re.sub(r"\D", "", raw))


def _port(values: Mapping[str, str], name: str, default: int) -> int:
    try:
        port = int(values.get(name) or default)
    except ValueError:
        raise _wrong(name, f"một số cổng, như {default}", values.get(name)) from None
    if not 0 < port < 65536:
        raise _wrong(name, "một số cổng từ 1 đến 65535", values.get(name))
    return port


def _optional_port(values: Mapping[str, str], name: str, default: int | None) -> int | None:
    """A port, or None for "off" (0 or an empty value); ``default`` when not set."""
    if name not in values:
        return default
    if not values[name].strip() or values[name].strip() == "0":
        return None
    return _port(values, name, default or 0)


def _web_port(values: Mapping[str, str]) -> int | None:
    """WEB_PORT, never the monitoring port's (two servers cannot share one port)."""
    port = _optional_port(values, "WEB_PORT", None)
    metrics = _optional_port(values, "METRICS_PORT", Settings.metrics_port)
    if port is not None and port == metrics:
        raise _wrong("WEB_PORT", f"một cổng khác cổng theo dõi METRICS_PORT ({metrics})",
                     values["WEB_PORT"])  # fmt: skip
    return port


def _web_base_url(values: Mapping[str, str]) -> str | None:
    """WEB_BASE_URL as people open it: http(s), a host, no query or fragment; without the
    trailing slash (paths are added to it)."""
    raw = (values.get("WEB_BASE_URL") or "").strip()
    if not raw:
        return None
    parsed = urlsplit(raw)
    if (
        parsed.scheme not in ("http", "https")
        or not parsed.netloc
        or parsed.query
        or parsed.fragment
    ):
        raise _wrong("WEB_BASE_URL", "địa chỉ mở giao diện web, như https://dondoc.tinh.gov.vn",
                     raw)  # fmt: skip
    return raw.rstrip("/")


def _listen(values: Mapping[str, str], name: str, default: str) -> str:
    """An address to listen on: an IP address (IPv4 or IPv6) or ``localhost``."""
    raw = (values.get(name) or "").strip()
    if not raw:
        return default
    try:
        ipaddress.ip_address(raw)
    except ValueError:
        if raw.lower() != "localhost":
            raise _wrong(name, "một địa chỉ IP để lắng nghe, như 127.0.0.1 (chỉ máy này) hoặc "
                         "0.0.0.0 (mọi địa chỉ), hoặc localhost", raw) from None  # fmt: skip
    return raw


def _log_format(values: Mapping[str, str]) -> str:
    raw = (values.get("LOG_FORMAT") or "text").strip().lower()
    if raw not in ("text", "json"):
        raise _wrong("LOG_FORMAT", "text hoặc json", values["LOG_FORMAT"])
    return raw


def _merged(kind: type, given: dict[str, Any]) -> dict[str, Any]:
    """``given`` over ``kind``'s defaults: the values a check looks at."""
    return {f.name: getattr(kind(), f.name) for f in fields(kind)} | given


def _check_ladder(given: dict[str, Any]) -> None:
    """``Ladder``'s rules, with the TOML keys' names."""
    values = _merged(Ladder, given)
    if any(n <= 0 for n in values["before"]):
        raise ValueError(f"[reminders] before: cần các số ngày làm việc dương, như [7, 3, 1], "
                         f"đang là {list(values['before'])}")  # fmt: skip
    late = {"group_after": values["late_group"], "head_after": values["late_head"],
            "coordinator_after": values["late_coordinator"]}  # fmt: skip
    for key, days in late.items():
        if days <= 0:
            raise ValueError(f"[escalation] {key}: cần ít nhất 1 ngày làm việc, đang là {days}")
    if not late["group_after"] <= late["head_after"] <= late["coordinator_after"]:
        raise ValueError(
            "[escalation] group_after, head_after, coordinator_after: cần tăng dần "
            "(group_after ≤ head_after ≤ coordinator_after), đang là "
            f"{late['group_after']}, {late['head_after']}, {late['coordinator_after']}"
        )
    if values["repeat_every"] <= 0:
        raise ValueError(f"[escalation] repeat_every: cần ít nhất 1 ngày làm việc, đang là "
                         f"{values['repeat_every']}")  # fmt: skip


def _check_hours(given: dict[str, Any]) -> None:
    values = _merged(OfficeHours, given)
    if values["start"] >= values["end"]:
        raise ValueError(f"[office_hours] start, end: cần giờ bắt đầu trước giờ kết thúc, đang "
                         f"là {values['start']:%H:%M} và {values['end']:%H:%M}")  # fmt: skip


def _check_files(given: dict[str, Any]) -> None:
    values = _merged(FileSettings, given)
    if not 0 < values["warn_days"] <= 30:
        raise ValueError(f"[files] warn_days: cần từ 1 đến 30 ngày làm việc, đang là "
                         f"{values['warn_days']}")  # fmt: skip
    if not 0 < values["listed"] <= 100:
        raise ValueError(f"[files] listed: cần từ 1 đến 100 hồ sơ, đang là {values['listed']}")


def _check_apology(given: dict[str, Any]) -> None:
    days = _merged(ApologySettings, given)["publish_days"]
    if not 0 < days <= 3660:
        raise ValueError(f"[apology] publish_days: cần từ 1 đến 3660 ngày, đang là {days}")


def _ints(value: Any) -> tuple[int, ...]:
    if not isinstance(value, list):
        raise TypeError(f"cần một danh sách số nguyên, như [7, 3, 1], đang là {_shown(value)}")
    return tuple(_int(n) for n in value)


def _weekly(table: str) -> dict[tuple[str, str], tuple[str, Callable[[Any], Any]]]:
    return {(table, "weekday"): ("weekday", _int), (table, "at"): ("at", _time)}


_RULES = (
    _Rule("ladder", Ladder, {
        ("reminders", "before"): ("before", _ints),
        ("reminders", "on_due_day"): ("on_due_day", _bool),
        ("escalation", "group_after"): ("late_group", _int),
        ("escalation", "head_after"): ("late_head", _int),
        ("escalation", "coordinator_after"): ("late_coordinator", _int),
        ("escalation", "repeat_every"): ("repeat_every", _int),
    }, _check_ladder),
    _Rule("hours", OfficeHours, {("office_hours", "start"): ("start", _time),
                                 ("office_hours", "end"): ("end", _time)}, _check_hours),
    _Rule("tick_seconds", int, {("scheduler", "tick_seconds"): ("", _int)}),
    _Rule("unspecified", Weekly, _weekly("unspecified")),
    _Rule("digest", Weekly, _weekly("digest")),
    _Rule("dispatch", DispatchSettings, {("dispatch", "lease_seconds"): ("lease_seconds", _int),
                                         ("dispatch", "max_attempts"): ("max_attempts", _int),
                                         ("dispatch", "in_flight"): ("in_flight", _int),
                                         ("dispatch", "poll_seconds"): ("poll_seconds", _seconds),
                                         ("dispatch", "retry_seconds"): ("retry_seconds", _seconds),
                                         ("dispatch", "heartbeat_seconds"):
                                             ("heartbeat_seconds", _seconds)}),
    _Rule("limits", LimitSettings, {("limits", k): (k, _int) for k in
                                    ("per_second", "per_group_minute", "per_private_second",
                                     "margin_ms")}),
    _Rule("files", FileSettings, {("files", "warn_days"): ("warn_days", _int),
                                  ("files", "cutoff"): ("cutoff", _time),
                                  ("files", "listed"): ("listed", _int)}, _check_files),
    _Rule("retention", RetentionSettings, {("retention", "days"): ("days", _int)}),
    _Rule("apology", ApologySettings,
          {("apology", f.name): (f.name, _int if f.name == "publish_days" else _text)
           for f in fields(ApologySettings)}, _check_apology),
)  # fmt: skip
