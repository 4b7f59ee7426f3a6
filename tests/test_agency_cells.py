"""Agency cells as plans write them: one table per kind, each read with and without
diacritics, against a clean and complete registry (every body named, registered once)."""

from __future__ import annotations

import csv
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.agencies import AgencyEntry, Kind, Match, Registry, assign, describe_unknown
from tests.province import seed_agency_entries

ROOT = Path(__file__).resolve().parent.parent
PUBLISHED = Path(__file__).resolve().parent / "data" / "published_agency_cells.csv"


EXTRA = [
    AgencyEntry("so-ngoai-vu", "Sở Ngoại vụ", Kind.DEPARTMENT),
    AgencyEntry("tinh-doan", "Tỉnh Đoàn", Kind.OTHER),
    AgencyEntry("hoi-phu-nu", "Hội Liên hiệp Phụ nữ tỉnh", Kind.OTHER),
    AgencyEntry("x-tam-phuoc", "UBND xã Tam Phước", Kind.COMMUNE, "h-bien-hoa"),
    AgencyEntry("h-thu-duc", "UBND thành phố Thủ Đức", Kind.DISTRICT),
    *(AgencyEntry(f"h-{slug}", f"UBND huyện {name}", Kind.DISTRICT) for slug, name in [
        ("an-lao", "An Lão"), ("vinh-thanh", "Vĩnh Thạnh"), ("van-canh", "Vân Canh"),
        ("hoai-an", "Hoài Ân"), ("tay-son", "Tây Sơn"), ("phu-cat", "Phù Cát")]),
    AgencyEntry("bao-tra-vinh", "Báo Trà Vinh", Kind.OTHER),
    AgencyEntry("dai-tra-vinh", "Đài Phát thanh và Truyền hình Trà Vinh", Kind.OTHER),
    AgencyEntry("viettel", "Tập đoàn Công nghiệp - Viễn thông Quân đội", Kind.OTHER,
                aliases=("Tập đoàn Viettel",)),
]  # fmt: skip
CENTRAL = [
    AgencyEntry("bo-noi-vu", "Bộ Nội vụ", Kind.MINISTRY),
    AgencyEntry("bo-tu-phap", "Bộ Tư pháp", Kind.MINISTRY),
    AgencyEntry("bo-tai-chinh", "Bộ Tài chính", Kind.MINISTRY),
    AgencyEntry("bo-xay-dung", "Bộ Xây dựng", Kind.MINISTRY),
    AgencyEntry("bo-y-te", "Bộ Y tế", Kind.MINISTRY),
    AgencyEntry("bo-vhttdl", "Bộ Văn hóa, Thể thao và Du lịch", Kind.MINISTRY),
    AgencyEntry("bo-ldtbxh", "Bộ Lao động - Thương binh và Xã hội", Kind.MINISTRY),
    AgencyEntry("vpcp", "Văn phòng Chính phủ", Kind.MINISTRY),
    AgencyEntry("tinh-ha-noi", "UBND thành phố Hà Nội", Kind.PROVINCE),
    AgencyEntry("tinh-dong-nai", "UBND tỉnh Đồng Nai", Kind.PROVINCE),
    AgencyEntry("ban-to-chuc-tw", "Ban Tổ chức Trung ương", Kind.OTHER),
]
PROVINCE = Registry([*seed_agency_entries(), *EXTRA])
NATIONAL = Registry(CENTRAL)
REGISTRIES = {"tinh": PROVINCE, "trung-uong": NATIONAL}


def without(*codes: str) -> Registry:
    return Registry(e for e in [*seed_agency_entries(), *EXTRA] if e.code not in codes)


def strip_marks(text: str) -> str:
    """The cell as typed without diacritics: "Sở Y tế" → "So Y te"."""
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return bare.replace("đ", "d").replace("Đ", "D")


def expected_codes(registry: Registry, spec: str) -> set[str]:
    """ "so-noi-vu @huyen": codes, and @kind for every registered agency of a kind."""
    out: set[str] = set()
    for item in spec.split():
        if item.startswith("@"):
            out |= {c for c, e in registry.entries.items() if e.kind is Kind(item[1:])}
        else:
            assert item in registry.entries, item
            out.add(item)
    return out


