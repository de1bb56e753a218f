"""Whether an issuing department takes a dossier, and whether it collects the fee yet.

Only the facts submission needs: the department's state, the forms it may issue and the day
fee collection goes live. Dossiers submitted before that day skip the payment step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

STATES = frozenset({"pending", "sandbox", "live", "suspended"})


@dataclass(frozen=True)
class DepartmentStanding:
    code: str
    state: str
    allowed_forms: frozenset[str]
    fee_collection_live_from: date | None = None
    # The registry's full profile when the record has one (the fee account, for payments).
    profile: Any = field(default=None, compare=False)

    @classmethod
    def of(
        cls, code: str, attributes: Mapping[str, Any], profile: Any = None
    ) -> DepartmentStanding:
        """From the department record's attributes; an unknown state counts as pending."""
        state = str(attributes.get("state", "pending"))
        live_from = attributes.get("fee_collection_live_from")
        return cls(
            code=code,
            state=state if state in STATES else "pending",
            allowed_forms=frozenset(str(form) for form in attributes.get("allowed_forms") or ()),
            fee_collection_live_from=date.fromisoformat(str(live_from)) if live_from else None,
            profile=profile,
        )

    def collects_fees_on(self, day: date) -> bool:
        live_from = self.fee_collection_live_from
        return live_from is not None and live_from <= day
