"""Per-province deployment stages in .chalice/config.json.

Each province (and the ministry) runs in its own stage: its own table, buckets, queue, state
machine and secrets, so one province's load or incident never touches another.

    python -m tools.stages add 31 --app-client-id ID         # by official province code
    python -m tools.stages add HAI-PHONG --app-client-id ID  # or by department code
    python -m tools.stages list
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from chalicelib.domain.errors import NotFoundError
from chalicelib.domain.registry import (
    RegistryUnit,
    registry_unit,
    registry_unit_for_province,
    registry_units,
)
from tools.package_lint import name_resources_after_stage

APP_NAME = "coissuer"
ROOT = Path(__file__).resolve().parent.parent
CONFIG_FILE = ROOT / ".chalice" / "config.json"
PROJECT_PARTS = ("app.py", "chalicelib", "requirements.txt", ".chalice", "infra", "state_machines")

cli = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)


@dataclass(frozen=True)
class Deployment:
    """What every province stage shares: the AWS account and national services."""

    account_id: str
    region: str
    user_pool_id: str
    public_domain: str
    mail_sender: str
    timestamp_authority_url: str


# The placeholder a packaging check uses; a real stage names its own Cognito app client.
EXAMPLE_APP_CLIENT_ID = "example-app-client-id"
EXAMPLE_DEPLOYMENT = Deployment(
    account_id="123456789012",
    region="ap-southeast-1",
    user_pool_id="ap-southeast-1_Example1",
    public_domain="coissuer.example.vn",
    mail_sender="no-reply@coissuer.example.vn",
    timestamp_authority_url="https://tsa.example.vn/tsr",
)


def stage_environment(
    unit: RegistryUnit, served: list[str], deployment: Deployment, app_client_id: str
) -> dict[str, str]:
    """The environment of the stage serving `unit`; resource names follow the stage name as
    `infra/resources.json` derives them. Tokens must be ID tokens of the stage's own Cognito
    app client: their `aud` is that client's id."""
    stage = unit.stage_name
    prefix = f"{APP_NAME}-{stage}"
    issuer = f"https://cognito-idp.{deployment.region}.amazonaws.com/{deployment.user_pool_id}"
    return {
        "STAGE": stage,
        "TABLE_NAME": prefix,
        "DOCUMENTS_BUCKET": f"{prefix}-documents",
        "STATEMENTS_BUCKET": f"{prefix}-statements",
        "STATEMENTS_QUEUE_NAME": f"{prefix}-statements",
        "DOSSIER_STATE_MACHINE_ARN": (
            f"arn:aws:states:{deployment.region}:{deployment.account_id}"
            f":stateMachine:{prefix}-dossier"
        ),
        "JWT_ISSUER": issuer,
        "JWT_AUDIENCE": app_client_id,
        "JWKS_URL": f"{issuer}/.well-known/jwks.json",
        "BANK_SECRET_PREFIX": f"{APP_NAME}/{stage}/bank/",
        "SIGNING_SECRET_NAME": f"{APP_NAME}/{stage}/sandbox-signing",
        "SIGNING_KMS_KEY_ID": f"alias/{prefix}-signing",
        "SANDBOX_SIGNING_SECRET_NAME": f"{APP_NAME}/{stage}/sandbox-test-signing",
        "TIMESTAMP_AUTHORITY_URL": deployment.timestamp_authority_url,
        "PUBLIC_BASE_URL": f"https://{stage}.{deployment.public_domain}",
        "MAIL_SENDER": deployment.mail_sender,
        "DEPARTMENT_CODES": ",".join(served),
    }


def stage_config(
    unit: RegistryUnit, also_serves: list[str], deployment: Deployment, app_client_id: str
) -> dict[str, Any]:
    served = list(dict.fromkeys([unit.code, *(registry_unit(c).code for c in also_serves)]))
    return {
        "api_gateway_stage": "api",
        "environment_variables": stage_environment(unit, served, deployment, app_client_id),
        "lambda_functions": LAMBDA_FUNCTIONS,
    }


# Functions that need more than the stage's defaults. A million-line statement takes about a
# minute on one core; the statements queue's visibility timeout (900 s) stays at least six
# times the reconcile function's timeout, as SQS event sources need.
LAMBDA_FUNCTIONS: dict[str, dict[str, int]] = {
    "sign_certificate": {"lambda_memory_size": 1024, "lambda_timeout": 60},
    "render_certificate": {"lambda_memory_size": 1024, "lambda_timeout": 60},
    "reconcile_statements": {"lambda_memory_size": 1769, "lambda_timeout": 150},
}


def resolve(province: str) -> RegistryUnit:
    """A registry unit by official province code, department code or stage name."""
    if province.isdigit():
        return registry_unit_for_province(int(province))
    for unit in registry_units():
        if province in (unit.code, unit.stage_name):
            return unit
    raise NotFoundError(f"No province or department {province}")


