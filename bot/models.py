"""The tables (SQLModel), and the enumerations stored in them with their Vietnamese labels.

Rules live in ``bot.domain`` and never touch these rows; queries live where they are
used (``bot.services``, the importers, the planners, the reports). The schema changes
only through Alembic (``migrations/``). Times are stored as UTC-aware datetimes; dates
(deadlines, days off) are plain calendar dates in Vietnam's calendar.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, LargeBinary, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from bot.domain.labelled import Labelled

# ``check_on`` (parts, files): look at it at the next tick, or never again (no stage left).
CHECK_NOW = date(2000, 1, 1)
CHECK_NEVER = date(9999, 12, 31)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every database.

    SQLite keeps no offset: storing UTC and reading it back as UTC keeps comparisons in
    SQL right. A naive datetime is a bug (whose clock?), so it is refused.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware one")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _ts(**kw: Any) -> Any:
    return Field(sa_column=Column(UTCDateTime(), **kw))


class Role(Labelled):
    LEAD = "lead", "Chủ trì"
    COORDINATE = "coordinate", "Phối hợp"


class Status(Labelled):
    OPEN = "open", "Đang thực hiện"
    DONE = "done", "Hoàn thành"
    CANCELLED = "cancelled", "Đã hủy"
    SNOOZED = "snoozed", "Tạm dừng nhắc"
    # Handed to the part its agency's successor already had (an agency merged, split…):
    # the work goes on there; this row keeps the history under the agency as it was.
    MOVED = "moved", "Đã chuyển cho cơ quan kế tục"


#: Parts that carry no work of their own: never reminded, counted, nor reopened by a re-import.
NO_WORK = (Status.CANCELLED, Status.MOVED)


class ChatRole(Labelled):
    """What a chat is to the bot: an agency's group, its head, the coordinator, an admin."""

    GROUP = "group", "nhóm công tác"
    HEAD = "head", "Thủ trưởng"
    COORDINATOR = "coordinator", "cơ quan theo dõi, đôn đốc"
    ADMIN = "admin", "quản trị viên"


class Agency(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True, max_length=64)
    name: str = Field(max_length=255)
    kind: str = Field(max_length=16)
    parent_id: int | None = Field(default=None, foreign_key="agency.id", index=True)
    aliases: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # The agency's symbol in its letters' numbers ("07/PXL-STP"): unique, so that two
    # agencies whose names share initials never issue the same number.
    letter_symbol: str | None = Field(default=None, unique=True, index=True, max_length=16)


class AgencyChange(SQLModel, table=True):
    """The day an agency stopped existing as it was, how, and by which act.

    ``kind`` is a :class:`bot.domain.agency_history.ChangeKind`; its successors are the
    :class:`AgencySuccessor` rows (none for a dissolution without one). An agency
    changes once: its successors carry its history on. ``applied_at`` is when its open
    work, chats and requests were re-routed (``bot.services.agency_changes``); a change
    recorded ahead of its date is applied by the first tick on that day.
    """

    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", unique=True)
    kind: str = Field(max_length=16)
    effective_on: date  # the first day in Vietnam's calendar the agency is no longer as it was
    act: str = Field(max_length=255)  # "Nghị quyết số 12/NQ-HĐND ngày 20/02/2025 của HĐND tỉnh"
    recorded_by: str = Field(max_length=128)
    recorded_at: datetime = _ts(nullable=False, default=utcnow)
    applied_at: datetime | None = _ts(nullable=True)


