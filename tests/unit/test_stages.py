import json

from typer.testing import CliRunner

from tools.stages import cli

DEPLOYMENT = {
    "COISSUER_ACCOUNT_ID": "210987654321",
    "COISSUER_USER_POOL_ID": "ap-southeast-1_AbCdEf123",
    "COISSUER_PUBLIC_DOMAIN": "co.example.vn",
    "COISSUER_MAIL_SENDER": "no-reply@co.example.vn",
    "COISSUER_TSA_URL": "https://tsa.example.vn/tsr",
    "AWS_DEFAULT_REGION": "ap-southeast-1",
}


APP_CLIENT = "4lq2example7cognitoclient"


def invoke(*arguments: str, app_client: str | None = APP_CLIENT):
    client = ["--app-client-id", app_client] if app_client else []
    return CliRunner(env=DEPLOYMENT).invoke(cli, [*arguments, *client])


def write_config(path, stages=None):
    path.write_text(json.dumps({"version": "2.0", "app_name": "coissuer", "stages": stages or {}}))


def test_adding_a_province_by_official_code_writes_its_stage(tmp_path):
    config = tmp_path / "config.json"
    write_config(config, {"local": {"environment_variables": {"STAGE": "local"}}})

    result = invoke("add", "31", "--config", str(config))

    stages = json.loads(config.read_text())["stages"]
    environment = stages["hai-phong"]["environment_variables"]
    assert result.exit_code == 0, result.output
    assert "local" in stages
    assert environment["TABLE_NAME"] == "coissuer-hai-phong"
    assert environment["DEPARTMENT_CODES"] == "HAI-PHONG"
    assert environment["DOSSIER_STATE_MACHINE_ARN"] == (
        "arn:aws:states:ap-southeast-1:210987654321:stateMachine:coissuer-hai-phong-dossier"
    )
    assert environment["STATEMENTS_QUEUE_NAME"] == "coissuer-hai-phong-statements"
    assert environment["BANK_SECRET_PREFIX"] == "coissuer/hai-phong/bank/"
    assert environment["PUBLIC_BASE_URL"] == "https://hai-phong.co.example.vn"
    assert environment["JWKS_URL"].startswith("https://cognito-idp.ap-southeast-1.amazonaws.com/")


def test_adding_the_same_stage_twice_changes_nothing(tmp_path):
    config = tmp_path / "config.json"
    write_config(config)
    invoke("add", "HAI-PHONG", "--config", str(config))
    before = config.read_text()

    result = invoke("add", "hai-phong", "--config", str(config))

    assert "already up to date" in result.output
    assert config.read_text() == before


def test_a_different_existing_stage_is_kept_unless_replaced(tmp_path):
    config = tmp_path / "config.json"
    write_config(config)
    invoke("add", "MOIT-XNK", "--config", str(config))

    kept = invoke("add", "MOIT-XNK", "--also-serves", "HA-NOI", "--config", str(config))
    replaced = invoke(
        "add", "MOIT-XNK", "--also-serves", "HA-NOI", "--replace", "--config", str(config)
    )

    environment = json.loads(config.read_text())["stages"]["moit-xnk"]["environment_variables"]
    assert kept.exit_code == 1
    assert replaced.exit_code == 0
    assert environment["DEPARTMENT_CODES"] == "MOIT-XNK,HA-NOI"


def test_unknown_province_is_refused(tmp_path):
    config = tmp_path / "config.json"
    write_config(config)

    result = invoke("add", "99", "--config", str(config))

    assert result.exit_code == 1
    assert json.loads(config.read_text())["stages"] == {}


def test_each_stage_checks_tokens_for_the_app_client_it_is_given(tmp_path):
    config = tmp_path / "config.json"
    write_config(config)

    invoke("add", "31", "--config", str(config), app_client="hai-phong-client")
    invoke("add", "HA-NOI", "--config", str(config), app_client="ha-noi-client")

    stages = json.loads(config.read_text())["stages"]
    assert stages["hai-phong"]["environment_variables"]["JWT_AUDIENCE"] == "hai-phong-client"
    assert stages["ha-noi"]["environment_variables"]["JWT_AUDIENCE"] == "ha-noi-client"


def test_a_stage_is_not_added_without_its_app_client(tmp_path):
    config = tmp_path / "config.json"
    write_config(config)

    result = invoke("add", "31", "--config", str(config), app_client=None)

    assert result.exit_code != 0
    assert json.loads(config.read_text())["stages"] == {}
