"""An unknown time zone in a department's working hours is a field problem, not a crash."""

from __future__ import annotations

import json

import pytest

from tests.stack import Stack, json_body


@pytest.mark.parametrize("timezone", ["Asia/Atlantis", "../../etc/passwd", "\u00e5\u0086"])
def test_an_unknown_time_zone_is_refused_with_a_pointer(stack: Stack, timezone: str) -> None:
    body = {
        "working_hours": {
            "timezone": timezone,
            "weekdays": [0, 1, 2, 3, 4],
            "periods": [{"start": "08:00:00", "end": "17:00:00"}],
        }
    }

    response = stack.http.put(
        "/operations/departments/DAK-LAK",
        headers=stack.auth("operations"),
        body=json.dumps(body),
    )

    assert response.status_code == 422
    pointers = [problem["pointer"] for problem in json_body(response)["errors"]]
    assert "/working_hours/timezone" in pointers
