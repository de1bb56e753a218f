import json

from typer.testing import CliRunner

from tools.stages import cli


def write_config(path, stages=None):
    path.write_text(json.dumps({"version": "2.0", "app_name": "coissuer", "stages": stages or {}}))


def test_adding_a_province_by_official_code_writes_its_stage(tmp_path):
    config = tmp_path / "config.json"
    write_config(config, {"local": {"environment_variables": {"STAGE": "local"}}})

    result = CliRunner().invoke(cli, ["add", "31", "--config", str(config)])

    stages = json.loads(config.read_text())["stages"]
    environment = stages["hai-phong"]["environment_variables"]
    assert result.exit_code == 0, result.output
    assert "local" in stages
    assert environment["TABLE_NAME"] == "coissuer-hai-phong"
    assert environment["DEPARTMENT_CODES"] == "HAI-PHONG"
    assert environment["DOSSIER_STATE_MACHINE"] == "coissuer-hai-phong-dossier"
    assert environment["BANK_CALLBACK_SECRET_NAME"] == "coissuer/hai-phong/bank-callback"


def test_adding_the_same_stage_twice_changes_nothing(tmp_path):
    config = tmp_path / "config.json"
    write_config(config)
    CliRunner().invoke(cli, ["add", "HAI-PHONG", "--config", str(config)])
    before = config.read_text()

    result = CliRunner().invoke(cli, ["add", "hai-phong", "--config", str(config)])

    assert "already up to date" in result.output
    assert config.read_text() == before


def test_a_different_existing_stage_is_kept_unless_replaced(tmp_path):
    config = tmp_path / "config.json"
    write_config(config)
    CliRunner().invoke(cli, ["add", "MOIT-XNK", "--config", str(config)])

    kept = CliRunner().invoke(
        cli, ["add", "MOIT-XNK", "--also-serves", "HA-NOI", "--config", str(config)]
    )
    replaced = CliRunner().invoke(
        cli, ["add", "MOIT-XNK", "--also-serves", "HA-NOI", "--replace", "--config", str(config)]
    )

    environment = json.loads(config.read_text())["stages"]["moit-xnk"]["environment_variables"]
    assert kept.exit_code == 1
    assert replaced.exit_code == 0
    assert environment["DEPARTMENT_CODES"] == "MOIT-XNK,HA-NOI"


def test_unknown_province_is_refused(tmp_path):
    config = tmp_path / "config.json"
    write_config(config)

    result = CliRunner().invoke(cli, ["add", "99", "--config", str(config)])

    assert result.exit_code == 1
    assert json.loads(config.read_text())["stages"] == {}
