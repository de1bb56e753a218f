"""Credits found only in a statement, kept for the payment service to record.

Item: RECONMISSED#{department} / {booking_date}#{payment_reference}#{bank_reference}, written
only if absent, so a retried or repeated reconciliation asks for each payment once.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.errors import TransientError
from chalicelib.domain.reconciliation import MissedPayment


class TableMissedPayments:
    def __init__(self, table: Any) -> None:
        self._table = table

    def record_missed_payment(self, department: str, missed: MissedPayment) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        sort_key = (
            f"{missed.booking_date.isoformat()}#{missed.payment_reference}#{missed.bank_reference}"
        )
        try:
            self._table.put_item(
                Item={
                    "PK": f"RECONMISSED#{department}",
                    "SK": sort_key,
                    "payment_reference": missed.payment_reference,
                    "amount": str(missed.amount),
                    "bank_reference": missed.bank_reference,
                    "booking_date": missed.booking_date.isoformat(),
                    "status": "to_record",
                },
                ConditionExpression="attribute_not_exists(PK)",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return
            raise TransientError("missed payment could not be kept") from error
        except BotoCoreError as error:
            raise TransientError("missed payment could not be kept") from error
