"""What a certificate prints, read from the dossier, its trader and its department."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from chalicelib.adapters.certificate_store import AllocationRequest
from chalicelib.domain.certificate import CertificateContent, GoodsLine, Party, Remarks
from chalicelib.domain.dossiers import Dossier, Status, transition, vietnam_day
from chalicelib.domain.errors import ConflictError, NotFoundError
from chalicelib.domain.forms import Form, catalogue

# The exporter's remarks the certificate ticks; the derived ones are worked out at issuance.
REMARK_FLAGS = {
    "exhibition": "exhibition",
    "back_to_back": "back_to_back",
    "accumulation": "accumulation",
    "partial_cumulation": "partial_cumulation",
    "de_minimis": "de_minimis",
}
RETROACTIVE_FLAGS = {"issued_retroactively", "issued_retrospectively"}


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
        """What numbering needs; refuses, before a number is drawn, a certificate that could
        no longer be issued today (beyond the form's retroactive limit)."""
        dossier = self._dossier(dossier_id)
        department = self._departments.get(dossier.department_code)
        form = catalogue().form(dossier.form)
        today = vietnam_day(self._clock())
        _retroactive_remark(dossier, form, today)
        country = dossier.importing_country or ""
        return AllocationRequest(
            dossier_id=dossier.id,
            issuer_code=department.issuer_code,
            issuer_name=department.name_en,
            importing_party=form.importing_party_code(country),
            year=today.year,
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
        form = catalogue().form(dossier.form)
        today = vietnam_day(self._clock())  # the issue date printed: the day of rendering
        transport = dossier.transport
        return CertificateContent(
            form=dossier.form,
            reference_number=reference_number,
            exporter=Party(name=dossier.exporter.name, address=dossier.exporter.address,
                           country="VIET NAM", local_name=dossier.exporter.name_vi),
            consignee=Party(name=dossier.consignee.name, address=dossier.consignee.address,
                            country=country_name(dossier.consignee.country)),
            producer=_producer(dossier, form),
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
            remarks=_remarks(dossier, form, today),
            importing_country=country_name(dossier.consignee.country),
            importing_country_code=dossier.consignee.country,
            place_of_issue="Viet Nam",
            issue_date=today,
            declaration_place="Viet Nam",
            declaration_date=vietnam_day(dossier.submitted_at or self._clock()),
            signer_name=dossier.signing_leader,
            signer_title="Leader",
            department_name=department.name_en,
            sandbox=department.is_sandbox,
            verification_url=verification_url,
        )  # fmt: skip

    def signing_leader(self, dossier_id: str) -> str | None:
        """The leader who approved signing the dossier's certificate, once one has."""
        return self._dossier(dossier_id).signing_leader

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


def _remarks(dossier: Dossier, form: Form, issued_on: date) -> Remarks:
    """The exporter's remarks plus those derived from the dossier on the day of issue.

    Retroactive issuance is judged on the issue date, not on the submission day: amendments
    can carry a timely submission past the form's limit.
    """
    flags = {REMARK_FLAGS[code]: True for code in dossier.remarks or [] if code in REMARK_FLAGS}
    tci = dossier.third_country_invoicing is not None
    retroactive = _retroactive_remark(dossier, form, issued_on) in RETROACTIVE_FLAGS
    return Remarks(
        **flags,
        third_country_invoicing=tci and "third_country_invoicing" in form.remark_options,
        issued_retroactively=retroactive,
    )


def _retroactive_remark(dossier: Dossier, form: Form, issued_on: date) -> str | None:
    if dossier.transport is None:
        return None
    return form.retroactive_remark(dossier.transport.departure_date, issued_on)


def _producer(dossier: Dossier, form: Form) -> str | None:
    """What the form's producer box prints; None on forms without one."""
    box, producer = form.producer_box, dossier.producer
    if box is None or producer is None:
        return None
    if producer.mode == "named":
        return "\n".join(part for part in (producer.name, producer.address) if part)
    return box.texts[producer.mode]
