"""The registry of issuers: the ministry's Import-Export Department and one issuing
department per provincial-level unit (34 since the 2025 merger).

Province names and official codes come from `data/provinces.json`, generated from the
`vietnam-provinces` package by `python -m tools.provinces`. Each province's issuer is seeded
as its Department of Industry and Trade, the body People's Committees usually assign;
operations can rename it when onboarding. Seeded issuer codes are the two-digit official
province code (the ministry's is `00`) until the ministry assigns identification codes.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from chalicelib.domain.departments import MINISTRY_CODE, Department, DepartmentKind
from chalicelib.domain.errors import NotFoundError

_DATA_FILE = Path(__file__).parent / "data" / "provinces.json"
_CENTRAL_CITY = "thành phố trung ương"


class RegistryUnit(BaseModel):
    """One issuer the registry knows, before any onboarding."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    code: str
    kind: DepartmentKind
    province_code: int | None
    province_name_vi: str
    province_name_en: str
    name_vi: str
    name_en: str
    issuer_code: str

    @property
    def stage_name(self) -> str:
        """The deployment stage that serves this issuer, e.g. `ha-noi`."""
        return self.code.lower()

    def as_department(self) -> Department:
        return Department(
            code=self.code,
            kind=self.kind,
            province_code=self.province_code,
            name_vi=self.name_vi,
            name_en=self.name_en,
            issuer_code=self.issuer_code,
        )


MINISTRY = RegistryUnit(
    code=MINISTRY_CODE,
    kind=DepartmentKind.MINISTRY,
    province_code=None,
    province_name_vi="Toàn quốc",
    province_name_en="Nationwide",
    name_vi="Cục Xuất nhập khẩu, Bộ Công Thương",
    name_en="Import-Export Department, Ministry of Industry and Trade",
    issuer_code="00",
)


@cache
def registry_units() -> tuple[RegistryUnit, ...]:
    """The ministry first, then the provinces in official-code order."""
    document = json.loads(_DATA_FILE.read_text(encoding="utf-8"))
    return (MINISTRY, *(_province_unit(unit) for unit in document["units"]))


def registry_unit(code: str) -> RegistryUnit:
    for unit in registry_units():
        if unit.code == code:
            return unit
    raise NotFoundError(f"No issuer {code} in the registry", department=code)


def registry_unit_for_province(province_code: int) -> RegistryUnit:
    for unit in registry_units():
        if unit.province_code == province_code:
            return unit
    raise NotFoundError(f"No province with official code {province_code}")


def _province_unit(unit: dict[str, object]) -> RegistryUnit:
    codename = str(unit["codename"])
    official_code = int(str(unit["official_code"]))
    is_city = unit["division_type"] == _CENTRAL_CITY
    name_vi = str(unit["name_vi"]) if is_city else f"Tỉnh {unit['name_vi']}"
    ascii_name = codename.replace("_", " ").title()
    name_en = f"{ascii_name} City" if is_city else f"{ascii_name} Province"
    return RegistryUnit(
        code=codename.replace("_", "-").upper(),
        kind=DepartmentKind.PROVINCE,
        province_code=official_code,
        province_name_vi=name_vi,
        province_name_en=name_en,
        name_vi=f"Sở Công Thương {name_vi}",
        name_en=f"Department of Industry and Trade of {name_en}",
        issuer_code=f"{official_code:02d}",
    )
