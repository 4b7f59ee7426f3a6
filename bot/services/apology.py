"""The apology for a late file, walked through in chat (Nghị định 61/2018/NĐ-CP, art. 19).

``/xinloi MÃ`` starts it; the bot asks for the reason, then the new appointment date (a
working day after the current one); the head approves it or sends it back; an approved
letter gets its number, the file's appointment moves to the new date, and the letter
goes to the group as a Word document ready to print and sign. The law allows one move:
a second is refused and the head and the coordinator are told.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, func, select

from bot.config import ApologySettings
from bot.domain.calendar import WorkCalendar
from bot.domain.numbers import parse_id
from bot.domain.replies import parse_reply
from bot.domain.verbs import APPROVE_APOLOGY, RETURN_APOLOGY, button
from bot.models import (
    CHECK_NOW,
    Agency,
    Apology,
    ApologyState,
    Chat,
    ChatRole,
    FileStatus,
    TthcFile,
)
from bot.render import answer, short_date
from bot.reports.letter import fill
from bot.services.actions import Answer, Sender, admin_chats, chats_of, notify, said
from bot.services.outbox import enqueue

DRAFTING = (ApologyState.ASK_REASON, ApologyState.ASK_DATE)


def file_by_code(session: Session, code: str) -> TthcFile | None:
    found = session.exec(select(TthcFile).where(TthcFile.code == code.strip())).first()
    ident = parse_id(code) if found is None else None
    if ident is not None:
        found = session.get(TthcFile, ident)
    return found


def with_approved_letter(session: Session, file_ids: list[int | None]) -> set[int]:
    """Which of these files have an approved letter: their appointment moved, once."""
    return set(
        session.exec(
            select(Apology.file_id).where(
                Apology.state == ApologyState.APPROVED, col(Apology.file_id).in_(file_ids)
            )
        ).all()
    )


def active_draft(session: Session, chat: Chat, sender: Sender) -> Apology | None:
    """A letter this person is writing in this chat (waiting for their next message)."""
    return session.exec(
        select(Apology).where(
            Apology.chat_id == chat.id, col(Apology.state).in_(DRAFTING),
            Apology.started_by == sender.actor.who,
        ).order_by(col(Apology.id).desc())
    ).first()  # fmt: skip


def start(session: Session, chat: Chat, sender: Sender, file: TthcFile, now: datetime) -> Answer:
    info = _describe(session, file)
    if not (
        sender.is_admin
        or (chat.agency_id == file.agency_id and chat.role in (ChatRole.GROUP, ChatRole.HEAD))
    ):
        return said("apology_refused", file=info)
    if file.status != FileStatus.OPEN:
        return said("apology_not_open", file=info)
    letters = session.exec(select(Apology).where(Apology.file_id == file.id)).all()
    if any(a.state == ApologyState.APPROVED for a in letters):
        _second_move(session, file, info, sender, now)
        return said("apology_second_move", file=info)
    if any(a.state == ApologyState.PENDING for a in letters):
        return said("apology_pending", file=info)
    letter = next((a for a in letters if a.state in (*DRAFTING, ApologyState.SENT_BACK)), None)
    if letter is None:
        letter = Apology(file_id=file.id, agency_id=file.agency_id, state=ApologyState.ASK_REASON,  # type: ignore[arg-type]
                         original_due_on=file.due_on, started_by=sender.actor.who, chat_id=chat.id,
                         started_at=now)  # fmt: skip
    letter.state, letter.started_by, letter.chat_id = (
        ApologyState.ASK_REASON,
        sender.actor.who,
        chat.id,
    )
    session.add(letter)
    return said("apology_ask_reason", file=info)


def continue_draft(
    session: Session,
    letter: Apology,
    text: str,
    now: datetime,
    cal: WorkCalendar,
    settings: ApologySettings,
) -> Answer:
    file = session.get(TthcFile, letter.file_id)
    assert file is not None
    info = _describe(session, file)
    if letter.state == ApologyState.ASK_REASON:
        if len(text.strip()) < 5:
            return said("apology_ask_reason", file=info)
        letter.reason = text.strip().rstrip(".")
        letter.state = ApologyState.ASK_DATE
        session.add(letter)
        return said("apology_ask_date", file=info)
    today = cal.local(now).date()
    new_date = parse_reply(f"gia hạn {text}", today=today)
    until: date | None = getattr(new_date, "until", None)
    if until is None or until <= file.due_on or until <= today or not cal.is_working_day(until):
        return said("apology_bad_date", file=info, until=until,
                             holiday=until is not None and not cal.is_working_day(until))  # fmt: skip
    letter.new_due_on = until
    letter.state = ApologyState.PENDING
    session.add(letter)
    session.flush()
    draft = letter_fields(session, letter, settings, cal, now)
    heads = chats_of(session, file.agency_id, ChatRole.HEAD) or admin_chats(session)
    text_to_head = answer("apology_to_head", file=info, letter=draft, reason=letter.reason)
    buttons = [[button(APPROVE_APOLOGY, letter.id), button(RETURN_APOLOGY, letter.id)]]
    for head in heads:
        notify(
            session,
            head,
            f"apology:{letter.id}:{letter.reason}:{until}:{head.id}",
            text_to_head,
            now,
            buttons,
        )
    return said("apology_sent_to_head", file=info, until=until, heads=bool(heads))


def decide(
    session: Session, chat: Chat, sender: Sender, letter_id: int, approve: bool, now: datetime,
    cal: WorkCalendar, settings: ApologySettings,
) -> Answer:  # fmt: skip
    letter = session.get(Apology, letter_id)
    if letter is None:
        return said("not_found", code=f"văn bản {letter_id}")
    file = session.get(TthcFile, letter.file_id)
    assert file is not None
    info = _describe(session, file)
    if not (sender.is_admin or (chat.role == ChatRole.HEAD and chat.agency_id == letter.agency_id)):
        return said("apology_refused_decision", file=info)
    if letter.state != ApologyState.PENDING:
        return said("apology_already_decided", file=info, state=letter.state)
    letter.decided_by = sender.actor.who
    groups = chats_of(session, letter.agency_id, ChatRole.GROUP)
    if not approve:
        letter.state = ApologyState.SENT_BACK
        session.add(letter)
        for group in groups:
            notify(session, group, f"apology-back:{letter.id}:{now.isoformat()}:{group.id}",
                    answer("apology_sent_back", file=info), now)  # fmt: skip
        return said("apology_decided", file=info, approve=False, number=None)
    letter.state, letter.approved_at = ApologyState.APPROVED, now
    letter.number = _next_number(session, letter, settings, cal, now)
    assert letter.new_due_on is not None
    file.due_on, file.check_on = letter.new_due_on, CHECK_NOW  # the appointment moves, once
    session.add_all([letter, file])
    session.flush()
    for group in groups:
        enqueue(session, key=f"apology-letter:{letter.id}:{group.id}", chat=group, kind="apology",
                parts=[answer("apology_approved_group", file=info, number=letter.number,
                              until=letter.new_due_on)],
                now=now, attachment={"kind": "apology", "id": letter.id})  # fmt: skip
    return said("apology_decided", file=info, approve=True, number=letter.number)


def letter_fields(
    session: Session, letter: Apology, settings: ApologySettings, cal: WorkCalendar, now: datetime
) -> dict[str, str]:
    """The fields of the official form, filled from the file and the letter."""
    file = session.get(TthcFile, letter.file_id)
    agency = session.get(Agency, letter.agency_id)
    assert file is not None and agency is not None
    day = cal.local(letter.approved_at or now).date()
    return {
        "co_quan": agency.name.upper(), "so": letter.number or "…/" + settings.number_suffix,
        "dia_danh": settings.place, "ngay": f"ngày {day:%d} tháng {day:%m} năm {day:%Y}",
        "ten_mau": settings.form_name.upper(), "so_mau": settings.form_number,
        "chu_ho_so": file.applicant_name or "Ông/Bà", "dia_chi": file.applicant_address or "…",
        "dien_thoai": file.applicant_phone or "…", "ngay_tiep_nhan": short_date(cal.local(file.received_at).date()),
        "thu_tuc": file.procedure, "ma_ho_so": file.code, "ngay_hen": short_date(letter.original_due_on),
        "ly_do": letter.reason, "ngay_hen_moi": short_date(letter.new_due_on), "can_cu": settings.legal_basis,
        "bo_phan_mot_cua": settings.desk, "chuc_danh_ky": settings.signer_title,
    }  # fmt: skip


def letter_docx(
    session: Session, letter_id: int, settings: ApologySettings, cal: WorkCalendar
) -> tuple[str, bytes]:
    letter = session.get(Apology, letter_id)
    assert letter is not None and letter.approved_at is not None
    file = session.get(TthcFile, letter.file_id)
    assert file is not None
    name = f"xin-loi-{file.code}.docx"
    return name, fill(letter_fields(session, letter, settings, cal, letter.approved_at))


def _next_number(session: Session, letter: Apology, settings: ApologySettings, cal: WorkCalendar,
                 now: datetime) -> str:  # fmt: skip
    """ "07/PXL-STP": a running number per agency and year."""
    year = cal.local(now).year
    approved = session.exec(
        select(func.count()).select_from(Apology).where(
            Apology.agency_id == letter.agency_id, Apology.state == ApologyState.APPROVED,
            col(Apology.number).like(f"%/{settings.number_suffix}-%"), col(Apology.approved_at) >= datetime(year, 1, 1, tzinfo=cal.tz),
        )
    ).one()  # fmt: skip
    agency = session.get(Agency, letter.agency_id)
    assert agency is not None
    # The registry's symbol is unique; an agency made before it had one uses its code.
    symbol = agency.letter_symbol or agency.code.upper()
    return f"{approved + 1:02d}/{settings.number_suffix}-{symbol}"


def _second_move(
    session: Session, file: TthcFile, info: dict[str, Any], sender: Sender, now: datetime
) -> None:
    text = answer("apology_second_move_alert", file=info, who=sender.user_name)
    targets = chats_of(session, file.agency_id, ChatRole.HEAD) + list(
        session.exec(select(Chat).where(Chat.role == ChatRole.COORDINATOR, col(Chat.active))).all()
    )
    for chat in targets:
        notify(session, chat, f"second-move:{file.id}:{chat.id}", text, now)


def _describe(session: Session, file: TthcFile) -> dict[str, Any]:
    agency = session.get(Agency, file.agency_id)
    assert agency is not None
    return {"code": file.code, "procedure": file.procedure, "applicant": file.applicant_name,
            "due": file.due_on, "agency": agency.name}  # fmt: skip
