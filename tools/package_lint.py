"""Package a stage with `chalice package` and the resources in `infra/`, then cfn-lint it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tools.local_stack import PACKAGE_DIR, ROOT, stage_environment


def package(stage: str) -> Path:
    out = PACKAGE_DIR.parent / stage  # two levels below the root, as DefinitionUri expects
    shutil.rmtree(out, ignore_errors=True)
    environment = {**os.environ, **stage_environment(stage)}
    environment.setdefault("AWS_DEFAULT_REGION", "ap-southeast-1")
    bin_dir = Path(sys.executable).parent
    subprocess.run(
        [
            str(bin_dir / "chalice"),
            "package",
            "--stage",
            stage,
            "--merge-template",
            "infra/resources.json",
            str(out),
        ],
        cwd=ROOT,
        env=environment,
        check=True,
    )
    return name_resources_after_stage(out / "sam.json", stage)


def name_resources_after_stage(template: Path, stage: str) -> Path:
    """The packaged template's `StageName` defaults to its own stage, so a province's
    resources are named after it (`coissuer-hai-phong`) without an override at deploy time,
    and always agree with the names its functions' environment carries."""
    document = json.loads(template.read_text(encoding="utf-8"))
    document["Parameters"]["StageName"]["Default"] = stage
    template.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return template


def main(stage: str) -> int:
    template = package(stage)
    lint = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), str(template)],
        check=False,
    )
    print(f"cfn-lint {template.relative_to(ROOT)}: {'clean' if lint.returncode == 0 else 'FAILED'}")
    return lint.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "local"))
