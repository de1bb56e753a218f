"""The route benchmark reaches every route of the app on the outcome its table names."""

from __future__ import annotations

from bench.bench_routes import Bench, run_all
from tests.stack import Stack


def test_the_route_benchmark_measures_every_route_with_the_status_its_note_promises(
    stack: Stack,
) -> None:
    # given the benchmark on the stack, one run of each measurement
    bench = Bench(stack, runs=1)

    # when it measures the app's routes
    unmeasured = run_all(bench)

    # then no route is left out, and each row answered as its note says: 404 where the note
    # names it, success everywhere else (the state-changing routes on fresh dossiers)
    assert unmeasured == []
    answered = {f"{row.method} {row.path} ({row.note})": set(row.statuses) for row in bench.results}
    wrong = {
        row: codes
        for row, codes in answered.items()
        if codes != ({404} if "404" in row else codes - {code for code in codes if code >= 300})
    }
    assert wrong == {}
    succeeded = {(row.method, row.path) for row in bench.results if max(row.statuses) < 300}
    assert {
        ("GET", "/verify/{reference}"),
        ("POST", "/verify/hash"),
        ("GET", "/operations/reconciliation/{department}/{day}/report"),
    } <= succeeded
