"""Cold start: a fresh interpreter imports the app and answers its first `GET /health`.

Run: .venv/bin/python -m bench.bench_cold_start [--runs 10]

Each run is a new Python process, as a new Lambda execution environment is: it imports `app`
(timed) and hands an API Gateway proxy event for `/health` to the app (timed; this builds the
settings, the boto3 clients and calls DynamoDB and S3 on a moto server started here). Two
other apps are measured the same way in the same run: the stack floor, the least an app with
this stack's libraries can do for the same answer, and a bare Chalice app with one route.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from tools.local_stack import FAKE_CREDENTIALS, REGION, ROOT, stage_environment

PROBE = """
import json, sys, time
started = time.perf_counter()
sys.path.insert(0, {root!r})
import {module} as target
imported = time.perf_counter()
event = {{
    "resource": "/health", "path": "/health", "httpMethod": "GET",
    "headers": {{"Accept": "application/json"}}, "multiValueHeaders": {{}},
    "queryStringParameters": None, "multiValueQueryStringParameters": None,
    "pathParameters": None, "stageVariables": None, "body": None, "isBase64Encoded": False,
    "requestContext": {{"resourcePath": "/health", "httpMethod": "GET", "requestId": "bench",
                        "stage": "api", "path": "/api/health"}},
}}
class Context:
    function_name = "api_handler"
    aws_request_id = "bench"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:ap-southeast-1:123456789012:function:bench"
    def get_remaining_time_in_millis(self):
        return 30000
answer = target.app(event, Context())
done = time.perf_counter()
print(json.dumps({{"import_ms": (imported - started) * 1000,
                   "first_call_ms": (done - imported) * 1000,
                   "status": answer["statusCode"]}}))
"""

BARE_APP = """
from chalice import Chalice
app = Chalice(app_name="bare")

@app.route("/health")
def health():
    return {"status": "ok"}
"""


# The least an app on this stack can do for the same answer: Chalice, one pydantic model, a
# Powertools logger, and one DynamoDB read and one S3 call through boto3 as coissuer makes them.
STACK_FLOOR_APP = """
import os
from chalice import Chalice
from pydantic import BaseModel
from aws_lambda_powertools import Logger

logger = Logger(service="floor")
app = Chalice(app_name="floor")


class Health(BaseModel):
    table: bool
    bucket: bool


@app.route("/health")
def health():
    import boto3

    session = boto3.session.Session()
    table = session.resource("dynamodb").Table(os.environ["TABLE_NAME"])
    table.get_item(Key={"PK": "HEALTH", "SK": "PROBE"})
    session.client("s3").head_bucket(Bucket=os.environ["DOCUMENTS_BUCKET"])
    return Health(table=True, bucket=True).model_dump()
"""


def run_once(module: str, path: Path, environment: dict[str, str]) -> dict[str, float]:
    code = PROBE.format(root=str(path), module=module)
    output = subprocess.run(
        [sys.executable, "-c", code],
        cwd=path,
        env=environment,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    figures: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    if figures["status"] != 200:
        raise RuntimeError(f"{module} answered {figures['status']} to /health")
    return figures


def moto_with_resources() -> tuple[object, str]:
    """A moto server with the stage's table and documents bucket, which /health checks."""
    import logging

    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    stage = stage_environment("local")
    session = boto3.Session(region_name=REGION, **_credentials())
    session.client("dynamodb", endpoint_url=endpoint).create_table(
        TableName=stage["TABLE_NAME"],
        KeySchema=[
            {"AttributeName": "PK", "KeyType": "HASH"},
            {"AttributeName": "SK", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "PK", "AttributeType": "S"},
            {"AttributeName": "SK", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    session.client("s3", endpoint_url=endpoint).create_bucket(
        Bucket=stage["DOCUMENTS_BUCKET"],
        CreateBucketConfiguration={"LocationConstraint": REGION},
    )
    return server, endpoint


def _credentials() -> dict[str, str]:
    return {
        "aws_access_key_id": FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        "aws_session_token": FAKE_CREDENTIALS["AWS_SESSION_TOKEN"],
    }


def summary(label: str, runs: list[dict[str, float]]) -> str:
    total = [run["import_ms"] + run["first_call_ms"] for run in runs]
    imports = [run["import_ms"] for run in runs]
    calls = [run["first_call_ms"] for run in runs]
    return (
        f"{label:<28} median {statistics.median(total):7.1f} ms "
        f"(import {statistics.median(imports):6.1f} ms + first /health "
        f"{statistics.median(calls):6.1f} ms), min {min(total):7.1f}, max {max(total):7.1f}, "
        f"n={len(runs)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    arguments = parser.parse_args()
    server, endpoint = moto_with_resources()
    environment = {
        **os.environ,
        **stage_environment("local"),
        **FAKE_CREDENTIALS,
        "AWS_ENDPOINT_URL": endpoint,
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "JWKS_URL": f"file:{ROOT / '.local' / 'issuer' / 'jwks.json'}",
    }
    try:
        with tempfile.TemporaryDirectory() as scratch:
            bare = Path(scratch)
            (bare / "bare_app.py").write_text(BARE_APP)
            (bare / "floor_app.py").write_text(STACK_FLOOR_APP)
            # Compiled bytecode is cached, as in a package that ships it: the run measures
            # the imports, not the compiler. One unrecorded run of each fills the cache.
            environment.pop("PYTHONDONTWRITEBYTECODE", None)
            environment["PYTHONPYCACHEPREFIX"] = str(bare / "pycache")
            run_once("app", ROOT, environment)
            run_once("bare_app", bare, environment)
            run_once("floor_app", bare, environment)
            ours, stack_floor, floor = [], [], []
            for _ in range(arguments.runs):
                ours.append(run_once("app", ROOT, environment))
                stack_floor.append(run_once("floor_app", bare, environment))
                floor.append(run_once("bare_app", bare, environment))
    finally:
        server.stop()  # type: ignore[attr-defined]
    print(summary("coissuer app.py", ours))
    print(summary("stack floor (boto3 calls)", stack_floor))
    print(summary("bare Chalice app (1 route)", floor))


if __name__ == "__main__":
    main()
