"""coissuer: the Chalice application. It registers routes and event handlers, nothing else."""

from __future__ import annotations

import os

from chalice import Chalice, Cron, Rate

from chalicelib.handlers import bank, events, tasks
from chalicelib.handlers.api import (
    departments,
    exporter,
    fees,
    health,
    openapi,
    payments,
    receipts,
    reconciliation_routes,
    review,
    verification,
)
from chalicelib.settings import SettingsError

app = Chalice(app_name="coissuer")
app.register_blueprint(health.blueprint)
app.register_blueprint(departments.blueprint)
app.register_blueprint(verification.blueprint)
app.register_blueprint(receipts.blueprint)
app.register_blueprint(reconciliation_routes.blueprint)
app.register_blueprint(bank.blueprint)
app.register_blueprint(payments.blueprint)
app.register_blueprint(fees.blueprint)
app.register_blueprint(review.blueprint)
app.register_blueprint(exporter.blueprint)
app.register_blueprint(openapi.blueprint)


def _deploy_setting(name: str) -> str:
    # Event sources are fixed when the stage is packaged, so their names come from the stage's
    # environment at import time rather than from the settings model.
    value = os.environ.get(name)
    if not value:
        raise SettingsError(f"invalid or missing settings: {name}")
    return value


STATEMENTS_QUEUE = _deploy_setting("STATEMENTS_QUEUE_NAME")

hold_for_decision = app.lambda_function(name="hold_for_decision")(tasks.hold_for_decision)
record_outcome = app.lambda_function(name="record_outcome")(tasks.record_outcome)
issue_receipt = app.lambda_function(name="issue_receipt")(tasks.issue_receipt)
allocate_reference = app.lambda_function(name="allocate_reference")(tasks.allocate_reference)
render_certificate = app.lambda_function(name="render_certificate")(tasks.render_certificate)
sign_certificate = app.lambda_function(name="sign_certificate")(tasks.sign_certificate)
publish_certificate = app.lambda_function(name="publish_certificate")(tasks.publish_certificate)
notify_exporter = app.lambda_function(name="notify_exporter")(tasks.notify_exporter)

reconcile_statements = app.on_sqs_message(
    queue=STATEMENTS_QUEUE, batch_size=1, name="reconcile_statements"
)(events.reconcile_statements)
# Schedules in UTC: 02:00 is 09:00 in Vietnam.
check_statements_arrived = app.schedule(
    Cron(0, 2, "*", "*", "?", "*"), name="check_statements_arrived"
)(events.check_statements_arrived)
monthly_remittance = app.schedule(Cron(0, 1, 1, "*", "?", "*"), name="monthly_remittance")(
    events.monthly_remittance
)
watch_review_sla = app.schedule(Rate(15, unit=Rate.MINUTES), name="watch_review_sla")(
    events.watch_review_sla
)