def check(registry: Registry, cell: str, spec: str, bare: bool, **want: Any) -> Match:
    """Read ``cell`` (or its form without diacritics) and compare with what it means."""
    text = strip_marks(cell) if bare else cell
    norm = strip_marks if bare else (lambda s: s)
    reading = registry.match(text, scope=want.get("issuer"))
    assert set(reading.codes) == expected_codes(registry, spec), describe_unknown(reading.unknown)
    assert [u.text for u in reading.unknown] == [norm(u) for u in want.get("unknown", ())]
    for code, scope in want.get("scopes", {}).items():
        part = next(p for p in reading.parts if p.code == code)
        assert part.scope == norm(scope), (code, part.scope)
    for code, role in want.get("roles", {}).items():
        assert next(p for p in reading.parts if p.code == code).role == role
    if "general" in want:
        assert reading.general == tuple(norm(g) for g in want["general"])
    if "mentions" in want:
        assert set(reading.mentions) == set(want["mentions"])
    return reading


BOTH = pytest.mark.parametrize("bare", [False, True], ids=["dấu", "không-dấu"])

# --- 1. classes written with commas -----------------------------------------------------

CLASSES = [
    ("Các sở, ban, ngành", "@so", {}),
    ("các sở, ban, ngành, UBND các huyện, thị xã, thành phố", "@so @huyen", {}),
    ("UBND các xã, phường, thị trấn", "@xa", {}),
    ("Các cơ quan chuyên môn thuộc UBND tỉnh", "@so", {}),
    ("Sở, ban, ngành; UBND các huyện, thành phố; UBND các xã, phường, thị trấn",
     "@so @huyen @xa", {}),
    ("các sở ban ngành tỉnh", "@so", {}),
    ("UBND cấp huyện, UBND cấp xã", "@huyen @xa", {}),
    ("Ủy ban nhân dân các huyện, thị xã, thành phố", "@huyen", {}),
    ("Các sở, ngành, UBND các huyện, thành phố", "@so @huyen", {}),
    # "the relevant ones" are not all of them: a group, kept as text (see RELEVANT below)
    ("Các sở, ban, ngành có liên quan", "", {"general": ["Các sở, ban, ngành có liên quan"]}),
    ("Sở Nội vụ, các sở, ngành liên quan", "so-noi-vu",
     {"scopes": {"so-noi-vu": ""}, "general": ["các sở, ngành liên quan"]}),
    ("UBND các xã, phường, đặc khu", "@xa", {}),
    ("UBND huyện, thành phố", "@huyen", {}),
    ("Văn phòng UBND tỉnh, các sở, ban, ngành", "@so", {}),
]  # fmt: skip
CENTRAL_CLASSES = [
    ("Các bộ, cơ quan ngang bộ", "@bo", {}),
    ("các bộ, cơ quan ngang bộ, cơ quan thuộc Chính phủ", "@bo", {}),
    ("Các bộ, ngành, địa phương", "@bo @tinh", {}),
    ("Các bộ, ngành; UBND các tỉnh, thành phố trực thuộc trung ương", "@bo @tinh", {}),
    ("Bộ Nội vụ, các bộ, ngành liên quan", "bo-noi-vu", {"general": ["các bộ, ngành liên quan"]}),
]


@BOTH
@pytest.mark.parametrize(("cell", "spec", "want"), CLASSES, ids=[c[0] for c in CLASSES])
def test_classes_written_with_commas(cell: str, spec: str, want: dict, bare: bool) -> None:
    check(PROVINCE, cell, spec, bare, **want)


@BOTH
@pytest.mark.parametrize(
    ("cell", "spec", "want"), CENTRAL_CLASSES, ids=[c[0] for c in CENTRAL_CLASSES]
)
def test_central_classes_in_a_ministry_plan(cell: str, spec: str, want: dict, bare: bool) -> None:
    check(NATIONAL, cell, spec, bare, **want)


def test_a_class_with_no_member_in_the_registry_is_an_error_not_nothing() -> None:
    reading = PROVINCE.match("Các bộ, cơ quan ngang bộ")
    assert reading.codes == ()
    assert reading.unknown[0].text == "Các bộ, cơ quan ngang bộ"
    assert "chưa có cơ quan nào" in reading.unknown[0].describe()


# --- 2. numbered or bulleted parts in one cell ----------------------------------------------

