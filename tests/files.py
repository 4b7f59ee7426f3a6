"""Late administrative files (hồ sơ) made to measure: a real CSV export in the one-stop
system's format, written from a few ``LateFile`` rows, and imported as the bot imports it."""

from __future__ import annotations

import csv
from dataclasses import dataclass, fields
from pathlib import Path

from sqlalchemy.engine import Engine

from bot.config import Settings
from bot.db import session_scope
from bot.importers.files import FileImportReport, import_files
from tests.province import CAL, IMPORT_DAY, SETTINGS


@dataclass(frozen=True)
class LateFile:
    """One row of the export. A column left ``None`` in every row is not in the export."""

    code: str
    procedure: str | None = "Cấp Phiếu lý lịch tư pháp"
    field: str | None = None
    holder: str | None = "Phạm Thu Dung"
    address: str | None = None
    phone: str | None = None
    agency: str | None = "Sở Tư pháp"
    received: str | None = "22/01/2025 09:00"
    due: str | None = None
    days: int | str | None = 5
    status: str | None = None
    returned: str | None = None


# The export's columns, in the one-stop system's order.
COLUMNS = {
    "code": "Mã hồ sơ",
    "procedure": "Tên thủ tục",
    "field": "Lĩnh vực",
    "holder": "Chủ hồ sơ",
    "address": "Địa chỉ",
    "phone": "Số điện thoại",
    "agency": "Đơn vị xử lý",
    "received": "Ngày tiếp nhận",
    "due": "Ngày hẹn trả",
    "days": "Thời hạn giải quyết (ngày làm việc)",
    "status": "Trạng thái",
    "returned": "Ngày trả kết quả",
}
assert list(COLUMNS) == [f.name for f in fields(LateFile)]


def labels(*names: str) -> list[str]:
    """The export's header cells for the ``LateFile`` fields ``names``, in that order."""
    return [COLUMNS[n] for n in names]


# The columns of a short export: an appointment date, no number of working days.
SHORT = ("code", "procedure", "holder", "agency", "received", "due", "status")


def late_files_export(folder: Path, *rows: LateFile, name: str = "export.csv") -> Path:
    """``folder/name``: a UTF-8 CSV export holding ``rows``, with the columns they use."""
    used = [c for c in COLUMNS if any(getattr(r, c) is not None for r in rows)]
    path = folder / name
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([COLUMNS[c] for c in used])
        for row in rows:
            writer.writerow(["" if getattr(row, c) is None else getattr(row, c) for c in used])
    return path


def add_late_files(
    engine: Engine, folder: Path, *rows: LateFile, settings: Settings = SETTINGS
) -> FileImportReport:
    """Write ``rows`` as an export in ``folder`` and import it, as ``dondoc import files`` does."""
    path = late_files_export(folder, *rows)
    with session_scope(engine) as s:
        return import_files(s, path, cal=CAL, settings=settings.files, on=IMPORT_DAY)
