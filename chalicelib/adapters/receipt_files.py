"""Short-lived download links to receipt files in the documents bucket."""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.domain.errors import TransientError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


class ReceiptFiles:
    def __init__(self, s3: S3Client, bucket: str) -> None:
        self._s3 = s3
        self._bucket = bucket

    def download_url(self, key: str | None, expires_in: int) -> str | None:
        """A presigned GET for `key`; None where the provider keeps the file itself."""
        if key is None:
            return None
        try:
            return self._s3.generate_presigned_url(
                "get_object", Params={"Bucket": self._bucket, "Key": key}, ExpiresIn=expires_in
            )
        except (ClientError, BotoCoreError) as error:
            raise TransientError("A download link could not be made") from error
