"""Median time to render and sign one certificate in-process with the local key.

Usage: .venv/bin/python -m bench.bench_render_sign [--runs 40]
Prints the median and quartiles for a one-line certificate (each sample application) and for
a 60-line certificate with supplementary pages. The key, the font and the time-stamp authority
are loaded once before timing, as a warm Lambda holds them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from chalicelib.adapters.certificate_pdf import render_certificate_pdf
from chalicelib.adapters.signing import SigningSecret, local_signer
from chalicelib.domain.certificate import CertificateContent, SignatureAppearance
from tests.functional.certificates.samples import content_from_sample, load_sample
from tools.test_ca import create_test_pki

URL = "https://verify.coissuer.example.vn/verify/VN-TH-26-47-00001?code=Zq3_x7PaQ-wKc9"


def render_and_sign(signer: object, content: CertificateContent) -> bytes:
    rendered = render_certificate_pdf(content)
    appearance = SignatureAppearance(content.signer_name, content.department_name,
                                     rendered.signature_box)  # fmt: skip
    return signer.sign(rendered.pdf, appearance)  # type: ignore[attr-defined, no-any-return]


def measure(
    signer: object, content: CertificateContent, runs: int
) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds per certificate (CPU time is steadier on a busy box)."""
    render_and_sign(signer, content)  # warm-up
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        render_and_sign(signer, content)
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return wall, cpu


def report(label: str, times: tuple[list[float], list[float]]) -> None:
    wall, cpu = times
    q1, median, q3 = statistics.quantiles(wall, n=4)
    print(
        f"{label:38s} median {median:6.1f} ms wall (q1 {q1:6.1f}, q3 {q3:6.1f}), "
        f"{statistics.median(cpu):6.1f} ms CPU, n={len(wall)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    print(
        f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores"
    )
    signer = local_signer(SigningSecret.model_validate(create_test_pki().signing_secret()))
    for name in ("form-d-coffee-th", "form-b-cashew-ae"):
        content = content_from_sample(load_sample(name), "VN-TH 26/47/00001", URL)
        report(f"{name} (1 line)", measure(signer, content, args.runs))
    big = content_from_sample(load_sample("form-e-footwear-cn"), "VN-CN 26/03/00001", URL,
                              extra_lines=57)  # fmt: skip
    report("form-e-footwear-cn (60 lines, 4 pages)", measure(signer, big, max(args.runs // 2, 5)))


if __name__ == "__main__":
    main()
