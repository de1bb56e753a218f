from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from chalicelib.adapters.certificate_store import (
    AllocationRequest,
    CertificateStore,
    DossierIssuedUpdate,
)
from chalicelib.domain.certificate import CertificateStatus
from chalicelib.domain.errors import ConflictError
from chalicelib.domain.reference_numbers import parse_reference


def _request(dossier_id: str, *, sandbox: bool = False, issuer: str = "01") -> AllocationRequest:
    return AllocationRequest(
        dossier_id=dossier_id,
        issuer_code=issuer,
        issuer_name="Dak Lak Department of Industry and Trade",
        importing_party="TH",
        year=2026,
        exporter_name="Krong Pac Coffee Company Limited",
        importing_country="Thailand",
        goods_summary="HS 0901.11: green coffee",
        sandbox=sandbox,
    )


def _signed_dossier(table, dossier_id: str) -> None:
    table.put_item(Item={"PK": f"DOSSIER#{dossier_id}", "SK": "META", "status": "signed"})


def test_first_allocation_of_a_year_is_number_one_and_records_a_pending_certificate(table):
    store = CertificateStore(table)

    record = store.allocate(_request("d1"))

    assert record.reference_number == "VN-TH 26/01/00001"
    assert store.get("VN-TH 26/01/00001") == record
    assert record.status is CertificateStatus.PENDING


def test_allocating_again_for_the_same_dossier_returns_the_same_number(table):
    store = CertificateStore(table)

    first = store.allocate(_request("d1"))
    again = store.allocate(_request("d1"))
    other = store.allocate(_request("d2"))

    assert again.reference_number == first.reference_number
    assert other.reference_number == "VN-TH 26/01/00002"


def test_sequences_are_separate_per_issuer_and_for_sandbox(table):
    store = CertificateStore(table)

    real = store.allocate(_request("d1"))
    other_issuer = store.allocate(_request("d2", issuer="02"))
    test = store.allocate(_request("d3", sandbox=True))

    assert real.reference_number == "VN-TH 26/01/00001"
    assert other_issuer.reference_number == "VN-TH 26/02/00001"
    assert test.reference_number == "VN-TH 26/01/T0001"
    assert parse_reference(test.reference_number).test


class _OneRequestAtATime:
    """moto applies a transaction by copying the table, which is not thread-safe in-process.

    DynamoDB itself applies each request atomically; serialising single requests emulates
    that while the read-then-conditional-write races between threads stay real.
    """

    def __init__(self, target, lock):
        self._target, self._lock = target, lock
        self.name = getattr(target, "name", None)

    @property
    def meta(self):
        return SimpleNamespace(client=_OneRequestAtATime(self._target.meta.client, self._lock))

    def __getattr__(self, attr):
        method = getattr(self._target, attr)

        def locked(*args, **kwargs):
            with self._lock:
                return method(*args, **kwargs)

        return locked


def test_fifty_concurrent_allocations_yield_fifty_distinct_consecutive_numbers(table):
    store = CertificateStore(_OneRequestAtATime(table, threading.Lock()))

    with ThreadPoolExecutor(max_workers=10) as pool:
        records = list(pool.map(lambda i: store.allocate(_request(f"d{i}")), range(50)))

    numbers = sorted(parse_reference(r.reference_number).sequence for r in records)
    assert numbers == list(range(1, 51))
    assert table.get_item(Key={"PK": "SEQ#01#26", "SK": "SEQ"})["Item"]["last"] == 50


def test_publication_marks_certificate_valid_and_dossier_issued_together(table):
    store = CertificateStore(table)
    record = store.allocate(_request("d1"))
    _signed_dossier(table, "d1")
    at = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)
    update = DossierIssuedUpdate("d1", record.reference_number, "certificates/x/abc.pdf", at)

    published = store.publish(record.reference_number, "a" * 64, "certificates/x/abc.pdf", update)

    assert published.status is CertificateStatus.VALID
    assert published.pdf_sha256 == "a" * 64
    dossier = table.get_item(Key={"PK": "DOSSIER#d1", "SK": "META"})["Item"]
    assert dossier["status"] == "issued"
    assert dossier["reference_number"] == record.reference_number
    assert store.find_by_pdf_sha256("a" * 64).reference_number == record.reference_number


def test_publication_changes_nothing_when_the_dossier_is_not_signed(table):
    store = CertificateStore(table)
    record = store.allocate(_request("d1"))
    table.put_item(Item={"PK": "DOSSIER#d1", "SK": "META", "status": "awaiting_signature"})
    update = DossierIssuedUpdate("d1", record.reference_number, "k", datetime.now(UTC))

    with pytest.raises(ConflictError):
        store.publish(record.reference_number, "b" * 64, "k", update)

    assert store.get(record.reference_number).status is CertificateStatus.PENDING
    assert store.find_by_pdf_sha256("b" * 64) is None


def test_sandbox_certificate_is_published_with_status_test(table):
    store = CertificateStore(table)
    record = store.allocate(_request("d1", sandbox=True))
    _signed_dossier(table, "d1")
    update = DossierIssuedUpdate("d1", record.reference_number, "k", datetime.now(UTC))

    published = store.publish(record.reference_number, "c" * 64, "k", update)

    assert published.status is CertificateStatus.TEST


def test_cancelling_requires_the_expected_status(table):
    store = CertificateStore(table)
    record = store.allocate(_request("d1"))

    with pytest.raises(ConflictError):
        store.change_status(
            record.reference_number, CertificateStatus.CANCELLED, CertificateStatus.VALID
        )
