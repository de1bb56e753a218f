"""Certificate PDFs in the documents bucket.

- `certificates/{slug}/unsigned.pdf`, `certificates/{slug}/signed.pdf`: working copies,
  overwritten by a repeated render or sign step before publication.
- `certificates/{slug}/{sha256}.pdf`: the published file, written once (If-None-Match).
"""

from __future__ import annotations

import hashlib
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.domain.errors import ConflictError, NotFoundError, TransientError

_PDF = "application/pdf"


class CertificateFiles:
    def __init__(self, s3_client: Any, bucket: str) -> None:
        self._s3 = s3_client
        self._bucket = bucket

    def put_working_copy(self, slug: str, name: str, pdf: bytes) -> str:
        key = f"certificates/{slug}/{name}.pdf"
        self._call("store", key, lambda: self._s3.put_object(
            Bucket=self._bucket, Key=key, Body=pdf, ContentType=_PDF))  # fmt: skip
        return key

    def get(self, key: str) -> bytes:
        response = self._call(
            "read", key, lambda: self._s3.get_object(Bucket=self._bucket, Key=key)
        )
        return bytes(response["Body"].read())

    def publish(self, slug: str, pdf: bytes) -> tuple[str, str]:
        """Store the signed file once under a key naming its SHA-256; returns (key, sha256).

        A repeated publication of the same bytes finds the object already there, which is
        fine: the key names the content.
        """
        sha256 = hashlib.sha256(pdf).hexdigest()
        key = f"certificates/{slug}/{sha256}.pdf"
        try:
            self._s3.put_object(Bucket=self._bucket, Key=key, Body=pdf, ContentType=_PDF,
                                IfNoneMatch="*", ChecksumAlgorithm="SHA256")  # fmt: skip
        except ClientError as err:
            code = _code(err)
            if code == "ConditionalRequestConflict":
                raise TransientError(f"Concurrent publication of {key}") from err
            if code != "PreconditionFailed":
                raise TransientError(f"Cannot publish {key}") from err
            if hashlib.sha256(self.get(key)).hexdigest() != sha256:
                raise ConflictError(f"{key} holds other content") from err
        return key, sha256

    def download_url(self, key: str, expires_in: int = 300) -> str:
        return str(self._s3.generate_presigned_url(
            "get_object", Params={"Bucket": self._bucket, "Key": key,
                                  "ResponseContentType": _PDF},
            ExpiresIn=expires_in))  # fmt: skip

    def _call(self, what: str, key: str, action: Any) -> Any:
        try:
            return action()
        except ClientError as err:
            if _code(err) in {"NoSuchKey", "404"}:
                raise NotFoundError(f"No file {key}") from err
            raise TransientError(f"Cannot {what} {key}") from err


def _code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))