NUMBERED = [
    ("1. Sở Tài chính: tổng hợp dự toán; 2. Sở Nội vụ hướng dẫn thực hiện",
     "so-tai-chinh so-noi-vu",
     {"scopes": {"so-tai-chinh": "tổng hợp dự toán", "so-noi-vu": "hướng dẫn thực hiện"}}),
    ("1. Sở Y tế: rà soát; bố trí nhân lực 2. Sở Tài chính: bảo đảm kinh phí",
     "so-y-te so-tai-chinh",
     {"scopes": {"so-y-te": "rà soát; bố trí nhân lực", "so-tai-chinh": "bảo đảm kinh phí"}}),
    ("a) Sở Tư pháp: thẩm định; b) Văn phòng UBND tỉnh: công bố TTHC",
     "so-tu-phap vp-ubnd",
     {"scopes": {"so-tu-phap": "thẩm định", "vp-ubnd": "công bố TTHC"}}),
    ("- Sở Nội vụ: tổng hợp\n- Sở Tư pháp: kiểm tra", "so-noi-vu so-tu-phap",
     {"scopes": {"so-noi-vu": "tổng hợp", "so-tu-phap": "kiểm tra"}}),
    ("1) Sở Xây dựng chủ trì thẩm định 2) UBND cấp huyện: tổ chức thực hiện",
     "so-xay-dung @huyen",
     {"scopes": {"so-xay-dung": "chủ trì thẩm định", "h-trang-bom": "tổ chức thực hiện"}}),
    ("1. Các sở, ban, ngành: rà soát TTHC; 2. UBND cấp xã: niêm yết công khai",
     "@so @xa", {"scopes": {"so-y-te": "rà soát TTHC", "x-xuan-an": "niêm yết công khai"}}),
    ("+ Sở Y tế: đối với cơ sở y tế + Sở GD&ĐT: đối với trường học", "so-y-te so-gddt",
     {"scopes": {"so-y-te": "đối với cơ sở y tế", "so-gddt": "đối với trường học"}}),
    ("1. Sở Nội vụ; 2. Sở Tài chính", "so-noi-vu so-tai-chinh",
     {"scopes": {"so-noi-vu": "", "so-tai-chinh": ""}}),
    ("1. Sở Tài chính tổng hợp, trình UBND tỉnh; 2. Sở Kế hoạch và Đầu tư phối hợp",
     "so-tai-chinh so-khdt",
     {"roles": {"so-khdt": "coordinate"}, "mentions": ["ubnd-tinh"],
      "scopes": {"so-tai-chinh": "tổng hợp, trình UBND tỉnh"}}),
    ("1. Sở Thông tin và Truyền thông: hướng dẫn, kiểm tra, đánh giá\n"
     "2. Sở Nội vụ: tổng hợp kết quả, báo cáo UBND tỉnh\n3. Công an tỉnh: bảo đảm an ninh",
     "so-tttt so-noi-vu cong-an-tinh",
     {"scopes": {"so-tttt": "hướng dẫn, kiểm tra, đánh giá",
                 "cong-an-tinh": "bảo đảm an ninh"}}),
    ("1. Sở Ngoại vụ tổng kết", "so-ngoai-vu", {"scopes": {"so-ngoai-vu": "tổng kết"}}),
]  # fmt: skip


@BOTH
@pytest.mark.parametrize(("cell", "spec", "want"), NUMBERED, ids=[c[0][:40] for c in NUMBERED])
def test_numbered_parts_keep_their_text_as_scope(
    cell: str, spec: str, want: dict, bare: bool
) -> None:
    check(PROVINCE, cell, spec, bare, **want)


# --- 3. scopes ---------------------------------------------------------------------------

SCOPES = [
    ("Sở Y tế (đối với cơ sở y tế), Sở GD&ĐT (đối với trường học)", "so-y-te so-gddt",
     {"scopes": {"so-y-te": "đối với cơ sở y tế", "so-gddt": "đối với trường học"}}),
    ("Sở Y tế (đối với cơ sở y tế, bệnh viện), Sở Tài chính", "so-y-te so-tai-chinh",
     {"scopes": {"so-y-te": "đối với cơ sở y tế, bệnh viện", "so-tai-chinh": ""}}),
    ("Các sở, ban, ngành theo chức năng, nhiệm vụ được giao", "@so",
     {"scopes": {"so-noi-vu": "theo chức năng, nhiệm vụ được giao"}}),
    ("UBND cấp huyện ở địa phương", "@huyen", {"scopes": {"h-bien-hoa": "ở địa phương"}}),
    ("Sở Nội vụ theo chức năng, nhiệm vụ, Sở Tư pháp", "so-noi-vu so-tu-phap",
     {"scopes": {"so-noi-vu": "theo chức năng, nhiệm vụ", "so-tu-phap": ""}}),
    ("UBND cấp xã (nơi có đơn vị hành chính sắp xếp, sáp nhập)", "@xa",
     {"scopes": {"x-ho-nai-3": "nơi có đơn vị hành chính sắp xếp, sáp nhập"}}),
    ("Sở Tài chính (phần kinh phí); Sở Nội vụ (phần biên chế)", "so-tai-chinh so-noi-vu",
     {"scopes": {"so-tai-chinh": "phần kinh phí", "so-noi-vu": "phần biên chế"}}),
    ("Văn phòng UBND tỉnh (Trung tâm Phục vụ hành chính công tỉnh)", "vp-ubnd",
     {"mentions": ["tt-pvhcc"],
      "scopes": {"vp-ubnd": "Trung tâm Phục vụ hành chính công tỉnh"}}),
    ("Sở Công Thương trên địa bàn tỉnh", "so-cong-thuong",
     {"scopes": {"so-cong-thuong": "trên địa bàn tỉnh"}}),
    ("Sở Tài nguyên và Môi trường: đối với đất đai, khoáng sản", "so-tnmt",
     {"scopes": {"so-tnmt": "đối với đất đai, khoáng sản"}}),
    ("Công an tỉnh (Phòng Cảnh sát quản lý hành chính về trật tự xã hội)", "cong-an-tinh",
     {"scopes": {"cong-an-tinh": "Phòng Cảnh sát quản lý hành chính về trật tự xã hội"}}),
]  # fmt: skip


