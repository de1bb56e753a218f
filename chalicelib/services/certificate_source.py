"""What a certificate prints, read from the dossier, its trader and its department."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from chalicelib.adapters.certificate_store import AllocationRequest
from chalicelib.domain.certificate import CertificateContent, GoodsLine, Party, Remarks
from chalicelib.domain.dossiers import Dossier, Status, transition, vietnam_day
from chalicelib.domain.errors import ConflictError, NotFoundError

REMARK_FLAGS = {
    "issued_retroactively": "issued_retroactively",
    "issued_retrospectively": "issued_retroactively",
    "third_country_invoicing": "third_country_invoicing",
    "exhibition": "exhibition",
    "back_to_back": "back_to_back",
    "accumulation": "accumulation",
    "partial_cumulation": "partial_cumulation",
    "de_minimis": "de_minimis",
}


def country_name(code: str) -> str:
    from iso3166 import countries

    return str(countries.get(code).name).upper()


class DossierCertificateSource:
    """The dossier side of issuance, over the dossier store and the department registry."""

    def __init__(self, dossiers: Any, departments: Any, clock: Any) -> None:
        self._dossiers = dossiers
        self._departments = departments
        self._clock = clock

    def _dossier(self, dossier_id: str) -> Dossier:
        dossier = self._dossiers.get_dossier(dossier_id)
        if dossier is None:
            raise NotFoundError(f"No dossier {dossier_id}")
        return dossier  # type: ignore[no-any-return]

    def allocation_request(self, dossier_id: str) -> AllocationRequest:
        dossier = self._dossier(dossier_id)
        department = self._departments.get(dossier.department_code)
        country = dossier.importing_country or ""
        return AllocationRequest(
            dossier_id=dossier.id,
            issuer_code=department.issuer_code,
            issuer_name=department.name_en,
            importing_party=country,
            year=vietnam_day(self._clock()).year,
            exporter_name=dossier.exporter.name if dossier.exporter else dossier.trader_tax_code,
            importing_country=country,
            goods_summary=goods_summary(dossier),
            sandbox=department.is_sandbox,
        )

    def certificate_content(
        self, dossier_id: str, reference_number: str, verification_url: str
    ) -> CertificateContent:
        dossier = self._dossier(dossier_id)
        department = self._departments.get(dossier.department_code)
        if dossier.exporter is None or dossier.consignee is None or dossier.transport is None:
            raise ConflictError(f"Dossier {dossier_id} is not complete enough to print")
        today = vietnam_day(self._clock())
        transport = dossier.transport
        leader = dossier.signing_leader or _first_leader(department)
        return CertificateContent(
            form=dossier.form,
            reference_number=reference_number,
            exporter=Party(name=dossier.exporter.name, address=dossier.exporter.address,
                           country="VIET NAM", local_name=dossier.exporter.name_vi),
            consignee=Party(name=dossier.consignee.name, address=dossier.consignee.address,
                            country=country_name(dossier.consignee.country)),
            transport={
                "departure_date": transport.departure_date,
                "mode": transport.mode,
                "vessel_or_flight": transport.vessel or transport.flight or transport.vehicle
                or "",
                "port_of_loading": transport.port_of_loading,
                "port_of_discharge": transport.port_of_discharge,
            },
            goods=[_line(index, line) for index, line in enumerate(dossier.lines, start=1)],
            invoice={"number": dossier.invoice.number, "date": dossier.invoice.date}
            if dossier.invoice else {"number": "-", "date": today},
            third_country_invoice=_third_country(dossier),
            remarks=_remarks(dossier),
            importing_country=country_name(dossier.consignee.country),
            importing_country_code=dossier.consignee.country,
            place_of_issue="Viet Nam",
            issue_date=today,
            declaration_place="Viet Nam",
            declaration_date=vietnam_day(dossier.submitted_at or self._clock()),
            signer_name=leader,
            signer_title="Leader",
            department_name=department.name_en,
            sandbox=department.is_sandbox,
            verification_url=verification_url,
        )  # fmt: skip

    def issued_update(
        self, dossier_id: str, reference_number: str, pdf_key: str, issued_at: datetime
    ) -> IssuedTransition:
        dossier = self._dossier(dossier_id)
        if dossier.status != Status.SIGNED:
            raise ConflictError(f"Dossier {dossier_id} is {dossier.status}, not signed")
        moved, event = transition(
            dossier,
            Status.ISSUED,
            "system:workflow",
            f"certificate {reference_number} published",
            issued_at,
        )
        return IssuedTransition(self._dossiers, moved, dossier.version, event)


class IssuedTransition:
    """The dossier half of the publication transaction: signed -> issued, version-checked."""

    def __init__(self, dossiers: Any, moved: Dossier, expected_version: int, event: Any) -> None:
        self._dossiers, self._moved = dossiers, moved
        self._expected, self.event = expected_version, event

    def transact_item(self, table_name: str) -> dict[str, Any]:
        update = self._dossiers.meta_update(self._moved, self._expected)
        update["TableName"] = table_name
        return {"Update": update}

    def extra_items(self, table_name: str) -> list[dict[str, Any]]:
        return [{"Put": {"TableName": table_name, "Item": self._dossiers.event_item(self.event)}}]


def goods_summary(dossier: Dossier) -> str:
    first = dossier.lines[0].description if dossier.lines else ""
    more = f" and {len(dossier.lines) - 1} more lines" if len(dossier.lines) > 1 else ""
    return (first[:150] + more)[:200]


def _first_leader(department: Any) -> str:
    from chalicelib.domain.departments import ContactRole

    leaders = department.contacts_in(ContactRole.SIGNING_LEADER)
    return leaders[0].name if leaders else department.name_en


def _line(index: int, line: Any) -> GoodsLine:
    criterion = line.origin_criterion
    return GoodsLine(
        item_number=index,
        marks_and_numbers=line.marks_and_numbers or "N/M",
        packages_and_description=f"{line.packages}; {line.description}",
        hs_code=line.hs_code,
        origin_criterion=str(criterion) if criterion else None,
        gross_weight_kg=line.gross_weight_kg,
        quantity=Decimal(str(line.quantity.value)),
        quantity_unit=line.quantity.unit,
        fob_amount=line.fob_value.amount if line.fob_value else None,
        fob_currency=line.fob_value.currency if line.fob_value else "USD",
    )


def _third_country(dossier: Dossier) -> dict[str, Any] | None:
    invoicing = dossier.third_country_invoicing
    if invoicing is None:
        return None
    return {
        "invoicing_company": invoicing.invoicing_company,
        "country": country_name(invoicing.country),
        "invoice_number": invoicing.invoice_number,
        "invoice_date": invoicing.invoice_date,
    }


def _remarks(dossier: Dossier) -> Remarks:
    flags = {
        REMARK_FLAGS[code]: True
        for code in [*dossier.remarks, *dossier.derived_remarks]
        if code in REMARK_FLAGS
    }
    return Remarks(**flags)
