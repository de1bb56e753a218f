"""Use cases of T+1 reconciliation: a statement file arrives, statements are missing, the month
closes and its fees are due to the State Treasury.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import IO, Any, Protocol

from aws_lambda_powertools import Logger

from chalicelib.adapters.statement_formats import read_statements
from chalicelib.adapters.statement_formats.bank_csv import CsvProfile
from chalicelib.domain.errors import NotFoundError, ValidationFailedError
from chalicelib.domain.reconciliation import (
    ALERT_OUTCOMES,
    VIETNAM,
    Collection,
    Matcher,
    MismatchDigest,
    MismatchSummary,
    MissedPayment,
    Outcome,
    PendingPayment,
    ReconciliationPolicy,
    RecordedPayment,
    ReportRow,
    UnidentifiedCredit,
    remittance_of,
)
from chalicelib.domain.statements import (
    Statement,
    StatementCheck,
    StatementLine,
    StatementTally,
    check_statement,
)

logger = Logger(service="reconciliation")

_STATEMENT_KEY = re.compile(
    r"^statements/(?P<bank>[^/]+)/(?P<department>[^/]+)/(?P<day>\d{4}-\d{2}-\d{2})/[^/]+$"
)


class DepartmentDirectory(Protocol):
    def fee_account(self, department: str) -> str | None:
        """The department's fee-collection account number; None for an unknown department."""

    def live_departments(self) -> list[str]: ...

    def csv_profile(self, bank: str) -> CsvProfile | None: ...


class PaymentLedger(Protocol):
    def recorded_payments(self, department: str, day: date) -> Iterable[RecordedPayment]: ...

    def collections(self, department: str, day: date) -> Iterable[Collection]: ...


class StatementLedger(Protocol):
    def claim_file(self, department: str, day: date, file_hash: str, now: datetime) -> bool: ...

    def claim_statement_id(self, department: str, statement_id: str, file_hash: str) -> bool: ...

    def settle_statement_ids(
        self, department: str, statement_ids: Iterable[str], file_hash: str, status: str
    ) -> None: ...

    def release_claim(self, department: str, day: date, file_hash: str) -> None: ...

    def finish(
        self, department: str, day: date, file_hash: str, summary: dict[str, Any]
    ) -> None: ...

    def files_of_day(self, department: str, day: date) -> list[dict[str, Any]]: ...

    def previous_sequence_number(self, department: str, account: str, day: date) -> str | None: ...

    def note_sequence_number(
        self, department: str, account: str, day: date, sequence_number: str
    ) -> None: ...

    def pending_payments(self, department: str) -> Iterable[PendingPayment]: ...

    def save_pending(
        self,
        department: str,
        still_pending: Iterable[PendingPayment],
        resolved: Iterable[PendingPayment],
        *,
        resolved_on: date,
    ) -> None: ...


class ReportStore(Protocol):
    def put_report(self, department: str, day: str, file_hash: str, files: Any) -> list[str]: ...

    def put_document(self, key: str, body: bytes, content_type: str) -> None: ...

    def get_report(self, key: str) -> bytes: ...


class StatementFiles(Protocol):
    def download(self, bucket: str, key: str, into: IO[bytes]) -> None: ...


class MissedPaymentRecorder(Protocol):
    def record_missed_payment(
        self, department: str, missed: MissedPayment, source: StatementSource
    ) -> None:
        """Record a payment found only in the statement, so its dossier moves on."""

    def hold_unidentified_credit(
        self, department: str, credit: UnidentifiedCredit, source: StatementSource
    ) -> None:
        """Hold a credit naming no payment reference in suspense for operations, once."""


class Alerts(Protocol):
    def alert(self, department: str, kind: str, detail: str) -> None: ...

    def open_alerts(self, department: str, limit: int = 100) -> list[dict[str, str]]: ...


class DepartmentMail(Protocol):
    def tell_mismatches(self, summary: MismatchSummary) -> None:
        """E-mail the department's contacts what did not match, once per statement file."""


class Metrics(Protocol):
    def add_metric(self, name: str, unit: str, value: float) -> None: ...


@dataclass(frozen=True)
class StatementObject:
    bank: str
    department: str
    day: date

    @classmethod
    def from_key(cls, key: str) -> StatementObject:
        match = _STATEMENT_KEY.match(key)
        if match is None:
            raise ValidationFailedError(f"statement key {key!r} is not statements/bank/dept/day/")
        return cls(match["bank"], match["department"], date.fromisoformat(match["day"]))