class AgencySuccessor(SQLModel, table=True):
    """One agency that took on a changed agency's work, in the order the act names them."""

    change_id: int = Field(foreign_key="agencychange.id", primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", primary_key=True)
    position: int = 0


class Plan(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True, index=True, max_length=64)  # "126/KH-UBND"
    issued_on: date | None = None
    year: int | None = None  # fills deadline cells that name no year
    title: str = ""
    issuer: str = ""
    issuer_agency_id: int | None = Field(default=None, foreign_key="agency.id")
    source: str = ""  # the file it was last imported from


class Section(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("plan_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    key: str = Field(max_length=64)  # "A.I", "PL1.II": stable across re-imports
    number: str = Field(default="", max_length=16)
    title: str = ""
    position: int = 0


class Task(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("plan_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    section_id: int | None = Field(default=None, foreign_key="section.id")
    key: str = Field(max_length=64)  # section key + number: stable across re-imports
    number: str = Field(default="", max_length=16)
    position: int = 0
    indicator: str = ""  # "Chỉ số/nội dung": the index component the task serves
    text: str
    target: str = ""
    result: str = ""
    deadline_text: str = ""
    deadline_kind: str = Field(max_length=16)  # date | recurring | milestones | unspecified
    due_on: date | None = Field(default=None, index=True)
    recurrence: str | None = Field(default=None, max_length=16)
    deadline_detail: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    lead_text: str = ""
    coordinate_text: str = ""
    source_line: int | None = None
    # An admin's deadline ("31/12/2027", "Quý IV/2027") for a cell the reader could not
    # read, or read wrongly; a re-import keeps it while the plan's cell is still the one
    # it was set for (``deadline_set_for``), and drops it when the plan changes the cell.
    deadline_set_to: str | None = None
    deadline_set_for: str | None = None
    # The file of the re-import whose plan no longer had the task (its open parts were
    # cancelled then); None while the plan has it. A later import that has it clears it.
    removed_in: str | None = None


#: Between a task's key and its id in the key of a task a revised plan dropped whose STT
#: another row now has ("PL1.1~228"): keys are unique in a plan. Never shown to a user.
KEY_APART = "~"


def shown_key(key: str) -> str:
    """A task's key as the plan numbers it ("PL1.1"), for a user: without the "~id" that
    keeps a dropped task's key apart from the row that took its STT ("PL1.1~228")."""
    return key.partition(KEY_APART)[0] or key


class Assignment(SQLModel, table=True):
    """One agency's part of one task: tracked, reminded and closed on its own."""

    __table_args__ = (
        UniqueConstraint("task_id", "agency_id"),
        Index("ix_assignment_status_due", "status", "due_on"),
        Index("ix_assignment_status_check", "status", "check_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    role: str = Field(max_length=16)
    # What this agency's part covers, as the plan wrote it: "đối với cơ sở y tế", the text
    # of a numbered item ("tổng hợp dự toán"), "tham mưu UBND tỉnh".
    scope: str = ""
    status: str = Field(default=Status.OPEN, max_length=16)
    progress: int = 0
    due_on: date | None = None  # the date reminders follow: the plan's, or an extension's
    extended_to: date | None = None  # set by an approved extension; re-imports keep it
    # The planner looks at an open part again on this day (the next stage's day); what
    # moves its ladder (an extension, a report for a period, a re-import that changes the
    # deadline, set-deadline) resets it to CHECK_NOW. A closed part is never read again.
    # It keeps each tick's cost to what is due.
    check_on: date = Field(default_factory=lambda: CHECK_NOW)
    last_report_period: str | None = Field(default=None, max_length=16)
    created_at: datetime = _ts(nullable=False, default=utcnow)
    updated_at: datetime = _ts(nullable=False, default=utcnow)


class StatusUpdate(SQLModel, table=True):
    """The audit trail: every change to an assignment, by whom, from where, when."""

    id: int | None = Field(default=None, primary_key=True)
    assignment_id: int = Field(foreign_key="assignment.id", index=True)
    at: datetime = _ts(nullable=False, default=utcnow)
    actor: str = Field(max_length=128)  # "import:seed/plans/000.csv", "telegram:12345"
    chat_id: str | None = Field(default=None, max_length=64)
    message_id: str | None = Field(default=None, max_length=64)
    field: str = Field(max_length=32)
    old: str | None = None
    new: str | None = None
    note: str = ""


class Chat(SQLModel, table=True):
    """A chat the bot talks to, bound to an agency in a role."""

    __table_args__ = (UniqueConstraint("channel", "chat_key"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)  # telegram | zalo | console
    chat_key: str = Field(max_length=64)  # the channel's chat id
    title: str = ""
    agency_id: int | None = Field(default=None, foreign_key="agency.id", index=True)
    role: str = Field(max_length=16)
    # "group" or "private", as the channel said when the chat was bound; "" for a chat
    # bound before it was recorded. A Zalo group hears only mentions of the bot.
    kind: str = Field(default="", max_length=8, sa_column_kwargs={"server_default": ""})
    active: bool = True
    created_at: datetime = _ts(nullable=False, default=utcnow)


class ChannelUsage(SQLModel, table=True):
    """The messages one channel carried in one month, both ways, counted by
    ``bot.services.channel_usage``: Zalo's plans are reported to count what the bot sends
    and what it receives against a monthly quota (the figures are not documented)."""

    channel: str = Field(primary_key=True, max_length=16)
    month: date = Field(primary_key=True)  # the month's first day, Vietnam's calendar
    sent: int = 0  # messages the channel accepted from the bot
    received: int = 0  # messages that reached the bot


class OutboxState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class Outbox(SQLModel, table=True):
    """One message to one chat, written and claimed through ``bot.services.outbox``;
    only the dispatcher sends."""

    __table_args__ = (Index("ix_outbox_state_next", "state", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=160)
    chat_id: int = Field(foreign_key="chat.id", index=True)
    # reminder | files | digest | unspecified (planners) | notice (a message to another
    # chat: extensions, alerts to admins) | apology (the approved letter) | farewell (the
    # last message to a chat closed because its agency ended: sent though it is inactive)
    kind: str = Field(max_length=32)
    parts: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Buttons under the last part: rows of [label, callback data]. Channels without
    # buttons (Zalo, console) show them as numbered text commands.
    buttons: list[list[list[str]]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    # A document sent after the text, rendered at sending time from the database
    # (``{"kind": "apology", "id": 7}``): the row stays small and the letter current.
    attachment: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    state: str = Field(default=OutboxState.PENDING, max_length=16)
    attempts: int = 0
    sent_parts: int = 0  # parts already delivered: a retry goes on after them
    next_attempt_at: datetime = _ts(nullable=False, default=utcnow)
    claimed_by: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = _ts(nullable=True)
    sent_at: datetime | None = _ts(nullable=True)
    last_error: str = ""
    created_at: datetime = _ts(nullable=False, default=utcnow)


class Notice(SQLModel, table=True):
    """One stage of the ladder for one part in one period, to one chat: never twice."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=160)  # assignment:stage@period:chat
    # About a plan part or a late administrative file: exactly one of the two is set.
    assignment_id: int | None = Field(default=None, foreign_key="assignment.id", index=True)
    file_id: int | None = Field(default=None, foreign_key="tthcfile.id", index=True)
    chat_id: int = Field(foreign_key="chat.id")
    stage: str = Field(max_length=32)
    period: str = Field(max_length=32)
    outbox_id: int = Field(foreign_key="outbox.id", index=True)
    created_at: datetime = _ts(nullable=False, default=utcnow)


class SentMessage(SQLModel, table=True):
    """A message the channel accepted: a reply to it leads back to its notices."""

    __table_args__ = (UniqueConstraint("chat_id", "message_key"),)

    id: int | None = Field(default=None, primary_key=True)
    outbox_id: int = Field(foreign_key="outbox.id", index=True)
    chat_id: int = Field(foreign_key="chat.id")
    message_key: str = Field(max_length=64)
    sent_at: datetime = _ts(nullable=False, default=utcnow)


class CalendarOverride(SQLModel, table=True):
    """A province's own calendar: an extra day off, or a make-up working day."""

    day: date = Field(primary_key=True)
    working: bool
    note: str = ""


class LinkCode(SQLModel, table=True):
    """A one-time code an admin makes to bind a chat to an agency in a role.

    Only its hash is stored: whoever reads the database cannot bind a chat with it.
    """

    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(unique=True, max_length=64)
    agency_id: int | None = Field(default=None, foreign_key="agency.id")
    role: str = Field(max_length=16)
    created_at: datetime = _ts(nullable=False, default=utcnow)
    expires_at: datetime = _ts(nullable=False)
    used_at: datetime | None = _ts(nullable=True)
    used_by_chat_id: int | None = Field(default=None, foreign_key="chat.id")


class SettingChange(SQLModel, table=True):
    """The audit trail of the province's settings, as :class:`StatusUpdate` is of the
    parts: a calendar day added or removed, a link code issued or revoked, a chat unbound;
    by whom (``Actor.who``: "web:telegram:123 (Name)", "cli:admin"), when."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts(nullable=False, index=True)
    actor: str = Field(max_length=128)
    subject: str = Field(max_length=16, index=True)  # calendar | link_code | chat
    key: str = Field(max_length=96)  # the day (ISO), the link code's id, "channel:chat_key"
    old: str | None = None
    new: str | None = None
    note: str = ""


class RequestState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"  # the part was closed (done, cancelled) before a decision


class ExtensionRequest(SQLModel, table=True):
    """An agency asks for more time; the head (or an admin) decides."""

    id: int | None = Field(default=None, primary_key=True)
    assignment_id: int = Field(foreign_key="assignment.id", index=True)
    until: date
    reason: str = ""
    state: str = Field(default=RequestState.PENDING, max_length=16)
    requested_by: str = Field(max_length=128)
    requested_in_chat_id: int | None = Field(default=None, foreign_key="chat.id")
    requested_at: datetime = _ts(nullable=False)
    decided_by: str | None = Field(default=None, max_length=128)
    decided_at: datetime | None = _ts(nullable=True)


class FileStatus(StrEnum):
    OPEN = "open"  # being handled: can still be late
    RETURNED = "returned"  # the result was given to the applicant
    CLOSED = "closed"  # withdrawn, refused: no result is owed


class TthcFile(SQLModel, table=True):
    """A dossier (hồ sơ) of an administrative procedure, from a one-stop system's export."""

    # The files planner reads open files in pages by (check_on, id): see migration 0012.
    # The web view lists and counts the open files by appointment and agency: see 0018.
    __table_args__ = (
        Index("ix_tthcfile_status_check_id", "status", "check_on", "id"),
        Index("ix_tthcfile_status_due_agency", "status", "due_on", "agency_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=64)  # mã hồ sơ
    procedure: str = ""
    field: str = ""
    applicant_name: str = ""
    applicant_address: str = ""
    applicant_phone: str = Field(default="", max_length=32)
    agency_id: int = Field(foreign_key="agency.id", index=True)  # the agency holding it now
    received_at: datetime = _ts(nullable=False)
    processing_days: int | None = None  # working days, when the export gives them
    original_due_on: date  # the first appointment date
    due_on: date = Field(index=True)  # the appointment now (moved once by an apology)
    status: str = Field(default=FileStatus.OPEN, max_length=16)
    status_text: str = ""  # as the export says it
    returned_at: datetime | None = _ts(nullable=True)
    check_on: date = Field(default_factory=lambda: CHECK_NOW)
    source_line: int | None = None
    updated_at: datetime = _ts(nullable=False, default=utcnow)


class ApologyState(StrEnum):
    ASK_REASON = "ask_reason"  # the bot asked for the reason
    ASK_DATE = "ask_date"  # …then for the new appointment date
    PENDING = "pending"  # waiting for the head
    SENT_BACK = "sent_back"  # the head asked for changes: to be redone
    APPROVED = "approved"  # numbered, sent to the group as a .docx


class Apology(SQLModel, table=True):
    """The letter of apology and new appointment (văn bản xin lỗi) for one late file."""

    id: int | None = Field(default=None, primary_key=True)
    file_id: int = Field(foreign_key="tthcfile.id", index=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)  # the agency that owes it
    state: str = Field(max_length=16)
    reason: str = ""
    new_due_on: date | None = None
    original_due_on: date
    number: str | None = Field(default=None, max_length=32)  # "12/PXL-SYT", once approved
    started_by: str = Field(max_length=128)
    chat_id: int | None = Field(default=None, foreign_key="chat.id")
    started_at: datetime = _ts(nullable=False)
    decided_by: str | None = Field(default=None, max_length=128)
    approved_at: datetime | None = _ts(nullable=True)
    note: str = ""  # the head's remark when sending it back


class TickRun(SQLModel, table=True):
    """The last planning tick of each worker (``host:pid``), written by
    ``bot.scheduler.periodic.PeriodicTick`` after every tick: ``dondoc health``, another
    process, reads when the bot last planned, how long it took and whether it failed."""

    worker: str = Field(primary_key=True, max_length=64)
    started_at: datetime = _ts(nullable=False, index=True)
    seconds: float = 0.0  # how long the tick took
    error: str = Field(default="", max_length=500)  # why it failed; empty when it worked


class Worker(SQLModel, table=True):
    """Each ``dondoc run`` process sharing a PostgreSQL database, by its worker id
    (``host:pid``), and when it last said it is alive (the database's clock, so that the
    servers' clocks need not agree): ``bot.scheduler.fleet`` divides the chats and
    Telegram's per-second budget among the live ones. A process that stops deletes its
    row; one that dies is left behind by the others once its heartbeat is old."""

    worker: str = Field(primary_key=True, max_length=64)
    started_at: datetime = _ts(nullable=False)
    seen_at: datetime = _ts(nullable=False, index=True)


class InboxUpdate(SQLModel, table=True):
    """Each update a channel delivered (Telegram's ``update_id``), kept before the channel
    is told it arrived: a process killed with updates fetched but not yet handled leaves
    them here, and another process (or the next start) handles them (``bot.services.inbox``).
    ``claimed_by`` handles it until ``lease_until``; ``handled_at`` once it was handled;
    a redelivered update already handled is not handled again."""

    __table_args__ = (UniqueConstraint("channel", "update_key"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    update_key: str = Field(max_length=64)  # the channel's own id of the update
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    received_at: datetime = _ts(nullable=False)
    claimed_by: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = _ts(nullable=True)
    handled_at: datetime | None = _ts(nullable=True, index=True)


class WebSite(SQLModel, table=True):
    """The web view (``bot.web.site``): one row (id 1) holding the key that signs its
    sign-in links and session cookies, generated on first need, and the address it is
    served at, published by the process that serves it (``dondoc web``, or ``dondoc run``
    with WEB_PORT), so that ``/web`` in a chat, answered by any process, links there."""

    id: int = Field(default=1, primary_key=True)
    key: str = Field(max_length=64)  # 32 random bytes as hex; a new one voids every session
    base_url: str = Field(default="", max_length=255)  # "" until a process serves the web
    created_at: datetime = _ts(nullable=False, default=utcnow)
    published_at: datetime | None = _ts(nullable=True)


class WebLink(SQLModel, table=True):
    """A one-time sign-in link answered to ``/web`` in a bound chat: who asked, where,
    when, and when it was used (once: a conditional UPDATE claims it). The link carries
    ``jti`` signed; expired rows are pruned as new links are made."""

    jti: str = Field(primary_key=True, max_length=32)
    chat_id: int = Field(foreign_key="chat.id", index=True)
    user_id: str = Field(default="", max_length=64)  # the channel's user id of who asked
    user_name: str = Field(default="", max_length=128)
    issued_at: datetime = _ts(nullable=False, index=True)
    used_at: datetime | None = _ts(nullable=True)


class WebSession(SQLModel, table=True):
    """A session of the web view, opened by a sign-in link: the chat it was opened for,
    who signed in, when, and when it ended (signed out). The signed cookie carries only
    ``id``, so that signing out ends the session on the server: a copy of the cookie
    replayed afterwards opens nothing. Rows long past are pruned as new sessions open."""

    id: str = Field(primary_key=True, max_length=32)  # random, URL-safe
    chat_id: int = Field(foreign_key="chat.id", index=True)
    user_id: str = Field(default="", max_length=64)
    user_name: str = Field(default="", max_length=128)
    started_at: datetime = _ts(nullable=False, index=True)
    ended_at: datetime | None = _ts(nullable=True)


class WebUpload(SQLModel, table=True):
    """A file an admin uploaded on the web view (Quản trị → Nạp dữ liệu), kept between its
    preview and its confirmation so that what is imported is byte for byte what was
    previewed (``sha256``). Bound to who uploaded it (the chat and the person); it expires
    (``bot.services.uploads.UPLOAD_TTL``), and is claimed once by a conditional UPDATE of
    ``confirmed_at``, when its bytes are dropped."""

    id: str = Field(primary_key=True, max_length=32)  # random, URL-safe
    chat_id: int = Field(foreign_key="chat.id", index=True)
    user_id: str = Field(default="", max_length=64)
    kind: str = Field(max_length=16)  # tasks | agencies | files, as ``dondoc import KIND``
    filename: str = Field(max_length=255)  # as uploaded, reduced to a safe name
    options: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    size: int
    sha256: str = Field(max_length=64)
    uploaded_at: datetime = _ts(nullable=False, index=True)
    confirmed_at: datetime | None = _ts(nullable=True)
    # What its preview, then its import, reported (HTML made by the web view's template),
    # so that the page after each POST is a GET that shows it again (Post/Redirect/Get).
    report: str = Field(default="", sa_column_kwargs={"server_default": ""})
