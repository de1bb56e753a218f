"""Operations' command-line view of a day's reconciliation, read over the HTTP API.

python -m tools.reconciliation_view HP 2026-12-02                 # local stack, local token
python -m tools.reconciliation_view HP 2026-12-02 --all           # every row, not only issues
python -m tools.reconciliation_view HP 2026-12-02 --api https://... --token "$TOKEN"
"""

from __future__ import annotations

import csv
import io
import json
import urllib.error
import urllib.request
from collections import Counter
from typing import Any

import typer

from tools.local_stack import ROOT

cli = typer.Typer(add_completion=False, help="A day's reconciliation for one department")
QUIET_OUTCOMES = {"matched", "other_debit"}


def _get(api: str, path: str, token: str) -> bytes:
    request = urllib.request.Request(
        f"{api.rstrip('/')}{path}", headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.read()
    except urllib.error.HTTPError as error:
        problem = error.read().decode("utf-8", "replace")
        typer.echo(f"{error.code} from {path}: {problem}", err=True)
        raise typer.Exit(1) from error


def _local_token() -> str:
    from tools.local_issuer import LocalIssuer

    return LocalIssuer(ROOT / ".local" / "issuer").token("operations", subject="cli")


def render(day: dict[str, Any], rows: list[dict[str, str]], show_all: bool) -> str:
    """The text shown to operations: files, counts per outcome, then the rows to act on."""
    lines = [f"Reconciliation of {day['department']} for {day['day']}"]
    for item in day["files"]:
        lines.append(
            f"  file {item['file_hash'][:12]}  {item['status']}  seq {item['sequence_number']}"
        )
    counts = Counter(row["outcome"] for row in rows)
    lines.append(
        "Outcomes: " + ", ".join(f"{name} {count}" for name, count in sorted(counts.items()))
    )
    shown = [row for row in rows if show_all or row["outcome"] not in QUIET_OUTCOMES]
    if shown:
        lines.append(
            f"{'reference':<13} {'outcome':<26} {'statement':>10} {'recorded':>10}  detail"
        )
    for row in shown:
        lines.append(
            f"{row['payment_reference'] or '-':<13} {row['outcome']:<26}"
            f" {row['statement_amount']:>10} {row['recorded_amount']:>10}  {row['detail']}"
        )
    return "\n".join(lines)


@cli.command()
def show(
    department: str,
    day: str,
    api: str = typer.Option("http://127.0.0.1:8000", help="the stage's API base URL"),
    token: str = typer.Option("", envvar="COISSUER_TOKEN", help="an operations token"),
    show_all: bool = typer.Option(False, "--all", help="list matched rows too"),
) -> None:
    bearer = token or _local_token()
    summary = json.loads(_get(api, f"/operations/reconciliation/{department}/{day}", bearer))
    if not summary["files"]:
        typer.echo(f"No statement reconciled for {department} on {day}.")
        raise typer.Exit(1)
    report = _get(api, f"/operations/reconciliation/{department}/{day}/report?format=csv", bearer)
    rows = list(csv.DictReader(io.StringIO(report.decode("utf-8"))))
    typer.echo(render(summary, rows, show_all))


if __name__ == "__main__":
    cli()