@dataclass
class ReconcileOutcome:
    department: str
    day: date
    file_hash: str
    status: str
    report_keys: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class StatementSource:
    """Which bank and fee account a statement came from."""

    bank: str
    account: str


@dataclass
class _StatementFacts:
    checks: list[dict[str, Any]] = field(default_factory=list)
    problems: set[str] = field(default_factory=set)
    blocking: bool = False
    sequence_number: str | None = None
    statement_ids: list[str] = field(default_factory=list)
    applied: bool = False


class ReconciliationService:
    def __init__(
        self,
        *,
        departments: DepartmentDirectory,
        payments: PaymentLedger,
        statements: StatementLedger,
        reports: ReportStore,
        files: StatementFiles,
        recorder: MissedPaymentRecorder,
        alerts: Alerts,
        metrics: Metrics,
        policy: ReconciliationPolicy | None = None,
        clock: Any = None,
        department_mail: DepartmentMail | None = None,
    ) -> None:
        self._departments = departments
        self._payments = payments
        self._statements = statements
        self._reports = reports
        self._files = files
        self._recorder = recorder
        self._alerts = alerts
        self._metrics = metrics
        self._policy = policy or ReconciliationPolicy()
        self._clock = clock or (lambda: datetime.now(UTC))
        self._department_mail = department_mail

    def reconcile_statement_object(
        self, bucket: str, key: str, *, rerun: bool = False
    ) -> ReconcileOutcome:
        """Reconcile one statement file dropped under statements/{bank}/{dept}/{day}/.

        A file seen before is skipped, unless operations ask for a `rerun` after late fixes;
        a rerun with unchanged inputs rewrites a byte-identical report.
        """
        target = StatementObject.from_key(key)
        fee_account = self._departments.fee_account(target.department)
        if fee_account is None:
            raise NotFoundError(f"statement for unknown department {target.department!r}")

        with tempfile.TemporaryFile() as local:
            file_hash = self._download(bucket, key, local)
            claimed = rerun or self._statements.claim_file(
                target.department, target.day, file_hash, self._clock()
            )
            if not claimed:
                logger.info(
                    "statement file already reconciled",
                    department=target.department,
                    file_hash=file_hash,
                )
                return ReconcileOutcome(target.department, target.day, file_hash, "duplicate")
            try:
                return self._reconcile_file(target, fee_account, file_hash, local)
            except Exception:
                # The delivery fails and is retried, then dead-lettered: the claim must not
                # make a retry look like a duplicate.
                self._statements.release_claim(target.department, target.day, file_hash)
                raise

    def reconcile_file(
        self, target: StatementObject, fee_account: str, file_hash: str, local: IO[bytes]
    ) -> ReconcileOutcome:
        """Reconcile an already claimed local file (also used by the benchmark)."""
        return self._reconcile_file(target, fee_account, file_hash, local)

    def statement_files(self, department: str, day: date) -> list[dict[str, Any]]:
        """The files reconciled for a day, in the order they were reconciled (the last is the
        latest), as operations see them."""
        return [
            {
                "file_hash": item["SK"],
                "status": item.get("status", ""),
                "sequence_number": item.get("sequence_number", ""),
                "report_keys": list(item.get("report_keys", [])),
            }
            for item in self._statements.files_of_day(department, day)
        ]

    def report(self, key: str) -> bytes:
        return self._reports.get_report(key)

    def open_alerts(self, department: str) -> list[dict[str, str]]:
        """The department's open operations alerts, newest first."""
        return self._alerts.open_alerts(department)

    def check_statements_arrived(self, day: date) -> list[str]:
        """Departments live on `day` whose statement for it has not been reconciled; alerted."""
        missing = []
        for department in sorted(self._departments.live_departments()):
            if not self._statements.files_of_day(department, day):
                missing.append(department)
                self._alerts.alert(department, "statement_missing", f"no statement for {day}")
        self._metrics.add_metric("StatementsMissing", "Count", len(missing))
        logger.info("statement arrival checked", day=day.isoformat(), missing=len(missing))
        return missing

    def monthly_remittance(self, department: str, month: str) -> dict[str, Any]:
        """Fees collected in `month` (yyyy-mm), due to the State Treasury by the 5th after:
        credits, less overpayments due back to their payers, less reversals."""
        first = date.fromisoformat(f"{month}-01")
        following = (first + timedelta(days=32)).replace(day=1)
        days: list[dict[str, Any]] = []
        day = first
        while day < following:
            collections = list(self._payments.collections(department, day))
            if collections:
                days.append({"day": day.isoformat(), **remittance_of(collections)})
            day += timedelta(days=1)
        sums = ("payments", "collected_vnd", "refund_due_vnd", "reversed_vnd", "total_vnd")
        statement = {
            "department": department,
            "month": month,
            "due_by": following.replace(day=5).isoformat(),
            **{name: sum(entry[name] for entry in days) for name in sums},
            "days": days,
        }
        key = f"reports/remittance/{department}/{month}.json"
        body = _canonical_json(statement)
        self._reports.put_document(key, body, "application/json")
        logger.info("remittance statement written", department=department, month=month)
        return {**statement, "report_key": key}

    def _download(self, bucket: str, key: str, local: IO[bytes]) -> str:
        self._files.download(bucket, key, local)
        local.seek(0)
        digest = hashlib.sha256()
        while chunk := local.read(1 << 20):
            digest.update(chunk)
        local.seek(0)
        return digest.hexdigest()

    def _reconcile_file(
        self, target: StatementObject, fee_account: str, file_hash: str, local: IO[bytes]
    ) -> ReconcileOutcome:
        facts = _StatementFacts()
        try:
            return self._reconcile_claimed(target, fee_account, file_hash, local, facts)
        except Exception:
            # A run that failed before applying anything frees its statement ids for a
            # corrected file; one that failed later keeps them for its own retry.
            if not facts.applied:
                self._statements.settle_statement_ids(
                    target.department, facts.statement_ids, file_hash, "failed"
                )
            raise

    def _reconcile_claimed(
        self,
        target: StatementObject,
        fee_account: str,
        file_hash: str,
        local: IO[bytes],
        facts: _StatementFacts,
    ) -> ReconcileOutcome:
        from chalicelib.adapters.reconciliation_report import ReportFiles

        department, day = target.department, target.day
        previous_sequence = self._statements.previous_sequence_number(department, fee_account, day)
        statements = read_statements(
            local,
            csv_profile=self._departments.csv_profile(target.bank),
            statement_id=file_hash,
            account=fee_account,
        )
        lines = self._checked_lines(
            statements, facts, fee_account, previous_sequence, target, file_hash
        )
        header = {"department": department, "day": day.isoformat(), "file_hash": file_hash}
        report = ReportFiles(header)
        digest = MismatchDigest(report)
        try:
            matcher = Matcher(
                day,
                lambda: self._payments.recorded_payments(department, day),
                self._statements.pending_payments(department),
                digest,
                self._policy,
            )
            result = matcher.run(lines)
            status = "flagged" if facts.blocking else "reconciled"
            summary: dict[str, Any] = {
                "status": status,
                "statements": facts.checks,
                "problems": sorted(facts.problems),
                "counts": dict(sorted(result.counts.items())),
                "matched_total": str(result.matched_total),
                "sequence_number": facts.sequence_number,
            }
            report.finish(summary)
            report_keys = self._reports.put_report(department, day.isoformat(), file_hash, report)
        finally:
            report.close()

        facts.applied = True
        self._apply(department, facts, result, StatementSource(target.bank, fee_account))
        finished = {**summary, "report_keys": report_keys, "finished_at": self._clock().isoformat()}
        self._statements.finish(department, day, file_hash, finished)
        self._statements.settle_statement_ids(department, facts.statement_ids, file_hash, status)
        if facts.sequence_number:
            self._statements.note_sequence_number(
                department, fee_account, day, facts.sequence_number
            )
        self._publish(department, summary)
        self._tell_department(_mismatches(target, file_hash, summary, digest, report_keys))
        return ReconcileOutcome(
            department, day, file_hash, status, report_keys, summary["counts"], summary["problems"]
        )

    def _checked_lines(
        self,
        statements: Iterator[Statement],
        facts: _StatementFacts,
        fee_account: str,
        previous_sequence: str | None,
        target: StatementObject,
        file_hash: str,
    ) -> Iterator[StatementLine]:
        department = target.department
        for statement in statements:
            if statement.statement_id and not self._statements.claim_statement_id(
                department, statement.statement_id, file_hash
            ):
                facts.problems.add("duplicate_statement")
                facts.blocking = True
                for _ in statement.lines:
                    pass
                continue
            if statement.statement_id:
                facts.statement_ids.append(statement.statement_id)
            tally = StatementTally()
            for line in statement.lines:
                tally.add(line)
                yield line
            check = check_statement(
                statement,
                tally,
                fee_account=fee_account,
                previous_sequence_number=previous_sequence,
                statement_day=target.day,
            )
            previous_sequence = statement.sequence_number or previous_sequence
            facts.sequence_number = statement.sequence_number or facts.sequence_number
            self._note_check(facts, statement, tally, check)

    def _note_check(
        self,
        facts: _StatementFacts,
        statement: Statement,
        tally: StatementTally,
        check: StatementCheck,
    ) -> None:
        facts.checks.append(
            {
                "statement_id": statement.statement_id,
                "account": statement.account,
                "currency": statement.currency,
                "sequence_number": statement.sequence_number,
                "opening_balance": _text(statement.opening_balance),
                "closing_balance": _text(statement.closing_balance),
                "lines": tally.lines,
                "problems": [problem.value for problem in check.problems],
                "details": list(check.details),
            }
        )
        facts.problems.update(problem.value for problem in check.problems)
        facts.blocking = facts.blocking or check.is_blocking

    def _apply(
        self, department: str, facts: _StatementFacts, result: Any, source: StatementSource
    ) -> None:
        if facts.blocking:
            # NOTE: a flagged statement repairs nothing; operations re-drop a corrected file.
            self._alerts.alert(department, "statement_flagged", ", ".join(sorted(facts.problems)))
            return
        for missed in result.missed_payments:
            self._recorder.record_missed_payment(department, missed, source)
        for credit in result.unidentified:
            self._recorder.hold_unidentified_credit(department, credit, source)
        self._statements.save_pending(
            department, result.still_pending, result.resolved_pending, resolved_on=result.day
        )

    def _publish(self, department: str, summary: dict[str, Any]) -> None:
        for outcome, count in summary["counts"].items():
            self._metrics.add_metric(f"Reconciliation_{outcome}", "Count", count)
        alerts = {
            outcome: count
            for outcome, count in summary["counts"].items()
            if Outcome(outcome) in ALERT_OUTCOMES and count
        }
        if alerts:
            detail = ", ".join(f"{outcome}={count}" for outcome, count in alerts.items())
            self._alerts.alert(department, "reconciliation_mismatch", detail)
        logger.info(
            "statement reconciled",
            department=department,
            status=summary["status"],
            counts=summary["counts"],
        )

    def _tell_department(self, summary: MismatchSummary) -> None:
        if self._department_mail is None or not summary.worth_telling:
            return
        try:
            self._department_mail.tell_mismatches(summary)
        except Exception:
            # The reconciliation stands; operations still see the alerts.
            logger.exception("department not told of mismatches", department=summary.department)


