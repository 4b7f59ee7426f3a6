"""``dondoc health``: is the bot fit to work, in Vietnamese for the IT officer (or JSON)."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Annotated

import typer

from bot.app import clock
from bot.cli.common import EXIT_CONFIG, SettingsFailed, TextFormat, app, load_settings, out
from bot.domain.calendar import VIETNAM
from bot.domain.numbers import thousands
from bot.logs import utc_iso
from bot.services.health import Health, add_probes, check, probe_channels, seconds_vn


@app.command("health")
def health_cmd(
    fmt: Annotated[
        TextFormat, typer.Option("--format", help="table (chữ) hoặc json")
    ] = TextFormat.table,
) -> None:
    """Kiểm tra tình trạng: cơ sở dữ liệu, lượt nhắc việc gần nhất, hàng đợi tin nhắn, hạn mức
    tháng và getMe của từng kênh. Mã thoát 0 khi hoạt động được, 1 khi có sự cố, 78 khi
    cấu hình sai."""
    as_json = fmt is TextFormat.json
    try:
        settings = load_settings(quiet=as_json)
    except SettingsFailed as failed:
        if not as_json:
            raise
        # A monitor reading JSON gets JSON, the error in it (and the same exit code).
        _write_json({"ok": False, "error": failed.message, "exit_code": EXIT_CONFIG,
                     "problems": [failed.message], "warnings": []})  # fmt: skip
        raise
    health = add_probes(check(settings, clock()), asyncio.run(probe_channels(settings)))
    if fmt is TextFormat.json:
        _write_json(_as_json(health))
    else:
        for line in _lines(health):
            out.print(line, markup=False, highlight=False)
    raise typer.Exit(0 if health.ok else 1)


def _write_json(figures: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(figures, ensure_ascii=False, indent=2) + "\n")


def _lines(health: Health) -> list[str]:
    current = health.schema is not None and health.schema == health.latest
    lines = [f"Cơ sở dữ liệu ({health.database}): "
             + (f"cấu trúc {health.schema}, mới nhất" if current else "CÓ SỰ CỐ")]  # fmt: skip
    if (tick := health.tick) is not None:
        state = f"lỗi: {tick.error[:200]}" if tick.error else "thành công"
        lines.append(f"Lượt nhắc việc gần nhất: {tick.started_at.astimezone(VIETNAM):%H:%M:%S %d/%m/%Y}, "
                     f"mất {seconds_vn(tick.seconds)}, {state} (tiến trình {tick.worker})")  # fmt: skip
    if health.pending is not None and health.failed is not None:
        oldest = (f", tin cũ nhất chờ {health.oldest_minutes:.0f} phút"
                  if health.oldest_minutes is not None else "")  # fmt: skip
        lines.append(f"Hàng đợi: {thousands(health.pending)} tin chờ gửi{oldest}")
        lines.append(f"Tin gửi thất bại: {thousands(health.failed)}")
        for u in health.channels:
            limit = (f"/{thousands(u.quota)} tin nhắn ({u.share:.0%})"
                     if u.quota and u.share is not None else " tin nhắn (không đặt hạn mức)")  # fmt: skip
            lines.append(f"{u.channel.capitalize()} tháng {u.month:%m/%Y}: {thousands(u.used)}{limit}"
                         f", gửi {thousands(u.sent)}, nhận {thousands(u.received)}")  # fmt: skip
    for probe in health.probes:
        said = f"trả lời getMe ({probe.name})" if probe.ok else "KHÔNG trả lời getMe"
        lines.append(f"{probe.channel.capitalize()}: {said}")
    lines += [f"Sự cố: {p}" for p in health.problems]
    lines += [f"Cảnh báo: {w}" for w in health.warnings]
    lines.append("Tình trạng: " + ("hoạt động được" if health.ok else "có sự cố"))
    return lines


def _as_json(health: Health) -> dict[str, object]:
    return {
        "ok": health.ok, "database": health.database, "schema": health.schema,
        "latest": health.latest, "outbox_pending": health.pending,
        "outbox_oldest_minutes": health.oldest_minutes, "outbox_failed": health.failed,
        "last_tick": None if health.tick is None else {
            "started_at": utc_iso(health.tick.started_at), "seconds": health.tick.seconds,
            "worker": health.tick.worker, "error": health.tick.error, "stale": health.tick_stale,
            "age_seconds": health.tick_age_seconds,
            "stale_after_seconds": health.tick_stale_after},
        "getme": [{"channel": p.channel, "ok": p.ok, "name": p.name, "error": p.error}
                  for p in health.probes],
        "channels": [{"channel": u.channel, "month": u.month.isoformat(), "sent": u.sent,
                      "received": u.received, "quota": u.quota, "spent": u.spent}
                     for u in health.channels],
        "problems": health.problems, "warnings": health.warnings,
    }  # fmt: skip
