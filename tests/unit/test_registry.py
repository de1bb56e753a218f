from chalicelib.domain.departments import DepartmentKind, DepartmentState
from chalicelib.domain.registry import (
    registry_unit,
    registry_unit_for_province,
    registry_units,
)
from tools.provinces import DATA_FILE, provinces_from_package, render


def test_registry_lists_the_ministry_and_the_34_provincial_units():
    units = registry_units()

    assert len(units) == 35
    assert units[0].kind is DepartmentKind.MINISTRY
    assert sum(unit.kind is DepartmentKind.PROVINCE for unit in units) == 34


def test_codes_issuer_codes_and_stage_names_are_unique():
    units = registry_units()

    for attribute in ("code", "issuer_code", "stage_name", "province_code"):
        values = [getattr(unit, attribute) for unit in units]
        assert len(set(values)) == len(values), attribute


def test_names_are_vietnamese_and_ascii_english_with_official_codes():
    hai_phong = registry_unit_for_province(31)
    cao_bang = registry_unit("CAO-BANG")

    assert hai_phong.code == "HAI-PHONG"
    assert hai_phong.name_vi == "Sở Công Thương Thành phố Hải Phòng"
    assert hai_phong.name_en == "Department of Industry and Trade of Hai Phong City"
    assert cao_bang.province_name_vi == "Tỉnh Cao Bằng"
    assert cao_bang.issuer_code == "04"
    assert all(unit.name_en.isascii() for unit in registry_units())


def test_seeded_department_starts_pending_without_gates():
    department = registry_unit("HA-NOI").as_department()

    assert department.state is DepartmentState.PENDING
    assert department.gates == {}


def test_data_file_equals_what_the_province_package_yields():
    assert DATA_FILE.read_text(encoding="utf-8") == render(provinces_from_package())
