"""Regenerate chalicelib/domain/data/provinces.json from the `vietnam-provinces` package.

The package (a development dependency) carries the 34 provincial-level units as they stand
after the 2025 merger, with their official codes; the runtime reads only the generated file,
which keeps the package out of the Lambda bundle. Run after upgrading the package:

    python -m tools.provinces
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

DATA_FILE = Path(__file__).resolve().parent.parent / "chalicelib/domain/data/provinces.json"

cli = typer.Typer(add_completion=False, help=__doc__)


def provinces_from_package() -> dict[str, object]:
    """The provincial-level units as the package defines them, in official-code order."""
    import vietnam_provinces
    from vietnam_provinces import Province

    units = [
        {
            "official_code": int(province.code),
            "name_vi": province.name,
            "codename": province.codename,
            "division_type": province.division_type.value,
            "phone_code": province.phone_code,
        }
        for province in sorted(Province.iter_all(), key=lambda unit: int(unit.code))
    ]
    return {
        "source": f"vietnam-provinces {vietnam_provinces.__version__}",
        "data_version": vietnam_provinces.__data_version__,
        "units": units,
    }


def render(document: dict[str, object]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


@cli.command()
def generate(
    check: Annotated[bool, typer.Option(help="Fail if the file is out of date")] = False,
) -> None:
    """Write the data file, or with --check only compare it."""
    expected = render(provinces_from_package())
    if check:
        if DATA_FILE.read_text(encoding="utf-8") != expected:
            typer.echo(f"{DATA_FILE} is out of date; run python -m tools.provinces")
            raise typer.Exit(1)
        return
    DATA_FILE.write_text(expected, encoding="utf-8")
    typer.echo(f"wrote {DATA_FILE}")


if __name__ == "__main__":
    cli()
