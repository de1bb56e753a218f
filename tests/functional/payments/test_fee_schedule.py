"""Operations enter a new circular's rate ahead of its day; orders from that day charge it."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from chalicelib.adapters.fee_schedule_store import TableFeeSchedule
from chalicelib.domain.fees import FeeKind
from chalicelib.services.payments import Payments
from tests.functional.payments.conftest import ACCOUNT, a_department
from tests.stack import Stack, json_body

NEW_RATE = {"amount_vnd": 80_000, "source": "Circular 12/2027/TT-BTC"}


def enter(stack: Stack, kind: str, day: str, body: object, role: str = "operations"):
    scope = {"department": "HAI-PHONG"} if role == "specialist" else {}
    headers = stack.auth(role, subject="ops-lan", **scope)
    return stack.http.put(f"/operations/fees/{kind}/{day}", headers=headers, body=json.dumps(body))


def schedule(stack: Stack, role: str = "operations") -> list[dict]:
    answer = stack.http.get("/operations/fees", headers=stack.auth(role, subject="ops-lan"))
    assert answer.status_code == 200, answer.body
    return json_body(answer)["rates"]


def test_the_schedule_shows_the_circular_36_rates_in_force(stack: Stack) -> None:
    rates = schedule(stack, role="auditor")

    assert [(r["kind"], r["amount_vnd"], r["in_force"], r["entered"]) for r in rates] == [
        ("issuance", 60_000, True, False),
        ("reissuance", 30_000, True, False),
    ]


def test_an_entered_rate_is_audited_and_takes_effect_on_its_day(stack: Stack, table) -> None:
    entered = enter(stack, "issuance", "2027-01-01", NEW_RATE)
    schedule_read_back = TableFeeSchedule(table).schedule()

    before = schedule_read_back.rate_for(FeeKind.ISSUANCE, date(2026, 12, 31))
    after = schedule_read_back.rate_for(FeeKind.ISSUANCE, date(2027, 1, 1))

    assert entered.status_code == 200, entered.body
    assert json_body(entered)["version"] == 1
    assert (before.amount_vnd, after.amount_vnd) == (60_000, 80_000)
    audit = table.query(
        KeyConditionExpression="PK = :pk AND begins_with(SK, :event)",
        ExpressionAttributeValues={":pk": "FEES", ":event": "EVENT#"},
    )["Items"]
    assert [(a["action"], a["entered_by"], a["amount_vnd"]) for a in audit] == [
        ("fee_rate_entered", "operations:ops-lan", 80_000)
    ]
    listed = {(r["effective_from"], r["amount_vnd"], r["in_force"]) for r in schedule(stack)}
    assert ("2027-01-01", 80_000, False) in listed


def test_orders_made_from_the_new_day_charge_the_new_rate(stack: Stack, store, bank_secrets, table):
    enter(stack, "issuance", "2027-01-01", NEW_RATE)
    payments = Payments(
        store=store, secrets=bank_secrets, workflow=None,  # type: ignore[arg-type]
        fee_schedule=TableFeeSchedule(table).schedule,
    )  # fmt: skip
    department = a_department("HN", ACCOUNT, date(2026, 1, 1))

    december = payments.create_payment_order(
        "D-DEC", "0101234567", department, FeeKind.ISSUANCE, datetime(2026, 12, 31, 9, tzinfo=UTC)
    )
    january = payments.create_payment_order(
        "D-JAN", "0101234567", department, FeeKind.ISSUANCE, datetime(2027, 1, 2, 9, tzinfo=UTC)
    )

    assert december is not None and january is not None
    assert (december.amount_vnd, january.amount_vnd) == (60_000, 80_000)


def test_a_rate_for_today_is_refused_and_nothing_is_written(stack: Stack, table) -> None:
    today = stack.clock.now.date().isoformat()

    refused = enter(stack, "issuance", today, NEW_RATE)

    assert refused.status_code == 422
    assert json_body(refused)["title"]
    written = table.query(
        KeyConditionExpression="PK = :pk", ExpressionAttributeValues={":pk": "FEES"}
    )
    assert written["Items"] == []


def test_a_correction_before_the_day_replaces_the_entered_rate(stack: Stack) -> None:
    enter(stack, "issuance", "2027-01-01", NEW_RATE)

    corrected = enter(stack, "issuance", "2027-01-01", NEW_RATE | {"amount_vnd": 70_000})

    assert json_body(corrected)["version"] == 2
    entered = [r for r in schedule(stack) if r["entered"]]
    assert [(r["amount_vnd"], r["version"]) for r in entered] == [(70_000, 2)]


def test_bad_rate_requests_are_refused_by_field(stack: Stack) -> None:
    unknown_kind = enter(stack, "refund", "2027-01-01", NEW_RATE)
    bad_day = enter(stack, "issuance", "2027-13-01", NEW_RATE)
    extra_field = enter(stack, "issuance", "2027-01-01", NEW_RATE | {"currency": "USD"})
    zero = enter(stack, "issuance", "2027-01-01", NEW_RATE | {"amount_vnd": 0})
    by_specialist = enter(stack, "issuance", "2027-01-01", NEW_RATE, role="specialist")

    assert [r.status_code for r in (unknown_kind, bad_day, extra_field, zero)] == [422] * 4
    pointers = [json_body(r)["errors"][0]["pointer"] for r in (unknown_kind, bad_day)]
    assert pointers == ["/path/kind", "/path/effective_from"]
    assert by_specialist.status_code == 403
