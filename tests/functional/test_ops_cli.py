import json

import pytest
from typer.testing import CliRunner

from chalicelib.domain.departments import ALL_GATES
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
