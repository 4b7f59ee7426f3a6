"""Who does a changed agency's work on a day: the pure rules of bot.domain.agency_history."""

from __future__ import annotations

from datetime import date

from bot.domain.agencies import Assigned
from bot.domain.agency_history import Change, ChangeKind, History, Mapped, Registered, route

MARCH = date(2025, 3, 1)
JULY = date(2025, 7, 1)
ACT_45 = "Nghị định số 45/2025/NĐ-CP ngày 28/02/2025"
ACT_72 = "Luật Tổ chức chính quyền địa phương số 72/2025/QH15, Điều 51 khoản 3"

AGENCIES = {
    "so-khdt": Registered("Sở Kế hoạch và Đầu tư", "so"),
    "so-tai-chinh": Registered("Sở Tài chính", "so"),
    "so-tnmt": Registered("Sở Tài nguyên và Môi trường", "so"),
    "so-nnmt": Registered("Sở Nông nghiệp và Môi trường", "so"),
    "so-ldtbxh": Registered("Sở Lao động, Thương binh và Xã hội", "so"),
    "so-noi-vu": Registered("Sở Nội vụ", "so"),
    "so-y-te": Registered("Sở Y tế", "so"),
    "h-a": Registered("UBND huyện A", "huyen"),
    "h-b": Registered("UBND huyện B", "huyen"),
    "x-a": Registered("UBND xã A", "xa"),
}
HISTORY = History(
    [
        Change("so-khdt", ChangeKind.MERGED, MARCH, ACT_45, ("so-tai-chinh",)),
        Change("so-tnmt", ChangeKind.RENAMED, MARCH, ACT_45, ("so-nnmt",)),
        Change("so-ldtbxh", ChangeKind.SPLIT, MARCH, ACT_45, ("so-noi-vu", "so-y-te")),
        Change("h-a", ChangeKind.DISSOLVED, JULY, ACT_72),
        Change("h-b", ChangeKind.DISSOLVED, JULY, ACT_72),
    ]
)


def lead(code: str, *, via: str = "", by_class: bool = False) -> Assigned:
    return Assigned(code, "lead", "", via or AGENCIES[code].name, by_class)


def routed(parts: list[Assigned], day: date, **kw: object) -> dict[str, tuple[str, bool]]:
    result = route(parts, history=HISTORY, day=day, agencies=AGENCIES, **kw)  # type: ignore[arg-type]
    assert not result.errors, result.errors
    return {p.code: (p.role, p.kept) for p in result.parts}


def test_an_agency_does_its_own_work_until_the_day_it_changes() -> None:
    assert routed([lead("so-khdt")], date(2025, 2, 28)) == {"so-khdt": ("lead", False)}
    assert routed([lead("so-khdt")], MARCH) == {"so-tai-chinh": ("lead", False)}


def test_a_merge_a_rename_and_a_split_hand_the_work_on_and_say_how() -> None:
    result = route([lead("so-khdt"), lead("so-tnmt"), lead("so-ldtbxh")], history=HISTORY,
                   day=JULY, agencies=AGENCIES)  # fmt: skip
    assert [p.code for p in result.parts] == ["so-tai-chinh", "so-nnmt", "so-noi-vu", "so-y-te"]
    assert (
        result.parts[0].change
        == f"Sở Kế hoạch và Đầu tư → Sở Tài chính từ 01/03/2025 theo {ACT_45}"
    )
    assert [(r.named, r.to) for r in result.rerouted] == [
        ("Sở Kế hoạch và Đầu tư", ("Sở Tài chính",)),
        ("Sở Tài nguyên và Môi trường", ("Sở Nông nghiệp và Môi trường",)),
        ("Sở Lao động, Thương binh và Xã hội", ("Sở Nội vụ", "Sở Y tế")),
    ]


def test_changes_are_followed_in_a_chain_on_the_day_asked() -> None:
    history = History(
        [*HISTORY.changes.values(),
         Change("so-tai-chinh", ChangeKind.RENAMED, date(2026, 1, 1), "Quyết định 1/QĐ-UBND", ("so-nnmt",))]
    )  # fmt: skip
    (only,) = history.successors("so-khdt", date(2026, 1, 2))
    assert only.code == "so-nnmt" and [c.code for c in only.path] == ["so-khdt", "so-tai-chinh"]
    assert "; rồi Sở Tài chính → Sở Nông nghiệp và Môi trường từ 01/01/2026" in only.describe(
        {c: a.name for c, a in AGENCIES.items()}
    )
    assert [s.code for s in history.successors("so-khdt", date(2025, 12, 31))] == ["so-tai-chinh"]


def test_a_successor_named_too_gets_one_part_and_the_lead_wins() -> None:
    coordinate = Assigned("so-tai-chinh", "coordinate", "", "Sở Tài chính")
    assert routed([coordinate, lead("so-khdt")], MARCH) == {"so-tai-chinh": ("lead", False)}


def test_a_part_the_task_already_has_stays_where_it_is() -> None:
    # Done by the old agency before the merge: re-importing the plan leaves it there.
    assert routed([lead("so-khdt")], JULY, held={"so-khdt"}) == {"so-khdt": ("lead", True)}
    # Moved to the successor by the merge: it is that part.
    assert routed([lead("so-khdt")], JULY, held={"so-tai-chinh"}) == {
        "so-tai-chinh": ("lead", False)
    }


