"""Import a one-stop export of 1,000,000 files, then one planning tick over them.

    .venv/bin/python -m bench.files_bench [--rows 1000000] [--url postgresql+psycopg://…/empty]

Reports rows per second, the process's peak resident memory before and after the import
(the importer streams: the peak should not grow with the file), and how long one
``plan()`` takes on that register. Every agency has its group and head chat bound and the
province a coordinator chat, so the first tick warns of every late file of the year just
imported: the largest warning it writes to one chat is reported too. A SQLite file in a temporary folder, or the empty
database ``--url`` names (PostgreSQL: the import writes with COPY). Asserts nothing; CI
runs it tiny (tests/test_bench.py).
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlmodel import Session, select

from bench.args import positive_int
from bench.table import Figure
from bot.config import Settings
from bot.db import make_engine, session_scope, upgrade
from bot.domain.calendar import VIETNAM, WorkCalendar
from bot.importers.agencies import import_agencies
from bot.importers.files import import_files
from bot.models import Agency, Chat, ChatRole, Outbox
from bot.scheduler.planner import plan
from bot.services.demo import SEED_DAY as IMPORT_DAY

SEED = Path(__file__).resolve().parent.parent / "seed"
AGENCIES = ["Sở Tư pháp", "Sở Tài nguyên và Môi trường", "Sở Kế hoạch và Đầu tư", "Sở Y tế",
            "UBND thành phố Biên Hòa", "UBND phường Tân Phong"]  # fmt: skip


def write_export(path: Path, rows: int) -> None:
    rng = random.Random(1)
    start = datetime(2024, 1, 2, 7, 30)  # noqa: DTZ001 - wall-clock times, as exports write them
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["Mã hồ sơ", "Tên thủ tục", "Chủ hồ sơ", "Số điện thoại", "Đơn vị xử lý",
                         "Ngày tiếp nhận", "Thời hạn giải quyết (ngày làm việc)", "Trạng thái"])  # fmt: skip
        for i in range(rows):
            received = start + timedelta(minutes=i * 30 % (365 * 24 * 60))
            status = "Đã trả kết quả" if rng.random() < 0.9 else "Đang xử lý"
            writer.writerow([f"HS-{i:08d}", "Thủ tục hành chính mẫu", f"Người nộp {i}", "0912345678",
                             rng.choice(AGENCIES), received.strftime("%d/%m/%Y %H:%M"), rng.choice([1, 3, 5, 10, 15]),
                             status])  # fmt: skip


@dataclass
class FilesRun:
    rows: int
    rows_per_second: float  # the first import
    reimport_per_second: float | None  # the same file again (None: not measured)
    rss_before: float  # MB, the process's peak before the import
    rss_after: float  # MB, its peak after the import and the first tick
    first_tick: float  # seconds: every open file looked at
    next_tick: float  # seconds: only what is due (nothing, a minute later)
    largest_warning: int  # Telegram messages in the largest warning to one chat


def run(
    rows: int, *, reimport: bool = False, report: Callable[[str], object] = lambda _: None,
    url: str | None = None,
) -> FilesRun:  # fmt: skip
    """Import an export of ``rows`` files, optionally again, then two ticks over them, in
    the empty database at ``url`` (default: a SQLite file in a temporary folder)."""
    with tempfile.TemporaryDirectory(prefix="dondoc-files-") as tmp:
        export = Path(tmp) / "export.csv"
        t0 = time.perf_counter()
        write_export(export, rows)
        report(f"export: {rows:,} rows, {export.stat().st_size / 1e6:.0f} MB, written in "
               f"{time.perf_counter() - t0:.0f} s")  # fmt: skip
        url = url or f"sqlite:///{Path(tmp) / 'files.db'}"
        upgrade(url)
        engine = make_engine(url)
        cal = WorkCalendar()
        settings = Settings()
        with session_scope(engine) as s:
            import_agencies(s, SEED / "agencies.csv")
            bind_chats(s)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t0 = time.perf_counter()
        with session_scope(engine) as s:
            imported = import_files(s, export, cal=cal, settings=settings.files, on=IMPORT_DAY)
        rate = imported.rows / (time.perf_counter() - t0)
        report(f"import: {imported.rows:,} files = {rate:,.0f} rows/s ({imported.by_kind})")
        again = None
        if reimport:
            t0 = time.perf_counter()
            with session_scope(engine) as s:
                repeated = import_files(s, export, cal=cal, settings=settings.files, on=IMPORT_DAY)
            again = repeated.rows / (time.perf_counter() - t0)
            report(f"re-import (daily update, nothing changed): {again:,.0f} rows/s")
        now = datetime(2024, 12, 20, 8, 0, tzinfo=VIETNAM)
        ticks = []
        for label in ("first tick (every open file looked at)", "next tick (only what is due)"):
            with Session(engine) as s:
                t0 = time.perf_counter()
                plan(s, now, settings=settings, cal=cal)
                s.commit()
                ticks.append(time.perf_counter() - t0)
                report(f"{label}: {ticks[-1]:.2f} s")
            now += timedelta(minutes=1)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        report(
            f"peak RSS {before:.0f} MB before the import, {peak:.0f} MB after it and the first tick"
        )
        with Session(engine) as s:
            sizes = [len(p) for p in s.exec(select(Outbox.parts).where(Outbox.kind == "files"))]
        report(f"warnings written: {len(sizes):,}, the largest {max(sizes, default=0)} message(s)")
        engine.dispose()
    return FilesRun(rows, rate, again, before, peak, ticks[0], ticks[1], max(sizes, default=0))


def bind_chats(session: Session) -> None:
    """A group and a head chat for every agency, and the province's coordinator chat."""
    chats = [Chat(channel="telegram", chat_key="-1000", title="Văn phòng UBND tỉnh",
                  role=ChatRole.COORDINATOR, kind="group")]  # fmt: skip
    for agency in session.exec(select(Agency)).all():
        chats.append(Chat(channel="telegram", chat_key=f"-100{agency.id}", title=agency.name,
                          agency_id=agency.id, role=ChatRole.GROUP, kind="group"))  # fmt: skip
        chats.append(Chat(channel="telegram", chat_key=f"{agency.id}", title=agency.name,
                          agency_id=agency.id, role=ChatRole.HEAD, kind="private"))  # fmt: skip
    session.add_all(chats)


