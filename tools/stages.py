"""Per-province deployment stages in .chalice/config.json.

Each province (and the ministry) runs in its own stage: its own table, buckets, queue, state
machine and secrets, so one province's load or incident never touches another.

    python -m tools.stages add 31          # by official province code
    python -m tools.stages add HAI-PHONG   # or by department code
    python -m tools.stages list
"""

from __future__ import annotations

import json
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

APP_NAME = "coissuer"
CONFIG_FILE = Path(__file__).resolve().parent.parent / ".chalice" / "config.json"

cli = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)


def stage_environment(unit: RegistryUnit, served: list[str]) -> dict[str, str]:
    """The environment of the stage serving `unit`; resource names follow the stage name."""
    prefix = f"{APP_NAME}-{unit.stage_name}"
    return {
        "STAGE": unit.stage_name,
        "TABLE_NAME": prefix,
        "DOCUMENTS_BUCKET": f"{prefix}-documents",
        "STATEMENTS_BUCKET": f"{prefix}-statements",
        "STATEMENTS_QUEUE": f"{prefix}-statements",
        "DOSSIER_STATE_MACHINE": f"{prefix}-dossier",
        "DEPARTMENT_CODES": ",".join(served),
        "BANK_CALLBACK_SECRET_NAME": f"{APP_NAME}/{unit.stage_name}/bank-callback",
        "E_RECEIPT_SECRET_NAME": f"{APP_NAME}/{unit.stage_name}/e-receipt",
        "SIGNING_KEY_SECRET_NAME": f"{APP_NAME}/{unit.stage_name}/signing",
    }


def stage_config(unit: RegistryUnit, also_serves: list[str]) -> dict[str, Any]:
    served = [unit.code, *(registry_unit(code).code for code in also_serves)]
    return {
        "api_gateway_stage": "api",
        "environment_variables": stage_environment(unit, list(dict.fromkeys(served))),
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
    config: dict[str, Any], unit: RegistryUnit, also_serves: list[str], replace: bool = False
) -> bool:
    """Adds the unit's stage to `config`; False when an identical stage is already there."""
    stages = config.setdefault("stages", {})
    wanted = stage_config(unit, also_serves)
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
    also_serves: Annotated[
        list[str] | None, typer.Option("--also-serves", help="More department codes")
    ] = None,
    replace: Annotated[bool, typer.Option(help="Overwrite a different existing stage")] = False,
    config_file: Annotated[Path, typer.Option("--config")] = CONFIG_FILE,
) -> None:
    """Add the stage of one province (or the ministry) to .chalice/config.json."""
    try:
        unit = resolve(province)
        config = json.loads(config_file.read_text(encoding="utf-8"))
        changed = add_stage(config, unit, also_serves or [], replace)
    except (NotFoundError, ValueError) as error:
        typer.echo(f"refused: {error}", err=True)
        raise typer.Exit(1) from error
    if changed:
        config_file.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    typer.echo(f"stage {unit.stage_name}: {'added' if changed else 'already up to date'}")


@cli.command(name="list")
def list_stages(config_file: Annotated[Path, typer.Option("--config")] = CONFIG_FILE) -> None:
    """Stages in the config and the departments each serves."""
    config = json.loads(config_file.read_text(encoding="utf-8"))
    for name, stage in sorted(config.get("stages", {}).items()):
        served = stage.get("environment_variables", {}).get("DEPARTMENT_CODES", "")
        typer.echo(f"{name}\t{served}")


if __name__ == "__main__":
    cli()
