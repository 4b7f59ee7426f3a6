"""The demo province, from seed/: agencies, plans, calendar, files, console chats, and
the province's 2025 reorganisation."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

from sqlmodel import Session, col, select

from bot.config import Settings
from bot.domain.calendar import VIETNAM, WorkCalendar
from bot.domain.verbs import APPROVE_APOLOGY, callback_data
from bot.handlers.core import Incoming, handle_button, handle_message
from bot.importers.agencies import import_agencies
from bot.importers.agency_changes import import_agency_changes
from bot.importers.files import import_files
from bot.importers.plans import PlanImportReport, import_plan
from bot.models import Apology
from bot.services.actions import Sender
from bot.services.agency_changes import AppliedChange, apply_due
from bot.services.apology import file_by_code
from bot.services.calendar import import_overrides, load_calendar
from bot.services.chats import bind_console_chats

SEED = Path(__file__).resolve().parent.parent.parent / "seed"

#: The day the demo province imported its plans and files (the seed plans are of
#: 2022–2024): they name the agencies of that day.
SEED_DAY = date(2024, 11, 25)

#: The demo's day (README: ``dondoc web --at "20/12/2024 08:00"``). seed/files.csv's
#: files were received from 14/11 to 14/12/2024, so on this day some are late, some due
#: soon, and one late file has its apology letter (:data:`LETTER`).
DEMO_DAY = date(2024, 12, 20)

#: The demo's apology letter: a file, the day its group wrote the letter, the reason, the
#: new appointment (a working day), approved by the head the same day.
LETTER = ("STP-241203-0004", date(2024, 12, 16), "Chờ kết quả xác minh của Công an tỉnh",
          "27/12/2024")  # fmt: skip


def seed_demo(
    session: Session, settings: Settings, now: datetime, folder: Path = SEED
) -> tuple[list[PlanImportReport], list[AppliedChange]]:
    """The demo province as it is at ``now`` (aware): its plans and files imported on
    :data:`SEED_DAY`, then its agencies' changes recorded (``agency_changes.csv``, the
    new bodies from ``agencies_2025.csv``) and those whose day has come by ``now``
    (Vietnam's calendar) applied; the later ones wait for the tick of their day."""
    import_agencies(session, folder / "agencies.csv")
    plans = sorted((folder / "plans").glob("*.csv"))
    # Stamped on the seed's day, as the demo's own history says they were (not today).
    seeded = datetime.combine(SEED_DAY, time(9), VIETNAM)
    reports = [import_plan(session, path, settings=settings, on=SEED_DAY, at=seeded)
               for path in plans]  # fmt: skip
    import_overrides(session, folder / "calendar.csv")
    cal = load_calendar(session, settings.hours)
    import_files(session, folder / "files.csv", cal=cal, settings=settings.files, on=SEED_DAY,
                 at=seeded)  # fmt: skip
    import_agencies(session, folder / "agencies_2025.csv")
    bind_console_chats(session)
    _write_letter(session, settings, cal)
    import_agency_changes(session, folder / "agency_changes.csv", actor="seed", now=now)
    return reports, apply_due(session, cal.local(now).date(), now)


def _write_letter(session: Session, settings: Settings, cal: WorkCalendar) -> None:
    """:data:`LETTER`, walked through as officers do: ``/xinloi`` in the file's group, the
    reason, the new date, then the head presses "Duyệt". Nothing if the file is not in
    ``files.csv`` (another seed folder) or has a letter already (the demo seeded again)."""
    code, day, reason, until = LETTER
    when = datetime.combine(day, time(9), VIETNAM)
    group = Sender("console", "nhom:so-tu-phap", "seed-1", "Cán bộ Bộ phận Một cửa", private=True)
    file = file_by_code(session, code)
    if file is None or session.exec(select(Apology).where(Apology.file_id == file.id)).first():
        return  # not this seed, or seeded before: a second /xinloi would be a second move
    for text in (f"/xinloi {code}", reason, until):
        handle_message(session, Incoming(group, text), when, cal, settings.apology)
    session.flush()
    letter = session.exec(select(Apology).order_by(col(Apology.id).desc())).first()
    assert letter is not None
    head = Sender(
        "console", "thu-truong:so-tu-phap", "seed-2", "Thủ trưởng Sở Tư pháp", private=True
    )
    handle_button(
        session, head, callback_data(APPROVE_APOLOGY, letter.id), when, cal, settings.apology
    )
