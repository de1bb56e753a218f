"""`make bench`: run every benchmark in bench/ and write bench/RESULTS.md.

    python -m bench            # everything, reconciliation up to a million lines
    python -m bench --quick    # fewer runs, reconciliation up to 100,000 lines

Each benchmark runs as its own process (as `python -m bench.NAME ...`); its printed figures
go into the report unchanged, under the command that produced them, with the machine they
were measured on. A benchmark that fails is reported as failed with its last output lines,
and the exit status is non-zero.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"


def plan(quick: bool) -> list[tuple[str, str, list[str]]]:
    """(title, what it measures, arguments of `python -m`) for each benchmark."""
    sizes = "10000,100000" if quick else "10000,100000,1000000"
    return [
        ("Cold start", "fresh interpreter: `import app` and the first `GET /health`, beside "
         "the stack's floor and a bare Chalice app", ["bench.bench_cold_start", "--runs", "10"]),
        ("Local stack start-up", "`python -m tools.local run` (as `make run`) to its first "
         "good `GET /health`", ["bench.bench_stack_startup", "--runs", "2" if quick else "3"]),
        ("API routes in process", "latency and DynamoDB calls per route",
         ["bench.bench_routes", "--runs", "10" if quick else "30"]),
        ("One dossier's lifecycle on the local stack", "register to issued, over HTTP",
         ["bench.bench_lifecycle"]),
        ("AWS requests per C/O", "counted over one full lifecycle in process (docs/cost.md)",
         ["bench.bench_requests"]),
        ("Render and sign a certificate", "PDF rendering plus PAdES signature, in process",
         ["bench.bench_render_sign", "--runs", "10" if quick else "40"]),
        ("Bank callbacks per second", "through the callback route, in process on moto",
         ["bench.bench_callbacks", "--orders", "50" if quick else "100"]),
        ("Receipts", "number allocation and receipt PDF", ["bench.receipts_bench"]),
        ("Reconciliation", "a statement of N lines against N recorded payments (camt.053)",
         ["bench.bench_reconcile", "--sizes", sizes, "--format", "camt053"]),
    ]  # fmt: skip


def machine() -> list[str]:
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    return [
        f"- measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- CPU: {cpu_model()}, {os.cpu_count()} logical CPUs",
        f"- memory: {memory_gib()}",
        f"- Python {platform.python_version()} ({platform.python_implementation()}) on "
        f"{platform.system()} {platform.release()}",
        f"- load average at start (1, 5, 15 min): {load}",
    ]


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_gib() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return f"{int(line.split()[1]) / 2**20:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def run(arguments: list[str]) -> tuple[bool, str, float]:
    started = time.monotonic()
    completed = subprocess.run(
        [sys.executable, "-m", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "POWERTOOLS_LOG_LEVEL": "ERROR"},
    )
    # Structured log lines are not figures.
    lines = [line for line in completed.stdout.splitlines() if not line.startswith("{")]
    if completed.returncode != 0:
        errors = completed.stderr.strip().splitlines()[-15:]
        lines += ["", f"FAILED (exit status {completed.returncode})", *errors]
    return completed.returncode == 0, "\n".join(lines).strip(), time.monotonic() - started


def section(title: str, what: str, arguments: list[str], ok: bool, output: str, took: float) -> str:
    command = f".venv/bin/python -m {' '.join(arguments)}"
    table = output.startswith("|")
    body = output if table else f"```\n{output}\n```"
    status = "" if ok else " (FAILED)"
    return f"## {title}{status}\n\n{what}. `{command}` ({took:.0f} s)\n\n{body}\n"


def main() -> int:
    parser = argparse.ArgumentParser(description="Run the benchmarks, write bench/RESULTS.md")
    parser.add_argument("--quick", action="store_true", help="fewer runs; no 1M reconciliation")
    arguments = parser.parse_args()
    command = "python -m bench" + (" --quick" if arguments.quick else "")
    header = ["# Benchmark results", "", f"Written by `{command}`. Machine:", "", *machine(), ""]
    sections, failed = [], 0
    for title, what, command in plan(arguments.quick):
        print(f"running {' '.join(command)} ...", flush=True)
        ok, output, took = run(command)
        failed += not ok
        print(output + "\n", flush=True)
        sections.append(section(title, what, command, ok, output, took))
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    header[-1:-1] = [f"- load average at the end: {load}"]
    RESULTS.write_text("\n".join(header) + "\n" + "\n".join(sections))
    print(f"wrote {RESULTS.relative_to(ROOT)}; {failed} benchmark(s) failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
