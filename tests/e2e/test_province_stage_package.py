"""A generated province stage packages with the resources in infra/ and lints clean.

`chalice package` fetches Lambda wheels from the package registry and takes minutes, so this
runs where the network is (`.ci/run` selects it with `-m network`), not in `make test`."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib.domain.registry import registry_unit_for_province
from tools.stages import EXAMPLE_DEPLOYMENT, package_generated_stage

pytestmark = [pytest.mark.network, pytest.mark.timeout(1200)]


def test_generated_province_stage_packages_and_passes_cfn_lint(tmp_path):
    unit = registry_unit_for_province(31)

    template = package_generated_stage(unit, EXAMPLE_DEPLOYMENT, tmp_path)
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    lint = subprocess.run([cfn_lint, str(template)], capture_output=True, text=True, check=False)

    assert lint.returncode == 0, lint.stdout + lint.stderr
    resources = json.loads(template.read_text())["Resources"]
    environments = [
        r["Properties"]["Environment"]["Variables"]
        for r in resources.values()
        if r["Type"] == "AWS::Serverless::Function"
    ]
    assert environments
    assert all(env["TABLE_NAME"] == "coissuer-hai-phong" for env in environments)
    assert all(env["DEPARTMENT_CODES"] == "HAI-PHONG" for env in environments)
    stage_name = json.loads(template.read_text())["Parameters"]["StageName"]["Default"]
    table_name = resources["Table"]["Properties"]["TableName"]["Fn::Sub"]
    assert table_name.replace("${StageName}", stage_name) == "coissuer-hai-phong"
