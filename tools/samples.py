"""The sample applications in `shared/samples/dossiers/` mapped onto the API's request models.

The samples describe content in plain words; this mapping decides where each part goes: the
exporter becomes a trader registration, the rest a draft dossier, and the listed documents
attachment kinds. The issuing department is named, not coded, in a sample: the caller
resolves `department_name(sample)` to a department code.
"""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path
from typing import Any

from chalicelib.domain.dossiers import DraftRequest
from chalicelib.domain.traders import TraderRegistration

SAMPLE_FILES = (
    "form-b-cashew-ae.json",
    "form-d-coffee-th.json",
    "form-e-footwear-cn.json",
    "form-vj-shrimp-jp.json",
)
ATTACHMENT_KINDS = {"bill_of_lading": "transport_document", "airway_bill": "transport_document"}
REMARK_FLAGS = ("exhibition", "back_to_back")


def samples_root() -> Path:
    """`shared/samples/`, which sits beside the repository's checkout in development and in
    CI; `COISSUER_SAMPLES` names another folder laid out the same (`dossiers/`, `external/`)."""
    override = os.environ.get("COISSUER_SAMPLES")
    candidates = [Path(override)] if override else []
    candidates += [parent / "shared" / "samples" for parent in Path(__file__).resolve().parents]
    for candidate in candidates:
        if (candidate / "dossiers").is_dir():
            return candidate
    raise FileNotFoundError(
        "the samples folder (shared/samples beside the checkout, or COISSUER_SAMPLES) is missing"
    )


def samples_dir() -> Path:
    return samples_root() / "dossiers"


def external_sample(name: str) -> Path:
    """A file of `shared/samples/external/`: the real bank statements and VietQR payloads."""
    path = samples_root() / "external" / name
    if not path.is_file():
        raise FileNotFoundError(f"sample {name} is missing from {path.parent}")
    return path


def load_sample(name: str) -> dict[str, Any]:
    return json.loads((samples_dir() / name).read_text("utf-8"))


def department_name(sample: dict[str, Any]) -> str:
    return sample["issuing_department"]


def registration(sample: dict[str, Any], test_trader: bool = False) -> TraderRegistration:
    exporter = sample["exporter"]
    full_name, _, title = exporter["signatory"].partition(", ")
    person = {"full_name": full_name, "title": title or "Director"}
    return TraderRegistration.model_validate(
        {
            "tax_code": exporter["tax_code"],
            "name_vi": exporter["name_vi"],
            "name_en": exporter["name"],
            "address": exporter["address"],
            "legal_representative": person,
            "signatories": [person],
            "email": exporter.get("email") or trader_email(exporter["name"]),
            "test_trader": test_trader,
        }
    )


def trader_email(name_en: str) -> str:
    """An export desk's address derived from the trader's English name, on a reserved domain
    (the samples carry no address): "Krong Pac Coffee Company Limited" ->
    export@krong-pac-coffee.example.com."""
    legal_forms = {"company", "limited", "joint", "stock", "co", "ltd", "jsc"}
    words = [w for w in re.findall(r"[a-z0-9]+", name_en.lower()) if w not in legal_forms]
    return f"export@{'-'.join(words) or 'trader'}.example.com"


def draft_body(sample: dict[str, Any], department_code: str) -> dict[str, Any]:
    """The JSON body of `POST /dossiers` for this sample."""
    body: dict[str, Any] = {
        "form": sample["form"],
        "department_code": department_code,
        "consignee": sample["consignee"],
        "transport": sample["transport"],
        "invoice": sample["invoice"],
        "lines": [_line(item) for item in sample["goods"]],
        "remarks": [flag for flag in REMARK_FLAGS if sample.get("remarks", {}).get(flag)],
    }
    if "third_country_invoicing" in sample:
        body["third_country_invoicing"] = sample["third_country_invoicing"]
    return body


def draft_request(sample: dict[str, Any], department_code: str) -> DraftRequest:
    return DraftRequest.model_validate(draft_body(sample, department_code))


def attachment_kinds(sample: dict[str, Any]) -> list[str]:
    return [ATTACHMENT_KINDS.get(kind, kind) for kind in sample["attachments"]]


def _line(item: dict[str, Any]) -> dict[str, Any]:
    line = {
        "hs_code": item["hs_code"],
        "description": item["description"],
        "packages": item["packages"],
        "marks_and_numbers": item.get("marks_and_numbers", ""),
        "quantity": {"value": str(item["quantity"]["value"]), "unit": item["quantity"]["unit"]},
        "gross_weight_kg": str(item["gross_weight_kg"]),
        "fob_value": item["fob_value"],
    }
    if "origin_criterion" in item:
        line["origin_criterion"] = item["origin_criterion"]
    return line


def simple_pdf(text: str) -> bytes:
    """A small well-formed one-page PDF showing `text`, as an exporter's scanned document."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    start = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, start)
    )
    return out.getvalue()
