"""``dondoc agencies``: an agency renamed, merged, split or dissolved on a date by an act,
and the registry's history (``history``).

Each command is one transaction: the change is recorded, then every change whose day
has come is applied (``bot.services.agency_changes.apply_due``): open work, chats, late
files and link codes go to the successors. A change dated ahead is only recorded; the
running bot applies it on its day. A refused change writes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Annotated

import typer
from rich.table import Table
from sqlmodel import Session, col, select

from bot.app import clock
from bot.cli.common import (
    OptionError,
    agency_or_exit,
    app,
    err,
    load_settings,
    migrated_engine,
    out,
    parse_day,
    vietnamese,
)
from bot.db import session_scope
from bot.domain.agency_history import ChangeKind
from bot.domain.calendar import VIETNAM
from bot.domain.text import clean, key
from bot.importers.agencies import CODE_MAX, CODE_SHAPE, NAME_MAX, slug
from bot.models import Agency, AgencyChange
from bot.services.agency_changes import (
    KIND_WORDS,
    AppliedChange,
    ChangeRefused,
    agency_names,
    apply_due,
    as_change,
    record_change,
    successors_of,
)
from bot.services.register import load_registry

agencies_app = typer.Typer(
    help="Cơ quan đổi tên, sáp nhập, chia tách, giải thể; lịch sử thay đổi.", no_args_is_help=True
)
app.add_typer(agencies_app, name="agencies")

CLI_ACTOR = "cli:admin"
Old = Annotated[str, typer.Argument(metavar="CƠ_QUAN", help="Mã hoặc tên cơ quan thay đổi")]
# Both are needed; left out, the command says so in one line (exit code 1), as for a bad value.
Day = Annotated[str, typer.Option("--date", help="Ngày có hiệu lực, dd/mm/yyyy (bắt buộc)")]
Act = Annotated[
    str, typer.Option("--act", help="Văn bản, ví dụ “Nghị định số 45/2025/NĐ-CP” (bắt buộc)")
]


def fail(message: str) -> typer.Exit:
    """One Vietnamese line on stderr; the caller raises what this returns (exit code 1)."""
    err.print(message, style="red", markup=False, highlight=False)
    return typer.Exit(1)


def _day(text: str) -> date:
    if not text.strip():
        raise fail("Thiếu --date: ngày có hiệu lực của thay đổi (dd/mm/yyyy, ví dụ 01/03/2025).")
    try:
        return parse_day(text, "--date")
    except OptionError as exc:
        raise fail(vietnamese(exc)) from None


@contextmanager
def _change_transaction() -> Iterator[tuple[Session, datetime]]:
    """The session and the moment of one change command; a refusal writes nothing."""
    engine = migrated_engine(load_settings())
    try:
        with session_scope(engine) as session:
            yield session, clock()
    except ChangeRefused as exc:
        raise fail(f"Không ghi được thay đổi: {exc.reason}.") from None


def _record(
    session: Session, now: datetime, old: Agency, kind: ChangeKind, on: date, act: str,
    successors: Sequence[Agency],
) -> tuple[str, list[AppliedChange]]:  # fmt: skip
    """Record the change, apply what is due today; its description and what was applied."""
    change = record_change(session, agency=old, kind=kind, on=on, act=act, successors=successors,
                           actor=CLI_ACTOR, now=now)  # fmt: skip
    described = as_change(session, change).describe(agency_names(session))
    return described, apply_due(session, now.astimezone(VIETNAM).date(), now)


def print_summary(described: list[str], applied: list[AppliedChange], today: date) -> None:
    """What was recorded, what was applied (counts; cancelled parts; files left), and
    what waits for its day."""
    done = {a.description for a in applied}
    for text in described:
        if text not in done:
            out.print(f"Đã ghi: {text}. Chưa đến ngày có hiệu lực (hôm nay {today:%d/%m/%Y}): "
                      "dondoc đang chạy sẽ chuyển công việc vào ngày đó.", highlight=False)  # fmt: skip
    for a in applied:
        out.print(f"Đã áp dụng: {a.description}.", highlight=False)
        to = f" sang {', '.join(a.successors)}" if a.successors else ""
        out.print(
            f"  Phần việc đang mở: {a.parts_open} — chuyển{to} {a.parts_moved}, gộp vào phần việc "
            f"sẵn có {a.parts_merged}, hủy {len(a.parts_cancelled)}; đề nghị gia hạn chuyển theo "
            f"{a.requests_moved}.", highlight=False,
        )  # fmt: skip
        told = " (đã báo vào từng nhóm)" if a.chats_rebound + a.chats_closed else ""
        out.print(f"  Nhóm/chat: chuyển liên kết {a.chats_rebound}, tạm ngưng {a.chats_closed}"
                  f"{told}.", highlight=False)  # fmt: skip
        out.print(f"  Hồ sơ TTHC, văn bản xin lỗi đã chuyển: {a.files_moved}; mã liên kết chưa "
                  f"dùng đã chuyển: {a.codes_moved}.", highlight=False)  # fmt: skip
        if a.parts_cancelled:
            out.print(f"  [yellow]Phần việc bị hủy vì không có cơ quan kế tục "
                      f"({len(a.parts_cancelled)}):[/] {', '.join(a.parts_cancelled)}", highlight=False)  # fmt: skip
        if a.files_left:
            out.print(f"  [yellow]Còn lại, cần quản trị viên xử lý ({len(a.files_left)}):[/] "
                      f"{', '.join(a.files_left)}", highlight=False)  # fmt: skip


def _one_change(old: str, kind: ChangeKind, successors: Sequence[str], day: str, act: str) -> None:
    on = _day(day)
    with _change_transaction() as (session, now):
        agency = agency_or_exit(session, old)
        heirs = [agency_or_exit(session, s) for s in successors]
        described, applied = _record(session, now, agency, kind, on, act, heirs)
    print_summary([described], applied, now.astimezone(VIETNAM).date())


@agencies_app.command("merge")
def merge_cmd(
    old: Old,
    new: Annotated[str, typer.Argument(metavar="CƠ_QUAN_NHẬN", help="Cơ quan nhận sáp nhập")],
    day: Day = "",
    act: Act = "",
) -> None:
    """Sáp nhập một cơ quan vào cơ quan khác từ một ngày, theo một văn bản."""
    _one_change(old, ChangeKind.MERGED, [new], day, act)


@agencies_app.command("split")
def split_cmd(
    old: Old,
    new: Annotated[list[str], typer.Argument(metavar="CƠ_QUAN_MỚI...", help="Các cơ quan kế tục")],
    day: Day = "",
    act: Act = "",
) -> None:
    """Chia tách một cơ quan thành hai cơ quan trở lên (đã có trong danh mục)."""
    _one_change(old, ChangeKind.SPLIT, new, day, act)


@agencies_app.command("dissolve")
def dissolve_cmd(
    old: Old,
    day: Day = "",
    act: Act = "",
    to: Annotated[
        list[str] | None, typer.Option("--to", help="Cơ quan nhận công việc (có thể ghi nhiều lần)")
    ] = None,
) -> None:
    """Giải thể một cơ quan; công việc đang mở chuyển cho các cơ quan --to, hoặc bị hủy."""
    _one_change(old, ChangeKind.DISSOLVED, to or [], day, act)


_SYMBOL = re.compile(r"[A-ZĐ0-9&.-]{1,16}")
_CODE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def _new_agency(session: Session, old: Agency, name: str, code: str, symbol: str) -> Agency:
    """The renamed agency: the new name, the old one's kind and parent; its code and
    letter symbol given or derived (as ``dondoc import agencies`` derives them)."""
    name = clean(name)
    _check_new_name(session, old, name)
    given_code, given_symbol = code.strip(), symbol.strip().upper()
    code = given_code or slug(name).strip("-")
    if not given_code and not _CODE.fullmatch(code):
        raise ChangeRefused(f"không suy được mã từ tên “{name}”: ghi mã bằng --code (chữ thường "
                            "không dấu, số và “-”, ví dụ so-nnmt)")  # fmt: skip
    if len(code) > CODE_MAX or not _CODE.fullmatch(code):
        raise ChangeRefused(f"mã “{code}” không hợp lệ: chỉ gồm chữ thường không dấu, số và “-” "
                            f"(ví dụ so-nnmt), tối đa {CODE_MAX} ký tự")  # fmt: skip
    symbol = given_symbol or "".join(w[0] for w in code.split("-") if w).upper()
    derived = "" if given_symbol else f" (suy từ mã “{code}”)"
    registered = session.exec(select(Agency)).all()
    if any(a.code == code for a in registered):
        raise ChangeRefused(f"mã “{code}” đã có trong danh mục: chọn mã khác bằng --code")
    if not CODE_SHAPE.fullmatch(code):
        raise ChangeRefused(f"mã “{code}” chỉ được gồm chữ, số và các dấu - _ . (không có dấu "
                            "cách, / ? # %): chọn mã khác bằng --code")  # fmt: skip
    if owner := next((a for a in registered if a.letter_symbol == symbol), None):
        raise ChangeRefused(f"ký hiệu văn bản “{symbol}”{derived} trùng với “{owner.name}”: ghi "
                            "ký hiệu riêng bằng --symbol")  # fmt: skip
    if not _SYMBOL.fullmatch(symbol):
        if derived:
            raise ChangeRefused(f"ký hiệu văn bản suy từ mã “{code}” (“{symbol}”) không dùng "
                                "được: ghi ký hiệu bằng --symbol (chữ in hoa, số, “-”, “&”, tối "
                                "đa 16 ký tự)")  # fmt: skip
        raise ChangeRefused(f"ký hiệu văn bản “{symbol}” không hợp lệ (chữ in hoa, số, “-”, “&”, "
                            "tối đa 16 ký tự)")  # fmt: skip
    agency = Agency(code=code, name=name, kind=old.kind, parent_id=old.parent_id, aliases=[],
                    letter_symbol=symbol)  # fmt: skip
    session.add(agency)
    session.flush()
    return agency


def _check_new_name(session: Session, old: Agency, name: str) -> None:
    """The new name is given, fits the registry, is not the agency's own name, and does
    not already read as a registered agency (its name or an alias): plans naming it
    would then find two agencies, or the wrong one."""
    if not name:
        raise ChangeRefused("thiếu tên mới")
    if len(name) > NAME_MAX:
        raise ChangeRefused(f"tên mới dài {len(name)} ký tự, quá {NAME_MAX} ký tự: hãy ghi gọn "
                            "hơn")  # fmt: skip
    if key(name) == key(old.name):
        raise ChangeRefused(f"“{name}” là tên hiện nay của {old.name}: tên mới cần khác tên "
                            "hiện nay")  # fmt: skip
    registered = session.exec(select(Agency)).all()
    if same := next((a for a in registered if key(a.name) == key(name)), None):
        raise ChangeRefused(f"tên “{name}” đã có trong danh mục (mã “{same.code}”): dùng "
                            f"“dondoc agencies merge {old.code} {same.code}”")  # fmt: skip
    registry, _ = load_registry(session)
    matched = registry.match(name)
    read = set(matched.codes) if matched.codes and not matched.unknown else set()
    owners = [a for a in registered
              if a.code in read or key(name) in {key(n) for n in (a.name, *a.aliases)}]  # fmt: skip
    if not owners:
        return
    if [a.code for a in owners] == [old.code]:
        hint = "tên mới cần khác tên hiện nay và các tên gọi khác của cơ quan"
    elif len(owners) == 1:
        hint = (f"nếu {old.name} sáp nhập vào cơ quan này, dùng “dondoc agencies merge "
                f"{old.code} {owners[0].code}”; nếu không, chọn tên khác")  # fmt: skip
    else:
        hint = "chọn tên khác"
    raise ChangeRefused(f"“{name}” đã là tên (hoặc tên gọi khác) của "
                        f"{', '.join(a.name for a in owners)}: {hint}")  # fmt: skip


@agencies_app.command("rename")
def rename_cmd(
    old: Old,
    new_name: Annotated[str, typer.Argument(metavar="TÊN_MỚI", help="Tên mới của cơ quan")],
    day: Day = "",
    act: Act = "",
    code: Annotated[
        str, typer.Option(help="Mã của cơ quan mang tên mới (mặc định: theo tên)")
    ] = "",
    symbol: Annotated[str, typer.Option(help="Ký hiệu văn bản mới (mặc định: theo mã)")] = "",
) -> None:
    """Đổi tên cơ quan: thêm cơ quan mang tên mới (cùng loại, cùng cấp trên) và chuyển việc sang."""
    on = _day(day)
    with _change_transaction() as (session, now):
        agency = agency_or_exit(session, old)
        renamed = _new_agency(session, agency, new_name, code, symbol)
        described, applied = _record(session, now, agency, ChangeKind.RENAMED, on, act, [renamed])
    out.print(f"Đã thêm cơ quan “{renamed.name}” (mã {renamed.code}, ký hiệu "
              f"{renamed.letter_symbol}).", highlight=False)  # fmt: skip
    print_summary([described], applied, now.astimezone(VIETNAM).date())


@agencies_app.command("history")
def history_cmd(
    agency: Annotated[
        str, typer.Argument(metavar="CƠ_QUAN", help="Chỉ thay đổi liên quan đến cơ quan này")
    ] = "",
) -> None:
    """Lịch sử thay đổi của các cơ quan: ngày, loại, cơ quan cũ, cơ quan kế tục, văn bản."""
    engine = migrated_engine(load_settings())
    with session_scope(engine) as session:
        only = agency_or_exit(session, agency) if agency else None
        rows = _history_rows(session, only)
    if not out.is_terminal:
        out.width = max(out.width, 160)
    table = Table(title=f"Thay đổi của cơ quan ({len(rows)})")
    for column in (
        "Ngày hiệu lực",
        "Thay đổi",
        "Cơ quan",
        "Cơ quan kế tục",
        "Văn bản",
        "Đã áp dụng",
    ):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*row)
    out.print(table)


def _history_rows(session: Session, only: Agency | None) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    changes = session.exec(
        select(AgencyChange).order_by(col(AgencyChange.effective_on), col(AgencyChange.id))
    ).all()
    for change in changes:
        old = session.get(Agency, change.agency_id)
        heirs = successors_of(session, change)
        assert old is not None
        if only is not None and only.id not in {old.id, *(h.id for h in heirs)}:
            continue
        applied = (
            f"{change.applied_at.astimezone(VIETNAM):%d/%m/%Y %H:%M}"
            if change.applied_at else "chờ đến ngày"
        )  # fmt: skip
        rows.append((f"{change.effective_on:%d/%m/%Y}", KIND_WORDS[ChangeKind(change.kind)],
                     old.name, ", ".join(h.name for h in heirs) or "—", change.act, applied))  # fmt: skip
    return rows
