"""Who is calling: roles and scopes carried by the caller's token."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    EXPORTER = "exporter"
    SPECIALIST = "specialist"
    LEADER = "leader"
    OPERATIONS = "operations"
    AUDITOR = "auditor"


@dataclass(frozen=True)
class Principal:
    """An authenticated caller. Exporters are scoped to a tax code, staff to a department."""

    subject: str
    role: Role
    tax_code: str | None = None
    department: str | None = None
    name: str = ""
    test_trader: bool = False

    @property
    def actor(self) -> str:
        """How the caller is named in audit history."""
        return f"{self.role.value}:{self.subject}"


@dataclass(frozen=True)
class Access:
    """Who may call a route: the public, a bank (by signature), or a set of roles."""

    roles: frozenset[Role] = frozenset()
    public: bool = False
    bank: bool = False

    @classmethod
    def only(cls, *roles: Role) -> Access:
        return cls(roles=frozenset(roles))

    def admits(self, role: Role) -> bool:
        return self.public or role in self.roles


PUBLIC = Access(public=True)
BANK = Access(bank=True)
STAFF_READ = Access.only(Role.SPECIALIST, Role.LEADER, Role.OPERATIONS, Role.AUDITOR)
