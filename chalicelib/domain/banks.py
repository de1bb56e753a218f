"""Vietnamese banks by NAPAS BIN and by the short code used in callback URLs."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.errors import NotFoundError

BANKS_FILE = Path(__file__).parent / "data" / "banks.json"


class Bank(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")

    code: str = Field(pattern=r"^[a-z0-9]{2,20}$")
    bin: str = Field(pattern=r"^\d{6}$")
    short_name: str
    name: str


class BankDirectory(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")

    banks: tuple[Bank, ...]

    def by_bin(self, bank_bin: str) -> Bank:
        return self._find("bin", bank_bin)

    def by_code(self, code: str) -> Bank:
        return self._find("code", code.lower())

    def _find(self, attribute: str, value: str) -> Bank:
        for bank in self.banks:
            if getattr(bank, attribute) == value:
                return bank
        raise NotFoundError(f"Unknown bank {attribute} {value!r}", **{attribute: value})


@lru_cache(maxsize=1)
def bank_directory() -> BankDirectory:
    return BankDirectory.model_validate_json(BANKS_FILE.read_text(encoding="utf-8"))
