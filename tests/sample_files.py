"""Where the shared sample inputs live: `shared/samples/` beside the repository.

A missing sample fails the test that needs it: these are the real inputs the checks are about.
"""

from __future__ import annotations

from tools.samples import external_sample, samples_root

__all__ = ["external_sample", "samples_root"]