def _mismatches(
    target: StatementObject,
    file_hash: str,
    summary: dict[str, Any],
    digest: MismatchDigest,
    report_keys: list[str],
) -> MismatchSummary:
    return MismatchSummary(
        department=target.department,
        day=target.day,
        file_hash=file_hash,
        status=summary["status"],
        problems=tuple(summary["problems"]),
        counts={
            outcome: count
            for outcome, count in summary["counts"].items()
            if Outcome(outcome) in ALERT_OUTCOMES
        },
        rows=tuple(digest.rows),
        total_rows=digest.total,
        report_keys=tuple(report_keys),
    )


def day_report_keys(files: list[dict[str, Any]], file_hash: str | None) -> dict[str, str]:
    """The report keys of one file of the day (the named one, else the last listed)."""
    chosen = [item for item in files if file_hash in (None, item["file_hash"])]
    if not chosen:
        return {}
    return {key.rsplit(".", 1)[-1]: key for key in chosen[-1]["report_keys"]}


def yesterday_in_vietnam(now: datetime) -> date:
    return now.astimezone(VIETNAM).date() - timedelta(days=1)


def previous_month(now: datetime) -> str:
    first = now.astimezone(VIETNAM).date().replace(day=1)
    return (first - timedelta(days=1)).strftime("%Y-%m")


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _canonical_json(document: dict[str, Any]) -> bytes:
    import json

    return json.dumps(document, sort_keys=True, ensure_ascii=False).encode("utf-8")


__all__ = ["ReconcileOutcome", "ReconciliationService", "ReportRow", "StatementObject"]
