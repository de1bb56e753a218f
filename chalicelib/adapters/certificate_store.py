"""Certificate records, their gap-free reference number sequences, and publication writes.

Items (one table):
- `SEQ#{issuer}#{yy}` / `SEQ` (`SEQ#TEST#{issuer}#{yy}` for sandbox): `last` number issued.
- `CO#{reference}` / `META`: the certificate record.
- `DOSSIER#{id}` / `CERTIFICATE`: the dossier's reference, so a repeated allocation for the
  same dossier returns the number it already has instead of drawing another.
- `COPDF#{sha256}` / `META`: the published file's hash, for verification by file.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.domain.certificate import CertificateRecord, CertificateStatus, Rendering
from chalicelib.domain.errors import ConflictError, NotFoundError, TransientError
from chalicelib.domain.reference_numbers import format_reference, sequence_key

_MAX_ATTEMPTS = 200
_RETRYABLE = {"TransactionConflictException", "ThrottlingException",
              "ProvisionedThroughputExceededException", "InternalServerError"}  # fmt: skip


@dataclass(frozen=True)
class AllocationRequest:
    """What is known about a certificate when its number is drawn."""

    dossier_id: str
    issuer_code: str
    issuer_name: str
    importing_party: str
    year: int
    exporter_name: str
    importing_country: str
    goods_summary: str
    sandbox: bool = False


@dataclass(frozen=True)
class DossierIssuedUpdate:
    """The dossier half of the publication transaction.

    The dossier repository may supply its own `transact_item()` (e.g. with version and
    history); this default moves `DOSSIER#{id}`/`META` from `signed` to `issued`.
    """

    dossier_id: str
    reference_number: str
    pdf_key: str
    issued_at: datetime

    def transact_item(self, table_name: str) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": table_name,
                "Key": {"PK": f"DOSSIER#{self.dossier_id}", "SK": "META"},
                "UpdateExpression": (
                    "SET #status = :issued, reference_number = :ref, "
                    "certificate_pdf_key = :key, issued_at = :at"
                ),
                "ConditionExpression": "#status = :signed",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": {
                    ":issued": "issued",
                    ":signed": "signed",
                    ":ref": self.reference_number,
                    ":key": self.pdf_key,
                    ":at": self.issued_at.isoformat(),
                },
            }
        }


class CertificateStore:
    def __init__(self, table: Any) -> None:
        self._table = table
        self._client = table.meta.client
        self._name = table.name

    def allocate(
        self, request: AllocationRequest, now: datetime | None = None
    ) -> CertificateRecord:
        """Draw the next number and record the certificate in one transaction.

        Optimistic: read the counter, then write it conditioned on the value read; a lost race
        retries. Repeating the call for the same dossier returns the record it already has.
        """
        now = now or datetime.now(UTC)
        for attempt in range(_MAX_ATTEMPTS):
            existing = self.get_by_dossier(request.dossier_id)
            if existing is not None:
                return existing
            record = self._build_record(request, self._last_number(request) + 1, now)
            if self._try_allocate(request, record):
                return record
            time.sleep(random.uniform(0, min(0.05, 0.002 * (attempt + 1))))  # noqa: S311
        raise TransientError("Reference number allocation kept conflicting; retry later")

    def get(self, reference_number: str) -> CertificateRecord | None:
        item = self._get_item(f"CO#{reference_number}", "META")
        return _record_from_item(item) if item else None

    def get_by_dossier(self, dossier_id: str) -> CertificateRecord | None:
        link = self._get_item(f"DOSSIER#{dossier_id}", "CERTIFICATE")
        return self.get(link["reference_number"]) if link else None

    def find_by_pdf_sha256(self, sha256: str) -> CertificateRecord | None:
        item = self._get_item(f"COPDF#{sha256.lower()}", "META")
        return self.get(item["reference_number"]) if item else None

    def record_rendering(self, reference_number: str, rendering: Rendering) -> None:
        """Record what a fresh rendering printed; only before publication."""
        self._update(
            reference_number,
            "SET verification_code_hash = :h, issue_date = :d, signer_name = :s, "
            "department_name = :dep, signature_box = :box",
            "#status = :pending",
            {":h": rendering.verification_code_hash, ":d": rendering.issue_date.isoformat(),
             ":s": rendering.signer_name, ":dep": rendering.department_name,
             ":box": rendering.signature_box, ":pending": "pending"},
        )  # fmt: skip

    def record_signer(self, reference_number: str, signer_name: str) -> None:
        """Record the leader whose signature the signed copy carries; only before publication."""
        self._update(reference_number, "SET signer_name = :s", "#status = :pending",
                     {":s": signer_name, ":pending": "pending"})  # fmt: skip

    def publish(
        self,
        reference_number: str,
        pdf_sha256: str,
        pdf_key: str,
        dossier_update: Any,
        published_at: datetime | None = None,
    ) -> CertificateRecord:
        """Mark the certificate published and the dossier issued, together.

        `dossier_update` has `transact_item(table_name) -> dict` (see DossierIssuedUpdate).
        """
        record = self._require(reference_number)
        if record.status is not CertificateStatus.PENDING:
            if record.pdf_sha256 == pdf_sha256:
                return record  # a repeated publication of the same file
            raise ConflictError(f"Certificate {reference_number} is already {record.status}")
        status = CertificateStatus.TEST if record.sandbox else CertificateStatus.VALID
        at = (published_at or datetime.now(UTC)).isoformat()
        items = [
            self._publish_certificate_item(reference_number, pdf_sha256, pdf_key, status, at),
            {"Put": {"TableName": self._name, "ConditionExpression": "attribute_not_exists(PK)",
                     "Item": {"PK": f"COPDF#{pdf_sha256}", "SK": "META",
                              "reference_number": reference_number}}},
            dossier_update.transact_item(self._name),
            # A dossier update may bring more items, such as its history event.
            *getattr(dossier_update, "extra_items", lambda _name: [])(self._name),
        ]  # fmt: skip
        self._transact(items, f"publish {reference_number}")
        return self._require(reference_number)

    def change_status(
        self, reference_number: str, new: CertificateStatus, expected: CertificateStatus
    ) -> None:
        """Cancel or mark replaced an issued certificate (conditional on its current status)."""
        self._update(
            reference_number,
            "SET #status = :new",
            "#status = :expected",
            {":new": new.value, ":expected": expected.value},
        )

    def _build_record(
        self, request: AllocationRequest, number: int, now: datetime
    ) -> CertificateRecord:
        reference = format_reference(
            request.importing_party, request.year, request.issuer_code, number,
            test=request.sandbox,
        )  # fmt: skip
        return CertificateRecord(
            reference_number=str(reference),
            dossier_id=request.dossier_id,
            status=CertificateStatus.PENDING,
            issuer_code=request.issuer_code,
            issuer_name=request.issuer_name,
            exporter_name=request.exporter_name,
            importing_country=request.importing_country,
            goods_summary=request.goods_summary,
            sandbox=request.sandbox,
            allocated_at=now,
        )

    def _last_number(self, request: AllocationRequest) -> int:
        key = sequence_key(request.issuer_code, request.year, test=request.sandbox)
        item = self._get_item(key, "SEQ")
        return int(item["last"]) if item else 0

    def _try_allocate(self, request: AllocationRequest, record: CertificateRecord) -> bool:
        number = format_reference_sequence(record.reference_number)
        counter: dict[str, Any] = {
            "TableName": self._name,
            "Key": {"PK": sequence_key(request.issuer_code, request.year, test=request.sandbox),
                    "SK": "SEQ"},
            "UpdateExpression": "SET #last = :next",
            "ExpressionAttributeNames": {"#last": "last"},
            "ExpressionAttributeValues": {":next": number},
        }  # fmt: skip
        if number == 1:
            counter["ConditionExpression"] = "attribute_not_exists(#last)"
        else:
            counter["ConditionExpression"] = "#last = :current"
            counter["ExpressionAttributeValues"][":current"] = number - 1
        items = [
            {"Update": counter},
            _put_new(self._name, _item_from_record(record)),
            _put_new(self._name, {"PK": f"DOSSIER#{record.dossier_id}", "SK": "CERTIFICATE",
                                  "reference_number": record.reference_number}),
        ]  # fmt: skip
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as err:
            if _error_code(err) in {"TransactionCanceledException", *_RETRYABLE}:
                return False
            raise TransientError("Reference number allocation failed") from err
        return True

    def _publish_certificate_item(
        self, reference: str, sha256: str, key: str, status: CertificateStatus, at: str
    ) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self._name,
                "Key": {"PK": f"CO#{reference}", "SK": "META"},
                "UpdateExpression": (
                    "SET #status = :status, pdf_sha256 = :sha, pdf_key = :key, "
                    "published_at = :at"
                ),
                "ConditionExpression": "#status = :pending",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": {
                    ":status": status.value, ":sha": sha256, ":key": key, ":at": at,
                    ":pending": "pending",
                },
            }
        }  # fmt: skip

    def _transact(self, items: list[dict[str, Any]], what: str) -> None:
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as err:
            code = _error_code(err)
            if code == "TransactionCanceledException":
                reasons = [r.get("Code") for r in err.response.get("CancellationReasons", [])]
                if "TransactionConflict" in reasons:
                    raise TransientError(f"Concurrent write during {what}") from err
                raise ConflictError(f"Cannot {what}: state changed ({reasons})") from err
            if code in _RETRYABLE:
                raise TransientError(f"Cannot {what} now") from err
            raise

    def _update(
        self, reference: str, expression: str, condition: str, values: dict[str, Any]
    ) -> None:
        try:
            self._table.update_item(
                Key={"PK": f"CO#{reference}", "SK": "META"},
                UpdateExpression=expression,
                ConditionExpression=f"attribute_exists(PK) AND {condition}",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=values,
            )
        except ClientError as err:
            if _error_code(err) == "ConditionalCheckFailedException":
                if self.get(reference) is None:
                    raise NotFoundError(f"No certificate {reference}") from err
                raise ConflictError(f"Certificate {reference} is not in that status") from err
            raise TransientError(f"Cannot update certificate {reference}") from err

    def _require(self, reference: str) -> CertificateRecord:
        record = self.get(reference)
        if record is None:
            raise NotFoundError(f"No certificate {reference}")
        return record

    def _get_item(self, pk: str, sk: str) -> dict[str, Any] | None:
        try:
            response = self._table.get_item(Key={"PK": pk, "SK": sk}, ConsistentRead=True)
        except ClientError as err:
            raise TransientError("Certificate table unavailable") from err
        return response.get("Item")


def format_reference_sequence(reference_number: str) -> int:
    """The sequence number of a printed reference (real or test series)."""
    return int(reference_number.rsplit("/", 1)[1].lstrip("T"))


def _put_new(table_name: str, item: dict[str, Any]) -> dict[str, Any]:
    return {"Put": {"TableName": table_name, "Item": item,
                    "ConditionExpression": "attribute_not_exists(PK)"}}  # fmt: skip


def _item_from_record(record: CertificateRecord) -> dict[str, Any]:
    data = record.model_dump(mode="json", exclude_none=True)
    return {"PK": f"CO#{record.reference_number}", "SK": "META", **data}


def _record_from_item(item: dict[str, Any]) -> CertificateRecord:
    data = {k: v for k, v in item.items() if k not in {"PK", "SK"}}
    return CertificateRecord.model_validate(data)


def _error_code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))
