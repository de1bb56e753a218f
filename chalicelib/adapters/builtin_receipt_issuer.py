"""The built-in receipt issuer: XML and a signed PDF in the documents bucket.

Used by sandbox departments and the local stack. It issues no legal receipt: every receipt it
publishes is marked as a test receipt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.adapters.receipt_pdf import receipt_pdf
from chalicelib.adapters.receipt_xml import receipt_xml
from chalicelib.domain.errors import TransientError
from chalicelib.domain.receipt_provider import PdfSigner, PublishedReceipt
from chalicelib.domain.receipts import Receipt, ReceiptKey

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

logger = Logger(service="receipts")

PROVIDER = "builtin"


def receipt_object_key(key: ReceiptKey, extension: str) -> str:
    return f"receipts/{key.form_number}/{key.series}/{key.number_text}.{extension}"


class BuiltInReceiptIssuer:
    """Publishes a receipt as XML and a signed PDF; republishing writes the same objects."""

    name = PROVIDER
    issues_legal_receipts = False

    def __init__(self, s3: S3Client, bucket: str, signer: PdfSigner) -> None:
        self._s3 = s3
        self._bucket = bucket
        self._signer = signer

    def publish(self, receipt: Receipt) -> PublishedReceipt:
        receipt = receipt.model_copy(
            update={"test_receipt": True, "signature_reference": self._signer.reference}
        )
        xml_key = receipt_object_key(receipt.key, "xml")
        pdf_key = receipt_object_key(receipt.key, "pdf")
        signed = self._signer.sign(receipt_pdf(receipt))

        metadata = {"signature-reference": self._signer.reference, "test-receipt": "true"}
        self._put(pdf_key, signed, "application/pdf", metadata)
        self._put(xml_key, receipt_xml(receipt), "application/xml", metadata)
        logger.info("test receipt published", receipt=receipt.key.provider_key)
        return self._published(receipt.key, self._signer.reference)

    def adjust(self, adjustment: Receipt) -> PublishedReceipt:
        return self.publish(adjustment)

    def replace(self, replacement: Receipt) -> PublishedReceipt:
        return self.publish(replacement)

    def cancel(self, receipt: Receipt, reason: str) -> None:
        """Files a cancellation notice beside the receipt; the receipt's files stay as issued."""
        from xml.etree import ElementTree as ET  # builds only

        notice = ET.Element("TBHuy")
        for tag, value in (
            ("KHMSHDon", receipt.key.form_number),
            ("KHHDon", receipt.key.series),
            ("SHDon", receipt.key.number_text),
            ("LDo", reason),
        ):
            ET.SubElement(notice, tag).text = value
        body = ET.tostring(notice, encoding="utf-8", xml_declaration=True)
        self._put(receipt_object_key(receipt.key, "cancelled.xml"), body, "application/xml", {})

    def lookup(self, provider_key: str) -> PublishedReceipt | None:
        key = ReceiptKey.from_provider_key(provider_key)
        try:
            head = self._s3.head_object(Bucket=self._bucket, Key=receipt_object_key(key, "xml"))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise TransientError("The documents bucket could not be read") from error
        except BotoCoreError as error:
            raise TransientError("The documents bucket could not be reached") from error
        return self._published(key, head["Metadata"].get("signature-reference", ""))

    def _published(self, key: ReceiptKey, signature_reference: str) -> PublishedReceipt:
        return PublishedReceipt(
            provider_key=key.provider_key,
            provider=PROVIDER,
            signature_reference=signature_reference,
            xml_key=receipt_object_key(key, "xml"),
            pdf_key=receipt_object_key(key, "pdf"),
        )

    def _put(self, key: str, body: bytes, content_type: str, metadata: dict[str, str]) -> None:
        try:
            self._s3.put_object(
                Bucket=self._bucket, Key=key, Body=body, ContentType=content_type, Metadata=metadata
            )
        except (ClientError, BotoCoreError) as error:
            raise TransientError("The receipt could not be stored") from error
