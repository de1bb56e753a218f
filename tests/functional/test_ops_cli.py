import json

import pytest
from typer.testing import CliRunner

from chalicelib.domain.departments import ALL_GATES, GATES_FOR_MOVE, DepartmentState
from tests.functional.department_table import department_table
from tests.unit.department_examples import full_details
from tools.ops import cli


@pytest.fixture
def table():
    yield from department_table()


@pytest.fixture
def ops(table, monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-southeast-1")
    runner = CliRunner()

    def run(*arguments: str):
        return runner.invoke(cli, ["--table", table.name, "--actor", "ops.lan", *arguments])

    return run


@pytest.fixture
def details_file(tmp_path):
    path = tmp_path / "hai-phong.json"
    path.write_text(full_details().model_dump_json())
    return path


def test_department_goes_from_pending_to_live_through_the_command_line(ops, details_file):
    assert ops("seed").exit_code == 0
    assert ops("onboard", "HAI-PHONG", str(details_file)).exit_code == 0

    refused = ops("move", "HAI-PHONG", "sandbox")
    for gate in ALL_GATES:
        recorded = ops(
            "evidence",
            "HAI-PHONG",
            gate.value,
            "--document-number",
            "12/QD",
            "--date",
            "2026-08-01",
        )
        assert recorded.exit_code == 0, recorded.output
    to_sandbox = ops("move", "HAI-PHONG", "sandbox")
    to_live = ops("move", "HAI-PHONG", "live")
    overview = ops("readiness")

    assert refused.exit_code == 1
    assert "legal_assignment" in refused.output
    assert "director_authorisation" in refused.output
    assert "HAI-PHONG is sandbox" in to_sandbox.output
    assert "HAI-PHONG is live" in to_live.output
    assert overview.exit_code == 0
    assert "HAI-PHONG" in overview.output and "CA-MAU" in overview.output
    history = ops("history", "HAI-PHONG")
    assert history.output.count("state_moved") == 2


def test_invalid_details_file_is_reported_by_field(ops, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"tax_code": "12"}))

    result = ops("onboard", "HAI-PHONG", str(bad))

    assert result.exit_code == 2
    assert "/tax_code" in result.output


@pytest.mark.parametrize("missing", ALL_GATES, ids=lambda gate: gate.value)
def test_going_live_is_refused_naming_the_one_gate_without_evidence(ops, details_file, missing):
    ops("seed")
    ops("onboard", "HAI-PHONG", str(details_file))
    for gate in ALL_GATES:
        if gate is not missing:
            ops("evidence", "HAI-PHONG", gate.value, "--document-number", "7/QD", "--date",
                "2026-08-01")  # fmt: skip
    target = "live"
    if missing in GATES_FOR_MOVE[(DepartmentState.PENDING, DepartmentState.SANDBOX)]:
        target = "sandbox"
    else:
        assert ops("move", "HAI-PHONG", "sandbox").exit_code == 0
    moves_before = ops("history", "HAI-PHONG").output.count("state_moved")

    refused = ops("move", "HAI-PHONG", target)

    assert refused.exit_code == 1
    assert [gate.value for gate in ALL_GATES if gate.value in refused.output] == [missing.value]
    assert ops("history", "HAI-PHONG").output.count("state_moved") == moves_before
