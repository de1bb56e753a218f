"""`GET /health`: the stage, the version, and whether the table and bucket answer."""

from __future__ import annotations

from chalice import Blueprint
from pydantic import BaseModel, ConfigDict

from chalicelib.domain.identity import PUBLIC
from chalicelib.handlers.api.routing import Call, Reply, endpoint
from chalicelib.services.health import check_dependencies
from chalicelib.wiring import container

blueprint = Blueprint(__name__)


class HealthView(BaseModel):
    model_config = ConfigDict(defer_build=True)
    status: str
    stage: str
    version: str
    table: bool
    bucket: bool


@endpoint(
    blueprint,
    "/health",
    "GET",
    access=PUBLIC,
    summary="Liveness and dependencies",
    response=HealthView,
    tags=("public",),
)
def health(call: Call) -> Reply:
    deps = container()
    table_ok, bucket_ok = check_dependencies(deps.table, deps.s3, deps.settings.DOCUMENTS_BUCKET)
    view = HealthView(
        status="ok" if table_ok and bucket_ok else "degraded",
        stage=deps.settings.STAGE,
        version=deps.settings.APP_VERSION,
        table=table_ok,
        bucket=bucket_ok,
    )
    return Reply(view, status=200 if view.status == "ok" else 503)
