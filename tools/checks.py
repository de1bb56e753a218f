"""Project rules for the state machines, beyond what statelint checks.

- every `.waitForTaskToken` task has a timeout (TimeoutSeconds or TimeoutSecondsPath);
- every Lambda task retries Lambda's own service errors;
- every Lambda task passes the execution id, which its logs carry as the correlation id;
- no state passes a document body (payloads carry ids, tokens and S3 keys only).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STATE_MACHINES = sorted((ROOT / "state_machines").glob("*.asl.json"))
LAMBDA_SERVICE_ERRORS = {
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
}
BODY_WORDS = ("body", "content", "pdf", "bytes", "base64", "document", "file")


def walk_states(states: dict[str, Any], trail: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    for name, state in states.items():
        yield f"{trail}{name}", state
        for index, branch in enumerate(state.get("Branches", [])):
            yield from walk_states(branch["States"], f"{trail}{name}[{index}].")
        if "Iterator" in state or "ItemProcessor" in state:
            inner = state.get("ItemProcessor") or state["Iterator"]
            yield from walk_states(inner["States"], f"{trail}{name}.")


def rule_violations(definition: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    for name, state in walk_states(definition["States"]):
        if state.get("Type") != "Task":
            continue
        resource = state.get("Resource", "")
        if resource.endswith(".waitForTaskToken") and not (
            "TimeoutSeconds" in state or "TimeoutSecondsPath" in state
        ):
            problems.append(f"{name}: a callback task needs TimeoutSeconds")
        if ":lambda:" in resource or resource.startswith("arn:aws:states:::lambda"):
            retried = {error for rule in state.get("Retry", []) for error in rule["ErrorEquals"]}
            missing = LAMBDA_SERVICE_ERRORS - retried
            if missing:
                problems.append(f"{name}: does not retry {', '.join(sorted(missing))}")
            payload = state.get("Parameters", {}).get("Payload", {})
            if payload.get("execution.$") != "$$.Execution.Id":
                problems.append(f"{name}: does not pass the execution id ($$.Execution.Id)")
        for key in _payload_keys(state.get("Parameters", {})):
            if any(word in key.lower() for word in BODY_WORDS):
                problems.append(f"{name}: passes '{key}', which looks like a document body")
    return problems


def _payload_keys(parameters: Any) -> Iterator[str]:
    if isinstance(parameters, dict):
        for key, value in parameters.items():
            yield key.removesuffix(".$")
            yield from _payload_keys(value)


def main() -> int:
    failed = False
    for path in STATE_MACHINES:
        lint = subprocess.run(
            [str(Path(sys.executable).parent / "statelint"), str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        problems = rule_violations(json.loads(path.read_text()))
        if lint.returncode != 0:
            problems.append(lint.stdout.strip() or lint.stderr.strip())
        for problem in problems:
            print(f"{path.relative_to(ROOT)}: {problem}")
        failed = failed or bool(problems)
        if not problems:
            print(f"{path.relative_to(ROOT)}: statelint and project rules pass")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