def test_a_dissolved_agency_named_alone_is_an_error_that_says_what_happened() -> None:
    result = route([lead("h-a")], history=HISTORY, day=JULY, agencies=AGENCIES)
    assert result.parts == []
    ((role, error),) = [(e.role, e.reason) for e in result.errors]
    assert role == "lead"
    assert "“UBND huyện A” không còn: UBND huyện A giải thể từ 01/07/2025" in error
    assert ACT_72 in error and "--map" in error


def test_a_class_with_no_member_left_is_an_error_offering_its_replacement() -> None:
    districts = [lead(c, via="UBND cấp huyện", by_class=True) for c in ("h-a", "h-b")]
    result = route(districts, history=HISTORY, day=JULY, agencies=AGENCIES)
    ((role, error),) = [(e.role, e.reason) for e in result.errors]
    assert role == "lead"
    assert error.startswith("“UBND cấp huyện”: không còn cơ quan nào thuộc nhóm này từ 01/07/2025")
    assert "thay bằng “UBND cấp xã”" in error and "--map “UBND cấp huyện=UBND cấp xã”" in error
    # Before the day, the class is its members.
    assert set(routed(districts, date(2025, 6, 30))) == {"h-a", "h-b"}


def test_a_class_keeps_its_members_that_exist_and_drops_the_others_quietly() -> None:
    departments = [
        lead(c, via="Các sở", by_class=True) for c in ("so-khdt", "so-tai-chinh", "so-y-te")
    ]
    result = route(departments, history=HISTORY, day=JULY, agencies=AGENCIES)
    assert [p.code for p in result.parts] == ["so-tai-chinh", "so-y-te"]
    assert result.rerouted == [] and result.errors == []


CLASS_MAP = Mapped(("x-a",), "UBND cấp huyện=UBND cấp xã", classes_only=True)


def test_an_explicit_mapping_replaces_a_class_and_gives_the_same_parts_every_time() -> None:
    districts = [lead(c, via="UBND cấp huyện", by_class=True) for c in ("h-a", "h-b")]
    mapping = {"h-a": CLASS_MAP, "h-b": CLASS_MAP}
    result = route(districts, history=HISTORY, day=JULY, agencies=AGENCIES, mapping=mapping)
    assert [p.code for p in result.parts] == ["x-a"] and result.errors == []
    assert [(r.named, r.to) for r in result.rerouted] == [("UBND cấp huyện", ("UBND xã A",))]
    # Re-imported with the same mapping: the communes' parts are the ones held.
    assert routed(districts, JULY, held={"x-a"}, mapping=mapping) == {"x-a": ("lead", False)}


def test_a_class_mapping_leaves_an_agency_named_by_itself_to_its_recorded_successor() -> None:
    history = History([*HISTORY.changes.values(),
                       Change("h-c", ChangeKind.DISSOLVED, JULY, ACT_72, ("x-a",))])  # fmt: skip
    agencies = {
        **AGENCIES,
        "h-c": Registered("UBND huyện C", "huyen"),
        "x-b": Registered("UBND xã B", "xa"),
    }
    mapping = {"h-c": Mapped(("x-a", "x-b"), "UBND cấp huyện=UBND cấp xã", classes_only=True)}
    named = Assigned("h-c", "lead", "", "UBND huyện C")
    result = route([named], history=history, day=JULY, agencies=agencies, mapping=mapping)
    assert [p.code for p in result.parts] == ["x-a"]
    # The same run again, now that x-a holds the part: nothing else appears or goes.
    again = route(
        [named], history=history, day=JULY, agencies=agencies, mapping=mapping, held={"x-a"}
    )
    assert [p.code for p in again.parts] == ["x-a"]


def test_a_future_change_not_yet_applied_leaves_the_agency_its_own_parts() -> None:
    # Sở Tài chính will merge into Sở Nội vụ in 2027; today both do their own parts.
    history = History(
        [Change("so-tai-chinh", ChangeKind.MERGED, date(2027, 4, 1), "NQ 9/2026", ("so-noi-vu",))]
    )
    parts = [
        lead("so-tai-chinh", via="Các sở", by_class=True),
        lead("so-noi-vu", via="Các sở", by_class=True),
    ]
    result = route(parts, history=history, day=date(2026, 11, 30), agencies=AGENCIES,
                   held={"so-tai-chinh", "so-noi-vu"})  # fmt: skip
    assert {p.code: p.kept for p in result.parts} == {"so-tai-chinh": False, "so-noi-vu": False}


def test_an_applied_change_counts_whatever_day_is_asked_about() -> None:
    applied = History(
        [Change("so-khdt", ChangeKind.MERGED, MARCH, ACT_45, ("so-tai-chinh",), applied=True)]
    )
    before = date(2024, 11, 25)
    assert applied.ended("so-khdt", before) is not None
    # Its done part stays under it; the successor's part (where the merge left the work)
    # is the one for its work.
    result = route([lead("so-khdt")], history=applied, day=before, agencies=AGENCIES,
                   held={"so-khdt", "so-tai-chinh"})  # fmt: skip
    assert {p.code: p.kept for p in result.parts} == {"so-khdt": True, "so-tai-chinh": False}


def test_a_mapping_adds_the_new_parts_beside_a_former_agencys_old_one() -> None:
    # The districts' parts were cancelled when they were dissolved; the admin re-imports
    # the plan mapping the class: the communes get the work, the old parts stay.
    districts = [lead("h-a", via="UBND cấp huyện", by_class=True)]
    parts = routed(districts, JULY, held={"h-a"}, mapping={"h-a": CLASS_MAP})
    assert parts == {"h-a": ("lead", True), "x-a": ("lead", False)}
