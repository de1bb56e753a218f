"""The dossier lifecycle: the state machine's steps and the human decisions that drive it.

The state machine waits at payment, review, amendment and signature with a task token that
`hold_for_decision` keeps on the dossier; the API call that records the decision completes
it. Each side writes conditionally, so whichever of the two comes second completes the step,
and a repeated decision is refused.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.amendments import ensure_targets_exist
from chalicelib.domain.dossiers import (
    AmendmentComment,
    AttentionRecord,
    Dossier,
    HistoryEvent,
    RefusalReason,
    Status,
    transition,
)
from chalicelib.domain.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    RuleViolationError,
    StaleVersionError,
    TransientError,
)
from chalicelib.domain.identity import Principal, Role
from chalicelib.domain.payments import PaymentStatus
from chalicelib.telemetry import count_event, logger

SYSTEM = "system:workflow"
REVIEW_HOURS = 6
RECEIPT_CLEAR_TRIES = 5
# Where a retried execution resumes, by the step that failed.
RESUME_AT = {
    "payment": "start",
    "review": "review",
    "allocate": "allocate",
    "render": "render",
    "signature": "signature",
    "sign": "sign",
    "publish": "publish",
    "notify": "notify",
}
DECIDED = {
    Status.APPROVED: "approve",
    Status.AMENDMENT_REQUESTED: "amend",
    Status.REFUSED: "refuse",
}
WAITING_STATUSES = {
    "review": {Status.SUBMITTED, Status.PAID, Status.UNDER_REVIEW},
    "amendment": {Status.AMENDMENT_REQUESTED},
    "signature": {Status.AWAITING_SIGNATURE},
}


@dataclass(frozen=True)
class RetryOutcome:
    """What an operations retry did: the receipt issued again, the execution started."""

    receipt: str | None
    execution_arn: str | None


class Lifecycle:
    def __init__(self, deps: Any) -> None:
        self.deps = deps
        self.dossiers = deps.dossier_store
        self.tokens = deps.task_tokens
        self.clock: Callable[[], datetime] = deps.clock

    # ------------------------------------------------------------------ reads

    def dossier(self, dossier_id: str) -> Dossier:
        dossier = self.dossiers.get_dossier(dossier_id)
        if dossier is None:
            raise NotFoundError(f"No dossier {dossier_id}")
        return dossier  # type: ignore[no-any-return]

    def staff_dossier(self, dossier_id: str, principal: Principal, *roles: Role) -> Dossier:
        """A dossier of the caller's own department; others' answer 404 or 403."""
        dossier = self.dossier(dossier_id)
        if principal.role in (Role.OPERATIONS, Role.AUDITOR):
            return dossier
        if principal.role not in roles:
            raise ForbiddenError(f"The role {principal.role} may not decide this step")
        if dossier.department_code != principal.department:
            raise ForbiddenError("The dossier belongs to another department")
        return dossier

    # ------------------------------------------------------------------ moves

    def move(
        self, dossier: Dossier, to: Status, actor: str, reason: str, **changes: Any
    ) -> Dossier:
        moved, event = transition(dossier, to, actor, reason, self.clock())
        if changes:
            moved = moved.model_copy(update=changes)
        self.dossiers.save_dossier(moved, dossier.version, [event], dossier.status)
        logger.info(
            "dossier moved", dossier_id=dossier.id, from_status=dossier.status, to_status=to
        )
        return moved

    def amend(self, dossier: Dossier, **changes: Any) -> Dossier:
        """Save changes that are not a status move (checked on version and status)."""
        changed = dossier.changed(self.clock(), **changes)
        self.dossiers.save_dossier(changed, dossier.version, [], dossier.status)
        return changed

    def complete(self, dossier_id: str, step: str, output: dict[str, Any]) -> bool:
        token = self.tokens.token_for(dossier_id, step)
        if token is None:
            return False
        return bool(self.deps.workflow.complete_step(token, output))

    # ------------------------------------------------------------------ waiting steps

    def hold(self, dossier_id: str, step: str, token: str) -> None:
        dossier = self.dossier(dossier_id)
        if step == "payment":
            self._hold_payment(dossier, token)
            return
        if step == "review" and dossier.status == Status.AWAITING_PAYMENT:
            if not self._fee_paid(dossier.id):
                raise ConflictError(f"Dossier {dossier_id} waits for a fee the bank has not paid")
            dossier = self.move(dossier, Status.PAID, SYSTEM, "fee paid")
            count_event("DossierPaid")
            self.notify(dossier_id, "paid")
        if step == "signature" and dossier.status == Status.APPROVED:
            dossier = self.move(
                dossier, Status.AWAITING_SIGNATURE, SYSTEM, "waiting for the leader's signature"
            )
        if step == "review" and dossier.review.due_at is None:
            if dossier.status == Status.SUBMITTED:
                self.notify(dossier_id, "submitted")
            self._set_review_deadline(dossier)
        waiting = {status.value for status in WAITING_STATUSES[step]}
        if self.tokens.keep(dossier_id, step, token, waiting):
            logger.info("waiting for decision", dossier_id=dossier_id, step=step)
            return
        # The decision came before this wait began (a quick resubmission, or a reviewer who
        # decided while the previous round's token was still on the dossier): pass it on.
        current = self.dossier(dossier_id)
        if step == "amendment" and current.status in (Status.UNDER_REVIEW, Status.APPROVED):
            self.deps.workflow.complete_step(token, {"decided_before_wait": True})
            return
        if step == "review" and current.status in DECIDED:
            self.deps.workflow.complete_step(token, {"decision": DECIDED[current.status]})
            return
        raise ConflictError(f"Dossier {dossier_id} is {current.status}; nothing waits for {step}")

    def _hold_payment(self, dossier: Dossier, token: str) -> None:
        """The payment order keeps the token; a payment that came first completes it at once."""
        if dossier.status == Status.SUBMITTED:
            dossier = self.move(dossier, Status.AWAITING_PAYMENT, SYSTEM, "waiting for the fee")
            self.notify(dossier.id, "submitted")
        if dossier.status != Status.AWAITING_PAYMENT:
            raise ConflictError(f"Dossier {dossier.id} is {dossier.status}; no fee is awaited")
        self.deps.payments.await_payment(dossier.id, token)
        logger.info("waiting for payment", dossier_id=dossier.id)

    def _fee_paid(self, dossier_id: str) -> bool:
        order = self.deps.payments.store.order_for_dossier(dossier_id)
        return order is not None and order.status is PaymentStatus.PAID

    def _set_review_deadline(self, dossier: Dossier) -> None:
        if dossier.department_code is None:
            return
        calendar = self.deps.departments.get(dossier.department_code).working_calendar()
        due = calendar.add_working_hours(self.clock(), REVIEW_HOURS)
        self.amend(dossier, review=dossier.review.model_copy(update={"due_at": due}))

    # ------------------------------------------------------------------ review

    def claim(self, dossier_id: str, principal: Principal) -> Dossier:
        dossier = self.staff_dossier(dossier_id, principal, Role.SPECIALIST)
        if self.tokens.token_for(dossier_id, "review") is None:
            raise ConflictError("The dossier is not waiting for review")
        if dossier.status == Status.UNDER_REVIEW and dossier.review.reviewer == principal.actor:
            return dossier
        if dossier.status not in (Status.SUBMITTED, Status.PAID):
            raise ConflictError(f"A dossier in status {dossier.status} cannot be claimed")
        review = dossier.review.model_copy(update={"reviewer": principal.actor})
        return self.move(
            dossier, Status.UNDER_REVIEW, principal.actor, "claimed for review", review=review
        )

    def decide(
        self,
        dossier_id: str,
        principal: Principal,
        decision: str,
        comments: list[AmendmentComment],
        refusal_reason: RefusalReason | None,
        refusal_text: str | None,
    ) -> Dossier:
        dossier = self.staff_dossier(dossier_id, principal, Role.SPECIALIST)
        if dossier.status != Status.UNDER_REVIEW:
            raise ConflictError(f"A dossier in status {dossier.status} awaits no decision")
        review = dossier.review.model_copy(update={"reviewer": principal.actor})
        if decision == "approve":
            moved = self.move(dossier, Status.APPROVED, principal.actor, "approved", review=review)
        elif decision == "amend":
            if not comments:
                raise RuleViolationError("An amendment request needs at least one comment")
            ensure_targets_exist(dossier, comments)
            review = review.model_copy(
                update={"comments": [*review.comments, *comments], "rounds": review.rounds + 1}
            )
            moved = self.move(
                dossier,
                Status.AMENDMENT_REQUESTED,
                principal.actor,
                f"amendment requested ({len(comments)} comments)",
                review=review,
            )
        else:
            if refusal_reason is None:
                raise RuleViolationError("A refusal needs a reason from the list")
            review = review.model_copy(
                update={"refusal_reason": refusal_reason, "refusal_text": refusal_text}
            )
            moved = self.move(
                dossier,
                Status.REFUSED,
                principal.actor,
                f"refused: {refusal_reason.value}",
                review=review,
            )
        count_event("ReviewDecision", decision=decision)
        self.complete(dossier_id, "review", {"decision": decision})
        if decision != "approve":
            self.notify(dossier_id, "amendment_requested" if decision == "amend" else "refused")
        return moved

    def resubmit(self, dossier: Dossier, actor: str) -> Dossier:
        """The exporter answers an amendment request; review resumes, comments kept."""
        if dossier.status != Status.AMENDMENT_REQUESTED:
            raise ConflictError(f"A dossier in status {dossier.status} cannot be resubmitted")
        checked, _, _ = self.deps.dossier_service.checked_for_review(dossier, self.clock())
        moved = self.move(
            dossier,
            Status.UNDER_REVIEW,
            actor,
            "resubmitted after amendment",
            attachments=checked.attachments,
            derived_remarks=checked.derived_remarks,
            exporter=checked.exporter,
        )
        self.complete(dossier.id, "amendment", {"resubmitted": True})
        return moved

    # ------------------------------------------------------------------ signature

    def approve_signing(self, dossier_id: str, principal: Principal) -> Dossier:
        dossier = self.staff_dossier(dossier_id, principal, Role.LEADER)
        if dossier.status != Status.AWAITING_SIGNATURE or dossier.signing_leader:
            raise ConflictError(f"A dossier in status {dossier.status} awaits no signature")
        leader = principal.name or principal.subject
        changed = dossier.changed(self.clock(), signing_leader=leader)
        # The status stays until the certificate is signed; the approval is still history.
        approval = HistoryEvent(
            dossier_id=dossier.id,
            seq=changed.version,
            at=changed.updated_at,
            actor=principal.actor,
            from_status=dossier.status,
            to_status=dossier.status,
            reason=f"signing approved by {leader}",
        )
        self.dossiers.save_dossier(changed, dossier.version, [approval], dossier.status)
        if not self.complete(dossier_id, "signature", {"approved_by": principal.actor}):
            raise ConflictError("The signature step is not waiting any more")
        count_event("SigningApproved")
        return changed

    # ------------------------------------------------------------------ outcomes

    def record_outcome(
        self, dossier_id: str, outcome: str, failed_step: str, error: dict[str, Any] | None
    ) -> None:
        dossier = self.dossier(dossier_id)
        record = AttentionRecord(
            step=failed_step or outcome,
            error=_error_name(error),
            cause=_error_cause(error),
            at=self.clock(),
        )
        if outcome == "expired":
            if dossier.status in (
                Status.AWAITING_PAYMENT,
                Status.SUBMITTED,
                Status.AMENDMENT_REQUESTED,
            ):
                self.move(dossier, Status.EXPIRED, SYSTEM, f"no {failed_step} in time")
                count_event("DossierExpired")
            return
        if outcome == "receipt_needs_attention":
            flagged = dossier.changed(self.clock(), receipt_attention=record)
            self.deps.attention_list.flag_receipt(dossier, flagged)
            logger.warning("receipt needs attention", dossier_id=dossier_id, error=record.error)
            count_event("ReceiptNeedsAttention")
            return
        if dossier.status == Status.NEEDS_ATTENTION:
            return
        self.move(
            dossier,
            Status.NEEDS_ATTENTION,
            SYSTEM,
            f"{record.step} failed: {record.error}",
            attention=record,
        )
        count_event("DossierNeedsAttention", step=record.step)

    def retry(self, dossier_id: str, principal: Principal) -> RetryOutcome:
        """Operations issue a failed receipt again, and resume a stopped workflow at the step
        that failed, in a new execution."""
        dossier = self.dossier(dossier_id)
        stopped = dossier.status == Status.NEEDS_ATTENTION and dossier.attention is not None
        if dossier.receipt_attention is None and not stopped:
            raise ConflictError(f"A dossier in status {dossier.status} needs no retry")
        receipt = None
        if dossier.receipt_attention is not None:
            receipt = self.retry_receipt(dossier_id, principal)
            dossier = self.dossier(dossier_id)
        if not stopped:
            return RetryOutcome(receipt=receipt, execution_arn=None)
        return RetryOutcome(receipt=receipt, execution_arn=self._resume(dossier, principal))

    def retry_receipt(self, dossier_id: str, principal: Principal) -> str | None:
        """Issue the dossier's receipt again: once per payment, so a repeat issues nothing new."""
        from chalicelib.services.receipt_orders import issue_receipt_for_dossier

        receipt = issue_receipt_for_dossier(self.deps, dossier_id)
        self.receipt_issued(dossier_id)
        logger.info("receipt issued on retry", dossier_id=dossier_id, actor=principal.actor)
        count_event("ReceiptRetried")
        return receipt

    def receipt_issued(self, dossier_id: str) -> None:
        """Take a receipt failure off the attention list once the receipt exists."""
        for _ in range(RECEIPT_CLEAR_TRIES):
            dossier = self.dossier(dossier_id)
            if dossier.receipt_attention is None:
                return
            cleared = dossier.changed(self.clock(), receipt_attention=None)
            try:
                self.deps.attention_list.clear_receipt(dossier, cleared)
                return
            except StaleVersionError:
                continue  # review or signing moved the dossier meanwhile: read it again
        raise TransientError("The dossier kept changing; retry", dossier_id=dossier_id)

    def _resume(self, dossier: Dossier, principal: Principal) -> str:
        if dossier.status != Status.NEEDS_ATTENTION or dossier.attention is None:
            raise ConflictError(f"A dossier in status {dossier.status} needs no retry")
        dossier_id, failed_step = dossier.id, dossier.attention.step
        resume_at = RESUME_AT.get(failed_step, "start")
        # A failed payment step waits for the fee again; a fee paid meanwhile completes that
        # wait at once, so the dossier never reaches review on an unpaid order.
        payment_required = failed_step == "payment"
        back_to = dossier.attention_from or Status.SUBMITTED
        attempt = max(dossier.attempt, 1) + 1
        self.move(
            dossier,
            back_to,
            principal.actor,
            f"retry from {failed_step}",
            attempt=attempt,
            attention=None,
        )
        return str(
            self.deps.workflow.start(
                dossier_id, attempt, payment_required=payment_required, resume_at=resume_at
            )
        )

    # ------------------------------------------------------------------ certificate steps

    def mark_signed(self, dossier_id: str) -> None:
        dossier = self.dossier(dossier_id)
        if dossier.status == Status.AWAITING_SIGNATURE:
            self.move(dossier, Status.SIGNED, SYSTEM, "signed by the department leader")

    # ------------------------------------------------------------------ notifications

    def notify(self, dossier_id: str, event: str) -> None:
        """Tell the exporter; a mail failure never fails the step that caused it."""
        from chalicelib.services.notifications import notify_exporter

        try:
            notify_exporter(self.deps, self.dossier(dossier_id), event)
        except Exception:
            logger.exception("notification failed", dossier_id=dossier_id, notice=event)

    def overdue_reviews(self, department_code: str) -> list[Dossier]:
        """Dossiers waiting for review past their deadline, flagged once each."""
        now = self.clock()
        flagged: list[Dossier] = []
        for status in (Status.SUBMITTED, Status.PAID, Status.UNDER_REVIEW):
            cursor: str | None = None
            while True:
                page, cursor = self.dossiers.list_queue(department_code, status, 100, cursor)
                for dossier in page:
                    due = dossier.review.due_at
                    if due is None or due > now:
                        cursor = None
                        break
                    if dossier.review.overdue_flagged_at is None:
                        review = dossier.review.model_copy(update={"overdue_flagged_at": now})
                        flagged.append(self.amend(dossier, review=review))
                if cursor is None:
                    break
        return flagged