@BOTH
@pytest.mark.parametrize(("cell", "spec", "want"), SCOPES, ids=[c[0][:40] for c in SCOPES])
def test_scopes_are_kept_and_commas_inside_parentheses_never_split(
    cell: str, spec: str, want: dict, bare: bool
) -> None:
    check(PROVINCE, cell, spec, bare, **want)


# --- 4. role verbs end a name but never cut a registered one -------------------------------

ROLES = [
    ("Sở Nội vụ tham mưu UBND tỉnh", "so-noi-vu",
     {"mentions": ["ubnd-tinh"], "scopes": {"so-noi-vu": "tham mưu UBND tỉnh"}}),
    ("Sở Xây dựng", "so-xay-dung", {}),
    ("Sở Xây dựng chủ trì", "so-xay-dung", {"roles": {"so-xay-dung": "lead"}}),
    ("Sở Nội vụ xây dựng kế hoạch", "so-noi-vu",
     {"scopes": {"so-noi-vu": "xây dựng kế hoạch"}}),
    ("Sở Tài chính tổng kết, đánh giá", "so-tai-chinh",
     {"scopes": {"so-tai-chinh": "tổng kết, đánh giá"}}),
    ("Sở Y tế trình UBND tỉnh", "so-y-te", {"mentions": ["ubnd-tinh"]}),
    ("Sở Khoa học và Công nghệ nghiên cứu, đề xuất", "so-khcn", {}),
    ("Văn phòng UBND tỉnh là đầu mối", "vp-ubnd", {"scopes": {"vp-ubnd": "là đầu mối"}}),
    ("Sở Tư pháp chủ trì, Sở Nội vụ phối hợp", "so-tu-phap so-noi-vu",
     {"roles": {"so-tu-phap": "lead", "so-noi-vu": "coordinate"}}),
    ("Sở Giao thông vận tải triển khai thực hiện", "so-gtvt", {}),
    ("Sở Xây dựng, Sở Nội vụ xây dựng quy chế", "so-xay-dung so-noi-vu", {}),
    ("Sở Xây dựng tổng hợp, báo cáo", "so-xay-dung",
     {"scopes": {"so-xay-dung": "tổng hợp, báo cáo"}}),
    ("Chủ trì: Sở Nội vụ; Phối hợp: Sở Tư pháp, Sở Tài chính",
     "so-noi-vu so-tu-phap so-tai-chinh",
     {"roles": {"so-noi-vu": "lead", "so-tu-phap": "coordinate", "so-tai-chinh": "coordinate"}}),
    ("Cơ quan thường trực: Sở Nội vụ", "so-noi-vu", {"roles": {"so-noi-vu": "lead"}}),
    ("Phối hợp với Sở Y tế", "so-y-te", {"roles": {"so-y-te": "coordinate"}}),
    ("Giao Sở Tư pháp chủ trì, phối hợp với các sở, ban, ngành", "@so",
     {"roles": {"so-tu-phap": "lead", "so-y-te": "coordinate"}}),
    ("Sở Công Thương (chủ trì), Sở Tài chính (phối hợp)", "so-cong-thuong so-tai-chinh",
     {"roles": {"so-cong-thuong": "lead", "so-tai-chinh": "coordinate"}}),
    ("Sở Nội vụ chủ trì, phối hợp với Sở Tư pháp, các doanh nghiệp", "so-noi-vu so-tu-phap",
     {"roles": {"so-noi-vu": "lead", "so-tu-phap": "coordinate"},
      "general": ["các doanh nghiệp"]}),
]  # fmt: skip


