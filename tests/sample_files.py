"""Where the shared sample inputs live: beside the repository, in `shared/samples/`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def external_sample(name: str) -> Path:
    """A file of `shared/samples/external/`; the test is skipped where the folder is absent."""
    for folder in _candidate_folders():
        if (folder / name).is_file():
            return folder / name
    pytest.skip(f"sample {name} not found beside the repository")


def _candidate_folders() -> list[Path]:
    configured = os.environ.get("COISSUER_SAMPLES_DIR")
    here = Path(__file__).resolve()
    folders = [Path(configured) / "external"] if configured else []
    folders += [parent / "shared" / "samples" / "external" for parent in here.parents]
    folders.append(Path("/work/shared/samples/external"))
    return folders
