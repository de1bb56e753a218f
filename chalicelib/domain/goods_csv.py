"""Goods lines from a CSV file, one line per row, with a report of every bad row.

Columns (header row required, names as below, order free): hs_code, description, packages,
marks_and_numbers, quantity, unit, gross_weight_kg, fob_amount, fob_currency,
origin_criterion. Empty optional cells are left out. Problems point at
`/rows/{row number as counted in the file}/{column}`.
"""

from __future__ import annotations

import csv
import io

from pydantic import ValidationError

from chalicelib.domain.dossiers import MAX_LINES, GoodsLine, line_problems
from chalicelib.domain.errors import FieldProblem
from chalicelib.domain.field_problems import json_pointer
from chalicelib.domain.forms import Form

MAX_CSV_BYTES = 2 * 1024 * 1024
REQUIRED_COLUMNS = ("hs_code", "description", "packages", "quantity", "unit")
OPTIONAL_COLUMNS = (
    "marks_and_numbers",
    "gross_weight_kg",
    "fob_amount",
    "fob_currency",
    "origin_criterion",
)
# Where a model field's error lands in the file.
_COLUMN_OF: dict[tuple[int | str, ...], str] = {
    ("quantity", "value"): "quantity",
    ("quantity", "unit"): "unit",
    ("fob_value", "amount"): "fob_amount",
    ("fob_value", "currency"): "fob_currency",
}


def parse_goods_csv(text: str, form: Form) -> tuple[list[GoodsLine], list[FieldProblem]]:
    """All the lines, or the problems of every bad row (then no line should be kept)."""
    if len(text.encode("utf-8")) > MAX_CSV_BYTES:
        return [], [FieldProblem("/csv", "the file is larger than 2 MB")]

    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
    header_problems = _header_problems(list(reader.fieldnames or []))
    if header_problems:
        return [], header_problems

    lines: list[GoodsLine] = []
    problems: list[FieldProblem] = []
    for row_number, row in enumerate(reader, start=2):
        line, row_problems = _parse_row(row, row_number, form, len(lines))
        problems.extend(row_problems)
        if line is not None:
            lines.append(line)
    if not lines and not problems:
        problems.append(FieldProblem("/csv", "the file has no goods rows"))
    if len(lines) > MAX_LINES:
        problems.append(FieldProblem("/csv", f"at most {MAX_LINES} goods lines per dossier"))
    return lines, problems


def _header_problems(columns: list[str]) -> list[FieldProblem]:
    known = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    unknown = [c for c in columns if c not in known]
    problems = [FieldProblem("/rows/1", f"missing column {c}") for c in missing]
    problems += [FieldProblem("/rows/1", f"unknown column {c}") for c in unknown]
    return problems


def _parse_row(
    row: dict[str, str | None], row_number: int, form: Form, index: int
) -> tuple[GoodsLine | None, list[FieldProblem]]:
    cells = {k: (v or "").strip() for k, v in row.items() if k is not None}
    payload: dict[str, object] = {
        "hs_code": cells["hs_code"],
        "description": cells["description"],
        "packages": cells["packages"],
        "marks_and_numbers": cells.get("marks_and_numbers", ""),
        "quantity": {"value": cells["quantity"], "unit": cells["unit"]},
    }
    for column, field in (
        ("gross_weight_kg", "gross_weight_kg"),
        ("origin_criterion", "origin_criterion"),
    ):
        if cells.get(column):
            payload[field] = cells[column]
    if cells.get("fob_amount") or cells.get("fob_currency"):
        payload["fob_value"] = {
            "amount": cells.get("fob_amount"),
            "currency": cells.get("fob_currency"),
        }

    try:
        line = GoodsLine.model_validate(payload)
    except ValidationError as exc:
        return None, [
            _row_problem(row_number, error["loc"], error["msg"]) for error in exc.errors()
        ]

    rule_problems = [
        FieldProblem(json_pointer("rows", row_number, p.pointer.rsplit("/", 1)[-1]), p.message)
        for p in line_problems(form, line, index)
    ]
    return (None if rule_problems else line), rule_problems


def _row_problem(row_number: int, loc: tuple[int | str, ...], message: str) -> FieldProblem:
    column = _COLUMN_OF.get(tuple(loc[:2]), str(loc[0]) if loc else "")
    if column == "fob_value":
        column = "fob_amount"
    return FieldProblem(json_pointer("rows", row_number, column), message)