@BOTH
@pytest.mark.parametrize(("cell", "spec", "want"), ROLES, ids=[c[0] for c in ROLES])
def test_role_verbs_end_a_name(cell: str, spec: str, want: dict, bare: bool) -> None:
    check(PROVINCE, cell, spec, bare, **want)


def test_a_role_verb_cuts_a_name_the_registry_does_not_know() -> None:
    reading = PROVINCE.match("Sở Quy hoạch tổng hợp, báo cáo")
    assert [u.text for u in reading.unknown] == ["Sở Quy hoạch"]


# --- 5. shorthand lists --------------------------------------------------------------------

SHORTHAND = [
    ("Các Sở: Tài chính, Xây dựng, Y tế", "so-tai-chinh so-xay-dung so-y-te", {}),
    ("Sở Tài chính, Xây dựng", "so-tai-chinh so-xay-dung", {}),
    ("Các Sở: Nội vụ, Tư pháp; UBND cấp huyện", "so-noi-vu so-tu-phap @huyen", {}),
    ("Sở Tài chính, Văn hóa, Thể thao và Du lịch", "so-tai-chinh so-vhttdl", {}),
    ("Các sở, ngành: Nội vụ, Y tế, Công Thương", "so-noi-vu so-y-te so-cong-thuong", {}),
    ("Sở Nội vụ, Tư pháp và Tài chính", "so-noi-vu so-tu-phap so-tai-chinh", {}),
    ("Sở Y tế, Giáo dục và Đào tạo", "so-y-te so-gddt", {}),
    ("Sở Xây dựng, Giao thông vận tải", "so-xay-dung so-gtvt", {}),
    ("Các Sở: Xây dựng (đối với nhà ở), Tài nguyên và Môi trường (đối với đất đai)",
     "so-xay-dung so-tnmt",
     {"scopes": {"so-xay-dung": "đối với nhà ở", "so-tnmt": "đối với đất đai"}}),
    ("UBND huyện Trảng Bom, Long Khánh", "h-trang-bom", {"unknown": ["Long Khánh"]}),
    ("Sở Tài chính, Xây dựng chủ trì", "so-tai-chinh so-xay-dung", {}),
]  # fmt: skip


@BOTH
@pytest.mark.parametrize(("cell", "spec", "want"), SHORTHAND, ids=[c[0] for c in SHORTHAND])
def test_shorthand_lists_repeat_their_head(cell: str, spec: str, want: dict, bare: bool) -> None:
    check(PROVINCE, cell, spec, bare, **want)


@BOTH
def test_shorthand_of_ministries(bare: bool) -> None:
    check(NATIONAL, "Các Bộ: Nội vụ, Tư pháp, Xây dựng", "bo-noi-vu bo-tu-phap bo-xay-dung", bare)


def test_an_unregistered_item_of_a_shorthand_list_is_reported_whole() -> None:
    reading = without("so-xay-dung").match("Các Sở: Tài chính, Xây dựng")
    assert reading.codes == ("so-tai-chinh",)
    assert [u.text for u in reading.unknown] == ["Sở Xây dựng"]


# --- 6. missing separators and line starts --------------------------------------------------

SEPARATORS = [
    ("Sở Nội vụ UBND các huyện", "so-noi-vu @huyen", {}),
    ("Sở Tư pháp Sở Nội vụ", "so-tu-phap so-noi-vu", {}),
    ("Văn phòng UBND tỉnh UBND cấp huyện UBND cấp xã", "vp-ubnd @huyen @xa", {}),
    ("Sở Nội vụ\nVà các cơ quan, đơn vị có liên quan", "so-noi-vu",
     {"general": ["các cơ quan, đơn vị có liên quan"]}),
    ("Sở Y tế, và UBND cấp huyện", "so-y-te @huyen", {}),
    ("và Sở Tài chính", "so-tai-chinh", {}),
    ("Sở Nội vụ cùng các sở, ban, ngành", "@so", {}),
    ("Sở Nội vụ Sở Tài chính Sở Tư pháp", "so-noi-vu so-tai-chinh so-tu-phap", {}),
    ("UBND tỉnh Sở Nội vụ", "ubnd-tinh so-noi-vu", {}),
    ("Sở Y tế\nSở Giáo dục và Đào tạo", "so-y-te so-gddt", {}),
    ("Sở Nội vụ - Sở Tư pháp", "so-noi-vu so-tu-phap", {}),
    ("Sở Lao động - Thương binh và Xã hội Sở Y tế", "so-ldtbxh so-y-te", {}),
    ("Các sở, ban, ngành Tỉnh Đoàn", "@so tinh-doan", {}),
    ("Các sở, ban, ngành\nTỉnh Đoàn", "@so tinh-doan", {}),
    # Words that only say a list follows, then the list: its agencies, each of them.
    ("Các đơn vị sau: Sở Y tế, Sở Tài chính", "so-y-te so-tai-chinh", {}),
    ("Các cơ quan:\nSở Y tế\nSở Tài chính", "so-y-te so-tai-chinh", {}),
    ("Đơn vị thực hiện: Sở Y tế Sở Tài chính", "so-y-te so-tai-chinh", {}),
    ("Các cơ quan, đơn vị có liên quan: phối hợp", "",
     {"general": ["Các cơ quan, đơn vị có liên quan: phối hợp"]}),
    ("các các Sở Y tế", "so-y-te", {}),  # an article typed twice
]  # fmt: skip


