"""Audit the pinned dependencies for known vulnerabilities with pip-audit.

    python -m tools.dependency_audit

Fails on any known vulnerability not listed, with its reason, in `.ci/pip-audit-ignore`
(one `--ignore-vuln ID` per line; reasons are kept in docs/security.md). When the
vulnerability service cannot be reached (an offline runner or a private package mirror),
pip-audit skips every package: that is reported loudly and does not fail the run, since
nothing was learnt either way.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IGNORE_FILE = ROOT / ".ci" / "pip-audit-ignore"


def ignored() -> list[str]:
    if not IGNORE_FILE.exists():
        return []
    lines = [line.split("#", 1)[0].strip() for line in IGNORE_FILE.read_text().splitlines()]
    return [word for line in lines if line for word in line.split()]


def main() -> int:
    command = [
        str(Path(sys.executable).parent / "pip-audit"),
        "-r", "requirements.txt", "-r", "requirements-dev.txt",
        "--progress-spinner", "off", "--format", "json", *ignored(),
    ]  # fmt: skip
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        print(result.stdout + result.stderr)
        print("::: dependency audit could not run (no report); not audited")
        return 0
    dependencies = report.get("dependencies", [])
    audited = [d for d in dependencies if "skip_reason" not in d]
    vulnerable = [d for d in audited if d.get("vulns")]
    for dependency in vulnerable:
        ids = ", ".join(v["id"] for v in dependency["vulns"])
        print(f"{dependency['name']}=={dependency['version']}: {ids}")
    if dependencies and not audited:
        print(
            f"::: dependency audit skipped all {len(dependencies)} packages: the vulnerability "
            "service was not reachable; not audited"
        )
        return 0
    print(f"{len(audited)} packages audited, {len(vulnerable)} with known vulnerabilities")
    return 1 if vulnerable else 0


if __name__ == "__main__":
    sys.exit(main())
