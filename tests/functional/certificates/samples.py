"""The shared sample applications mapped into certificate content, as issuance would."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

from chalicelib.adapters.certificate_store import AllocationRequest, DossierIssuedUpdate
from chalicelib.domain.certificate import CertificateContent, goods_summary
from tools.samples import samples_dir

SAMPLES = samples_dir()
SAMPLE_NAMES = sorted(p.stem for p in SAMPLES.glob("*.json"))
ISSUE_DATE = date(2026, 12, 3)
COUNTRIES = {"TH": "Thailand", "CN": "China", "AE": "United Arab Emirates", "JP": "Japan",
             "HK": "Hong Kong, China"}  # fmt: skip
ISSUER_CODES = {"Dak Lak": "47", "Ho Chi Minh City": "02", "Hai Phong": "03", "Ca Mau": "61"}


def load_sample(name: str) -> dict[str, Any]:
    return json.loads((SAMPLES / f"{name}.json").read_text(encoding="utf-8"))


def issuer_code(sample: dict[str, Any]) -> str:
    department = sample["issuing_department"]
    return next(code for place, code in ISSUER_CODES.items() if department.startswith(place))


def content_from_sample(
    sample: dict[str, Any],
    reference: str,
    verification_url: str,
    *,
    sandbox: bool = False,
    extra_lines: int = 0,
) -> CertificateContent:
    exporter, consignee, transport = sample["exporter"], sample["consignee"], sample["transport"]
    goods = [_line(g) for g in sample["goods"]]
    for n in range(extra_lines):
        goods.append(goods[0] | {"item_number": len(goods) + 1,
                                 "marks_and_numbers": f"EXTRA/{n + 1}"})  # fmt: skip
    departure = date.fromisoformat(transport["departure_date"])
    tci = sample.get("third_country_invoicing")
    return CertificateContent.model_validate({
        "form": sample["form"],
        "reference_number": reference,
        "exporter": {"name": exporter["name"], "address": exporter["address"],
                     "country": "Viet Nam", "local_name": exporter.get("name_vi")},
        "consignee": {"name": consignee["name"], "address": consignee["address"],
                      "country": COUNTRIES[consignee["country"]]},
        "transport": {"departure_date": departure, "mode": transport["mode"],
                      "vessel_or_flight": transport.get("vessel") or transport.get("flight", ""),
                      "port_of_loading": transport["port_of_loading"],
                      "port_of_discharge": transport["port_of_discharge"]},
        "goods": goods,
        "invoice": sample["invoice"],
        "third_country_invoice": tci,
        "remarks": {**sample.get("remarks", {}),
                    "issued_retroactively": (ISSUE_DATE - departure).days > 3},
        "importing_country": COUNTRIES[consignee["country"]],
        "importing_country_code": consignee["country"],
        "place_of_issue": sample["issuing_department"].split(" Department")[0],
        "issue_date": ISSUE_DATE,
        "declaration_place": sample["issuing_department"].split(" Department")[0],
        "declaration_date": ISSUE_DATE,
        "signer_name": "Nguyễn Văn Đức" if not sandbox else "Trần Thị Ánh Dương",
        "signer_title": "Deputy Director",
        "department_name": sample["issuing_department"],
        "sandbox": sandbox,
        "verification_url": verification_url,
    })  # fmt: skip


def _line(g: dict[str, Any]) -> dict[str, Any]:
    return {
        "item_number": g["item"],
        "marks_and_numbers": g["marks_and_numbers"],
        "packages_and_description": f"{g['packages']}; {g['description']}",
        "hs_code": g["hs_code"],
        "origin_criterion": g.get("origin_criterion"),
        "gross_weight_kg": Decimal(str(g["gross_weight_kg"])),
        "quantity": Decimal(str(g["quantity"]["value"])),
        "quantity_unit": g["quantity"]["unit"],
        "fob_amount": Decimal(g["fob_value"]["amount"]),
        "fob_currency": g["fob_value"]["currency"],
    }


def summary_of(content: CertificateContent) -> str:
    return goods_summary(content.goods)


class SampleDossiers:
    """The dossier side, as the issuance workflow would supply it, over the sample files."""

    def __init__(self, table, base_url: str, samples: dict[str, str],
                 sandbox: frozenset[str] = frozenset()):  # fmt: skip
        self._table, self._base, self._samples, self._sandbox = table, base_url, samples, sandbox
        self.unapproved: set[str] = set()  # dossiers no leader has approved signing yet
        for dossier_id in samples:
            table.put_item(Item={"PK": f"DOSSIER#{dossier_id}", "SK": "META",
                                 "status": "awaiting_signature"})  # fmt: skip

    def mark_signed(self, dossier_id: str) -> None:
        self._table.update_item(Key={"PK": f"DOSSIER#{dossier_id}", "SK": "META"},
                                UpdateExpression="SET #s = :s",
                                ExpressionAttributeNames={"#s": "status"},
                                ExpressionAttributeValues={":s": "signed"})  # fmt: skip

    def allocation_request(self, dossier_id: str) -> AllocationRequest:
        sample = load_sample(self._samples[dossier_id])
        content = self._content(dossier_id, "VN-XX 26/00/00001", self._base)
        return AllocationRequest(
            dossier_id=dossier_id, issuer_code=issuer_code(sample),
            issuer_name=sample["issuing_department"],
            importing_party=sample["consignee"]["country"], year=2026,
            exporter_name=sample["exporter"]["name"],
            importing_country=content.importing_country,
            goods_summary=summary_of(content), sandbox=dossier_id in self._sandbox,
        )  # fmt: skip

    def certificate_content(self, dossier_id: str, reference_number: str, url: str):
        return self._content(dossier_id, reference_number, url)

    def signing_leader(self, dossier_id: str) -> str | None:
        if dossier_id in self.unapproved:
            return None
        return self._content(dossier_id, "VN-XX 26/00/00001", self._base).signer_name

    def issued_update(self, dossier_id, reference_number, pdf_key, issued_at):
        return DossierIssuedUpdate(dossier_id, reference_number, pdf_key, issued_at)

    def _content(self, dossier_id: str, reference: str, url: str):
        return content_from_sample(load_sample(self._samples[dossier_id]), reference, url,
                                   sandbox=dossier_id in self._sandbox)  # fmt: skip