def figures(scale: float) -> list[Figure]:
    """Issue #13's import goals at ``scale`` × its 1,000,000-row export: ≥ 50,000 rows/s,
    peak RSS of the whole process (import and first tick) < 200 MB, an idle tick ≤ 20 ms.
    Meant for a fresh process: the peak RSS is the process's since it started."""
    rows = max(1000, round(1_000_000 * scale))
    r = run(rows)
    at = "" if rows == 1_000_000 else f"goal for 1,000,000 rows; here {rows:,}"
    return [
        Figure(
            f"files import, {rows:,}-row export", r.rows_per_second, "rows/s", 50_000, at_most=False
        ),
        Figure(f"peak RSS, import + first tick, {rows:,} rows", r.rss_after, "MB", 200, note=at),
        Figure(f"first tick after the import, {rows:,} rows", r.first_tick, "s"),
        Figure(
            "largest late-file warning to one chat, first tick",
            r.largest_warning,
            "messages",
            2,
            note="20 files named, the rest counted; Telegram cuts at 4,096 characters",
        ),
        Figure(
            f"idle tick over the files of {rows:,} rows",
            r.next_tick * 1000,
            "ms",
            20,
            note=at or "no parts in this register",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=positive_int, default=1_000_000)
    parser.add_argument(
        "--url", help="an empty database to import into, e.g. PostgreSQL's (default: SQLite)"
    )
    args = parser.parse_args()
    run(args.rows, reimport=True, report=print, url=args.url)


if __name__ == "__main__":
    main()