def _error_name(error: dict[str, Any] | None) -> str:
    return str((error or {}).get("Error", "Unknown"))[:200]


def _error_cause(error: dict[str, Any] | None) -> str:
    cause = (error or {}).get("Cause", "")
    try:
        parsed = json.loads(cause)
        cause = parsed.get("errorMessage", cause) if isinstance(parsed, dict) else cause
    except (TypeError, ValueError):
        pass
    return str(cause)[:2000]


def review_deadline_passed(dossier: Dossier, now: datetime) -> timedelta | None:
    due = dossier.review.due_at
    return None if due is None or due > now else now - due


# ---------------------------------------------------------------------- task functions


def hold_for_decision(deps: Any, dossier_id: str, step: str, attempt: int, token: str) -> None:
    Lifecycle(deps).hold(dossier_id, step, token)


def record_outcome(
    deps: Any, dossier_id: str, outcome: str, failed_step: str, error: dict[str, Any] | None
) -> None:
    Lifecycle(deps).record_outcome(dossier_id, outcome, failed_step, error)


def certificate_issuance(deps: Any) -> Any:
    from chalicelib.services.certificate_source import DossierCertificateSource
    from chalicelib.services.certificates import issuance

    source = DossierCertificateSource(deps.dossier_store, deps.departments, deps.clock)
    return issuance(deps, source)


