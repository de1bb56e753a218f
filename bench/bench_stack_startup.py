"""Local stack start-up: `make run`'s stack from a new process to its first good `/health`.

Run: .venv/bin/python -m bench.bench_stack_startup [--runs 3]

Each run starts `python -m tools.local run` on free ports, as `make run` does, polls
`GET /health` from outside until it answers 200, then stops the stack with Ctrl-C (SIGINT)
and waits for it to exit. The first run may also create the local PKI and token issuer
under `.local/`; later runs find them.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request

from tools.local_stack import ROOT

DEADLINE_SECONDS = 180


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (OSError, urllib.error.HTTPError):
        return False


def start_once() -> tuple[float, float]:
    """Seconds to the first 200 from /health, and seconds to stop after Ctrl-C."""
    port, moto_port = free_port(), free_port()
    started = time.perf_counter()
    stack = subprocess.Popen(
        [sys.executable, "-m", "tools.local", "run", "--port", str(port),
         "--moto-port", str(moto_port)],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        while not healthy(f"http://127.0.0.1:{port}/health"):
            if stack.poll() is not None:
                raise RuntimeError(f"the stack exited with {stack.returncode} before answering")
            if time.perf_counter() - started > DEADLINE_SECONDS:
                raise RuntimeError(f"no good /health within {DEADLINE_SECONDS} s")
            time.sleep(0.05)
        ready = time.perf_counter() - started
    finally:
        stopping = time.perf_counter()
        stack.send_signal(signal.SIGINT)
        try:
            stack.wait(30)
        except subprocess.TimeoutExpired:
            stack.kill()
            stack.wait()
    return ready, time.perf_counter() - stopping


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    arguments = parser.parse_args()
    runs = [start_once() for _ in range(arguments.runs)]
    ready = [first for first, _ in runs]
    stops = [second for _, second in runs]
    print(
        f"start to first good /health: median {statistics.median(ready):.2f} s "
        f"(first run {ready[0]:.2f} s, min {min(ready):.2f}, max {max(ready):.2f}), "
        f"n={len(ready)}"
    )
    print(f"Ctrl-C to stopped: median {statistics.median(stops):.2f} s")


if __name__ == "__main__":
    main()
