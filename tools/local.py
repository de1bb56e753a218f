"""The local stack's command line: serve everything, run a function on demand, print a token.

python -m tools.local run              # moto + resources + dispatch + chalice local
python -m tools.local invoke NAME      # run any function (schedules never fire locally)
python -m tools.local token --role exporter --tax-code 0101234567
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Annotated, Any

import typer

from tools.local_issuer import LocalIssuer
from tools.local_stack import (
    FAKE_CREDENTIALS,
    MOTO_CONFIG,
    ROOT,
    LambdaDispatcher,
    atomic_dynamodb_writes,
    provision,
    stage_environment,
)

STAGE = "local"
ISSUER_DIR = ROOT / ".local" / "issuer"
cli = typer.Typer(add_completion=False, help="coissuer's local stack")


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _stack_environment(moto_port: int) -> dict[str, str]:
    environment = stage_environment(STAGE)
    environment.update(FAKE_CREDENTIALS)
    environment["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{moto_port}"
    environment["MOTO_PORT"] = str(moto_port)
    environment["JWKS_URL"] = f"file:{ISSUER_DIR / 'jwks.json'}"
    return environment


def _wait_for(url: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status < 500:
                    return True
        except OSError:
            time.sleep(0.2)
    return False


@cli.command()
def run(port: int = 8000, moto_port: int = 5100) -> None:
    """Start moto, create the stage's resources, and serve the API until Ctrl-C."""
    started = time.monotonic()
    for name, number in (("API", port), ("moto", moto_port)):
        if not _port_free(number):
            typer.echo(
                f"Port {number} ({name}) is already in use. Stop whatever holds it "
                f"(`lsof -i :{number}`) or choose another with --port/--moto-port.",
                err=True,
            )
            raise typer.Exit(2)

    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    os.environ.update(_stack_environment(moto_port))
    LocalIssuer(ISSUER_DIR).ensure()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
    server.start()
    request = urllib.request.Request(
        f"http://127.0.0.1:{moto_port}/moto-api/config",
        data=json.dumps(MOTO_CONFIG).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    urllib.request.urlopen(request, timeout=10).close()

    dispatcher = LambdaDispatcher(STAGE)
    dispatcher.install()
    atomic_writes = atomic_dynamodb_writes()
    atomic_writes.__enter__()
    resources = provision(STAGE, dispatcher)
    _seed_local_secrets()

    api = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "chalice"),
            "local",
            "--stage",
            STAGE,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-autoreload",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
    )
    # Whatever ends the run (Ctrl-C while starting or serving, SIGTERM, the API exiting), the
    # API process and moto stop with it: a stack left behind holds the ports.
    signal.signal(signal.SIGTERM, _interrupt)
    exit_code = 0
    try:
        healthy = _wait_for(f"http://127.0.0.1:{port}/health", 60)
        _print_banner(port, moto_port, resources.skipped, healthy, time.monotonic() - started)
        exit_code = api.wait()
    except KeyboardInterrupt:
        typer.echo("\ncoissuer local stack stopped.")
    finally:
        _stop(api)
        server.stop()
    raise typer.Exit(exit_code)


def _interrupt(*_: Any) -> None:
    raise KeyboardInterrupt


def _stop(api: subprocess.Popen[bytes]) -> None:
    if api.poll() is not None:
        return
    api.terminate()
    try:
        api.wait(10)
    except subprocess.TimeoutExpired:
        api.kill()
        api.wait()


def _seed_local_secrets() -> None:
    """Local-only secrets the template leaves empty, and the registry of departments."""
    from chalicelib.wiring import container
    from tools.test_ca import seed_local_signing_secret

    seed_local_signing_secret(STAGE, ROOT / ".local" / "pki")
    container().departments.seed_registry("system:local-stack")


def _print_banner(
    port: int, moto_port: int, skipped: list[str], healthy: bool, seconds: float
) -> None:
    token = LocalIssuer(ISSUER_DIR).token("operations", subject="ops-local")
    state = "ready" if healthy else "NOT answering /health yet"
    lines = [
        "",
        f"coissuer local stack {state} in {seconds:.1f}s (stage {STAGE})",
        f"  API          http://127.0.0.1:{port}/",
        f"  health       http://127.0.0.1:{port}/health",
        f"  API docs     http://127.0.0.1:{port}/docs",
        f"  moto (AWS)   http://127.0.0.1:{moto_port}/  (dashboard: /moto-api/)",
        "  tokens       .venv/bin/python -m tools.local token --role exporter --tax-code ...",
        "",
        f"  curl -s http://127.0.0.1:{port}/health",
        f"  curl -s -H 'Authorization: Bearer {token[:24]}...' (full token: tools.local token)",
        "",
        "  Not emulated locally: " + (", ".join(skipped) or "nothing"),
        "  Ctrl-C stops everything.",
        "",
    ]
    typer.echo("\n".join(lines))


@cli.command()
def invoke(name: str, event: str = "{}", moto_port: int = 5100) -> None:
    """Run one of the app's functions (a schedule, a task) against the running stack."""
    os.environ.update(_stack_environment(moto_port))
    dispatcher = LambdaDispatcher(STAGE)
    if name not in dispatcher.handlers():
        known = ", ".join(dispatcher.function_names())
        typer.echo(f"No function {name}. Known: {known}", err=True)
        raise typer.Exit(2)
    try:
        payload = json.loads(event)
    except json.JSONDecodeError as error:
        typer.echo(f"--event is not JSON: {error}", err=True)
        raise typer.Exit(2) from error
    result = dispatcher.run_on_demand(name, payload)
    typer.echo(json.dumps(result, default=str, indent=2, ensure_ascii=False))


@cli.command(name="check-signature")
def check_signature(
    pdfs: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False)],
) -> None:
    """Validate downloaded certificates' signatures, trusting only the local test CA."""
    from tools.demo import signature_status

    ca = ROOT / ".local" / "pki" / "ca.cert.pem"
    if not ca.is_file():
        typer.echo(f"No local test CA at {ca}: start the stack once with `make run`.", err=True)
        raise typer.Exit(2)
    failed = 0
    for pdf in pdfs:
        try:
            typer.echo(f"{pdf}: {signature_status(pdf.read_bytes(), ca.read_bytes())}")
        except Exception as error:
            typer.echo(f"{pdf}: NOT valid: {error}", err=True)
            failed += 1
    raise typer.Exit(1 if failed else 0)


@cli.command()
def token(
    role: str = typer.Option(..., help="exporter, specialist, leader, operations or auditor"),
    tax_code: str = typer.Option("", help="the exporter's tax code"),
    department: str = typer.Option("", help="the staff member's department code"),
    subject: str = typer.Option("", help="the user id"),
    name: str = typer.Option("", help="the display name"),
    test_trader: bool = typer.Option(False, help="a test trader may use sandbox departments"),
    hours: int = typer.Option(8, help="lifetime"),
) -> None:
    """Print a bearer token from the local issuer."""
    issuer = LocalIssuer(ISSUER_DIR).ensure()
    typer.echo(
        issuer.token(
            role,
            subject=subject or None,
            tax_code=tax_code or None,
            department=department or None,
            name=name,
            test_trader=test_trader,
            lifetime_seconds=hours * 3600,
        )
    )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(ROOT)))
    cli()
