"""The composition root: builds every adapter from the settings, once per container.

Handlers ask the container for what they need; nothing else constructs clients. Tests
replace the container (or one of its parts, such as the clock) through `use_container`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from chalicelib.settings import Settings, settings

if TYPE_CHECKING:
    from chalicelib.adapters.attachment_bucket import AttachmentBucket
    from chalicelib.adapters.certificate_files import CertificateFiles
    from chalicelib.adapters.certificate_store import CertificateStore
    from chalicelib.adapters.department_accounts import TableDepartmentAccounts
    from chalicelib.adapters.department_directory import TableDepartmentDirectory
    from chalicelib.adapters.dossier_store import DossierStore
    from chalicelib.adapters.fee_schedule_store import TableFeeSchedule
    from chalicelib.adapters.idempotency_store import IdempotencyStore
    from chalicelib.adapters.receipt_files import ReceiptFiles
    from chalicelib.adapters.receipt_store import ReceiptStore
    from chalicelib.adapters.tokens import TokenVerifier
    from chalicelib.adapters.workflow import StepFunctionsWorkflow
    from chalicelib.domain.receipt_provider import PdfSigner
    from chalicelib.domain.receipts import Collector
    from chalicelib.services.certificates import CertificateSigner
    from chalicelib.services.departments import DepartmentService
    from chalicelib.services.dossiers import DossierService
    from chalicelib.services.payments import Payments
    from chalicelib.services.receipts import ReceiptDesk
    from chalicelib.services.reconciliation import ReconciliationService
    from chalicelib.services.traders import TraderService


# Every AWS service the container makes a client or resource for.
AWS_SERVICES = frozenset({"dynamodb", "s3", "stepfunctions", "secretsmanager", "kms", "ses"})


def _services_loader() -> Any:
    """botocore's model loader, told which services exist instead of listing its data folder
    (some 400 services, three times over): that listing costs a cold start 30 to 50 ms."""
    from botocore.loaders import Loader

    class ServicesLoader(Loader):  # type: ignore[misc]
        def list_available_services(self, type_name: str) -> list[str]:
            return sorted(AWS_SERVICES)

    return ServicesLoader()


def system_clock() -> datetime:
    return datetime.now(UTC)


class Container:
    def __init__(self, config: Settings, clock: Callable[[], datetime] = system_clock) -> None:
        self.settings = config
        self.clock = clock

    @cached_property
    def session(self) -> Any:
        import boto3
        import botocore.session

        core = botocore.session.Session()
        core.register_component("data_loader", _services_loader())
        return boto3.session.Session(region_name=self.settings.AWS_REGION, botocore_session=core)

    @cached_property
    def dynamodb(self) -> Any:
        return self.session.resource("dynamodb")

    @cached_property
    def table(self) -> Any:
        return self.dynamodb.Table(self.settings.TABLE_NAME)

    @cached_property
    def s3(self) -> Any:
        from botocore.config import Config

        return self.session.client("s3", config=Config(signature_version="s3v4"))

    @cached_property
    def stepfunctions(self) -> Any:
        return self.session.client("stepfunctions")

    @cached_property
    def secretsmanager(self) -> Any:
        return self.session.client("secretsmanager")

    @cached_property
    def kms(self) -> Any:
        return self.session.client("kms")

    @cached_property
    def ses(self) -> Any:
        return self.session.client("ses")

    @cached_property
    def workflow(self) -> StepFunctionsWorkflow:
        from chalicelib.adapters.workflow import StepFunctionsWorkflow

        return StepFunctionsWorkflow(
            self.stepfunctions,
            self.settings.DOSSIER_STATE_MACHINE_ARN,
            self.settings.PAYMENT_TIMEOUT_DAYS * 86400,
        )

    @cached_property
    def payments(self) -> Payments:
        from chalicelib.adapters.payment_store import PaymentStore
        from chalicelib.adapters.secrets import SecretsManagerBankSecrets
        from chalicelib.services.payments import Payments

        secrets = SecretsManagerBankSecrets(
            self.secretsmanager, self.settings.BANK_SECRET_PREFIX + "{bank}"
        )
        return Payments(
            store=PaymentStore(self.table),
            secrets=secrets,
            workflow=self.workflow,
            fee_schedule=self.fee_schedule.schedule,
        )

    @cached_property
    def fee_schedule(self) -> TableFeeSchedule:
        from chalicelib.adapters.fee_schedule_store import TableFeeSchedule

        return TableFeeSchedule(self.table)

    @cached_property
    def receipt_store(self) -> ReceiptStore:
        from chalicelib.adapters.receipt_store import ReceiptStore

        return ReceiptStore(self.table)

    @cached_property
    def receipt_files(self) -> ReceiptFiles:
        from chalicelib.adapters.receipt_files import ReceiptFiles

        return ReceiptFiles(self.s3, self.settings.DOCUMENTS_BUCKET)

    @cached_property
    def receipt_signer(self) -> PdfSigner:
        from chalicelib.adapters.signing import CollectorPdfSigner

        # The department's signing key also signs its receipts, invisibly.
        # NOTE: sandbox departments' test receipts are signed with the live key too; they are
        # marked test receipts, and a per-department receipt signer is still to be wired.
        return CollectorPdfSigner(self.certificate_signer, self.settings.SIGNING_SECRET_NAME)

    def receipt_desk(self, collector: Collector) -> ReceiptDesk:
        from chalicelib.adapters.receipt_providers import receipt_provider_for
        from chalicelib.services.receipts import ReceiptDesk

        provider = receipt_provider_for(
            collector.provider,
            sandbox=collector.sandbox,
            test_receipts_for_live=self.settings.TEST_RECEIPTS_FOR_LIVE_DEPARTMENTS,
            s3=self.s3,
            bucket=self.settings.DOCUMENTS_BUCKET,
            signer=lambda: self.receipt_signer,
            secrets=self.secretsmanager,
        )
        return ReceiptDesk(store=self.receipt_store, provider=provider, now=self.clock)

    @cached_property
    def dossier_store(self) -> DossierStore:
        from chalicelib.adapters.dossier_store import DossierStore

        return DossierStore(self.table)

    @cached_property
    def attention_list(self) -> Any:
        from chalicelib.adapters.attention_list import AttentionList

        return AttentionList(self.table, self.dossier_store)

    @cached_property
    def task_tokens(self) -> Any:
        from chalicelib.adapters.task_tokens import TaskTokens

        return TaskTokens(self.table)

    @cached_property
    def mailer(self) -> Any:
        from chalicelib.adapters.mail import Mailer

        return Mailer(self.ses, self.settings.MAIL_SENDER)

    @cached_property
    def token_verifier(self) -> TokenVerifier:
        from chalicelib.adapters.tokens import TokenVerifier

        return TokenVerifier(
            self.settings.JWKS_URL, self.settings.JWT_ISSUER, self.settings.JWT_AUDIENCE
        )

    @cached_property
    def idempotency_store(self) -> IdempotencyStore:
        from chalicelib.adapters.idempotency_store import IdempotencyStore

        return IdempotencyStore(self.table)

    @cached_property
    def attachment_bucket(self) -> AttachmentBucket:
        from chalicelib.adapters.attachment_bucket import AttachmentBucket

        return AttachmentBucket(self.s3, self.settings.DOCUMENTS_BUCKET)

    @cached_property
    def department_directory(self) -> TableDepartmentDirectory:
        from chalicelib.adapters.department_directory import TableDepartmentDirectory

        return TableDepartmentDirectory(self.table)

    @cached_property
    def trader_service(self) -> TraderService:
        from chalicelib.services.traders import TraderService

        return TraderService(self.dossier_store, self.clock)

    @cached_property
    def dossier_service(self) -> DossierService:
        from chalicelib.domain.forms import catalogue
        from chalicelib.services.dossiers import DossierService
        from chalicelib.services.workflow import SubmissionPayments

        return DossierService(
            self.dossier_store,
            self.attachment_bucket,
            self.department_directory,
            self.workflow,
            catalogue(),
            self.clock,
            orders=SubmissionPayments(self),
        )

    @cached_property
    def departments(self) -> DepartmentService:
        from chalicelib.adapters.department_store import DepartmentStore
        from chalicelib.services.departments import DepartmentService

        served = frozenset(code for code in self.settings.DEPARTMENT_CODES.split(",") if code)
        return DepartmentService(DepartmentStore(self.table), clock=self.clock, served=served)

    @cached_property
    def certificate_store(self) -> CertificateStore:
        from chalicelib.adapters.certificate_store import CertificateStore

        return CertificateStore(self.table)

    @cached_property
    def certificate_files(self) -> CertificateFiles:
        from chalicelib.adapters.certificate_files import CertificateFiles

        return CertificateFiles(self.s3, self.settings.DOCUMENTS_BUCKET)

    @cached_property
    def certificate_signer(self) -> CertificateSigner:
        """The signer of the stage's live departments (KMS in production)."""
        from chalicelib.services.certificates import build_signer

        return build_signer(self)

    def certificate_signer_for(self, sandbox: bool) -> CertificateSigner:
        """A live department's signer, or a sandbox one's test key (parsed once per process)."""
        if not sandbox:
            return self.certificate_signer
        from chalicelib.services.certificates import build_signer

        return build_signer(self, sandbox=True)

    @cached_property
    def reconciliation_departments(self) -> TableDepartmentAccounts:
        from chalicelib.adapters.department_accounts import TableDepartmentAccounts

        return TableDepartmentAccounts(self.table)

    @cached_property
    def reconciliation(self) -> ReconciliationService:
        from datetime import timedelta

        from chalicelib.adapters.missed_payments import TableMissedPayments
        from chalicelib.adapters.operations_alerts import DepartmentMismatchMail, TableAlerts
        from chalicelib.adapters.payment_ledger import DynamoPaymentLedger
        from chalicelib.adapters.reconciliation_report import S3ReportStore
        from chalicelib.adapters.statement_bucket import S3StatementFiles
        from chalicelib.adapters.statement_ledger import DynamoStatementLedger
        from chalicelib.domain.reconciliation import ReconciliationPolicy
        from chalicelib.services.missed_payments import MissedPaymentRecorder
        from chalicelib.services.reconciliation import ReconciliationService
        from chalicelib.telemetry import metrics

        return ReconciliationService(
            departments=self.reconciliation_departments,
            payments=DynamoPaymentLedger(self.table),
            statements=DynamoStatementLedger(self.table),
            reports=S3ReportStore(self.s3, self.settings.DOCUMENTS_BUCKET),
            files=S3StatementFiles(self.s3),
            recorder=MissedPaymentRecorder(
                TableMissedPayments(self.table), self.payments, self.clock
            ),
            alerts=TableAlerts(self.table, self.clock),
            metrics=metrics,
            policy=ReconciliationPolicy(
                pending_working_days=self.settings.RECONCILIATION_PENDING_WORKING_DAYS,
                timing_window=timedelta(minutes=self.settings.RECONCILIATION_TIMING_WINDOW_MINUTES),
            ),
            clock=self.clock,
            department_mail=DepartmentMismatchMail(self.departments, self.mailer, self.table),
        )


_current: Container | None = None


def container() -> Container:
    global _current
    if _current is None:
        _current = Container(settings())
    return _current


def use_container(replacement: Container | None) -> None:
    """Install a container (tests), or None to build a fresh one from the environment."""
    global _current
    _current = replacement
    settings.cache_clear()