def add_stage(
    config: dict[str, Any],
    unit: RegistryUnit,
    deployment: Deployment,
    also_serves: list[str],
    app_client_id: str,
    replace: bool = False,
) -> bool:
    """Adds the unit's stage to `config`; False when an identical stage is already there."""
    stages = config.setdefault("stages", {})
    wanted = stage_config(unit, also_serves, deployment, app_client_id)
    existing = stages.get(unit.stage_name)
    if existing == wanted:
        return False
    if existing is not None and not replace:
        raise ValueError(f"stage {unit.stage_name} exists with other settings; use --replace")
    stages[unit.stage_name] = wanted
    return True


@cli.command()
def add(
    province: Annotated[str, typer.Argument(help="Official code, department code or stage")],
    account_id: Annotated[str, typer.Option(envvar="COISSUER_ACCOUNT_ID")],
    user_pool_id: Annotated[str, typer.Option(envvar="COISSUER_USER_POOL_ID")],
    public_domain: Annotated[str, typer.Option(envvar="COISSUER_PUBLIC_DOMAIN")],
    mail_sender: Annotated[str, typer.Option(envvar="COISSUER_MAIL_SENDER")],
    tsa_url: Annotated[str, typer.Option(envvar="COISSUER_TSA_URL")],
    app_client_id: Annotated[
        str, typer.Option(help="The stage's Cognito app client id: the tokens' audience")
    ],
    region: Annotated[str, typer.Option(envvar="AWS_DEFAULT_REGION")] = "ap-southeast-1",
    also_serves: Annotated[
        list[str] | None, typer.Option("--also-serves", help="More department codes")
    ] = None,
    replace: Annotated[bool, typer.Option(help="Overwrite a different existing stage")] = False,
    config_file: Annotated[Path, typer.Option("--config")] = CONFIG_FILE,
) -> None:
    """Add the stage of one province (or the ministry) to .chalice/config.json."""
    deployment = Deployment(account_id, region, user_pool_id, public_domain, mail_sender, tsa_url)
    try:
        unit = resolve(province)
        config = json.loads(config_file.read_text(encoding="utf-8"))
        changed = add_stage(config, unit, deployment, also_serves or [], app_client_id, replace)
    except (NotFoundError, ValueError) as error:
        typer.echo(f"refused: {error}", err=True)
        raise typer.Exit(1) from error
    if changed:
        config_file.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    typer.echo(f"stage {unit.stage_name}: {'added' if changed else 'already up to date'}")


@cli.command(name="check-package")
def check_package(
    province: Annotated[str, typer.Argument(help="Official code, department code or stage")],
) -> None:
    """Package a generated stage in a scratch copy of the project and cfn-lint the template.

    Needs the package registry (chalice fetches Lambda wheels) and takes minutes."""
    unit = resolve(province)
    with tempfile.TemporaryDirectory() as scratch:
        template = package_generated_stage(unit, EXAMPLE_DEPLOYMENT, Path(scratch))
        lint = subprocess.run([_tool("cfn-lint"), str(template)], check=False)
    typer.echo(f"cfn-lint {unit.stage_name}: {'clean' if lint.returncode == 0 else 'FAILED'}")
    raise typer.Exit(lint.returncode)


def package_generated_stage(unit: RegistryUnit, deployment: Deployment, scratch: Path) -> Path:
    """`chalice package` of the unit's generated stage, with `infra/` merged; the template."""
    project = scratch / "project"
    project.mkdir()
    skipped = shutil.ignore_patterns("__pycache__", "deployments", "venv")
    for part in PROJECT_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, project / part, ignore=skipped)
        else:
            shutil.copy2(source, project / part)
    config_file = project / ".chalice" / "config.json"
    config = json.loads(config_file.read_text(encoding="utf-8"))
    add_stage(config, unit, deployment, [], EXAMPLE_APP_CLIENT_ID, replace=True)
    config_file.write_text(json.dumps(config, indent=2), encoding="utf-8")
    environment = {
        **os.environ,
        **config["environment_variables"],
        **stage_environment(unit, [unit.code], deployment, EXAMPLE_APP_CLIENT_ID),
        "AWS_DEFAULT_REGION": deployment.region,
    }
    out = project / "build" / unit.stage_name  # two levels down, as DefinitionUri expects
    command = [_tool("chalice"), "package", "--stage", unit.stage_name]
    command += ["--merge-template", "infra/resources.json", str(out)]
    subprocess.run(command, cwd=project, env=environment, check=True)
    return name_resources_after_stage(out / "sam.json", unit.stage_name)


def _tool(name: str) -> str:
    return str(Path(sys.executable).parent / name)


@cli.command(name="list")
def list_stages(config_file: Annotated[Path, typer.Option("--config")] = CONFIG_FILE) -> None:
    """Stages in the config and the departments each serves."""
    config = json.loads(config_file.read_text(encoding="utf-8"))
    for name, stage in sorted(config.get("stages", {}).items()):
        served = stage.get("environment_variables", {}).get("DEPARTMENT_CODES", "")
        typer.echo(f"{name}\t{served}")


if __name__ == "__main__":
    cli()