@BOTH
@pytest.mark.parametrize(("cell", "spec", "want"), SEPARATORS, ids=[c[0] for c in SEPARATORS])
def test_missing_separators_and_line_starts(cell: str, spec: str, want: dict, bare: bool) -> None:
    check(PROVINCE, cell, spec, bare, **want)


# --- 7. groups that are not agencies -------------------------------------------------------

GENERAL = [
    ("các doanh nghiệp, hợp tác xã", "", {"general": ["các doanh nghiệp, hợp tác xã"]}),
    ("Cơ sở giáo dục", "", {"general": ["Cơ sở giáo dục"]}),
    ("Các cơ quan, đơn vị có liên quan", "", {"general": ["Các cơ quan, đơn vị có liên quan"]}),
    ("Sở Công Thương, các doanh nghiệp", "so-cong-thuong", {"general": ["các doanh nghiệp"]}),
    ("Các cơ quan, đơn vị, địa phương", "", {"general": ["Các cơ quan, đơn vị, địa phương"]}),
    ("Cơ quan truyền thông, các cơ quan, đơn vị có liên quan", "",
     {"general": ["Cơ quan truyền thông, các cơ quan, đơn vị có liên quan"]}),
    ("Sở Tư pháp; các tổ chức hành nghề công chứng", "so-tu-phap",
     {"general": ["các tổ chức hành nghề công chứng"]}),
    ("Người dân, doanh nghiệp", "", {"general": ["Người dân, doanh nghiệp"]}),
    ("các cơ sở khám bệnh, chữa bệnh", "", {"general": ["các cơ sở khám bệnh, chữa bệnh"]}),
    ("Các doanh nghiệp và UBND cấp xã", "@xa", {"general": ["Các doanh nghiệp"]}),
    ("Các đơn vị", "", {"general": ["Các đơn vị"]}),
    ("Các thành viên Ban Chỉ đạo", "", {"general": ["Các thành viên Ban Chỉ đạo"]}),
    ("Hiệp hội doanh nghiệp tỉnh, Sở Kế hoạch và Đầu tư", "so-khdt",
     {"general": ["Hiệp hội doanh nghiệp tỉnh"]}),
]  # fmt: skip


@BOTH
@pytest.mark.parametrize(("cell", "spec", "want"), GENERAL, ids=[c[0] for c in GENERAL])
def test_groups_that_are_not_agencies_are_text_not_errors(
    cell: str, spec: str, want: dict, bare: bool
) -> None:
    reading = check(PROVINCE, cell, spec, bare, **want)
    assert reading.only_general is (spec == "")


# --- 8. official names with commas ---------------------------------------------------------

OFFICIAL = [
    ("Sở Văn hóa, Thể thao và Du lịch", "so-vhttdl", {}),
    ("Sở Lao động - Thương binh và Xã hội", "so-ldtbxh", {}),
    ("Sở Lao động, Thương binh và Xã hội, Sở Y tế", "so-ldtbxh so-y-te", {}),
    ("Sở Văn hóa, Thể thao và Du lịch, Sở Tài chính", "so-vhttdl so-tai-chinh", {}),
    ("Sở Tài chính, Sở Văn hóa, Thể thao và Du lịch", "so-tai-chinh so-vhttdl", {}),
    ("Sở VH-TT&DL", "so-vhttdl", {}),
    ("Sở Văn hóa Thể thao và Du lịch", "so-vhttdl", {}),
    ("Sở Lao động Thương binh và Xã hội; Sở Nội vụ", "so-ldtbxh so-noi-vu", {}),
    ("Sở LĐTB&XH, Sở VHTTDL", "so-ldtbxh so-vhttdl", {}),
    ("Sở TN&MT, Sở NN&PTNT, Sở GTVT, Sở XD", "so-tnmt so-nnptnt so-gtvt so-xay-dung", {}),
    ("Giám đốc Sở Văn hóa, Thể thao và Du lịch", "so-vhttdl", {}),
    ("Sở Văn hóa, Thể thao và Du lịch (đối với di tích), UBND cấp huyện", "so-vhttdl @huyen",
     {"scopes": {"so-vhttdl": "đối với di tích"}}),
]  # fmt: skip


