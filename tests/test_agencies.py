"""The agency matcher on the cells of the seed plans, against the demo registry."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain.agencies import Kind, Registry, parse_kind
from tests.province import seed_agency_entries

SEED = Path(__file__).resolve().parent.parent / "seed"


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry(seed_agency_entries())


def codes(registry: Registry, cell: str, scope: str | None = None) -> set[str]:
    result = registry.match(cell, scope=scope)
    assert not result.unknown, result.unknown
    return set(result.codes)


def of_kind(registry: Registry, kind: Kind) -> set[str]:
    return {c for c, e in registry.entries.items() if e.kind is kind}


def test_classes_expand_to_the_registry_members(registry: Registry) -> None:
    cell = "Các sở, ban, ngành; UBND cấp huyện; UBND cấp xã"
    expected = of_kind(registry, Kind.DEPARTMENT) | of_kind(registry, Kind.DISTRICT)
    expected |= of_kind(registry, Kind.COMMUNE)
    assert codes(registry, cell) == expected
    assert "vp-ubnd" in expected and "x-ho-nai-3" in expected


def test_names_with_commas_inside_and_duplicates(registry: Registry) -> None:
    cell = (
        "Sở Tài chính, Sở Văn hóa, Thể thao và Du lịch, Sở Lao động, Thương binh và Xã hội, "
        "Sở Tài chính, Sở Văn hóa, Thể thao và Du lịch"
    )
    result = registry.match(cell)
    assert result.codes == ("so-tai-chinh", "so-vhttdl", "so-ldtbxh")


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("VP UBND tỉnh", {"vp-ubnd"}),
        ("Văn phòng Ủy ban nhân dân tỉnh", {"vp-ubnd"}),
        ("van phong uy ban nhan dan tinh", {"vp-ubnd"}),
        ("Sở KH&ĐT", {"so-khdt"}),
        ("Sở Kế hoạch Đầu tư", {"so-khdt"}),
        ("Sở TT&TT", {"so-tttt"}),
        ("Sở TNMT", {"so-tnmt"}),
        ("TT PVHCC tỉnh", {"tt-pvhcc"}),
        ("Ủy ban MTTQVN tỉnh", {"mttq-tinh"}),
        (
            "Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh và Hội Cựu Chiến binh tỉnh",
            {"mttq-tinh", "hccb-tinh"},
        ),
        ("- Sở Nội vụ tham mưu UBND tỉnh - Sở Tư pháp", {"so-noi-vu", "so-tu-phap"}),
        ("Sở Nội vụ\nSở Y tế", {"so-noi-vu", "so-y-te"}),
        ("Sở Nội vụ và Sở Y tế", {"so-noi-vu", "so-y-te"}),
        ("Sở Nội vụ; Sở Nội vụ.", {"so-noi-vu"}),
    ],
)
def test_abbreviations_diacritics_and_separators(
    registry: Registry, cell: str, expected: set[str]
) -> None:
    assert codes(registry, cell) == expected


def test_inside_a_department_plan_units_resolve_in_its_scope(registry: Registry) -> None:
    cell = "Phòng Đăng ký kinh doanh, Phòng Quản lý đầu tư ngoài ngân sách, Văn phòng và Trung tâm xúc tiến đầu tư."
    assert codes(registry, cell, scope="so-khdt") == {
        "khdt-dkkd",
        "khdt-qldt",
        "khdt-vp",
        "khdt-ttxt",
    }
    units = {c for c, e in registry.entries.items() if e.parent == "so-tnmt"}
    assert codes(registry, "Các phòng, đơn vị được kiểm tra", scope="so-tnmt") == units
    assert codes(registry, "Văn phòng Sở theo dõi, đôn đốc các phòng, đơn vị", scope="so-tnmt") == {
        "tnmt-vp"
    }


def test_ambiguous_unit_without_scope_is_reported_not_guessed(registry: Registry) -> None:
    result = registry.match("Văn phòng Sở")
    assert result.codes == ()
    assert result.unknown[0].text == "Văn phòng Sở"


def test_unknown_name_comes_with_the_closest_known_names(registry: Registry) -> None:
    result = registry.match("Sở Nội vụ, Sở Ngoại vụ, Sở Giao thông vận tả")
    assert result.codes == ("so-noi-vu",)
    texts = {u.text: u.suggestions for u in result.unknown}
    assert set(texts) == {"Sở Ngoại vụ", "Sở Giao thông vận tả"}
    assert "Sở Giao thông vận tải" in texts["Sở Giao thông vận tả"]
    assert "Sở Nội vụ" in texts["Sở Ngoại vụ"]


def test_general_references_are_kept_as_text_not_dropped(registry: Registry) -> None:
    result = registry.match("Sở Thông tin và Truyền thông, Cơ quan, đơn vị có liên quan")
    assert result.codes == ("so-tttt",)
    assert result.general == ("Cơ quan, đơn vị có liên quan",)
    assert result.unknown == ()


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("sở", Kind.DEPARTMENT),
        ("huyen", Kind.DISTRICT),
        ("UBND cấp xã", Kind.COMMUNE),
        ("phong", Kind.UNIT),
    ],
)
def test_kinds_written_by_admins(text: str, kind: Kind) -> None:
    assert parse_kind(text) is kind
