"""Cheap checks that the stage's table and documents bucket answer."""

from __future__ import annotations

from typing import Any

from chalicelib.telemetry import logger


def check_dependencies(table: Any, s3: Any, bucket: str) -> tuple[bool, bool]:
    return _answers("table", lambda: table.get_item(Key={"PK": "HEALTH", "SK": "PROBE"})), _answers(
        "bucket", lambda: s3.head_bucket(Bucket=bucket)
    )


def _answers(dependency: str, probe: Any) -> bool:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        probe()
    except (BotoCoreError, ClientError) as error:
        logger.warning("dependency unavailable", dependency=dependency, error=type(error).__name__)
        return False
    return True