def allocate_reference(deps: Any, dossier_id: str) -> dict[str, str]:
    Lifecycle(deps).dossier(dossier_id)
    return {"reference_number": certificate_issuance(deps).allocate_reference(dossier_id)}


def render_certificate(deps: Any, dossier_id: str) -> dict[str, str]:
    return {"pdf_key": certificate_issuance(deps).render_certificate(dossier_id)}


def sign_certificate(deps: Any, dossier_id: str) -> dict[str, str]:
    lifecycle = Lifecycle(deps)
    dossier = lifecycle.dossier(dossier_id)
    if dossier.status not in (Status.AWAITING_SIGNATURE, Status.SIGNED):
        raise ConflictError(f"Dossier {dossier_id} is {dossier.status}; nothing to sign")
    key = (
        certificate_issuance(deps).sign_certificate(dossier_id)
        if dossier.status == Status.AWAITING_SIGNATURE
        else ""
    )
    lifecycle.mark_signed(dossier_id)
    return {"signed_key": key}


def publish_certificate(deps: Any, dossier_id: str) -> dict[str, str]:
    certificates = certificate_issuance(deps)
    reference = certificates.publish_certificate(dossier_id)
    return {"reference_number": reference}


def notify_issued(deps: Any, dossier_id: str) -> dict[str, str]:
    Lifecycle(deps).notify(dossier_id, "issued")
    count_event("CertificateIssued")
    return {"dossier_id": dossier_id}


def issue_receipt(deps: Any, dossier_id: str) -> dict[str, str]:
    from chalicelib.services.receipt_orders import issue_receipt_for_dossier

    receipt = issue_receipt_for_dossier(deps, dossier_id)
    Lifecycle(deps).receipt_issued(dossier_id)
    return {"receipt": receipt or ""}


class SubmissionPayments:
    """Opens a submitted dossier's payment order, fixing the fee in force that day."""

    def __init__(self, deps: Any) -> None:
        self._deps = deps

    def open(self, dossier: Dossier, department: Any, now: datetime) -> bool:
        profile = department.profile or self._deps.departments.get(department.code)
        order = self._deps.payments.create_payment_order(
            dossier.id, dossier.trader_tax_code, profile, "issuance", now, check_existing=False
        )
        return order is not None