@BOTH
@pytest.mark.parametrize(("cell", "spec", "want"), OFFICIAL, ids=[c[0] for c in OFFICIAL])
def test_official_names_with_commas(cell: str, spec: str, want: dict, bare: bool) -> None:
    check(PROVINCE, cell, spec, bare, **want)


@BOTH
@pytest.mark.parametrize(
    ("cell", "missing", "known", "unknown"),
    [
        ("Sở Văn hóa, Thể thao và Du lịch, Sở Y tế", "so-vhttdl", "so-y-te",
         "Sở Văn hóa, Thể thao và Du lịch"),
        ("Sở Tài chính, Sở Lao động - Thương binh và Xã hội", "so-ldtbxh", "so-tai-chinh",
         "Sở Lao động - Thương binh và Xã hội"),
        ("Sở Xây dựng, Sở Nội vụ", "so-xay-dung", "so-noi-vu", "Sở Xây dựng"),
    ],
)  # fmt: skip
def test_an_unregistered_official_name_is_reported_whole(
    cell: str, missing: str, known: str, unknown: str, bare: bool
) -> None:
    check(without(missing), cell, known, bare, unknown=[unknown])


@BOTH
def test_a_ministry_with_commas(bare: bool) -> None:
    check(NATIONAL, "Bộ Văn hóa, Thể thao và Du lịch, Bộ Lao động - Thương binh và Xã hội",
          "bo-vhttdl bo-ldtbxh", bare)  # fmt: skip


# --- errors name the fragment and the whole cell --------------------------------------------


def test_an_error_names_the_fragment_and_the_whole_cell() -> None:
    reading = PROVINCE.match("Sở Nội vụ, Sở Giao thông vận tả, Ban Quản lý dự án")
    message = describe_unknown(reading.unknown)
    assert "“Sở Giao thông vận tả” (có phải: Sở Giao thông vận tải" in message
    assert "“Ban Quản lý dự án”" in message
    assert message.endswith("trong ô “Sở Nội vụ, Sở Giao thông vận tả, Ban Quản lý dự án”")


def test_words_left_over_after_a_name_are_an_error_not_dropped() -> None:
    reading = PROVINCE.match("Sở Nội vụ abc xyz")
    assert reading.codes == ("so-noi-vu",)
    assert [u.text for u in reading.unknown] == ["abc xyz"]


def test_each_part_takes_its_role_from_the_cell_or_the_column() -> None:
    lead = PROVINCE.match("Sở Tư pháp chủ trì, Sở Nội vụ phối hợp")
    coordinate = PROVINCE.match("Sở Nội vụ, Sở Tài chính")
    parts = {p.code: p.role for p in assign(lead, coordinate)}
    assert parts == {"so-tu-phap": "lead", "so-noi-vu": "coordinate", "so-tai-chinh": "coordinate"}


# --- cells collected from published plans and decisions ---------------------------------------


def published() -> list[dict[str, str]]:
    with PUBLISHED.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("row", published(), ids=lambda r: r["cell"][:50])
def test_cells_collected_from_published_documents(row: dict[str, str]) -> None:
    registry = REGISTRIES[row["registry"]]
    want: dict[str, Any] = {}
    if row["general"]:
        want["general"] = row["general"].split(" | ")
    if row["unknown"]:
        want["unknown"] = row["unknown"].split(" | ")
    for bare in (False, True):
        check(registry, row["cell"], row["expected"], bare, **want)
    assert row["source"].startswith("https://") or row["source"].startswith("http://")


# --- no silent drop ------------------------------------------------------------------------


def _unique_names(registry: Registry) -> list[tuple[str, str]]:
    """(code, name or alias) for every name that names one agency only: "Văn phòng Sở"
    names a unit of each department, so it alone is rightly reported as ambiguous."""
    owners: dict[str, set[str]] = {}
    for code, e in registry.entries.items():
        for name in (e.name, *e.aliases):
            owners.setdefault(strip_marks(name).lower(), set()).add(code)
    return sorted(
        (code, name)
        for code, e in registry.entries.items()
        for name in (e.name, *e.aliases)
        if len(owners[strip_marks(name).lower()]) == 1
    )


