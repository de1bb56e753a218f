"""Statement files as the bank drops them into the statements bucket."""

from __future__ import annotations

from typing import IO, Any

from chalicelib.domain.errors import NotFoundError, TransientError


class S3StatementFiles:
    def __init__(self, s3_client: Any) -> None:
        self._s3 = s3_client

    def download(self, bucket: str, key: str, into: IO[bytes]) -> None:
        """Copy the object into a local file, in parts, never whole in memory."""
        from botocore.exceptions import BotoCoreError, ClientError
        from s3transfer.exceptions import RetriesExceededError

        try:
            self._s3.download_fileobj(bucket, key, into)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey"):
                raise NotFoundError(f"statement file {key!r} is not in the bucket") from error
            raise TransientError("statement file could not be read") from error
        except (BotoCoreError, RetriesExceededError) as error:
            # The transfer gives up with its own error after retrying timeouts itself.
            raise TransientError("statement file could not be read") from error
