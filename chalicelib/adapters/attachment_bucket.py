"""Attachments in the documents bucket: presigned uploads and a look at what arrived."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from chalicelib.domain.attachments import MAX_BYTES, SNIFF_BYTES
from chalicelib.domain.errors import TransientError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

UPLOAD_EXPIRY_SECONDS = 900


@dataclass(frozen=True)
class UploadedObject:
    size: int
    head: bytes


class AttachmentBucket:
    def __init__(self, s3: S3Client, bucket: str) -> None:
        self._s3 = s3
        self._bucket = bucket

    def presigned_upload(self, key: str, content_type: str) -> dict[str, Any]:
        """A browser-style POST form: S3 itself enforces the size range and content type."""
        return self._s3.generate_presigned_post(
            Bucket=self._bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[
                ["content-length-range", 1, MAX_BYTES],
                {"Content-Type": content_type},
            ],
            ExpiresIn=UPLOAD_EXPIRY_SECONDS,
        )

    def uploaded(self, key: str) -> UploadedObject | None:
        """Size and first bytes of an uploaded object, or None if nothing was uploaded."""
        try:
            response = self._s3.get_object(
                Bucket=self._bucket, Key=key, Range=f"bytes=0-{SNIFF_BYTES - 1}"
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("NoSuchKey", "404"):
                return None
            raise TransientError("The documents bucket did not answer; retry") from exc
        total = response.get("ContentRange", "").rpartition("/")[2]
        size = int(total) if total.isdigit() else int(response["ContentLength"])
        return UploadedObject(size=size, head=response["Body"].read())

    def content(self, key: str) -> bytes:
        """The whole uploaded object (at most MAX_BYTES, as the upload policy enforces)."""
        try:
            response = self._s3.get_object(Bucket=self._bucket, Key=key)
            return bytes(response["Body"].read(MAX_BYTES + 1))
        except ClientError as exc:
            raise TransientError("The documents bucket did not answer; retry") from exc
