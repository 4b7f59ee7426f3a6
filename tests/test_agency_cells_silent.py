"""Readings a tester found silently wrong (an agency added or dropped with no error), one
table per kind, each read with and without diacritics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from bot.db import session_scope
from bot.domain.agencies import Match, assign, describe_unknown
from bot.importers.plans import import_plan
from bot.services.register import list_unassigned
from tests.province import IMPORT_DAY, SETTINGS
from tests.test_agency_cells import BOTH, PROVINCE, check, strip_marks, without


def spec_minus(spec: str) -> tuple[str, set[str]]:
    """ "@so -so-y-te": the spec, and the codes taken out of it."""
    keep = " ".join(w for w in spec.split() if not w.startswith("-"))
    return keep, {w[1:] for w in spec.split() if w.startswith("-")}


def read(cell: str, spec: str, bare: bool, **want: Any) -> Match:
    keep, minus = spec_minus(spec)
    if not minus:
        return check(PROVINCE, cell, keep, bare, **want)
    text = strip_marks(cell) if bare else cell
    reading = PROVINCE.match(text)
    from tests.test_agency_cells import expected_codes

    assert set(reading.codes) == expected_codes(PROVINCE, keep) - minus, describe_unknown(
        reading.unknown
    )
    assert not reading.unknown
    assert set(reading.excluded) == minus
    return reading


# --- A1. a class followed by the members it means names those only ------------------------

MEMBERS = [
    ("UBND các huyện: Trảng Bom, Long Khánh", "h-trang-bom h-long-khanh", {}),
    ("UBND các huyện: Trảng Bom", "h-trang-bom", {}),
    ("UBND các huyện (Trảng Bom, Long Khánh)", "h-trang-bom h-long-khanh", {}),
    ("UBND các xã: Hố Nai 3", "x-ho-nai-3", {}),
    ("UBND các xã, phường: Hố Nai 3, Tân Phong", "x-ho-nai-3 x-tan-phong", {}),
    ("UBND các huyện Trảng Bom, Biên Hòa", "h-trang-bom h-bien-hoa", {}),
    ("UBND các huyện Trảng Bom, Long Khánh", "h-trang-bom h-long-khanh", {}),
    ("UBND các huyện, thành phố: Biên Hòa, Long Khánh", "h-bien-hoa h-long-khanh", {}),
    ("UBND các huyện: An Lão, Vĩnh Thạnh và Tây Sơn", "h-an-lao h-vinh-thanh h-tay-son", {}),
    ("UBND các huyện (Trảng Bom), Sở Y tế", "h-trang-bom so-y-te", {}),
    ("UBND các xã: Hố Nai 3, Tam Phước; Sở Nội vụ", "x-ho-nai-3 x-tam-phuoc so-noi-vu", {}),
    ("Các sở, ban, ngành: Tài chính, Y tế", "so-tai-chinh so-y-te", {}),
    ("UBND các huyện: Trảng Bom, Long Khánh chủ trì", "h-trang-bom h-long-khanh",
     {"roles": {"h-trang-bom": "lead", "h-long-khanh": "lead"}}),
    ("UBND các thành phố: Biên Hòa, Long Khánh", "h-bien-hoa h-long-khanh", {}),
    ("UBND các phường (Tân Phong, Xuân An)", "x-tan-phong x-xuan-an", {}),
    ("Chủ tịch UBND các huyện: Trảng Bom, Long Khánh", "h-trang-bom h-long-khanh", {}),
    ("Ủy ban nhân dân các xã: Hố Nai 3 và Tam Phước", "x-ho-nai-3 x-tam-phuoc", {}),
    # an unknown member is an error naming it, never the whole class
    ("UBND các huyện: Trảng Bom, Nhơn Trạch", "h-trang-bom", {"unknown": ["Nhơn Trạch"]}),
    ("UBND các huyện (Nhơn Trạch)", "", {"unknown": ["Nhơn Trạch"]}),
    ("UBND các xã: Hố Nai 3, Hố Nai 9", "x-ho-nai-3", {"unknown": ["Hố Nai 9"]}),
    # what follows the colon is no member: the class, and its scope (as before)
    ("UBND các huyện: chỉ đạo UBND cấp xã", "@huyen", {}),
    ("Các sở, ban, ngành: rà soát TTHC", "@so", {"scopes": {"so-y-te": "rà soát TTHC"}}),
]  # fmt: skip


@BOTH
@pytest.mark.parametrize(("cell", "spec", "want"), MEMBERS, ids=[c[0] for c in MEMBERS])
def test_a_class_with_its_members_names_those_only(
    cell: str, spec: str, want: dict, bare: bool
) -> None:
    read(cell, spec, bare, **want)


@BOTH
@pytest.mark.parametrize(
    ("cell", "fragment", "suggested"),
    [
        ("UBND các huyện: Trảng Bom, Bien Hoaa", "Bien Hoaa", "UBND thành phố Biên Hòa"),
        ("UBND các huyện Trảng Bom, Long Khanhh", "Long Khanhh", "UBND thành phố Long Khánh"),
        ("UBND huyện Trảng Bom, Long Khánh", "Long Khánh", "UBND thành phố Long Khánh"),
        ("UBND các xã (Hố Nai 3, Tân Phongg)", "Tân Phongg", "UBND phường Tân Phong"),
        ("UBND các xã: Xuân Ann", "Xuân Ann", "UBND phường Xuân An"),
    ],
)
def test_an_unknown_member_is_named_with_the_closest_members(
    cell: str, fragment: str, suggested: str, bare: bool
) -> None:
    reading = PROVINCE.match(strip_marks(cell) if bare else cell)
    (unknown,) = reading.unknown
    assert unknown.text == (strip_marks(fragment) if bare else fragment)
    assert unknown.suggestions[0] == suggested, unknown
    assert "Công an tỉnh" not in unknown.suggestions


def test_a_member_the_registry_lacks_is_an_error_not_the_whole_class() -> None:
    reading = without("h-long-khanh").match("UBND các huyện: Trảng Bom, Long Khánh")
    assert reading.codes == ("h-trang-bom",)
    assert [u.text for u in reading.unknown] == ["Long Khánh"]


# --- A2. exclusions leave agencies out --------------------------------------------------------

EXCLUDED = [
    ("Các sở, ban, ngành (trừ Sở Y tế)", "@so -so-y-te"),
    ("Các sở, ban, ngành (không bao gồm Sở Nội vụ)", "@so -so-noi-vu"),
    ("Các sở, ban, ngành (ngoài Sở Nội vụ)", "@so -so-noi-vu"),
    ("Các sở, ngành, trừ Sở Y tế và Sở Nội vụ", "@so -so-y-te -so-noi-vu"),
    ("Các sở (trừ Y tế, Nội vụ)", "@so -so-y-te -so-noi-vu"),
    ("UBND các huyện (trừ Trảng Bom)", "@huyen -h-trang-bom"),
    ("UBND cấp xã, trừ UBND xã Hố Nai 3; Sở Nội vụ", "@xa so-noi-vu -x-ho-nai-3"),
    ("Các sở, ban, ngành (ngoại trừ Sở Văn hóa, Thể thao và Du lịch)", "@so -so-vhttdl"),
    ("Các sở, ban, ngành (không gồm Văn phòng UBND tỉnh)", "@so -vp-ubnd"),
    ("Các sở, ban, ngành, trừ Sở Y tế, UBND cấp huyện", "@so @huyen -so-y-te"),
    ("Cac so, ban, nganh tru So Y te; UBND cap xa", "@so @xa -so-y-te"),
]


@BOTH
@pytest.mark.parametrize(("cell", "spec"), EXCLUDED, ids=[c[0] for c in EXCLUDED])
def test_a_class_but_some_leaves_them_out(cell: str, spec: str, bare: bool) -> None:
    read(cell, spec, bare)


@BOTH
@pytest.mark.parametrize(
    ("cell", "fragment"),
    [
        ("Các sở, ban, ngành (trừ Sở Quy hoạch)", "Sở Quy hoạch"),
        ("Các sở, ban, ngành (trừ Sở Y tế, Sở Quy hoạch)", "Sở Quy hoạch"),
        ("Các sở, ngành, trừ các đơn vị đã báo cáo", "các đơn vị đã báo cáo"),
        ("UBND các huyện (trừ Nhơn Trạch)", "Nhơn Trạch"),
        ("Các sở, ban, ngành (ngoài ra còn các doanh nghiệp)", "ra còn các doanh nghiệp"),
    ],
)
def test_an_exclusion_that_cannot_be_read_is_an_error(cell: str, fragment: str, bare: bool) -> None:
    reading = PROVINCE.match(strip_marks(cell) if bare else cell)
    assert reading.codes == ()
    assert [u.text for u in reading.unknown] == [strip_marks(fragment) if bare else fragment]
    assert "được trừ ra" in describe_unknown(reading.unknown)


# --- A3. "the relevant ones" are a group, not all of them -----------------------------------

RELEVANT = [
    ("Các sở, ngành liên quan", "", {"general": ["Các sở, ngành liên quan"]}),
    ("Sở, ngành liên quan", "", {"general": ["Sở, ngành liên quan"]}),
    ("Các sở, ngành có liên quan", "", {"general": ["Các sở, ngành có liên quan"]}),
    ("các sở, ban, ngành có liên quan", "", {"general": ["các sở, ban, ngành có liên quan"]}),
    ("Sở Nội vụ chủ trì, phối hợp với các sở, ngành có liên quan", "so-noi-vu",
     {"general": ["các sở, ngành có liên quan"], "roles": {"so-noi-vu": "lead"}}),
    ("UBND các huyện, thành phố liên quan", "",
     {"general": ["UBND các huyện, thành phố liên quan"]}),
    ("Sở Y tế; các sở, ban, ngành liên quan", "so-y-te",
     {"general": ["các sở, ban, ngành liên quan"]}),
    ("Các sở, ngành có liên quan, UBND cấp huyện", "@huyen",
     {"general": ["Các sở, ngành có liên quan"]}),
    # the qualifier after a list of classes picks from all of them
    ("các sở, ban, ngành, địa phương liên quan", "",
     {"general": ["các sở, ban, ngành, địa phương liên quan"]}),
    ("Sở Nội vụ, các sở, ngành, UBND cấp huyện có liên quan", "so-noi-vu",
     {"general": ["các sở, ngành, UBND cấp huyện có liên quan"]}),
    ("Các sở, ngành khác có liên quan", "", {"general": ["Các sở, ngành khác có liên quan"]}),
    ("UBND cấp huyện; các sở, ngành liên quan", "@huyen",
     {"general": ["các sở, ngành liên quan"]}),
]  # fmt: skip


@BOTH
@pytest.mark.parametrize(("cell", "spec", "want"), RELEVANT, ids=[c[0] for c in RELEVANT])
def test_the_relevant_ones_are_a_group_not_all(
    cell: str, spec: str, want: dict, bare: bool
) -> None:
    read(cell, spec, bare, **want)


# --- B1, B2. who coordinates, who is only an object -----------------------------------------

ROLES_IN_A_LEAD_CELL = [
    # the agencies after "phối hợp (với)" coordinate, also in brackets; the others lead
    ("Sở Tài chính (chủ trì, phối hợp với Sở Xây dựng)",
     {"so-tai-chinh": "lead", "so-xay-dung": "coordinate"}, ()),
    ("Sở Tài chính (phối hợp với Sở Xây dựng, Sở Y tế)",
     {"so-tai-chinh": "lead", "so-xay-dung": "coordinate", "so-y-te": "coordinate"}, ()),
    ("Sở Tài chính (chủ trì, phối hợp với Sở Xây dựng), Sở Y tế",
     {"so-tai-chinh": "lead", "so-xay-dung": "coordinate", "so-y-te": "lead"}, ()),
    ("Văn phòng UBND tỉnh (chủ trì, phối hợp cùng Sở Nội vụ và Sở Tư pháp)",
     {"vp-ubnd": "lead", "so-noi-vu": "coordinate", "so-tu-phap": "coordinate"}, ()),
    ("Sở Tài chính (tổng hợp, phối hợp với Sở Xây dựng)",
     {"so-tai-chinh": "lead", "so-xay-dung": "coordinate"}, ()),
    ("Sở Tài chính phối hợp Sở Xây dựng", {"so-tai-chinh": "lead", "so-xay-dung": "coordinate"},
     ()),
    ("Sở Nội vụ, Sở Tài chính phối hợp Sở Xây dựng",
     {"so-noi-vu": "lead", "so-tai-chinh": "lead", "so-xay-dung": "coordinate"}, ()),
    ("Sở Y tế phối hợp Công an tỉnh, Sở Tư pháp",
     {"so-y-te": "lead", "cong-an-tinh": "coordinate", "so-tu-phap": "coordinate"}, ()),
    ("Sở Tư pháp chủ trì, Sở Nội vụ phối hợp", {"so-tu-phap": "lead", "so-noi-vu": "coordinate"},
     ()),
    # the agencies right after a verb such as "hướng dẫn" are its objects, all of them
    ("Sở Tư pháp hướng dẫn Sở Nội vụ, Sở Tài chính", {"so-tu-phap": "lead"},
     ("so-noi-vu", "so-tai-chinh")),
    ("Sở Tư pháp hướng dẫn Sở Nội vụ và Sở Tài chính", {"so-tu-phap": "lead"},
     ("so-noi-vu", "so-tai-chinh")),
    ("Sở Tư pháp hướng dẫn Sở Nội vụ, Sở Tài chính thực hiện", {"so-tu-phap": "lead"},
     ("so-noi-vu", "so-tai-chinh")),
    ("Sở Tư pháp giúp UBND tỉnh hướng dẫn Sở Nội vụ, Sở Tài chính", {"so-tu-phap": "lead"},
     ("ubnd-tinh", "so-noi-vu", "so-tai-chinh")),
    ("Sở Tư pháp xây dựng kế hoạch, hướng dẫn Sở Nội vụ, Sở Tài chính", {"so-tu-phap": "lead"},
     ("so-noi-vu", "so-tai-chinh")),
    ("Sở Tài chính chủ trì phối hợp Sở Xây dựng",
     {"so-tai-chinh": "lead", "so-xay-dung": "coordinate"}, ()),
    ("Sở Tư pháp, phối hợp Sở Nội vụ", {"so-tu-phap": "lead", "so-noi-vu": "coordinate"}, ()),
    ("Sở Nội vụ tham mưu UBND tỉnh, Sở Tư pháp phối hợp",
     {"so-noi-vu": "lead", "so-tu-phap": "coordinate"}, ("ubnd-tinh",)),
    ("Sở Nội vụ tham mưu UBND tỉnh; Sở Tư pháp", {"so-noi-vu": "lead", "so-tu-phap": "lead"},
     ("ubnd-tinh",)),
]  # fmt: skip


# --- C. a bare role word is a role, not a scope ------------------------------------------------

BARE_ROLES = [
    ("Sở Xây dựng chủ trì", "so-xay-dung", "lead", ""),
    ("Sở Xây dựng (chủ trì)", "so-xay-dung", "lead", ""),
    ("Sở Tài chính (phối hợp)", "so-tai-chinh", "coordinate", ""),
    ("Sở Nội vụ: chủ trì thực hiện", "so-noi-vu", "lead", ""),
    ("Sở Y tế là cơ quan chủ trì", "so-y-te", "lead", ""),
    ("Sở Tư pháp làm đầu mối", "so-tu-phap", "lead", ""),
    ("Sở Tư pháp (cơ quan chủ trì)", "so-tu-phap", "lead", ""),
    ("Sở Nội vụ chủ trì thẩm định", "so-noi-vu", "lead", "chủ trì thẩm định"),
]


@BOTH
@pytest.mark.parametrize(
    ("cell", "code", "role", "scope"), BARE_ROLES, ids=[c[0] for c in BARE_ROLES]
)
def test_a_bare_role_word_is_a_role_not_a_scope(
    cell: str, code: str, role: str, scope: str, bare: bool
) -> None:
    read(cell, code, bare, roles={code: role}, scopes={code: scope})


# --- B3. the summary and `dondoc unassigned` count the same tasks ------------------------------

PLAN = (
    "Số kế hoạch,78/KH-UBND\nNgày ban hành,05/01/2025\n\n"
    "STT,Nhiệm vụ cụ thể,Tiến độ,Cơ quan chủ trì,Cơ quan phối hợp,Kết quả/sản phẩm\n"
    '1,Việc A,Quý I/2025,"Các cơ quan, đơn vị có liên quan",Sở Nội vụ,\n'
    "2,Việc B,Quý I/2025,Sở Tư pháp phối hợp,,\n"
    '3,Việc C,Quý I/2025,"Sở Tài chính (phối hợp)",Sở Nội vụ,\n'
    "4,Việc D,Quý I/2025,Sở Y tế chủ trì,,\n"
    '5,Việc E,Quý I/2025,"Các sở, ngành liên quan",,\n'
)


def test_the_summary_counts_every_task_with_no_lead(
    registry_engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "plan.csv"
    path.write_text(PLAN, encoding="utf-8")
    with session_scope(registry_engine) as session:
        report = import_plan(session, path, settings=SETTINGS, on=IMPORT_DAY)
    with session_scope(registry_engine) as session:
        waiting = list_unassigned(session)
    assert [u.task_key for u in report.unclear_leads] == ["1", "2", "3", "5"]
    assert [w.task_key for w in waiting] == ["1", "2", "3", "5"]


# --- K1. a semicolon inside brackets lists, like a comma ---------------------------------------

SEMICOLON_IN_BRACKETS = [
    ("Các sở, ban, ngành (trừ Sở Y tế; Sở Nội vụ)", "@so -so-y-te -so-noi-vu"),
    ("UBND các huyện (Trảng Bom; Long Khánh)", "h-trang-bom h-long-khanh"),
    ("UBND các huyện (Trảng Bom; Long Khánh); Sở Y tế", "h-trang-bom h-long-khanh so-y-te"),
    ("Các sở (trừ Y tế; Nội vụ)", "@so -so-y-te -so-noi-vu"),
]


@BOTH
@pytest.mark.parametrize(
    ("cell", "spec"), SEMICOLON_IN_BRACKETS, ids=[c[0] for c in SEMICOLON_IN_BRACKETS]
)
def test_a_semicolon_inside_brackets_lists_like_a_comma(cell: str, spec: str, bare: bool) -> None:
    read(cell, spec, bare)


# --- K2. "phối hợp:" with a colon opens the coordinating agencies, as "phối hợp với" ----------

COORDINATING_COLON = [
    ("Sở Nội vụ (phối hợp: Sở Tư pháp)", {"so-noi-vu": "lead", "so-tu-phap": "coordinate"}),
    ("Sở Nội vụ (chủ trì; phối hợp: Sở Tư pháp)",
     {"so-noi-vu": "lead", "so-tu-phap": "coordinate"}),
    ("Sở Nội vụ (phối hợp: Sở Tư pháp; Sở Y tế)",
     {"so-noi-vu": "lead", "so-tu-phap": "coordinate", "so-y-te": "coordinate"}),
    ("Sở Nội vụ (chủ trì, phối hợp với: Sở Tư pháp), Sở Y tế",
     {"so-noi-vu": "lead", "so-tu-phap": "coordinate", "so-y-te": "lead"}),
    ("Sở Tài chính (phối hợp)", {"so-tai-chinh": "coordinate"}),
]  # fmt: skip


@BOTH
@pytest.mark.parametrize(
    ("cell", "roles"), COORDINATING_COLON, ids=[c[0] for c in COORDINATING_COLON]
)
def test_coordinating_after_a_colon(cell: str, roles: dict[str, str], bare: bool) -> None:
    reading = PROVINCE.match(strip_marks(cell) if bare else cell)
    assert not reading.unknown
    assert {a.code: a.role for a in assign(reading, Match())} == roles
    assert not reading.mentions


# --- K3. an agency coordinating with a class it belongs to keeps its own part ---------------

CLASS_AFTER_COORDINATING = [
    ("Sở Nội vụ phối hợp với các sở, ngành (trừ Sở Y tế)", "so-noi-vu", {"so-y-te"}),
    ("Sở Nội vụ phối hợp với các sở, ngành", "so-noi-vu", set()),
    ("Sở Nội vụ chủ trì, phối hợp với các sở, ngành (trừ Sở Y tế)", "so-noi-vu", {"so-y-te"}),
    ("UBND huyện Trảng Bom phối hợp với UBND cấp huyện", "h-trang-bom", set()),
]


@BOTH
@pytest.mark.parametrize(
    ("cell", "lead", "out"), CLASS_AFTER_COORDINATING, ids=[c[0] for c in CLASS_AFTER_COORDINATING]
)
def test_an_agency_coordinating_with_its_class_leads(
    cell: str, lead: str, out: set[str], bare: bool
) -> None:
    reading = PROVINCE.match(strip_marks(cell) if bare else cell)
    assert not reading.unknown
    roles = {a.code: a.role for a in assign(reading, Match())}
    assert roles[lead] == "lead"
    others = {c for c, r in roles.items() if c != lead}
    assert others and all(roles[c] == "coordinate" for c in others)
    assert not others & out


@BOTH
@pytest.mark.parametrize("cell", ["các Sở Ngoại vụ", "Các Sở Ngoại vụ, Sở Y tế"])
def test_an_article_before_a_name_is_no_class_and_exclusion(cell: str, bare: bool) -> None:
    reading = PROVINCE.match(strip_marks(cell) if bare else cell)
    assert not reading.unknown
    assert "so-ngoai-vu" in reading.codes
    assert not reading.excluded


# --- K4. "the relevant ones" after an exclusion are a group too --------------------------------

RELEVANT_AFTER_EXCLUSION = [
    ("Các sở, ngành (trừ Sở Y tế) liên quan", "",
     {"general": ["Các sở, ngành (trừ Sở Y tế) liên quan"]}),
    ("Các sở, ban, ngành (trừ Sở Nội vụ) có liên quan", "",
     {"general": ["Các sở, ban, ngành (trừ Sở Nội vụ) có liên quan"]}),
    ("Các sở, ngành (trừ Sở Y tế) khác có liên quan; Sở Tư pháp", "so-tu-phap",
     {"general": ["Các sở, ngành (trừ Sở Y tế) khác có liên quan"]}),
]  # fmt: skip


@BOTH
@pytest.mark.parametrize(
    ("cell", "spec", "want"), RELEVANT_AFTER_EXCLUSION, ids=[c[0] for c in RELEVANT_AFTER_EXCLUSION]
)
def test_the_relevant_ones_after_an_exclusion_are_a_group(
    cell: str, spec: str, want: dict, bare: bool
) -> None:
    read(cell, spec, bare, **want)


# --- K5. the objects of a verb, also after a class, and after "cho", are only mentioned -------

OBJECTS_AFTER_A_CLASS = [
    ("Sở Nội vụ hướng dẫn UBND cấp huyện, Sở Y tế", {"so-noi-vu": "lead"}, ("so-y-te",)),
    ("Sở Nội vụ kiểm tra UBND cấp huyện và Sở Y tế", {"so-noi-vu": "lead"}, ("so-y-te",)),
    ("Sở Tài chính bố trí kinh phí cho Sở Y tế", {"so-tai-chinh": "lead"}, ("so-y-te",)),
    ("Sở Tài chính bố trí kinh phí cho Sở Y tế, Sở Nội vụ", {"so-tai-chinh": "lead"},
     ("so-y-te", "so-noi-vu")),
    ("Sở Nội vụ hướng dẫn UBND cấp huyện, Sở Y tế phối hợp",
     {"so-noi-vu": "lead", "so-y-te": "coordinate"}, ()),
]  # fmt: skip


# --- K6. an exclusion that contradicts the cell is an error, never silent ---------------------

CONTRADICTIONS = [
    ("UBND các huyện: Trảng Bom, Long Khánh (trừ Trảng Bom)", "các cơ quan đã nêu tên"),
    ("Sở Nội vụ (trừ Sở Y tế)", "các cơ quan đã nêu tên"),
    ("UBND cấp huyện (trừ Sở Y tế)", "không thuộc"),
    ("UBND các huyện (trừ Sở Y tế), Sở Nội vụ", "không thuộc"),
]


@BOTH
@pytest.mark.parametrize(("cell", "why"), CONTRADICTIONS, ids=[c[0] for c in CONTRADICTIONS])
def test_a_contradicting_exclusion_is_an_error(cell: str, why: str, bare: bool) -> None:
    reading = PROVINCE.match(strip_marks(cell) if bare else cell)
    assert reading.unknown
    assert why in describe_unknown(reading.unknown)
    assert "so-y-te" not in reading.codes


# --- K7. no misleading error: "giao" assigns, "trừ:" opens the agencies left out --------------

ASSIGNING = [
    ("UBND tỉnh giao Sở Nội vụ", {"so-noi-vu": "lead"}, ("ubnd-tinh",)),
    ("UBND tỉnh giao cho Sở Nội vụ, Sở Y tế", {"so-noi-vu": "lead", "so-y-te": "lead"},
     ("ubnd-tinh",)),
    ("UBND tỉnh giao Sở Nội vụ chủ trì, phối hợp với Sở Y tế",
     {"so-noi-vu": "lead", "so-y-te": "coordinate"}, ("ubnd-tinh",)),
]  # fmt: skip


# Roles in a lead cell (B1, B2), objects after a class or "cho" (K5), "giao" (K7): the cell
# reads whole, to these agencies with these roles, and these only mentioned.
ROLES_AND_MENTIONS = ROLES_IN_A_LEAD_CELL + OBJECTS_AFTER_A_CLASS + ASSIGNING


@BOTH
@pytest.mark.parametrize(
    ("cell", "roles", "mentions"), ROLES_AND_MENTIONS, ids=[c[0] for c in ROLES_AND_MENTIONS]
)
def test_roles_and_mentions(
    cell: str, roles: dict[str, str], mentions: tuple[str, ...], bare: bool
) -> None:
    reading = PROVINCE.match(strip_marks(cell) if bare else cell)
    assert not reading.unknown
    assert {a.code: a.role for a in assign(reading, Match())} == roles
    assert set(reading.mentions) == set(mentions)


EXCLUSION_COLON = [
    ("Các sở, ban, ngành (trừ: Sở Y tế; Sở Nội vụ)", "@so -so-y-te -so-noi-vu"),
    ("Các sở, ngành, trừ: Sở Y tế, Sở Nội vụ", "@so -so-y-te -so-noi-vu"),
    ("Các sở, ban, ngành (trừ: Sở Y tế)", "@so -so-y-te"),
]


@BOTH
@pytest.mark.parametrize(("cell", "spec"), EXCLUSION_COLON, ids=[c[0] for c in EXCLUSION_COLON])
def test_a_colon_after_the_exclusion_word_opens_the_list(cell: str, spec: str, bare: bool) -> None:
    read(cell, spec, bare)
