"""Who made a change, as people read it: the audit trail stores ``Actor.who`` as the
program wrote it ("web:telegram:123 (Tên)", "import:plan.csv", "cli:admin"); the pages
show a person by their name and where they wrote from."""

from __future__ import annotations

import re

# Where a person wrote from, as people call it ("web:<channel>:…" is the web view).
_CHANNELS = {"telegram": "Telegram", "zalo": "Zalo", "console": "chat thử"}
_PERSON = re.compile(r"(?:(web):)?([a-z]+):([^ ]+)(?: \((.*?)\)?)?", re.DOTALL)  # cut at 128
_SYSTEMS = {"seed": "dữ liệu mẫu", "cli:admin": "quản trị viên (dòng lệnh)",
            "cli": "quản trị viên (dòng lệnh)"}  # fmt: skip


def channel_label(channel: str) -> str:
    """A chat's channel as people call it: "telegram" → "Telegram", "console" → "chat
    thử"; any other as it is."""
    return _CHANNELS.get(channel, channel)


def actor_label(who: str) -> str:
    """An audit trail's actor (``Actor.who``) as people read it: "web:console:701 (Lê Văn
    Cường)" → "Lê Văn Cường (web)", "telegram:123 (Tên)" → "Tên (Telegram)",
    "import:a.csv" → "nhập tệp a.csv", "seed" → "dữ liệu mẫu", "cli:admin" → "quản trị
    viên (dòng lệnh)"; a person without a name by their id; any other form as it is."""
    if who in _SYSTEMS:
        return _SYSTEMS[who]
    if who.startswith("import:"):
        return f"nhập tệp {who.removeprefix('import:')}"
    found = _PERSON.fullmatch(who)
    if found is None or found.group(2) not in _CHANNELS:
        return who
    web, channel, user, name = found.groups()
    where = "web" if web else _CHANNELS[channel]
    return f"{name} ({where})" if name else f"người dùng {user} ({where})"
