"""Reconciliation reports: rows spooled to local files as they are decided, then stored in S3.

Both files are written as the rows arrive, so a million rows never sit in memory. The JSON
lists the rows first and the statement facts after them, because the checks are only known
once the last line is read. Nothing in a report depends on the clock: the same inputs give
byte-identical files.
"""

from __future__ import annotations

import csv
import json
import tempfile
from typing import IO, Any

from chalicelib.domain.errors import NotFoundError, TransientError
from chalicelib.domain.reconciliation import COLUMNS, ReportRow

# One encoder for every row: json.dumps with options builds a new encoder per call.
_ROW_ENCODER = json.JSONEncoder(ensure_ascii=False)
_BATCH = 1000


class ReportFiles:
    """A `RowSink` writing the CSV and the JSON report side by side."""

    def __init__(self, header: dict[str, Any]) -> None:
        # The files outlive this call: `close` ends them once the report is stored.
        self.csv_file: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8", newline="")  # noqa: SIM115
        self.json_file: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
        self._csv = csv.writer(self.csv_file, lineterminator="\n")
        self._csv.writerow(COLUMNS)
        opening = json.dumps(header, sort_keys=True, ensure_ascii=False)[:-1]
        self.json_file.write(f'{opening}, "columns": {json.dumps(list(COLUMNS))}, "rows": [')
        self._rows = 0
        self._pending: list[ReportRow] = []

    def add(self, row: ReportRow) -> None:
        self._pending.append(row)
        if len(self._pending) >= _BATCH:
            self._write_pending()

    def finish(self, summary: dict[str, Any]) -> None:
        self._write_pending()
        closing = json.dumps(summary, sort_keys=True, ensure_ascii=False, default=str)[1:]
        self.json_file.write(f"\n], {closing}\n")
        self.csv_file.flush()
        self.json_file.flush()

    def _write_pending(self) -> None:
        # Rows are written a batch at a time: one encoder call per batch, not per row.
        if not self._pending:
            return
        self._csv.writerows(self._pending)
        encoded = _ROW_ENCODER.encode(self._pending)
        separator = ",\n" if self._rows else "\n"
        self.json_file.write(separator + encoded[1:-1])
        self._rows += len(self._pending)
        self._pending.clear()

    def close(self) -> None:
        self.csv_file.close()
        self.json_file.close()


def report_key(department: str, day: str, file_hash: str, extension: str) -> str:
    return f"reports/reconciliation/{department}/{day}/{file_hash}.{extension}"


class S3ReportStore:
    def __init__(self, s3_client: Any, bucket: str) -> None:
        self._s3 = s3_client
        self._bucket = bucket

    def put_report(
        self, department: str, day: str, file_hash: str, files: ReportFiles
    ) -> list[str]:
        keys = []
        for extension, handle, content_type in (
            ("json", files.json_file, "application/json"),
            ("csv", files.csv_file, "text/csv; charset=utf-8"),
        ):
            key = report_key(department, day, file_hash, extension)
            self._upload(key, handle, content_type)
            keys.append(key)
        return keys

    def put_document(self, key: str, body: bytes, content_type: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._s3.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType=content_type)
        except (ClientError, BotoCoreError) as error:
            raise TransientError("report could not be stored") from error

    def get_report(self, key: str) -> bytes:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise NotFoundError("no such reconciliation report") from error
            raise TransientError("report could not be read") from error
        except BotoCoreError as error:
            raise TransientError("report could not be read") from error

    def _upload(self, key: str, handle: IO[str], content_type: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        handle.seek(0)
        with tempfile.TemporaryFile() as encoded:
            while chunk := handle.read(1 << 20):
                encoded.write(chunk.encode("utf-8"))
            encoded.seek(0)
            try:
                self._s3.upload_fileobj(
                    encoded, self._bucket, key, ExtraArgs={"ContentType": content_type}
                )
            except (ClientError, BotoCoreError) as error:
                raise TransientError("report could not be stored") from error
