"""The stage's settings: validated once from the environment, failing by name."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib.settings import SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_the_local_stage_environment_gives_complete_settings() -> None:
    table, timeout_days = os.environ["TABLE_NAME"], int(os.environ["PAYMENT_TIMEOUT_DAYS"])

    loaded = load_settings()

    assert (table, timeout_days) == (loaded.TABLE_NAME, loaded.PAYMENT_TIMEOUT_DAYS)


def test_a_missing_resource_name_fails_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TABLE_NAME")

    with pytest.raises(SettingsError, match="TABLE_NAME"):
        load_settings()


def test_a_malformed_value_fails_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAYMENT_TIMEOUT_DAYS", "a week")
    monkeypatch.setenv("DOSSIER_STATE_MACHINE_ARN", "coissuer-dossier")

    with pytest.raises(SettingsError) as raised:
        load_settings()

    assert "PAYMENT_TIMEOUT_DAYS" in str(raised.value)
    assert "DOSSIER_STATE_MACHINE_ARN" in str(raised.value)


def test_names_are_case_sensitive(monkeypatch: pytest.MonkeyPatch) -> None:
    value = os.environ["DOCUMENTS_BUCKET"]
    monkeypatch.delenv("DOCUMENTS_BUCKET")
    monkeypatch.setenv("documents_bucket", value)

    with pytest.raises(SettingsError, match="DOCUMENTS_BUCKET"):
        load_settings()


def test_the_app_refuses_to_start_without_its_queue_name() -> None:
    environment = {k: v for k, v in os.environ.items() if k != "STATEMENTS_QUEUE_NAME"}

    started = subprocess.run(
        [sys.executable, "-c", "import app"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )

    assert started.returncode != 0
    assert "SettingsError: invalid or missing settings: STATEMENTS_QUEUE_NAME" in started.stderr
