"""The reminder ladder, office hours and tick settings, from one TOML file.

``DONDOC_CONFIG`` names the file (default ``dondoc.toml`` in the working directory, if
there is one); every key is optional. ``dondoc.example.toml`` lists them all.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any

from bot.config import SettingsError
from bot.domain.calendar import OfficeHours
from bot.domain.policy import Ladder
from bot.domain.tthc import FileSettings


@dataclass(frozen=True)
class ApologySettings:
    """The letter's legal basis and form: configuration, since the rules change (2025)."""

    legal_basis: str = "Nghị định số 61/2018/NĐ-CP ngày 23/4/2018 của Chính phủ"
    form_name: str = "Phiếu xin lỗi và hẹn lại ngày trả kết quả"
    form_number: str = "Mẫu số 04"
    place: str = "Biên Hòa"
    signer_title: str = "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC"
    desk: str = "Bộ phận Một cửa"
    number_suffix: str = "PXL"


@dataclass(frozen=True)
class SchedulerSettings:
    ladder: Ladder = field(default_factory=Ladder)
    hours: OfficeHours = field(default_factory=OfficeHours)
    tick_seconds: int = 60
    # The weekly list of deadlines without a date, to the admins.
    unspecified_weekday: int = 0  # Monday
    unspecified_at: time = time(8, 0)
    # Dispatcher: how long a claimed message stays with one worker, and how often a
    # transient failure is retried before the admins are told.
    lease_seconds: int = 120
    max_attempts: int = 8
    # The heads' weekly digest.
    digest_weekday: int = 0  # Monday
    digest_at: time = time(8, 0)
    files: FileSettings = field(default_factory=FileSettings)
    apology: ApologySettings = field(default_factory=ApologySettings)

    @classmethod
    def load(cls, path: Path | None) -> SchedulerSettings:
        if path is None or not path.is_file():
            return cls()
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SettingsError(f"{path}: {exc}") from None
        try:
            return _from_toml(data)
        except (KeyError, TypeError, ValueError) as exc:
            raise SettingsError(f"{path}: {exc}") from None


def _from_toml(data: dict[str, Any]) -> SchedulerSettings:
    reminders = data.get("reminders", {})
    escalation = data.get("escalation", {})
    hours = data.get("office_hours", {})
    unspecified = data.get("unspecified", {})
    dispatch = data.get("dispatch", {})
    defaults = Ladder()
    ladder = Ladder(
        before=tuple(int(n) for n in reminders.get("before", defaults.before)),
        on_due_day=bool(reminders.get("on_due_day", defaults.on_due_day)),
        late_group=int(escalation.get("group_after", defaults.late_group)),
        late_head=int(escalation.get("head_after", defaults.late_head)),
        late_coordinator=int(escalation.get("coordinator_after", defaults.late_coordinator)),
        repeat_every=int(escalation.get("repeat_every", defaults.repeat_every)),
    )
    office = OfficeHours(
        start=time.fromisoformat(hours.get("start", "07:30")),
        end=time.fromisoformat(hours.get("end", "17:00")),
    )
    weekday = int(unspecified.get("weekday", 0))
    if not 0 <= weekday <= 6:
        raise ValueError("unspecified.weekday: 0 (Monday) to 6 (Sunday)")
    digest = data.get("digest", {})
    files = data.get("files", {})
    cutoff = files.get("cutoff")
    apology = {
        k: str(v)
        for k, v in data.get("apology", {}).items()
        if k in ApologySettings.__dataclass_fields__
    }
    return SchedulerSettings(
        digest_weekday=int(digest.get("weekday", 0)),
        digest_at=time.fromisoformat(digest.get("at", "08:00")),
        files=FileSettings(
            warn_days=int(files.get("warn_days", 3)),
            cutoff=time.fromisoformat(cutoff) if cutoff else None,
        ),
        apology=ApologySettings(**apology),
        ladder=ladder,
        hours=office,
        tick_seconds=int(data.get("scheduler", {}).get("tick_seconds", 60)),
        unspecified_weekday=weekday,
        unspecified_at=time.fromisoformat(unspecified.get("at", "08:00")),
        lease_seconds=int(dispatch.get("lease_seconds", 120)),
        max_attempts=int(dispatch.get("max_attempts", 8)),
    )
