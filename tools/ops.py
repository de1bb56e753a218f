"""Operations command line for issuing departments.

Talks to the stage's table through the department service. Against the local stack set
AWS_ENDPOINT_URL (boto3 honours it); against AWS use the usual credentials. Examples:

    python -m tools.ops --table coissuer-local seed
    python -m tools.ops --table coissuer-local onboard HAI-PHONG details.json
    python -m tools.ops --table coissuer-local evidence HAI-PHONG legal_assignment \\
        --document-number 1234/QD-UBND --date 2025-07-01
    python -m tools.ops --table coissuer-local move HAI-PHONG sandbox
    python -m tools.ops --table coissuer-local readiness
    python -m tools.ops --table coissuer-local dead-letters --queue coissuer-local-statements
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import boto3
import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from chalicelib.adapters.department_store import DepartmentStore
from chalicelib.domain.departments import DepartmentDetails, DepartmentState, Gate
from chalicelib.domain.errors import CoissuerError
from chalicelib.services.departments import DepartmentService, EvidenceRecord, Readiness

cli = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
console = Console(width=160)
_state: dict[str, object] = {}


@cli.callback()
def connect(
    table: Annotated[str, typer.Option(envvar="TABLE_NAME", help="The stage's table")],
    actor: Annotated[str, typer.Option(envvar="COISSUER_ACTOR", help="Who acts, for the audit")],
    region: Annotated[str | None, typer.Option(envvar="AWS_DEFAULT_REGION")] = None,
) -> None:
    resource = boto3.resource("dynamodb", region_name=region)
    _state["service"] = DepartmentService(DepartmentStore(resource.Table(table)))
    _state["actor"] = actor


@cli.command()
def seed() -> None:
    """Store every issuer of the registry that is not stored yet, as pending."""
    added = _run(lambda service: service.seed_registry(_actor()))
    console.print(f"added {len(added)} departments: {', '.join(added) or 'none'}")


@cli.command()
def onboard(
    code: str, details_file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]
) -> None:
    """Create a department from the registry with the details in a JSON file, or update it."""
    details = _parse(lambda: DepartmentDetails.model_validate_json(details_file.read_bytes()))
    department = _run(lambda service: service.onboard(code, details, _actor()))
    console.print(f"{department.code} is {department.state} (version {department.version})")


@cli.command()
def evidence(
    code: str,
    gate: Gate,
    document_number: Annotated[str, typer.Option()],
    document_date: Annotated[datetime, typer.Option("--date", formats=["%Y-%m-%d"])],
    s3_key: Annotated[str | None, typer.Option(help="Key of the scanned document in S3")] = None,
) -> None:
    """Record the evidence that a readiness gate holds."""
    record = _parse(
        lambda: EvidenceRecord(
            document_number=document_number, document_date=document_date.date(), s3_key=s3_key
        )
    )
    department = _run(lambda service: service.record_evidence(code, gate, record, _actor()))
    status = "holds" if department.gate_holds(gate) else "recorded, but does not hold yet"
    console.print(f"{code} {gate.value}: {status}")
    for problem in department.gate_fact_problems(gate):
        console.print(f"  missing: {problem}")


@cli.command()
def move(
    code: str, state: DepartmentState, reason: Annotated[str | None, typer.Option()] = None
) -> None:
    """Move a department to another state; refused, naming the missing gates, unless ready."""
    department = _run(lambda service: service.move(code, state, _actor(), reason))
    console.print(f"{department.code} is {department.state}")


@cli.command()
def readiness() -> None:
    """All departments at a glance: state, each gate, and what the next move lacks."""
    rows = _run(lambda service: service.readiness())
    console.print(_readiness_table(rows))
    console.print("  ".join(f"{_short(gate)} = {gate.value}" for gate in Gate))


@cli.command()
def history(code: str) -> None:
    """The audit trail of one department."""
    events = _run(lambda service: service.history(code))
    table = Table("at", "actor", "action", "from", "to", "gate", "document", "reason")
    for event in events:
        table.add_row(
            event.at.isoformat(),
            event.actor,
            event.action,
            event.from_state or "",
            event.to_state or "",
            event.gate or "",
            event.document_number or "",
            event.reason or "",
        )
    console.print(table)


@cli.command(name="dead-letters")
def dead_letters(
    queue: Annotated[
        str, typer.Option(envvar="STATEMENTS_QUEUE_NAME", help="The stage's statements queue")
    ],
    region: Annotated[str | None, typer.Option(envvar="AWS_DEFAULT_REGION")] = None,
) -> None:
    """Statement files whose reconciliation kept failing, parked in the dead-letter queue.

    The messages stay where they are; once the cause is fixed, redrive them to the queue
    (`aws sqs start-message-move-task --source-arn <dead-letter queue ARN>`)."""
    parked = parked_statement_files(boto3.client("sqs", region_name=region), f"{queue}-dlq")
    table = Table("file", "deliveries", "first failed (UTC)")
    for key, deliveries, first_failed in parked:
        table.add_row(key, str(deliveries), first_failed)
    console.print(table)
    console.print(f"{len(parked)} statement file(s) parked in {queue}-dlq")


def parked_statement_files(sqs: Any, dead_letter_queue: str) -> list[tuple[str, int, str]]:
    """(S3 key, times received, when first sent) of each parked file, messages left in place."""
    url = sqs.get_queue_url(QueueName=dead_letter_queue)["QueueUrl"]
    seen: dict[str, tuple[str, int, str]] = {}
    handles: list[str] = []
    # Each batch is hidden while it is read, so the next receive returns the others; every
    # message is made visible again at the end.
    for _ in range(100):
        batch = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            VisibilityTimeout=60,
            AttributeNames=["ApproximateReceiveCount", "SentTimestamp"],
        ).get("Messages", [])
        if not batch:
            break
        for message in batch:
            handles.append(message["ReceiptHandle"])
            sent = datetime.fromtimestamp(int(message["Attributes"]["SentTimestamp"]) / 1000, UTC)
            for key in _statement_keys(message["Body"]):
                count = int(message["Attributes"]["ApproximateReceiveCount"])
                seen[message["MessageId"] + key] = (key, count, f"{sent:%Y-%m-%d %H:%M:%S}")
    for handle in handles:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)
    return sorted(seen.values())


def _statement_keys(body: str) -> list[str]:
    from urllib.parse import unquote_plus

    try:
        notification = json.loads(body)
    except json.JSONDecodeError:
        return [f"(not an S3 notification: {body[:60]})"]
    return [
        unquote_plus(record["s3"]["object"]["key"]) for record in notification.get("Records", [])
    ]


def _readiness_table(rows: list[Readiness]) -> Table:
    table = Table("code", "state", "issuer", *(_short(gate) for gate in Gate), "next: missing")
    for row in rows:
        marks = ["[green]yes[/]" if status.holds else "[red]no[/]" for status in row.gates]
        missing = ", ".join(gate.value for gate in row.missing_for_next) or "-"
        upcoming = f"{row.next_state}: {missing}" if row.next_state else "-"
        table.add_row(row.code, row.state.value, row.issuer_code, *marks, upcoming)
    return table


def _short(gate: Gate) -> str:
    return "".join(word[0] for word in gate.value.split("_")).upper()


def _actor() -> str:
    return str(_state["actor"])


def _run(action):  # type: ignore[no-untyped-def]
    service = _state["service"]
    try:
        return action(service)
    except CoissuerError as error:
        console.print(f"[red]refused:[/] {error.detail}")
        for key, value in error.context.items():
            console.print(f"  {key}: {json.dumps(value, default=str)}")
        raise typer.Exit(1) from error


def _parse(build):  # type: ignore[no-untyped-def]
    try:
        return build()
    except ValidationError as error:
        for problem in error.errors():
            location = "/".join(str(part) for part in problem["loc"])
            console.print(f"[red]invalid[/] /{location}: {problem['msg']}")
        raise typer.Exit(2) from error


if __name__ == "__main__":
    cli()
