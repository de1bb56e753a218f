"""Running a creating request at most once per Idempotency-Key."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from chalicelib.adapters.idempotency_store import IdempotencyStore, StoredResponse
from chalicelib.domain.errors import CoissuerError


def request_hash(method: str, path: str, body: Any) -> str:
    canonical = json.dumps([method, path, body], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def run_once(
    store: IdempotencyStore,
    principal: str,
    key: str | None,
    fingerprint: str,
    now: datetime,
    action: Callable[[], StoredResponse],
) -> StoredResponse:
    """The first response under `key` (for 24 h); without a key the action just runs."""
    if not key:
        return action()
    earlier = store.claim(principal, key, fingerprint, now)
    if earlier is not None:
        return earlier

    try:
        response = action()
    except CoissuerError:
        # A refused request wrote nothing, so a corrected retry with the same key may run.
        store.release(principal, key)
        raise
    store.complete(principal, key, response)
    return response
