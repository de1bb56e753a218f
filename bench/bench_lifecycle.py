"""One dossier's whole lifecycle over HTTP on the local stack, phase by phase.

Run: .venv/bin/python -m bench.bench_lifecycle

Uses the stack of `make run` when it answers on 127.0.0.1:8000, or starts one. The parties
act as in `make demo` with no pause between steps (the Form E sample, submitted to Hai Phong):
register and draft, upload documents, submit until the payment order exists, bank callback,
claim and approve, leader approval until the certificate is issued. Waits poll every 0.3 s,
so each phase is rounded up by at most that much. A phase that fails ends the run with the
reason, no total is printed and the exit status is 1.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from tools import demo

SAMPLE = "form-e-footwear-cn.json"


def main() -> int:
    journal = demo.Journal()
    demo.console.quiet = True
    phases: list[tuple[str, float]] = []
    try:
        with demo.local_stack(journal):
            measure_phases(journal, phases)
    except demo.StepFailedError as error:
        for name, seconds in phases:
            print(f"{name:<44} {seconds * 1000:8.0f} ms")
        print(f"not measured: the lifecycle stopped after {len(phases)} phase(s): {error}")
        return 1
    for name, seconds in phases:
        print(f"{name:<44} {seconds * 1000:8.0f} ms")
    print(f"{'total, register to issued':<44} {sum(s for _, s in phases) * 1000:8.0f} ms")
    return 0


def measure_phases(journal: demo.Journal, phases: list[tuple[str, float]]) -> None:
    api, tokens = demo.Api(demo.API), demo.Tokens()
    demo.onboard(api, journal, tokens.operations(), demo.LIVE, "live", demo.LIVE_FORMS)
    sample = demo.load_sample(SAMPLE)
    case = demo.Case(SAMPLE, sample, tokens.exporter(sample["exporter"]["tax_code"]))
    bank = demo.Bank(api)
    specialist, leader = tokens.specialist(demo.LIVE), tokens.leader(demo.LIVE)

    def phase(name: str, action: Callable[[], None]) -> None:
        started = time.perf_counter()
        action()
        phases.append((name, time.perf_counter() - started))

    phase("register, draft, upload, submit", lambda: demo.register_and_submit(
        api, journal, case, demo.LIVE))  # fmt: skip
    phase("workflow to the payment order", lambda: demo.payment_order(api, journal, case))
    phase("bank callback (paid)", lambda: demo.pay(api, journal, bank, case))
    phase("claim and approve", lambda: demo.review(api, journal, specialist, case))
    phase("render, leader approval, sign, publish", lambda: demo.sign(
        api, journal, leader, case))  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
