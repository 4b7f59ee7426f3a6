"""Import a one-stop export of 1,000,000 files, then one planning tick over them.

    .venv/bin/python -m bench.files_bench [--rows 1000000]

Reports rows per second, the process's peak resident memory before and after the import
(the importer streams: the peak should not grow with the file), and how long one
``plan()`` takes on that register. SQLite file in a temporary folder. Asserts
nothing; CI does not run it.
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlmodel import Session

from bot.config import Settings
from bot.db import make_engine, session_scope, upgrade
from bot.domain.calendar import VIETNAM, WorkCalendar
from bot.importers.agencies import import_agencies
from bot.importers.files import import_files
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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dondoc-files-") as tmp:
        export = Path(tmp) / "export.csv"
        t0 = time.perf_counter()
        write_export(export, args.rows)
        print(
            f"export: {args.rows:,} rows, {export.stat().st_size / 1e6:.0f} MB, written in {time.perf_counter() - t0:.0f} s"
        )
        url = f"sqlite:///{Path(tmp) / 'files.db'}"
        upgrade(url)
        engine = make_engine(url)
        cal = WorkCalendar()
        settings = Settings()
        with session_scope(engine) as s:
            import_agencies(s, SEED / "agencies.csv")
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t0 = time.perf_counter()
        with session_scope(engine) as s:
            report = import_files(s, export, cal=cal, settings=settings.files, on=IMPORT_DAY)
        seconds = time.perf_counter() - t0
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"import: {report.rows:,} files in {seconds:.1f} s = {report.rows / seconds:,.0f} rows/s; "
              f"peak RSS {before:.0f} MB before, {peak:.0f} MB after ({report.by_kind})")  # fmt: skip
        t0 = time.perf_counter()
        with session_scope(engine) as s:
            again = import_files(s, export, cal=cal, settings=settings.files, on=IMPORT_DAY)
        seconds = time.perf_counter() - t0
        print(f"re-import (daily update, nothing changed): {again.rows / seconds:,.0f} rows/s")
        now = datetime(2024, 12, 20, 8, 0, tzinfo=VIETNAM)
        for label in ("first tick (every open file looked at)", "next tick (only what is due)"):
            with Session(engine) as s:
                t0 = time.perf_counter()
                plan(s, now, settings=settings, cal=cal)
                s.commit()
                print(f"{label}: {time.perf_counter() - t0:.2f} s")
            now += timedelta(minutes=1)
        engine.dispose()


if __name__ == "__main__":
    main()
