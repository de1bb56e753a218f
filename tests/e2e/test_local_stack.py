"""`make run`'s stack as a user starts it: it serves, Ctrl-C stops all of it, ports are named."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def start(port: int, moto_port: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tools.local", "run", "--port", str(port),
         "--moto-port", str(moto_port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip


def first_health(port: int, stack: subprocess.Popen[str], seconds: float = 120) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert stack.poll() is None, stack.communicate()[0]
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as answer:
                return dict(json.load(answer))
        except (OSError, urllib.error.HTTPError):
            time.sleep(0.1)
    raise AssertionError("the stack did not answer /health")


def test_the_stack_serves_health_and_ctrl_c_stops_everything_it_started() -> None:
    port, moto_port = free_port(), free_port()
    stack = start(port, moto_port)

    health = first_health(port, stack)
    # Ctrl-C at once, while the stack may still be printing its banner
    stack.send_signal(signal.SIGINT)
    output, _ = stack.communicate(timeout=30)

    assert health["status"] == "ok" and health["stage"] == "local"
    assert health["table"] and health["bucket"]
    assert stack.returncode == 0, output
    assert not listening(port) and not listening(moto_port)


def test_a_port_in_use_is_reported_by_name() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]

        stack = start(port, free_port())
        output, _ = stack.communicate(timeout=60)

    assert stack.returncode == 2
    assert f"Port {port} (API) is already in use" in output