NAMES = _unique_names(PROVINCE)


@pytest.mark.parametrize(("code", "name"), NAMES, ids=[n for _, n in NAMES])
def test_every_registered_name_alone_reads_as_its_agency(code: str, name: str) -> None:
    for text in (name, strip_marks(name), name.upper()):
        reading = PROVINCE.match(text)
        assert reading.codes == (code,), (text, describe_unknown(reading.unknown))
        assert reading.unknown == ()


# Scopes after which a name is another part. ("Sở A tham mưu Sở B": B is the object, a
# mention; the test below covers it.)
_SCOPES = [
    "", "", " (đối với cơ sở y tế, bệnh viện)", " theo chức năng, nhiệm vụ được giao",
    ": tổng hợp dự toán", " chủ trì", " xây dựng kế hoạch", " tổng kết", " ở địa phương",
    " thực hiện", " là đầu mối",
]  # fmt: skip
_OTHERS = [
    "Các sở, ban, ngành", "UBND cấp huyện", "UBND các xã, phường, thị trấn",
    "các doanh nghiệp, hợp tác xã", "các cơ quan, đơn vị có liên quan", "cơ sở giáo dục",
]  # fmt: skip
_SEPARATORS = [", ", "; ", " và ", "\n", " - ", " ", ",\n", "; và "]


@st.composite
def cells(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A cell as plans write it, and the codes of the registered names put in it."""
    items: list[str] = []
    codes: list[str] = []
    for _ in range(draw(st.integers(1, 5))):
        if draw(st.booleans()):
            code, name = draw(st.sampled_from(NAMES))
            items.append(name + draw(st.sampled_from(_SCOPES)))
            codes.append(code)
        else:
            items.append(draw(st.sampled_from(_OTHERS)))
    numbered = draw(st.booleans()) and len(items) > 1
    if numbered:
        cell = " ".join(f"{i}. {item};" for i, item in enumerate(items, start=1))
    else:
        cell = items[0]
        for item in items[1:]:
            cell += draw(st.sampled_from(_SEPARATORS)) + item
    if draw(st.booleans()):
        cell = strip_marks(cell)
    return cell, codes


@settings(max_examples=400, deadline=None)
@given(cells())
def test_a_registered_name_in_a_cell_always_yields_its_agency(case: tuple[str, list[str]]) -> None:
    cell, codes = case
    reading = PROVINCE.match(cell)
    missing = set(codes) - set(reading.codes)
    assert not missing, (cell, missing, describe_unknown(reading.unknown))


_WORDS = ["tham mưu", "theo dõi", "và", "xây dựng", "kế hoạch", "năm 2024", ",", ";", "(",
          ")", "các", "đối với", "trình", "tổng hợp", "báo cáo", "abc", "1.", "-", ":"]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from(_WORDS), max_size=6),
    st.sampled_from(NAMES),
    st.lists(st.sampled_from(_WORDS), max_size=6),
)
def test_a_registered_name_among_any_words_is_read_or_shown_never_dropped(
    before: list[str], named: tuple[str, str], after: list[str]
) -> None:
    code, name = named
    cell = " ".join([*before, name, *after])
    reading = PROVINCE.match(cell)
    assert code in reading.codes or code in reading.mentions, (cell, reading)


@BOTH
@pytest.mark.parametrize(
    ("cell", "spec"),
    [
        ("Sở Nội vụ", "snv"),
        ("Sở Nội vụ tỉnh", "snv"),
        ("UBND tỉnh", "ubnd"),
        ("Sở Nội vụ tham mưu UBND tỉnh", "snv"),
        ("huyện Trảng Bom, Công an tỉnh", "h-tb ca"),
    ],
)
def test_a_registry_of_full_official_names_reads_the_short_forms_plans_use(
    cell: str, spec: str, bare: bool
) -> None:
    registry = Registry(
        [
            AgencyEntry("snv", "Sở Nội vụ tỉnh Đồng Nai", Kind.DEPARTMENT),
            AgencyEntry("ubnd", "Ủy ban nhân dân tỉnh Đồng Nai", Kind.PROVINCE),
            AgencyEntry("ca", "Công an tỉnh Đồng Nai", Kind.OTHER),
            AgencyEntry("h-tb", "Ủy ban nhân dân huyện Trảng Bom", Kind.DISTRICT),
        ]
    )
    check(registry, cell, spec, bare)
