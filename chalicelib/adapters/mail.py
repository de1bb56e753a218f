"""Outgoing e-mail through SES."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from chalicelib.domain.errors import TransientError
from chalicelib.domain.notifications import Notice


class Mailer:
    def __init__(self, ses: Any, sender: str) -> None:
        self._ses = ses
        self._sender = sender

    def send(self, recipients: list[str], notice: Notice) -> str:
        try:
            response = self._ses.send_email(
                Source=self._sender,
                Destination={"ToAddresses": recipients},
                Message={
                    "Subject": {"Data": notice.subject, "Charset": "UTF-8"},
                    "Body": {"Text": {"Data": notice.body, "Charset": "UTF-8"}},
                },
            )
        except ClientError as exc:
            raise TransientError("The mail service refused the message") from exc
        return str(response["MessageId"])
