"""Rows written in bulk (db.insert_values: an executemany on SQLite, a COPY on PostgreSQL)
read back as the models wrote them: dates, aware times, texts with what COPY escapes."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.db import driver_value, insert_values, session_scope
from bot.domain.calendar import VIETNAM
from bot.models import Agency, TthcFile


def test_bulk_rows_read_back_as_written(registry_engine: Engine) -> None:
    with Session(registry_engine) as s:
        agency = s.exec(select(Agency.id)).first()
    received = datetime(2025, 1, 22, 9, 0, 0, 250, tzinfo=VIETNAM)
    rows = [
        {"code": code, "procedure": procedure, "agency_id": agency, "received_at": received,
         "returned_at": returned, "original_due_on": date(2025, 2, 5), "due_on": date(2025, 2, 5),
         "status": "open", "processing_days": None, "updated_at": datetime(2025, 1, 23, tzinfo=UTC),
         "field": "", "applicant_name": "Nguyễn Văn An", "applicant_address": "", "applicant_phone": "",
         "status_text": "Đang xử lý", "check_on": date(2000, 1, 1)}
        for code, procedure, returned in (
            ("B-1", 'Thủ tục "A"\\tab, \\N', None),
            ("B-2", "Cấp phiếu", datetime(2025, 2, 4, 16, 30, tzinfo=VIETNAM)),
        )
    ]  # fmt: skip
    table = TthcFile.metadata.tables["tthcfile"]
    names = list(rows[0])
    with session_scope(registry_engine) as s:
        conn = s.connection()
        stores = [
            driver_value(conn.dialect, table.c[name]) for name in names
        ]  # as the files import
        values = [
            tuple(store(row[n]) for store, n in zip(stores, names, strict=True)) for row in rows
        ]
        insert_values(conn, table, names, values)
    with Session(registry_engine) as s:
        found = {f.code: f for f in s.exec(select(TthcFile))}
    assert found["B-1"].procedure == 'Thủ tục "A"\\tab, \\N' and found["B-1"].returned_at is None
    assert found["B-1"].received_at == received and found["B-1"].processing_days is None
    assert found["B-2"].returned_at == datetime(2025, 2, 4, 16, 30, tzinfo=VIETNAM)
    assert found["B-2"].due_on == date(2025, 2, 5) and found["B-2"].check_on == date(2000, 1, 1)
