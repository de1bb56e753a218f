"""docs/cost.md quotes the AWS requests of one C/O; they are counted again here, in process."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench.bench_requests import (
    AwsCalls,
    count_lifecycle,
    count_reconciliation,
)
from tests.stack import Stack

COST_PAGE = Path(__file__).resolve().parents[2] / "docs" / "cost.md"
SERVICE_ROW = re.compile(
    r"^\| `(?P<service>[a-z0-9]+)` requests \| (?P<total>\d+) \| (?P<ops>.*) \|$"
)
PLAIN_ROW = re.compile(r"^\| (?P<what>[^|`]+?) \| (?P<count>[\d,]+) \|[^|]*\|$")


def quoted_table(heading: str) -> tuple[dict[str, tuple[int, dict[str, int]]], dict[str, int]]:
    """The counted table under `heading`: per-service totals and operations, other counts."""
    section = COST_PAGE.read_text(encoding="utf-8").split(f"## {heading}\n", 1)[1]
    section = section.split("\n## ", 1)[0]
    services: dict[str, tuple[int, dict[str, int]]] = {}
    others: dict[str, int] = {}
    for line in section.splitlines():
        if match := SERVICE_ROW.match(line):
            operations = {
                name: int(number) for name, number in re.findall(r"([A-Za-z]+) (\d+)", match["ops"])
            }
            services[match["service"]] = (int(match["total"]), operations)
        elif match := PLAIN_ROW.match(line):
            others[match["what"]] = int(match["count"].replace(",", ""))
    return services, others


def counted(aws: AwsCalls) -> dict[str, tuple[int, dict[str, int]]]:
    return {
        service: (total, aws.operations(service)) for service, total in aws.by_service().items()
    }


def test_the_cost_page_quotes_the_aws_requests_one_issued_certificate_makes(
    stack: Stack,
) -> None:
    # given the figures the cost page quotes for one lifecycle
    services, others = quoted_table("Counted: one C/O, approved at first review")

    # when one sample dossier goes from draft to issued, its AWS calls counted
    lifecycle = count_lifecycle(stack)

    # then every service's requests, by operation, are the ones quoted
    assert counted(lifecycle.aws) == services
    assert others["API calls"] == lifecycle.api_calls
    assert others["state transitions (one execution)"] == lifecycle.transitions
    assert others["Lambda invocations by the state machine (Task states)"] == lifecycle.tasks
    # and the bytes logged are those quoted, give or take what varies between runs
    assert lifecycle.logs.bytes == pytest.approx(others["bytes logged by the app"], rel=0.15)


def test_the_cost_page_quotes_the_requests_of_reconciling_a_statement_whatever_its_length(
    stack: Stack,
) -> None:
    # given the figures the cost page quotes for one statement file
    services, others = quoted_table("Counted: reconciling a day's statement")
    count_lifecycle(stack)  # the department and trader the statement's payments belong to

    # when a file of one line and a file of twenty are reconciled
    files = [count_reconciliation(stack, 1, 1), count_reconciliation(stack, 20, 2)]

    # then each was reconciled with the quoted requests, none of them per line
    assert [file.status for file in files] == ["reconciled", "reconciled"]
    assert [counted(file.aws) for file in files] == [services, services]
    for file in files:
        assert file.logs.bytes == pytest.approx(others["bytes logged by the app"], rel=0.15)
